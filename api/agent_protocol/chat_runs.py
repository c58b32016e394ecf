"""Agent Protocol runs of the chat assistant: the in-process run registry and its SSE frames.

A run is one chat turn (`graphs.chat.ChatSession.send` or `decide`) executed in a worker thread.
Its graph stream items become Agent Protocol frames as `langgraph-sdk` reads them: `metadata`
(`{"run_id", "attempt"}`) first, then per requested stream mode `values` (the thread's state
after each step), `updates` (`{node: update}`, `{"__interrupt__": [...]}`), `messages` (for
`messages-tuple`: `[message, metadata]`), `messages/metadata`, `messages/partial` and
`messages/complete` (for `messages`), `custom`, `debug` and `events`
(`api.agent_protocol.stream_frames`); then `error` (`{"error", "message"}`) if the turn failed,
and `end`. Frames are numbered (the SSE id), so a stream can be joined or
resumed from any point. The frames live in the memory of the process executing the run; the
run's record (status, times, error) is in the store (`api.agent_protocol.run_records`), so any process that
shares the store answers for it after the end.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from pydantic import BaseModel

from api.errors import error_document
from api.human_interrupt import human_interrupts, is_approval

if TYPE_CHECKING:
    from langgraph.types import StateSnapshot

STREAM_MODES = ("values", "updates", "messages", "messages-tuple", "custom", "debug", "events")
"""The stream modes a run can stream (`messages-tuple` frames are named `messages`, those of
`messages` `messages/metadata`, `messages/partial` and `messages/complete`)."""
GRAPH_MODES = ("debug",)
"""Requested modes the chat graph streams only when asked (the others it always streams)."""


def frame_mode(event: str) -> str:
    """The stream mode a frame's event belongs to (`messages/partial|ns` -> `messages`; the
    tuple frames, named `messages`, -> `messages-tuple`)."""
    name = event.split("|")[0]
    if name == "messages":
        return "messages-tuple"
    return name.split("/")[0]


RUN_STATUSES = ("pending", "running", "success", "error", "interrupted")
TERMINAL = ("success", "error", "interrupted")
SHUTDOWN_REASON = "the server shut down"
"""The `cancel_reason` of a run stopped because the app executing it closed."""


class RunCancelled(Exception):
    """Raised in a run's worker thread at the next stream item after a cancel request."""


