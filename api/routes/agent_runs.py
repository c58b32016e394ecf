"""Agent Protocol runs under `/agent` (see `api.routes.agent_threads`).

Background (`POST /threads/{id}/runs`), `/wait` and `/stream` runs on a thread, and stateless
ones (`/runs/wait`, `/runs/stream`: a thread made for the run, deleted after it unless
`on_completion: "keep"`); get, list, join, join stream, cancel. A run request is checked by
`api.agent_protocol.run_requests` (what the server does not do is refused naming the field,
422). A run of the chat assistant is one chat turn (`api.agent_protocol.chat_runs`); it pauses
on the chat's approvals (`__interrupt__`, in the `HumanInterrupt` shape), which a run with
`command: {"resume": ...}` answers (`api.human_interrupt`). A run of the `optimization`
assistant runs its input, an `OptimizationRequest`, as the owner's optimization job
(`api.agent_protocol.optimization_runs`). One run at a time per thread (409). Runs are recorded
in the store (`api.agent_protocol.run_records`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, Literal

from fastapi import Query, Response, status
from fastapi.responses import StreamingResponse

from api.agent_protocol import optimization_runs
from api.agent_protocol.assistants import CHAT_GRAPH, assistant_id
from api.agent_protocol.chat_runs import (
    STREAM_MODES,
    AgentRun,
    chat_outcome,
    execute,
    frame_mode,
    new_run_id,
    state_values,
)
from api.agent_protocol.run_records import (
    StoreJournal,
    active_run,
    ended_record,
    final_values,
    record_frames,
    run_view,
)
from api.agent_protocol.run_requests import (
    asked_checkpoint,
    chat_turn,
    checked_graph,
    stream_modes,
    user_message,
)
from api.agent_protocol.thread_ids import as_uuid, shown_thread_id
from api.context import AppContext, Caller, Ctx
from api.errors import ApiError, found_or_404, not_found, validation_error
from api.params import LastEventId
from api.route_defaults import api_router
from api.routes.agent_threads import (
    PREFIX,
    chat_session,
    create_chosen_thread,
    erase_thread,
    owned_thread,
)
from api.schemas.agent_runs import RunBody
from api.streaming import KEEPALIVE_SECONDS, SSE_HEADERS, sse
from services.bounds import MAX_COUNT
from store import AgentRunRecord, ConflictError, NotFoundError

router = api_router(prefix=PREFIX, tags=["agent protocol"])


def _start(
    context: AppContext,
    owner: str,
    thread_id: str,
    body: RunBody,
    on_end: Callable[[], None] | None = None,
) -> tuple[AgentRun, AgentRunRecord]:
    """Check `body`, claim the thread, record the run in the store and start it in a worker
    thread (the app's turn: it stops before its next step once the app closes, ending
    `interrupted`); `on_end()` runs there once the thread is released, before the run's `end`
    frame."""
    graph = checked_graph(body)
    modes = stream_modes(body)
    session = chat_session(context, owner, thread_id)
    _refuse_past_checkpoint(session, body)
    # what is pending cannot change from here on
    stopping = context.turns.claim(context.store, owner, thread_id)
    session.stop = stopping.is_set
    job = None
    try:
        _refuse_if_running(context, owner, thread_id)
        if graph == CHAT_GRAPH:
            outcome = chat_outcome(chat_turn(session, body), session.snapshot)
        else:
            job = optimization_runs.submit(context.runner, context.store, owner, body.input)
            context.notify_submitted(job)
            outcome = optimization_runs.job_outcome(
                context.runner, context.store, owner, job.id, context.run_timing.poll_seconds
            )
        run = AgentRun(
            run_id=new_run_id(),
            thread_id=thread_id,
            assistant_id=assistant_id(graph),
            owner=owner,
            stream_modes=modes,
            subgraphs=body.stream_subgraphs,
            metadata=body.metadata or {},
            stopping=stopping,
        )
        record = context.store.create_agent_run(
            owner,
            run_id=run.run_id,
            thread_id=thread_id,
            assistant_id=run.assistant_id,
            lease_seconds=context.run_timing.lease_seconds,
            metadata=run.metadata,
            multitask_strategy=body.multitask_strategy,
            kwargs={"stream_mode": list(modes)},
            job_id=None if job is None else job.id,
        )
    except BaseException:
        context.turns.release(context.store, owner, thread_id)
        if job is not None:  # submitted, but the run could not be recorded
            _cancel_job(context, owner, job.id)
        raise
    run.cancel_job = lambda job_id: _cancel_job(context, owner, job_id)
    if job is not None:
        run.jobs.append(job.id)
    run.emit("metadata", {"run_id": run.run_id, "attempt": 1})
    context.runs.add(run)

    def release() -> None:
        try:
            with contextlib.suppress(NotFoundError):
                context.store.touch_thread(owner, thread_id)
        finally:
            context.turns.release(context.store, owner, thread_id)
        if on_end is not None:
            on_end()

    journal = StoreJournal(context.store, owner, context.run_timing)
    context.turns.start(
        owner,
        thread_id,
        lambda: execute(run, outcome, release, journal),
        f"agent-run-{run.run_id}",
    )
    return run, record


def _refuse_past_checkpoint(session: Any, body: RunBody) -> None:
    """422 when the run names a checkpoint other than the thread's latest (a run starts from
    the latest only; fork with `POST /threads/{id}/state`)."""
    asked = asked_checkpoint(body)
    if asked is None:
        return
    latest = (session.snapshot().config.get("configurable") or {}).get("checkpoint_id")
    if asked != latest:
        field = "body.checkpoint_id" if body.checkpoint_id is not None else "body.checkpoint"
        raise validation_error(
            field, "only the thread's latest checkpoint: fork with POST /threads/{id}/state"
        )


def _run_thread(context: AppContext, owner: str, thread_id: str, body: RunBody) -> str:
    """The stored id of the owner's thread a run is asked for; with `if_not_exists: "create"`, a
    thread of a UUID they do not have yet is made for it (404 otherwise)."""
    try:
        return owned_thread(context, owner, thread_id).id
    except ApiError as exc:
        chosen = as_uuid(thread_id)
        if exc.status != 404 or body.if_not_exists != "create" or chosen is None:
            raise
    return create_chosen_thread(context, owner, chosen, "New conversation", "do_nothing").id


def _refuse_if_running(context: AppContext, owner: str, thread_id: str) -> None:
    """409 when the thread has a run in progress (started on another instance)."""
    running = active_run(context.store, owner, thread_id)
    if running is not None:
        raise ApiError(
            409,
            "CONFLICT",
            f"thread {shown_thread_id(thread_id)} has a run in progress ({running.run_id})",
            [("thread", f"run {running.run_id} is {running.status}")],
        )


def _cancel_job(context: AppContext, owner: str, job_id: str) -> bool:
    """Cancel the owner's job unless it has ended already: whether it was cancelled."""
    try:
        context.runner.cancel(owner, job_id)
    except (ConflictError, NotFoundError):
        return False
    return True


