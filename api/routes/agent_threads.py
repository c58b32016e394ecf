"""The Agent Protocol (the LangGraph Platform API subset `langgraph-sdk` and agent-chat-ui use)
under `/agent`, assistants and threads; runs are `api.routes.agent_runs`. Point a client at
`http://host:port/agent` with an API key; see docs/agent-protocol.md.

- Assistants: one per graph, `assistant` (the chat) and `optimization`, with LangGraph's ids
  (uuid5 of the graph id); `POST /assistants/search`, `GET /assistants/{id}`.
- Threads are the caller's chat threads (`/v1/threads`): create (under the server's id or a
  UUID the caller chose: `api.agent_protocol.thread_ids`), get, search, patch (the title in
  metadata), delete; their state, history, state updates and copies are
  `api.routes.agent_state`. A thread's values are the chat graph's state, messages as
  LangChain message dicts.

Every route needs the caller's credentials; another owner's thread is 404. Errors are
`{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Response, status

from api.agent_protocol.assistants import (
    CHAT_GRAPH,
    GRAPHS,
    assistant_id,
    assistant_view,
    graph_of,
)
from api.agent_protocol.chat_runs import jsonable
from api.agent_protocol.conversations import erase_conversation
from api.agent_protocol.run_records import active_run
from api.agent_protocol.thread_ids import chosen_thread_id, shown_thread_id, stored_thread_id
from api.context import AppContext, Caller, Ctx
from api.errors import ApiError, found_or_404, validation_error
from api.route_defaults import api_router
from api.schemas.agent_threads import (
    AssistantSearch,
    ThreadCreateBody,
    ThreadMetadata,
    ThreadPatch,
    ThreadSearch,
)
from api.thread_turns import thread_busy
from store import ChatThread, ConflictError

if TYPE_CHECKING:
    from langgraph.types import StateSnapshot

    from graphs.chat import ChatSession

PREFIX = "/agent"
router = api_router(prefix=PREFIX, tags=["agent protocol"])


@router.post("/assistants/search", summary="Search assistants")
def search_assistants(body: AssistantSearch, caller: Caller) -> list[dict[str, Any]]:
    """The assistants (one per graph) matching `graph_id`, `name` and `metadata`."""
    found = [
        assistant_view(g) for g in GRAPHS if body.graph_id in (None, g) and body.name in (None, g)
    ]
    wanted = body.metadata or {}
    found = [a for a in found if all(a["metadata"].get(k) == v for k, v in wanted.items())]
    return found[body.offset : body.offset + body.limit]


@router.get("/assistants/{assistant}", summary="Get an assistant")
def get_assistant(assistant: str, caller: Caller) -> dict[str, Any]:
    """The assistant by its id or its graph id."""
    return assistant_view(graph_of(assistant))


@router.get("/info", summary="Server info")
def info() -> dict[str, Any]:
    """What this server is (agent-chat-ui checks it answers)."""
    return {"version": "stratigos", "flags": {"assistants": True, "crons": True}}


# ------------------------------------------------------------------------------------ threads


def chat_session(context: AppContext, owner: str, thread_id: str) -> ChatSession:
    from graphs.chat import ChatSession  # the assistant's graph and LangChain on first use

    return ChatSession(thread_id, settings=context.settings, owner=owner, store=context.store)


def owned_thread(context: AppContext, owner: str, thread_id: str) -> ChatThread:
    """The owner's thread named `thread_id` as a client names it (its stored id is `.id`); 404
    when they have none of that name."""
    with found_or_404("thread", thread_id):
        return context.store.get_thread(owner, stored_thread_id(owner, thread_id))


def _metadata(thread: ChatThread) -> dict[str, Any]:
    return {"graph_id": CHAT_GRAPH, "assistant_id": assistant_id(CHAT_GRAPH), "title": thread.title}


def _interrupts(snapshot: StateSnapshot) -> dict[str, list[Any]]:
    return {t.id: jsonable(list(t.interrupts)) for t in snapshot.tasks if t.interrupts}


def thread_view(context: AppContext, owner: str, thread: ChatThread) -> dict[str, Any]:
    snapshot = chat_session(context, owner, thread.id).snapshot()
    busy = thread_busy(context.store, owner, thread.id)
    busy = busy or active_run(context.store, owner, thread.id) is not None
    return {
        "thread_id": shown_thread_id(thread.id),
        "created_at": thread.created_at.isoformat(),
        "updated_at": thread.updated_at.isoformat(),
        "metadata": _metadata(thread),
        "status": "busy" if busy else "interrupted" if snapshot.interrupts else "idle",
        "values": jsonable(dict(snapshot.values)),
        "interrupts": _interrupts(snapshot),
    }


def checkpoint_view(thread_id: str, config: dict[str, Any] | None) -> dict[str, Any] | None:
    """The Agent Protocol `Checkpoint` of a LangGraph config of the stored thread `thread_id`."""
    if not config:
        return None
    configurable = config.get("configurable", {})
    return {
        "thread_id": shown_thread_id(thread_id),
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        "checkpoint_id": configurable.get("checkpoint_id"),
        "checkpoint_map": None,
    }


KEPT_METADATA = ("title", "graph_id", "assistant_id")


def _given(metadata: ThreadMetadata | None) -> dict[str, Any] | None:
    """The metadata fields a request gave."""
    return None if metadata is None else metadata.model_dump(exclude_none=True)


def _title(metadata: dict[str, Any] | None) -> str | None:
    """The thread title that `metadata` sets; 422 for keys this server does not keep."""
    metadata = metadata or {}
    for key in metadata:
        if key not in KEPT_METADATA:
            raise validation_error(
                f"body.metadata.{key}",
                f"not kept: a thread's metadata is {', '.join(KEPT_METADATA)}",
            )
    if metadata.get("graph_id", CHAT_GRAPH) != CHAT_GRAPH:
        raise validation_error("body.metadata.graph_id", f"threads are of the {CHAT_GRAPH} graph")
    if metadata.get("assistant_id", CHAT_GRAPH) not in (CHAT_GRAPH, assistant_id(CHAT_GRAPH)):
        raise validation_error("body.metadata.assistant_id", "threads are of the chat assistant")
    title = metadata.get("title")
    if title is not None and (not isinstance(title, str) or not 1 <= len(title) <= 200):
        raise validation_error("body.metadata.title", "a string of 1 to 200 characters")
    return title


@router.post("/threads", summary="Create a thread")
def create_thread(body: ThreadCreateBody, context: Ctx, caller: Caller) -> dict[str, Any]:
    """A new chat thread of the caller (the same as `POST /v1/threads`), under the id the
    server assigns or, with `thread_id`, the UUID the caller chose (a thread of theirs only:
    `api.agent_protocol.thread_ids`); a chosen id they have already is 409, or that thread
    with `if_exists: "do_nothing"`."""
    if body.graph_id not in (None, CHAT_GRAPH):
        raise validation_error("body.graph_id", f"threads are of the {CHAT_GRAPH} graph")
    title = _title(_given(body.metadata)) or "New conversation"
    if body.thread_id is None:
        thread = context.store.create_thread(caller.owner, title)
    else:
        thread = create_chosen_thread(
            context, caller.owner, chosen_thread_id(body.thread_id), title, body.if_exists
        )
    return thread_view(context, caller.owner, thread)


def create_chosen_thread(
    context: AppContext, owner: str, thread_id: str, title: str, if_exists: str | None = None
) -> ChatThread:
    """The owner's new thread under the UUID `thread_id` they chose; when they have it already,
    that thread (`if_exists="do_nothing"`) or 409."""
    stored = stored_thread_id(owner, thread_id)
    try:
        return context.store.create_thread(owner, title, thread_id=stored)
    except ConflictError:
        if if_exists == "do_nothing":
            return owned_thread(context, owner, thread_id)
        raise ApiError(
            409,
            "CONFLICT",
            f"thread {thread_id} exists",
            [("body.thread_id", "you have a thread of this id")],
        ) from None


@router.get("/threads/{thread_id}", summary="Get a thread")
def get_thread(thread_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The thread with its values, status and interrupts."""
    return thread_view(context, caller.owner, owned_thread(context, caller.owner, thread_id))