def jsonable(value: Any) -> Any:
    """`value` as JSON data: LangChain messages as their dicts (`type` human/ai/tool, `id`,
    `tool_calls`), interrupts as `{"value", "id"}` (an approval's value as a list of one
    `HumanInterrupt`, `api.human_interrupt`), pydantic models and dataclasses as dicts,
    datetimes as ISO 8601; anything else unknown as its `str`."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    from langchain_core.messages import BaseMessage  # loaded by the runs' graphs by now
    from langgraph.types import Interrupt

    if isinstance(value, BaseMessage):
        return jsonable(value.model_dump())
    if isinstance(value, Interrupt):
        shown = human_interrupts(value.value) if is_approval(value.value) else value.value
        return {"value": jsonable(shown), "id": value.id}
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return jsonable(dataclasses.asdict(value))
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return str(value)


def state_values(snapshot: StateSnapshot) -> dict[str, Any]:
    """The thread's values as a run's result: the state, with `__interrupt__` (a list of
    `{"value", "id"}`) when it is paused on an approval."""
    values: dict[str, Any] = jsonable(dict(snapshot.values))
    if snapshot.interrupts:
        values["__interrupt__"] = jsonable(list(snapshot.interrupts))
    return values


def _now() -> datetime:
    return datetime.now(UTC)


@dataclasses.dataclass
class AgentRun:
    """One run of an assistant on a thread, as the Agent Protocol's `Run` describes it."""

    run_id: str
    thread_id: str
    assistant_id: str
    owner: str
    stream_modes: tuple[str, ...]
    subgraphs: bool = False
    metadata: dict[str, Any] = dataclasses.field(default_factory=dict)
    status: str = "pending"
    created_at: datetime = dataclasses.field(default_factory=_now)
    result: dict[str, Any] | None = None
    """The thread's values when the run ended (or `{"__error__": ...}` when it failed)."""
    cancel_reason: str | None = None
    frames: list[tuple[str, Any]] = dataclasses.field(default_factory=list)
    """The SSE frames so far, `(event, data)`; a frame's id is its index."""
    cancelled: threading.Event = dataclasses.field(default_factory=threading.Event)
    stopping: threading.Event = dataclasses.field(default_factory=threading.Event)
    """Set when the app executing the run closes: the run stops before its turn's next step
    (`ChatSession.stop`) and ends `interrupted` (`SHUTDOWN_REASON`)."""
    ended: threading.Event = dataclasses.field(default_factory=threading.Event)
    """Set with the `end` frame."""
    cancel_job: Callable[[str], bool] | None = None
    """Cancels one of the owner's jobs by id (the run's approved searches run as jobs): whether
    it was still running (False: it had ended, nothing was stopped)."""
    jobs: list[str] = dataclasses.field(default_factory=list)
    """The jobs the run started (announced by custom `{"type": "job"}` stream data)."""
    jobs_stopped: bool = False
    """Whether a cancel stopped one of the run's jobs while it ran (its node then ends early)."""
    message_frames: Any = None
    """The `messages` mode's accumulated messages (`stream_frames.MessageFrames`), when asked."""
    _lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    _waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = dataclasses.field(
        default_factory=list
    )

    @property
    def done(self) -> bool:
        """Whether the run has ended (its `end` frame is written)."""
        return self.status in TERMINAL

    def emit(self, event: str, data: Any) -> None:
        """Append a frame and wake the streams following the run."""
        with self._lock:
            self.frames.append((event, data))
            waiters = list(self._waiters)
        for loop, flag in waiters:
            loop.call_soon_threadsafe(flag.set)

    def finish(self, status: str, result: dict[str, Any]) -> None:
        """End the run with `status` and `result`, writing its `end` frame."""
        self.result = result
        self.status = status
        self.emit("end", {"run_id": self.run_id, "status": status})
        self.ended.set()

    def cancel(self, reason: str) -> None:
        """Ask the run to stop: its jobs are cancelled now (their node then ends early) and the
        graph stops at its next stream item."""
        self.cancel_reason = reason
        self.cancelled.set()
        with self._lock:
            jobs = list(self.jobs)
        for job_id in jobs:
            self._cancel_job(job_id)

    def _cancel_job(self, job_id: str) -> None:
        if self.cancel_job is not None and self.cancel_job(job_id):
            self.jobs_stopped = True

    def on_chunk(self, chunk: Any) -> None:
        """Turn one graph stream item `(namespace, mode, payload)` into frames (the modes the
        run asked for; subgraph items only with `subgraphs`, as `mode|ns...`). Raises
        `RunCancelled` once a cancel was requested, unless the run started jobs (they are
        cancelled instead, and the turn ends when their node does)."""
        namespace, mode, payload = chunk
        if mode == "custom" and isinstance(payload, dict) and payload.get("type") == "job":
            with self._lock:
                self.jobs.append(str(payload["job_id"]))
            if self.cancelled.is_set():  # started as the cancel arrived
                self._cancel_job(str(payload["job_id"]))
        if self.cancelled.is_set() and not self.jobs:
            # a run with jobs is not stopped mid-node: its cancelled jobs end their node early,
            # which writes what happened ("Run ... cancelled.") and ends the turn
            raise RunCancelled(self.cancel_reason or "cancelled")
        if namespace and not self.subgraphs:
            return
        suffix = "".join(f"|{part}" for part in namespace)
        if mode == "messages":
            message, meta = payload
            if "messages-tuple" in self.stream_modes:
                self.emit(f"messages{suffix}", [jsonable(message), jsonable(meta)])
            if "messages" in self.stream_modes:
                self._message_frames(message, meta, suffix)
            return
        if mode not in self.stream_modes:
            return
        if mode == "debug":
            from api.agent_protocol.stream_frames import debug_data

            payload = debug_data(payload, self.thread_id)
        self.emit(f"{mode}{suffix}", jsonable(payload))

    def _message_frames(self, message: Any, meta: Any, suffix: str) -> None:
        from api.agent_protocol.stream_frames import MessageFrames

        if self.message_frames is None:
            self.message_frames = MessageFrames()
        for event, data in self.message_frames.frames(message, meta):
            self.emit(f"{event}{suffix}", jsonable(data))

    def emit_event(self, event: str, data: Any) -> None:
        """Emit an `events` frame (from `stream_frames.RunEvents`, in any thread)."""
        self.emit(event, jsonable(data))

    def offer(self, mode: str, data: Any) -> None:
        """Emit a frame of stream mode `mode` if the run streams that mode."""
        if mode in self.stream_modes:
            self.emit(mode, jsonable(data))

    async def frames_after(
        self, after: int, idle_seconds: float | None = None
    ) -> AsyncIterator[tuple[int, str, Any] | None]:
        """The frames with index > `after` as `(index, event, data)`, following the run until
        its `end` frame; None after each `idle_seconds` without a frame (a chance to send a
        keep-alive)."""
        loop = asyncio.get_running_loop()
        flag = asyncio.Event()
        with self._lock:
            self._waiters.append((loop, flag))
        try:
            index = after + 1
            while True:
                flag.clear()
                with self._lock:
                    new = self.frames[index:]
                for event, data in new:
                    yield index, event, data
                    index += 1
                    if event == "end":
                        return
                if not new:
                    try:
                        await asyncio.wait_for(flag.wait(), idle_seconds)
                    except TimeoutError:
                        yield None
        finally:
            with self._lock:
                self._waiters.remove((loop, flag))

    async def wait(self) -> dict[str, Any]:
        """The run's result once it has ended."""
        async for frame in self.frames_after(-1):
            if frame is not None and frame[1] == "end":
                break
        return self.result or {}


MAX_RUNS = 1000
"""Runs a process remembers (with their frames); the oldest ended ones go first."""