def _location(run: AgentRun | AgentRunRecord) -> dict[str, str]:
    shown = shown_thread_id(run.thread_id)
    return {"Content-Location": f"{PREFIX}/threads/{shown}/runs/{run.run_id}"}


async def _sse(
    run: AgentRun, after: int, on_disconnect: str | None, modes: list[str] | None = None
) -> AsyncIterator[bytes]:
    """The run's frames after `after` as SSE (only the stream modes in `modes`, when given),
    with keep-alive comments while it is quiet; `on_disconnect="cancel"` cancels the run when
    the client goes away before its end."""
    finished = False
    try:
        async for frame in run.frames_after(after, KEEPALIVE_SECONDS):
            if frame is None:
                yield b": keep-alive\n\n"
                continue
            index, event, data = frame
            if modes is None or _wanted(event, modes):
                yield sse(_dumps(data), event=event, id=index)
        finished = True
    finally:
        if not finished and on_disconnect == "cancel":
            run.cancel("the client disconnected")


def _wanted(event: str, modes: list[str]) -> bool:
    """Whether a frame named `event` is sent to a join that asked for `modes`."""
    mode = frame_mode(event)
    return mode in ("metadata", "error", "end") or mode in modes


def _dumps(data: Any) -> str:
    return json.dumps(data, default=str)


def _stream_response(
    run: AgentRun, after: int, on_disconnect: str | None, modes: list[str] | None = None
) -> StreamingResponse:
    headers = {
        **SSE_HEADERS,
        **_location(run),
        "Location": f"{PREFIX}/threads/{shown_thread_id(run.thread_id)}/runs/{run.run_id}/stream",
    }
    return StreamingResponse(
        _sse(run, after, on_disconnect, modes), media_type="text/event-stream", headers=headers
    )


def _start_stateless(context: AppContext, owner: str, body: RunBody) -> AgentRun:
    """Check `body` (a user message, or an optimization request: there is nothing to resume),
    then start it on a new thread."""
    if checked_graph(body) == CHAT_GRAPH:
        if body.command is not None:
            raise validation_error("body.command", "a stateless run has nothing to resume")
        user_message(body)
    thread_id = context.store.create_thread(owner, "Stateless run").id

    def erase() -> None:
        with contextlib.suppress(NotFoundError):
            erase_thread(context, owner, thread_id)

    try:
        run, _ = _start(
            context, owner, thread_id, body, None if body.on_completion == "keep" else erase
        )
    except Exception:
        context.store.delete_thread(owner, thread_id)
        raise
    return run


