"""The Agent Protocol (the LangGraph Platform API subset `langgraph-sdk` and agent-chat-ui use)
under `/agent`: point a client at `http://host:port/agent` with an API key. See
docs/agent-protocol.md.

- Assistants: one per graph, `assistant` (the chat) and `optimization`, with LangGraph's ids
  (uuid5 of the graph id); `POST /assistants/search`, `GET /assistants/{id}`. Runs of
  `optimization` are refused: it runs as a job (`POST /v1/optimizations`).
- Threads are the caller's chat threads (`/v1/threads`): create, get, search, patch (the title
  in metadata), delete, `GET /threads/{id}/state`, `POST /threads/{id}/history`.
- Runs (`api.agent_runs`): background, `/wait`, `/stream` on a thread, and stateless (a
  thread made for the run and deleted after it, unless `on_completion: "keep"`); get, list,
  join, join stream, cancel. A run pauses on the chat's approvals (`__interrupt__`); a run with
  `command: {"resume": {"action": "approve" | "edit" | "reject", "request": {...}}}` answers.

Every route needs the caller's credentials; another owner's thread or run is 404. Errors are
`{"error": {"code", "message", "details"}}`.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import StreamingResponse
from langchain_core.messages import HumanMessage, convert_to_messages
from langgraph.types import StateSnapshot
from pydantic import BaseModel, Field

from api.agent_runs import (
    RUNS,
    STREAM_MODES,
    AgentRun,
    execute,
    jsonable,
    new_run_id,
)
from api.context import AppContext, Caller, Ctx
from api.errors import ApiError, not_found, validation_error
from api.routes.threads import claim_thread, release_thread
from api.streaming import SSE_HEADERS, sse
from graphs.chat import ChatSession
from graphs.request import OptimizationRequest
from store import ChatThread, ConflictError, NotFoundError

PREFIX = "/agent"
router = APIRouter(prefix=PREFIX, tags=["agent protocol"])

NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")
"""The namespace LangGraph Platform derives a graph's default assistant id from (uuid5)."""

GRAPHS = {
    "assistant": "The strategy assistant: chat, portfolios, approvals of long runs.",
    "optimization": "The optimization workflow; it runs as a job (POST /v1/optimizations).",
}
CHAT_GRAPH = "assistant"


def assistant_id(graph_id: str) -> str:
    """The stable id of the graph's assistant (as LangGraph Platform assigns it)."""
    return str(uuid.uuid5(NAMESPACE_GRAPH, graph_id))


def _assistant(graph_id: str, created: str) -> dict[str, Any]:
    return {
        "assistant_id": assistant_id(graph_id),
        "graph_id": graph_id,
        "config": {},
        "context": {},
        "created_at": created,
        "updated_at": created,
        "metadata": {"created_by": "system"},
        "version": 1,
        "name": graph_id,
        "description": GRAPHS[graph_id],
    }


_EPOCH = "2025-01-01T00:00:00+00:00"
"""When the built-in assistants are said to be created (they never change)."""


def _graph_of(assistant: str, field: str = "assistant_id") -> str:
    """The graph of an assistant given by id or graph id; 404 when unknown."""
    for graph_id in GRAPHS:
        if assistant in (graph_id, assistant_id(graph_id)):
            return graph_id
    raise not_found("assistant", assistant)


class AssistantSearch(BaseModel):
    """`POST /assistants/search`."""

    graph_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


@router.post("/assistants/search", summary="Search assistants")
def search_assistants(body: AssistantSearch, caller: Caller) -> list[dict[str, Any]]:
    """The assistants (one per graph) matching `graph_id`, `name` and `metadata`."""
    found = [
        _assistant(g, _EPOCH)
        for g in GRAPHS
        if body.graph_id in (None, g) and body.name in (None, g)
    ]
    wanted = body.metadata or {}
    found = [a for a in found if all(a["metadata"].get(k) == v for k, v in wanted.items())]
    return found[body.offset : body.offset + body.limit]


