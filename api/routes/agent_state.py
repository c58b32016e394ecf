"""A thread's state under `/agent` (see `api.routes.agent_threads`): read it now or at a
checkpoint (`GET /threads/{id}/state`, `GET /threads/{id}/state/{checkpoint_id}`,
`POST /threads/{id}/state/checkpoint`), its history (`POST /threads/{id}/history`: newest first,
before a checkpoint, from a checkpoint, by metadata), write messages to it
(`POST /threads/{id}/state`: `api.agent_protocol.state_updates`, from the latest checkpoint or
from an earlier one, a fork) and copy it (`POST /threads/{id}/copy`: a new thread of the caller
with the same checkpoints). Writing and copying wait for no run: a thread with a turn running
is 409. Another owner's thread is 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.agent_protocol.chat_runs import jsonable
from api.agent_protocol.run_records import active_run
from api.agent_protocol.run_requests import refuse_text
from api.agent_protocol.state_updates import state_update
from api.agent_protocol.thread_ids import as_uuid
from api.context import AppContext, Caller, Ctx
from api.errors import ApiError, found_or_404, validation_error
from api.route_defaults import api_router
from api.routes.agent_threads import (
    PREFIX,
    chat_session,
    checkpoint_view,
    owned_thread,
    thread_view,
)
from api.schemas.agent_threads import CheckpointRef, HistoryBody, StateAtBody, StateUpdateBody

if TYPE_CHECKING:
    from langgraph.types import StateSnapshot

router = api_router(prefix=PREFIX, tags=["agent protocol"])


def state_view(thread_id: str, snapshot: StateSnapshot) -> dict[str, Any]:
    """The Agent Protocol `ThreadState` of a snapshot of the stored thread `thread_id`."""
    tasks = [
        {
            "id": t.id,
            "name": t.name,
            "error": t.error,
            "interrupts": jsonable(list(t.interrupts)),
            "checkpoint": None,
            "state": None,
            "result": jsonable(t.result),
        }
        for t in snapshot.tasks
    ]
    return {
        "values": jsonable(dict(snapshot.values)),
        "next": list(snapshot.next),
        "checkpoint": checkpoint_view(thread_id, dict(snapshot.config)),
        "metadata": jsonable(dict(snapshot.metadata or {})),
        "created_at": snapshot.created_at,
        "parent_checkpoint": checkpoint_view(thread_id, dict(snapshot.parent_config or {})),
        "tasks": tasks,
        "interrupts": jsonable(list(snapshot.interrupts)),
    }


def _checkpoint_id(given: CheckpointRef | str | None, field: str) -> str | None:
    """The checkpoint id a request names (a UUID; 422 naming `field` otherwise)."""
    if given is None:
        return None
    text = given if isinstance(given, str) else given.checkpoint_id
    if text is None:
        if isinstance(given, CheckpointRef):
            return None  # the thread's latest
        raise validation_error(field, "a checkpoint id")
    if as_uuid(text) != text.lower():
        raise validation_error(field, "a checkpoint id of this thread (a UUID)")
    return text.lower()


def _snapshot(context: AppContext, owner: str, thread_id: str, checkpoint_id: str | None) -> Any:
    stored = owned_thread(context, owner, thread_id).id
    with found_or_404("checkpoint", checkpoint_id or "latest"):
        return state_view(stored, chat_session(context, owner, stored).snapshot(checkpoint_id))


@router.get("/threads/{thread_id}/state", summary="Thread state")
def get_state(thread_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The thread's current state: values, next nodes, tasks, interrupts, checkpoint."""
    return _snapshot(context, caller.owner, thread_id, None)


@router.get("/threads/{thread_id}/state/{checkpoint_id}", summary="Thread state at a checkpoint")
def get_state_at(thread_id: str, checkpoint_id: str, context: Ctx, caller: Caller) -> Any:
    """The thread's state at one of its checkpoints (404 when it has none of that id)."""
    wanted = _checkpoint_id(checkpoint_id, "path.checkpoint_id")
    return _snapshot(context, caller.owner, thread_id, wanted)


@router.post("/threads/{thread_id}/state/checkpoint", summary="Thread state at a checkpoint")
def post_state_at(thread_id: str, body: StateAtBody, context: Ctx, caller: Caller) -> Any:
    """The thread's state at `checkpoint.checkpoint_id` (the latest when it names none);
    `subgraphs: true` is not supported (the tool loops keep no checkpoints)."""
    if body.subgraphs:
        raise validation_error("body.subgraphs", "not supported: subgraphs keep no state")
    wanted = _checkpoint_id(body.checkpoint, "body.checkpoint.checkpoint_id")
    return _snapshot(context, caller.owner, thread_id, wanted)