@router.post("/threads/{thread_id}/runs", summary="Create a background run")
def create_run(
    thread_id: str, body: RunBody, context: Ctx, caller: Caller, response: Response
) -> dict[str, Any]:
    """Start a run on the thread and answer at once with the `Run` (status pending/running)."""
    thread_id = _run_thread(context, caller.owner, thread_id, body)
    run, record = _start(context, caller.owner, thread_id, body)
    response.headers.update(_location(run))
    return run_view(record)


@router.post("/threads/{thread_id}/runs/wait", summary="Run and wait for the result")
async def wait_run(
    thread_id: str, body: RunBody, context: Ctx, caller: Caller, response: Response
) -> dict[str, Any]:
    """Run on the thread; the answer is the run's values when it ends: the thread's (with
    `__interrupt__` when it pauses for approval), an optimization run's job and result
    summary, or `__error__` when it failed."""
    thread_id = _run_thread(context, caller.owner, thread_id, body)
    run, _ = await context.submit(_start, context, caller.owner, thread_id, body)
    response.headers.update(_location(run))
    return await run.wait()


SSE_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/event-stream": {}}, "description": "The run's frames (SSE)."}
}


@router.post(
    "/threads/{thread_id}/runs/stream",
    summary="Run and stream it (SSE)",
    response_class=StreamingResponse,
    responses=SSE_RESPONSE,
)
def stream_run(thread_id: str, body: RunBody, context: Ctx, caller: Caller) -> StreamingResponse:
    """Run on the thread, streaming `metadata`, the requested modes' frames and `end`."""
    thread_id = _run_thread(context, caller.owner, thread_id, body)
    run, _ = _start(context, caller.owner, thread_id, body)
    return _stream_response(run, -1, body.on_disconnect)


@router.post("/runs/wait", summary="Stateless run, waited for")
async def wait_stateless(body: RunBody, context: Ctx, caller: Caller) -> dict[str, Any]:
    """A run on a new thread, deleted when the run ends (unless `on_completion: "keep"`)."""
    run = await context.submit(_start_stateless, context, caller.owner, body)
    return await run.wait()


@router.post(
    "/runs/stream",
    summary="Stateless run, streamed",
    response_class=StreamingResponse,
    responses=SSE_RESPONSE,
)
def stream_stateless(body: RunBody, context: Ctx, caller: Caller) -> StreamingResponse:
    """A streamed run on a new thread, deleted when the run ends (unless `on_completion:
    "keep"`)."""
    run = _start_stateless(context, caller.owner, body)
    return StreamingResponse(
        _sse(run, -1, body.on_disconnect), media_type="text/event-stream", headers=SSE_HEADERS
    )


def _record(context: AppContext, owner: str, thread_id: str, run_id: str) -> AgentRunRecord:
    """The owner's run on the thread as the store records it (404 when not theirs)."""
    with found_or_404("run", run_id):
        return context.store.get_agent_run(owner, thread_id, run_id)


async def _ended(context: AppContext, owner: str, thread_id: str, run_id: str) -> AgentRunRecord:
    """The record of a run executing elsewhere, once it has ended (polling the store)."""

    async def read() -> AgentRunRecord:
        return await context.call(_record, context, owner, thread_id, run_id)

    return await ended_record(read, context.run_timing.poll_seconds)


def _values(context: AppContext, record: AgentRunRecord) -> Callable[[], dict[str, Any]]:
    """Reads the values of an ended run known from its record: its job's (an optimization
    run), else its thread's."""
    owner, job_id = record.owner, record.job_id
    if job_id is not None:
        return lambda: optimization_runs.job_values(context.store, owner, job_id)
    snapshot = chat_session(context, owner, record.thread_id).snapshot
    return lambda: state_values(snapshot())


@router.get("/threads/{thread_id}/runs", summary="List runs")
def list_runs(
    thread_id: str,
    context: Ctx,
    caller: Caller,
    limit: Annotated[int, Query(ge=1, le=1000)] = 10,
    offset: Annotated[int, Query(ge=0, le=MAX_COUNT)] = 0,
) -> list[dict[str, Any]]:
    """The thread's runs, newest first."""
    thread_id = owned_thread(context, caller.owner, thread_id).id  # as stored
    runs = context.store.list_agent_runs(caller.owner, thread_id, limit=limit, offset=offset)
    return [run_view(r) for r in runs]