@router.get("/assistants/{assistant}", summary="Get an assistant")
def get_assistant(assistant: str, caller: Caller) -> dict[str, Any]:
    """The assistant by its id or its graph id."""
    return _assistant(_graph_of(assistant), _EPOCH)


@router.get("/info", summary="Server info")
def info() -> dict[str, Any]:
    """What this server is (agent-chat-ui checks it answers)."""
    return {"version": "stratigos", "flags": {"assistants": True, "crons": False}}


# ------------------------------------------------------------------------------------ threads


def _session(context: AppContext, owner: str, thread_id: str) -> ChatSession:
    return ChatSession(thread_id, settings=context.settings, owner=owner, store=context.store)


def _owned(context: AppContext, owner: str, thread_id: str) -> ChatThread:
    try:
        return context.store.get_thread(owner, thread_id)
    except NotFoundError:
        raise not_found("thread", thread_id) from None


def _metadata(thread: ChatThread) -> dict[str, Any]:
    return {"graph_id": CHAT_GRAPH, "assistant_id": assistant_id(CHAT_GRAPH), "title": thread.title}


def _interrupts(snapshot: StateSnapshot) -> dict[str, list[Any]]:
    return {t.id: jsonable(list(t.interrupts)) for t in snapshot.tasks if t.interrupts}


def _thread_view(context: AppContext, owner: str, thread: ChatThread) -> dict[str, Any]:
    snapshot = _session(context, owner, thread.id).snapshot()
    busy = RUNS.active(owner, thread.id)
    return {
        "thread_id": thread.id,
        "created_at": thread.created_at.isoformat(),
        "updated_at": thread.updated_at.isoformat(),
        "metadata": _metadata(thread),
        "status": "busy" if busy else "interrupted" if snapshot.interrupts else "idle",
        "values": jsonable(dict(snapshot.values)),
        "interrupts": _interrupts(snapshot),
    }


def _checkpoint(thread_id: str, config: dict[str, Any] | None) -> dict[str, Any] | None:
    if not config:
        return None
    configurable = config.get("configurable", {})
    return {
        "thread_id": thread_id,
        "checkpoint_ns": configurable.get("checkpoint_ns", ""),
        "checkpoint_id": configurable.get("checkpoint_id"),
        "checkpoint_map": None,
    }


def _state_view(thread_id: str, snapshot: StateSnapshot) -> dict[str, Any]:
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
        "checkpoint": _checkpoint(thread_id, dict(snapshot.config)),
        "metadata": jsonable(dict(snapshot.metadata or {})),
        "created_at": snapshot.created_at,
        "parent_checkpoint": _checkpoint(thread_id, dict(snapshot.parent_config or {})),
        "tasks": tasks,
        "interrupts": jsonable(list(snapshot.interrupts)),
    }


KEPT_METADATA = ("title", "graph_id", "assistant_id")


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


class ThreadCreateBody(BaseModel):
    """`POST /threads`."""

    thread_id: str | None = Field(default=None, description="Not supported: ids are assigned.")
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    graph_id: str | None = None


@router.post("/threads", summary="Create a thread")
def create_thread(body: ThreadCreateBody, context: Ctx, caller: Caller) -> dict[str, Any]:
    """A new chat thread of the caller (the same as `POST /v1/threads`)."""
    if body.thread_id is not None:
        raise validation_error("body.thread_id", "not supported: the server assigns thread ids")
    if body.graph_id not in (None, CHAT_GRAPH):
        raise validation_error("body.graph_id", f"threads are of the {CHAT_GRAPH} graph")
    title = _title(body.metadata) or "New conversation"
    thread = context.store.create_thread(caller.owner, title)
    return _thread_view(context, caller.owner, thread)