@router.patch("/threads/{thread_id}", summary="Update a thread's metadata")
def patch_thread(thread_id: str, body: ThreadPatch, context: Ctx, caller: Caller) -> dict[str, Any]:
    """Rename the thread (`metadata.title`); other metadata is not kept (422)."""
    stored = owned_thread(context, caller.owner, thread_id).id
    thread = context.store.touch_thread(caller.owner, stored, title=_title(_given(body.metadata)))
    return thread_view(context, caller.owner, thread)


@router.post("/threads/search", summary="Search threads")
def search_threads(body: ThreadSearch, context: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """The caller's threads (most recently active first) matching `metadata`, `status` and
    `ids`; filtering on `values` is not supported (422)."""
    if body.values:
        raise validation_error("body.values", "not supported: filter on metadata or status")
    found = []
    wanted = None if body.ids is None else {stored_thread_id(caller.owner, i) for i in body.ids}
    for thread in context.store.list_threads(caller.owner, limit=1000):
        if wanted is not None and thread.id not in wanted:
            continue
        metadata = _metadata(thread)
        if any(metadata.get(k) != v for k, v in (body.metadata or {}).items()):
            continue
        found.append(thread)
    views = []
    for thread in found:
        view = thread_view(context, caller.owner, thread)
        if body.status in (None, view["status"]):
            views.append(view)
    return views[body.offset : body.offset + body.limit]


@router.delete("/threads/{thread_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete")
def delete_thread(thread_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the thread, its conversation and its runs (409 while a run is on it)."""
    delete_owned_thread(context, caller.owner, thread_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def delete_owned_thread(context: AppContext, owner: str, thread_id: str) -> None:
    """Delete the owner's thread (404 if not theirs, 409 while a turn runs on it)."""
    stored = owned_thread(context, owner, thread_id).id
    context.turns.claim(context.store, owner, stored)
    try:
        erase_thread(context, owner, stored)
    finally:
        context.turns.release(context.store, owner, stored)


def erase_thread(context: AppContext, owner: str, thread_id: str) -> None:
    """Delete the thread's conversation, its entry, its runs and its crons (`thread_id`: its
    stored id; the caller makes sure no turn runs on it)."""
    erase_conversation(context.settings, context.store, owner, thread_id)
    context.runs.forget_thread(owner, thread_id)