class RunRegistry:
    """The runs an app executes (`AppContext.runs`), by id, with their frames; at most one
    unfinished run per thread is the caller's business (the chat's per-thread claim)."""

    def __init__(self) -> None:
        self._runs: dict[str, AgentRun] = {}
        self._lock = threading.Lock()

    def add(self, run: AgentRun) -> None:
        """Register a new run; beyond `MAX_RUNS`, the oldest ended runs are forgotten."""
        with self._lock:
            self._runs[run.run_id] = run
            ended = [r for r in self._runs.values() if r.done]
            for old in sorted(ended, key=lambda r: r.created_at)[: len(self._runs) - MAX_RUNS]:
                del self._runs[old.run_id]

    def get(self, owner: str, thread_id: str, run_id: str) -> AgentRun | None:
        """The owner's run on the thread, or None (unknown, or another owner's)."""
        with self._lock:
            run = self._runs.get(run_id)
        if run is None or run.owner != owner or run.thread_id != thread_id:
            return None
        return run

    def forget_thread(self, owner: str, thread_id: str) -> None:
        """Drop the runs of a deleted thread."""
        with self._lock:
            for run in [r for r in self._runs.values() if r.owner == owner]:
                if run.thread_id == thread_id:
                    del self._runs[run.run_id]


def new_run_id() -> str:
    """A run id (a UUID, as the Agent Protocol uses)."""
    return str(uuid.uuid4())


class RunJournal(Protocol):
    """Where a run's status is recorded as it changes (the store's record of the run)."""

    def running(self, run: AgentRun) -> None:
        """The run has started: record it and keep its lease while it runs."""

    def ended(self, run: AgentRun, status: str, result: dict[str, Any]) -> None:
        """The run has ended with `status` and `result` (before its `end` frame)."""


Outcome = Callable[[AgentRun], tuple[str, dict[str, Any]]]
"""Does a run's work in the calling thread, emitting its frames; its final status and result."""


def execute(
    run: AgentRun, outcome: Outcome, release: Callable[[], None], journal: RunJournal
) -> None:
    """Do `outcome(run)` in this thread and end the run with its status and result (`error`,
    with an `error` frame, if it raises). The `journal` records the start and the end;
    `release()` frees the thread whatever happens. The thread is freed first, then the end
    recorded, then the run's `end` frame sent: whoever sees the run ended, in the store or in
    its stream, finds its thread free for the next run."""
    try:
        journal.running(run)
        status, result = outcome(run)
    except Exception as exc:  # e.g. reading the thread's state failed: the run's error
        status, result = failed(run, exc)
    try:
        release()
    finally:
        try:
            journal.ended(run, status, result)
        finally:
            run.finish(status, result)


def chat_outcome(
    turn: Callable[[Callable[[Any], None]], Any], snapshot: Callable[[], StateSnapshot]
) -> Outcome:
    """The outcome of a chat turn, `turn(on_chunk)`: `success`, `interrupted` when the thread
    pauses on an approval, a cancel stopped the turn or one of its jobs, or it stopped because
    its app closes (its session's `stop` is the run's `stopping`), `error` when the turn
    failed; the result is the thread's values. A cancel that arrives after the turn's last step
    (a client that goes away once it has read the answer) stops nothing: the run succeeded."""
    return lambda run: _chat_outcome(run, turn, snapshot)


def _chat_outcome(
    run: AgentRun,
    turn: Callable[[Callable[[Any], None]], Any],
    snapshot: Callable[[], StateSnapshot],
) -> tuple[str, dict[str, Any]]:
    from graphs.chat import TurnStopped  # loaded by the run's session by now

    if run.cancelled.is_set():
        return "interrupted", state_values(snapshot())
    run.status = "running"
    try:
        with _events(run):
            turn(run.on_chunk)
    except RunCancelled:
        return "interrupted", state_values(snapshot())
    except TurnStopped:  # the app closes: the thread is as after the last completed step
        return stopped(run), state_values(snapshot())
    except Exception as exc:  # reported as the run's error
        return failed(run, exc)
    state = snapshot()
    paused = state.interrupts or run.jobs_stopped
    return "interrupted" if paused else "success", state_values(state)


def stopped(run: AgentRun) -> str:
    """The status of a run stopped because its app closes (`interrupted`, with the reason)."""
    run.cancel_reason = run.cancel_reason or SHUTDOWN_REASON
    return "interrupted"


def _events(run: AgentRun) -> contextlib.AbstractContextManager[None]:
    """The `events` frames of the run's turn are written within the block, when asked for."""
    if "events" not in run.stream_modes:
        return contextlib.nullcontext()
    from api.agent_protocol.stream_frames import events_for

    return events_for(run.emit_event)


def failed(run: AgentRun, exc: Exception) -> tuple[str, dict[str, Any]]:
    """The `error` frame and the result of a run that failed with `exc`."""
    error = error_document(exc, f"agent run {run.run_id}")["error"]
    body = {"error": error["code"], "message": error["message"]}
    run.emit("error", {**body, "details": error["details"]})
    return "error", {"__error__": body}