@router.get("/threads/{thread_id}", summary="Get a thread")
def get_thread(thread_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The thread with its values, status and interrupts."""
    return _thread_view(context, caller.owner, _owned(context, caller.owner, thread_id))


class ThreadPatch(BaseModel):
    """`PATCH /threads/{id}`."""

    metadata: dict[str, Any] = Field(default_factory=dict)


@router.patch("/threads/{thread_id}", summary="Update a thread's metadata")
def patch_thread(thread_id: str, body: ThreadPatch, context: Ctx, caller: Caller) -> dict[str, Any]:
    """Rename the thread (`metadata.title`); other metadata is not kept (422)."""
    _owned(context, caller.owner, thread_id)
    thread = context.store.touch_thread(caller.owner, thread_id, title=_title(body.metadata))
    return _thread_view(context, caller.owner, thread)


class ThreadSearch(BaseModel):
    """`POST /threads/search`."""

    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    ids: list[str] | None = None
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


@router.post("/threads/search", summary="Search threads")
def search_threads(body: ThreadSearch, context: Ctx, caller: Caller) -> list[dict[str, Any]]:
    """The caller's threads (most recently active first) matching `metadata`, `status` and
    `ids`; filtering on `values` is not supported (422)."""
    if body.values:
        raise validation_error("body.values", "not supported: filter on metadata or status")
    found = []
    for thread in context.store.list_threads(caller.owner, limit=1000):
        if body.ids is not None and thread.id not in body.ids:
            continue
        metadata = _metadata(thread)
        if any(metadata.get(k) != v for k, v in (body.metadata or {}).items()):
            continue
        found.append(thread)
    views = []
    for thread in found:
        view = _thread_view(context, caller.owner, thread)
        if body.status in (None, view["status"]):
            views.append(view)
    return views[body.offset : body.offset + body.limit]


@router.delete("/threads/{thread_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete")
def delete_thread(thread_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the thread, its conversation and its runs (409 while a run is on it)."""
    _delete(context, caller.owner, thread_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _delete(context: AppContext, owner: str, thread_id: str) -> None:
    _owned(context, owner, thread_id)
    claim_thread(thread_id)
    try:
        _session(context, owner, thread_id).delete()
        context.store.delete_thread(owner, thread_id)
        RUNS.forget_thread(owner, thread_id)
    finally:
        release_thread(thread_id)


@router.get("/threads/{thread_id}/state", summary="Thread state")
def get_state(thread_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The thread's current state: values, next nodes, tasks, interrupts, checkpoint."""
    _owned(context, caller.owner, thread_id)
    return _state_view(thread_id, _session(context, caller.owner, thread_id).snapshot())


class HistoryBody(BaseModel):
    """`POST /threads/{id}/history`."""

    limit: int = Field(default=10, ge=1, le=1000)
    before: Any = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None


@router.post("/threads/{thread_id}/history", summary="Thread history")
def get_history(
    thread_id: str, body: HistoryBody, context: Ctx, caller: Caller
) -> list[dict[str, Any]]:
    """The thread's states, newest first (`limit` of them); `before`, `metadata` and
    `checkpoint` filters are not supported (422)."""
    for name in ("before", "metadata", "checkpoint"):
        if getattr(body, name):
            raise validation_error(f"body.{name}", "not supported: use limit")
    _owned(context, caller.owner, thread_id)
    snapshots = _session(context, caller.owner, thread_id).snapshots(body.limit)
    return [_state_view(thread_id, s) for s in snapshots]


# --------------------------------------------------------------------------------------- runs

UNSUPPORTED = (
    "checkpoint",
    "checkpoint_id",
    "interrupt_before",
    "interrupt_after",
    "webhook",
    "after_seconds",
    "feedback_keys",
)


class RunBody(BaseModel):
    """A run request (`POST .../runs`, `/runs/wait`, `/runs/stream`)."""

    assistant_id: str
    input: dict[str, Any] | None = None
    command: dict[str, Any] | None = None
    stream_mode: str | list[str] = "values"
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    multitask_strategy: str | None = None
    if_not_exists: Literal["create", "reject"] | None = None
    on_disconnect: Literal["cancel", "continue"] | None = None
    on_completion: Literal["delete", "keep"] | None = None
    durability: str | None = None
    checkpoint: Any = None
    checkpoint_id: Any = None
    interrupt_before: Any = None
    interrupt_after: Any = None
    webhook: Any = None
    after_seconds: Any = None
    feedback_keys: Any = None


def _decision(resume: Any) -> tuple[str, dict[str, Any] | None]:
    """The chat decision a `command.resume` value carries: `"approve"`, or `{"action",
    "request"}` (`request`: with `edit`, the fields of the request to change)."""
    if isinstance(resume, str):
        resume = {"action": resume}
    if not isinstance(resume, dict) or resume.get("action") not in ("approve", "edit", "reject"):
        raise validation_error(
            "body.command.resume.action",
            "one of approve, edit, reject (e.g. {'action': 'approve'})",
        )
    changes = resume.get("request")
    if changes is not None and not isinstance(changes, dict):
        raise validation_error("body.command.resume.request", "an object of request fields")
    return str(resume["action"]), changes


def _message(body: RunBody) -> tuple[str, str | None]:
    """The text and id of the one user message in `input.messages`."""
    messages = (body.input or {}).get("messages")
    if set(body.input or {}) - {"messages"} or not isinstance(messages, list) or len(messages) != 1:
        raise validation_error(
            "body.input.messages", "a list of exactly one user message, e.g. {'role': 'user', ...}"
        )
    try:
        (message,) = convert_to_messages(messages)
    except (ValueError, TypeError, NotImplementedError) as exc:
        raise validation_error("body.input.messages.0", f"not a message: {exc}") from None
    if not isinstance(message, HumanMessage) or not message.text.strip():
        raise validation_error("body.input.messages.0", "must be a non-empty user (human) message")
    if len(message.text) > 8000:
        raise validation_error("body.input.messages.0.content", "at most 8000 characters")
    return message.text, message.id


def _stream_modes(body: RunBody) -> tuple[str, ...]:
    modes = [body.stream_mode] if isinstance(body.stream_mode, str) else body.stream_mode
    for mode in modes:
        if mode not in STREAM_MODES:
            raise validation_error(
                "body.stream_mode", f"{mode!r} is not supported: use {', '.join(STREAM_MODES)}"
            )
    return tuple(modes) or ("values",)


def _check(body: RunBody) -> None:
    """Refuse what this server does not do, naming the field."""
    if _graph_of(body.assistant_id) != CHAT_GRAPH:
        raise validation_error(
            "body.assistant_id",
            "the optimization graph runs as a job (POST /v1/optimizations with an "
            "OptimizationRequest), not as an Agent Protocol run; use the assistant graph",
        )
    for name in UNSUPPORTED:
        if getattr(body, name) is not None:
            raise validation_error(f"body.{name}", "not supported by this server")
    if body.multitask_strategy not in (None, "reject"):
        raise validation_error(
            "body.multitask_strategy", "only reject: one run at a time per thread"
        )
    if body.if_not_exists == "create":
        raise validation_error("body.if_not_exists", "not supported: create the thread first")
    for name in ("config", "context"):
        value = getattr(body, name)
        if value and any(
            v for k, v in value.items() if k not in ("configurable", "recursion_limit")
        ):
            raise validation_error(f"body.{name}", "the assistant takes no configuration")
    if (body.input is None) == (body.command is None):
        raise validation_error("body.input", "give either input (a user message) or command")
    if body.command is not None and set(body.command) != {"resume"}:
        raise validation_error("body.command", "only resume is supported")


def _start(context: AppContext, owner: str, thread_id: str, body: RunBody) -> AgentRun:
    """Check `body`, claim the thread and start the run in a worker thread."""
    _check(body)
    modes = _stream_modes(body)
    session = _session(context, owner, thread_id)
    if body.command is not None:
        action, changes = _decision(body.command["resume"])
        if session.pending() is None:
            raise ApiError(
                409,
                "CONFLICT",
                f"thread {thread_id} has no run awaiting approval",
                [("body.command.resume", "nothing pending")],
            )
        if action == "edit":
            pending = session.pending() or {}
            OptimizationRequest.model_validate({**pending.get("request", {}), **(changes or {})})

        def turn(on_chunk: Callable[[Any], None]) -> Any:
            return session.decide(action, changes=changes, on_chunk=on_chunk)
    else:
        text, message_id = _message(body)

        def turn(on_chunk: Callable[[Any], None]) -> Any:
            return session.send(text, on_chunk=on_chunk, message_id=message_id)

    claim_thread(thread_id)
    run = AgentRun(
        run_id=new_run_id(),
        thread_id=thread_id,
        assistant_id=assistant_id(CHAT_GRAPH),
        owner=owner,
        stream_modes=modes,
        subgraphs=body.stream_subgraphs,
        metadata=body.metadata or {},
    )
    run.cancel_job = lambda job_id: _cancel_job(context, owner, job_id)
    run.emit("metadata", {"run_id": run.run_id, "attempt": 1})
    RUNS.add(run)

    def release() -> None:
        release_thread(thread_id)
        context.store.touch_thread(owner, thread_id)

    worker = threading.Thread(
        target=execute,
        args=(run, turn, session.snapshot, release),
        name=f"agent-run-{run.run_id}",
        daemon=True,
    )
    worker.start()
    return run


def _cancel_job(context: AppContext, owner: str, job_id: str) -> None:
    """Cancel the owner's job unless it has ended already."""
    with contextlib.suppress(ConflictError, NotFoundError):
        context.runner.cancel(owner, job_id)


def _location(run: AgentRun) -> dict[str, str]:
    return {"Content-Location": f"{PREFIX}/threads/{run.thread_id}/runs/{run.run_id}"}


async def _sse(run: AgentRun, after: int, on_disconnect: str | None) -> AsyncIterator[bytes]:
    finished = False
    try:
        async for index, event, data in run.frames_after(after):
            yield sse(_dumps(data), event=event, id=index)
        finished = True
    finally:
        if not finished and on_disconnect == "cancel":
            run.cancel("the client disconnected")


def _dumps(data: Any) -> str:
    return json.dumps(data, default=str)


def _stream_response(run: AgentRun, after: int, on_disconnect: str | None) -> StreamingResponse:
    headers = {
        **SSE_HEADERS,
        **_location(run),
        "Location": f"{PREFIX}/threads/{run.thread_id}/runs/{run.run_id}/stream",
    }
    return StreamingResponse(
        _sse(run, after, on_disconnect), media_type="text/event-stream", headers=headers
    )


def _start_stateless(context: AppContext, owner: str, body: RunBody) -> AgentRun:
    """Check `body` (a user message: there is nothing to resume), then start it on a new
    thread."""
    _check(body)
    if body.command is not None:
        raise validation_error("body.command", "a stateless run has nothing to resume")
    _message(body)
    thread_id = context.store.create_thread(owner, "Stateless run").id
    try:
        return _start(context, owner, thread_id, body)
    except Exception:
        context.store.delete_thread(owner, thread_id)
        raise


async def _after_stateless(context: AppContext, owner: str, run: AgentRun, body: RunBody) -> None:
    if body.on_completion != "keep":
        await run.wait()
        _delete(context, owner, run.thread_id)


@router.post("/threads/{thread_id}/runs", summary="Create a background run")
def create_run(
    thread_id: str, body: RunBody, context: Ctx, caller: Caller, response: Response
) -> dict[str, Any]:
    """Start a run on the thread and answer at once with the `Run` (status pending/running)."""
    _owned(context, caller.owner, thread_id)
    run = _start(context, caller.owner, thread_id, body)
    response.headers.update(_location(run))
    return run.view()


@router.post("/threads/{thread_id}/runs/wait", summary="Run and wait for the result")
async def wait_run(
    thread_id: str, body: RunBody, context: Ctx, caller: Caller, response: Response
) -> dict[str, Any]:
    """Run on the thread; the answer is the thread's values when the run ends (with
    `__interrupt__` when it pauses for approval, `__error__` when it failed)."""
    _owned(context, caller.owner, thread_id)
    run = _start(context, caller.owner, thread_id, body)
    response.headers.update(_location(run))
    return await run.wait()


@router.post("/threads/{thread_id}/runs/stream", summary="Run and stream it (SSE)")
def stream_run(thread_id: str, body: RunBody, context: Ctx, caller: Caller) -> StreamingResponse:
    """Run on the thread, streaming `metadata`, the requested modes' frames and `end`."""
    _owned(context, caller.owner, thread_id)
    run = _start(context, caller.owner, thread_id, body)
    return _stream_response(run, -1, body.on_disconnect)


@router.post("/runs/wait", summary="Stateless run, waited for")
async def wait_stateless(body: RunBody, context: Ctx, caller: Caller) -> dict[str, Any]:
    """A run on a new thread, deleted when the run ends (unless `on_completion: "keep"`)."""
    run = _start_stateless(context, caller.owner, body)
    result = await run.wait()
    await _after_stateless(context, caller.owner, run, body)
    return result


@router.post("/runs/stream", summary="Stateless run, streamed")
def stream_stateless(body: RunBody, context: Ctx, caller: Caller) -> StreamingResponse:
    """A streamed run on a new thread, deleted when the run ends (unless `on_completion:
    "keep"`)."""
    owner = caller.owner
    run = _start_stateless(context, owner, body)

    async def frames() -> AsyncIterator[bytes]:
        async for chunk in _sse(run, -1, body.on_disconnect):
            yield chunk
        await _after_stateless(context, owner, run, body)

    return StreamingResponse(frames(), media_type="text/event-stream", headers=SSE_HEADERS)


def _run(context: AppContext, owner: str, thread_id: str, run_id: str) -> AgentRun:
    _owned(context, owner, thread_id)
    run = RUNS.get(owner, thread_id, run_id)
    if run is None:
        raise not_found("run", run_id)
    return run


@router.get("/threads/{thread_id}/runs", summary="List runs")
def list_runs(
    thread_id: str,
    context: Ctx,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> list[dict[str, Any]]:
    """The thread's runs in this process, newest first."""
    _owned(context, caller.owner, thread_id)
    runs = RUNS.of_thread(caller.owner, thread_id)[offset : offset + limit]
    return [r.view() for r in runs]


@router.get("/threads/{thread_id}/runs/{run_id}", summary="Get a run")
def get_run(thread_id: str, run_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The run: status pending, running, success, error or interrupted."""
    return _run(context, caller.owner, thread_id, run_id).view()


@router.get("/threads/{thread_id}/runs/{run_id}/join", summary="Wait for a run")
async def join_run(thread_id: str, run_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The thread's values when the run has ended (as `/runs/wait` answers)."""
    return await _run(context, caller.owner, thread_id, run_id).wait()


@router.get("/threads/{thread_id}/runs/{run_id}/stream", summary="Join a run's stream")
def join_stream(
    thread_id: str,
    run_id: str,
    context: Ctx,
    caller: Caller,
    cancel_on_disconnect: bool = False,
    last_event_id: Annotated[str | None, Header(max_length=32)] = None,
) -> StreamingResponse:
    """The run's frames from the start (or after `Last-Event-ID`), following it to `end`."""
    run = _run(context, caller.owner, thread_id, run_id)
    after = -1
    if last_event_id and last_event_id.strip():
        if not last_event_id.strip().isdigit():
            raise validation_error("header.last-event-id", "the id of a frame (a number)")
        after = int(last_event_id)
    return _stream_response(run, after, "cancel" if cancel_on_disconnect else None)


@router.post(
    "/threads/{thread_id}/runs/{run_id}/cancel",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Cancel a run",
)
async def cancel_run(
    thread_id: str,
    run_id: str,
    context: Ctx,
    caller: Caller,
    wait: bool = False,
    action: Literal["interrupt", "rollback"] = "interrupt",
) -> Response:
    """Stop the run at its next step (status `interrupted`; what its finished steps wrote
    stays). `rollback` is not supported (422); a finished run is 409. With `wait=1` the answer
    comes when the run has stopped."""
    run = _run(context, caller.owner, thread_id, run_id)
    if action != "interrupt":
        raise validation_error("query.action", "only interrupt is supported")
    if run.done:
        raise ApiError(
            409, "CONFLICT", f"run {run_id} has ended ({run.status})", [("run", run.status)]
        )
    run.cancel("cancelled by the client")
    if wait:
        await run.wait()
    return Response(status_code=status.HTTP_202_ACCEPTED)