@router.post("/threads/{thread_id}/history", summary="Thread history")
def get_history(
    thread_id: str, body: HistoryBody, context: Ctx, caller: Caller
) -> list[dict[str, Any]]:
    """The thread's states, newest first (`limit` of them): from `checkpoint` back (default the
    latest), only those before `before`, only those whose metadata holds `metadata`."""
    refuse_text(body.metadata, "body.metadata")
    before = _checkpoint_id(body.before, "body.before")
    start = _checkpoint_id(body.checkpoint, "body.checkpoint.checkpoint_id")
    stored = owned_thread(context, caller.owner, thread_id).id
    session = chat_session(context, caller.owner, stored)
    if start is not None:
        with found_or_404("checkpoint", start):
            session.snapshot(start)
        before = before or _after(session.snapshots(1000), start)
    snapshots = session.snapshots(body.limit, before=before, metadata=body.metadata)
    return [state_view(stored, s) for s in snapshots]


def _after(snapshots: list[Any], checkpoint_id: str) -> str | None:
    """The id of the checkpoint right after `checkpoint_id` (newest first), so that a history
    "before" it starts at `checkpoint_id`."""
    ids = [s.config["configurable"]["checkpoint_id"] for s in snapshots]
    position = ids.index(checkpoint_id)
    return ids[position - 1] if position > 0 else None


@router.post("/threads/{thread_id}/state", summary="Update a thread's state")
def update_state(
    thread_id: str, body: StateUpdateBody, context: Ctx, caller: Caller
) -> dict[str, Any]:
    """Write messages to the thread's state as a new checkpoint (after `checkpoint_id`, or
    `checkpoint.checkpoint_id`, when given: a fork); `{"checkpoint": <the new one>}`. 409 while
    a run is on the thread or an approval is pending (answer it first)."""
    values = state_update(body.values)
    at = _checkpoint_id(body.checkpoint_id, "body.checkpoint_id") or _checkpoint_id(
        body.checkpoint, "body.checkpoint.checkpoint_id"
    )
    owner = caller.owner
    stored = owned_thread(context, owner, thread_id).id
    with _idle(context, owner, stored):
        session = chat_session(context, owner, stored)
        if session.pending() is not None:
            raise ApiError(
                409,
                "CONFLICT",
                f"thread {thread_id} awaits an approval",
                [("thread", "answer the pending approval (a run with command.resume) first")],
            )
        with found_or_404("checkpoint", at or "latest"):
            config = session.update_state(values, at)
        context.store.touch_thread(owner, stored)
    return {"checkpoint": checkpoint_view(stored, config)}


@router.post("/threads/{thread_id}/copy", summary="Copy a thread")
def copy_thread(thread_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """A new thread of the caller (a server id) with the thread's title and checkpoints: it
    goes on from the same state, an approval pending included."""
    owner = caller.owner
    source = owned_thread(context, owner, thread_id)
    with _idle(context, owner, source.id):
        copy = context.store.create_thread(owner, source.title)
        try:
            chat_session(context, owner, source.id).copy_to(chat_session(context, owner, copy.id))
        except BaseException:
            chat_session(context, owner, copy.id).delete()
            context.store.delete_thread(owner, copy.id)
            raise
    return thread_view(context, owner, copy)


class _idle:
    """Holds the thread for the block: 409 when a turn runs on it (here or, by its run record,
    on another process)."""

    def __init__(self, context: AppContext, owner: str, thread_id: str) -> None:
        self.context, self.owner, self.thread_id = context, owner, thread_id

    def __enter__(self) -> None:
        self.context.turns.claim(self.context.store, self.owner, self.thread_id)
        running = active_run(self.context.store, self.owner, self.thread_id)
        if running is not None:
            self.context.turns.release(self.context.store, self.owner, self.thread_id)
            raise ApiError(
                409,
                "CONFLICT",
                "the thread has a run in progress",
                [("thread", f"run {running.run_id} is {running.status}")],
            )

    def __exit__(self, *exc: object) -> None:
        self.context.turns.release(self.context.store, self.owner, self.thread_id)