@router.get("/threads/{thread_id}/runs/{run_id}", summary="Get a run")
def get_run(thread_id: str, run_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The run: status pending, running, success, error or interrupted (a run whose server
    stopped before it ended reads `error`, once its lease has expired)."""
    thread_id = owned_thread(context, caller.owner, thread_id).id  # as stored
    return run_view(_record(context, caller.owner, thread_id, run_id))


@router.get("/threads/{thread_id}/runs/{run_id}/join", summary="Wait for a run")
async def join_run(thread_id: str, run_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The thread's values when the run has ended (as `/runs/wait` answers); a run executing
    on another instance is followed through the store."""
    owner = caller.owner
    thread_id = owned_thread(context, owner, thread_id).id  # as stored
    live = context.runs.get(owner, thread_id, run_id)
    if live is not None:
        return await live.wait()
    record = await _ended(context, owner, thread_id, run_id)
    return final_values(record, _values(context, record))


@router.get(
    "/threads/{thread_id}/runs/{run_id}/stream",
    summary="Join a run's stream",
    response_class=StreamingResponse,
    responses=SSE_RESPONSE,
)
def join_stream(
    thread_id: str,
    run_id: str,
    context: Ctx,
    caller: Caller,
    cancel_on_disconnect: bool = False,
    stream_mode: Annotated[list[str] | None, Query()] = None,
    last_event_id: LastEventId = None,
) -> StreamingResponse:
    """The run's frames from the start (or after `Last-Event-ID`), following it to `end`;
    with `stream_mode`, only those of these modes (and `metadata`, `error`, `end`). A run
    executing elsewhere (another instance, a stopped server) gets its frames from its record
    once it has ended (`api.agent_protocol.run_records.record_frames`)."""
    owner = caller.owner
    thread_id = owned_thread(context, owner, thread_id).id  # as stored
    record = _record(context, owner, thread_id, run_id)
    wanted = [m for m in stream_mode or [] if m]  # the sdk sends an empty value for none
    for mode in wanted:
        if mode not in STREAM_MODES:
            raise validation_error("query.stream_mode", f"{mode!r} is not a stream mode of runs")
    modes = wanted or None
    live = context.runs.get(owner, thread_id, run_id)
    after = -1
    if last_event_id and last_event_id.strip():
        text = last_event_id.strip()
        known = len(live.frames) if live is not None else None
        if not text.isdigit() or (known is not None and int(text) >= known):
            problem = "the id of a frame of this run" + (
                f" (0 to {known - 1})" if known is not None else ""
            )
            raise validation_error("header.last-event-id", problem)
        after = int(text)
    if live is not None:
        return _stream_response(live, after, "cancel" if cancel_on_disconnect else None, modes)
    headers = {**SSE_HEADERS, **_location(record)}
    return StreamingResponse(
        _record_sse(context, owner, record, after, modes),
        media_type="text/event-stream",
        headers=headers,
    )


async def _record_sse(
    context: AppContext,
    owner: str,
    record: AgentRunRecord,
    after: int,
    modes: list[str] | None,
) -> AsyncIterator[bytes]:
    """The frames of a run known from its record, once it has ended, as SSE; keep-alive
    comments while it has not."""
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    while not record.ended:
        await asyncio.sleep(context.run_timing.poll_seconds)
        record = await context.call(_record, context, owner, record.thread_id, record.run_id)
        if loop.time() - quiet_since >= KEEPALIVE_SECONDS:
            quiet_since = loop.time()
            yield b": keep-alive\n\n"
    for index, (event, data) in enumerate(record_frames(record, _values(context, record))):
        if index > after and (modes is None or _wanted(event, modes)):
            yield sse(_dumps(data), event=event, id=index)


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
    action: Annotated[
        Literal["interrupt"], Query(description="Only interrupt: rollback is not supported.")
    ] = "interrupt",
) -> Response:
    """Stop the run at its next step (status `interrupted`; what its finished steps wrote
    stays); a cancel that arrives after the run's last step stops nothing, and the run ends
    `success`. `rollback` is not supported (the schema's `action` is interrupt only); a finished
    run is 409. A run executing on
    another instance stops when that instance next renews its lease (the cancel is recorded
    in the store). With `wait=1` the answer comes when the run has stopped."""
    owner = caller.owner
    thread_id = owned_thread(context, owner, thread_id).id  # as stored
    reason = "cancelled by the client"
    try:
        context.store.update_agent_run(owner, thread_id, run_id, cancel_reason=reason)
    except NotFoundError:
        raise not_found("run", run_id) from None
    except ConflictError as exc:
        ended = exc.current.status if isinstance(exc.current, AgentRunRecord) else "ended"
        raise ApiError(
            409, "CONFLICT", f"run {run_id} has ended ({ended})", [("run", ended)]
        ) from None
    live = context.runs.get(owner, thread_id, run_id)
    if live is not None:
        live.cancel(reason)
    if wait:
        if live is not None:
            await live.wait()
        else:
            await _ended(context, owner, thread_id, run_id)
    return Response(status_code=status.HTTP_202_ACCEPTED)
