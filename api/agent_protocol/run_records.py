"""The stored records of Agent Protocol runs (`store.agent_runs`), as the routes use them.

- `StoreJournal` records a run's start and end and keeps its lease while it runs: a heartbeat
  thread renews it every `RunTiming.heartbeat_seconds` and picks up a cancel asked on another
  instance (the record's `cancel_reason`). A process that dies stops renewing: once the lease
  (`RunTiming.lease_seconds`) has expired, the next read ends the run as `error`
  (`SERVER_STOPPED`).
- `run_view` is the Agent Protocol `Run` of a record; `active_run` the thread's run not ended.
- `ended_record` waits for a run executing elsewhere (another instance, or a process that
  stopped) by polling the store every `RunTiming.poll_seconds`; `final_values` and
  `record_frames` are what a join and a join stream answer once it has ended: its values now
  (the thread's, or an optimization run's job's), or its error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import threading
from collections.abc import Awaitable, Callable
from typing import Any

from api.agent_protocol.chat_runs import AgentRun
from api.agent_protocol.thread_ids import shown_thread_id
from store import AgentRunRecord, ConflictError, NotFoundError, Store, StoreError

log = logging.getLogger("stratigos.api")


@dataclasses.dataclass(frozen=True)
class RunTiming:
    """How runs keep and check their records, in seconds: a run's lease lasts `lease_seconds`
    and is renewed every `heartbeat_seconds` (so a dead process's run reads `error` at most
    `lease_seconds` after its last renewal); a join of a run executing elsewhere reads the
    store every `poll_seconds`."""

    lease_seconds: float = 60.0
    heartbeat_seconds: float = 15.0
    poll_seconds: float = 1.0


@dataclasses.dataclass
class StoreJournal:
    """Records a run of `owner` in `store` (see the module docstring)."""

    store: Store
    owner: str
    timing: RunTiming

    def running(self, run: AgentRun) -> None:
        """Mark the run running and start its heartbeat."""
        self._update(run, status="running", lease_seconds=self.timing.lease_seconds)
        threading.Thread(
            target=self._heartbeat, args=(run,), name=f"agent-run-lease-{run.run_id}", daemon=True
        ).start()

    def ended(self, run: AgentRun, status: str, result: dict[str, Any]) -> None:
        """Record the final status, with the error of a failed run and the cancel reason."""
        self._update(
            run,
            status=status,
            error=result.get("__error__") if status == "error" else None,
            cancel_reason=run.cancel_reason,
        )

    def _heartbeat(self, run: AgentRun) -> None:
        while not run.ended.wait(self.timing.heartbeat_seconds):
            record = self._update(run, lease_seconds=self.timing.lease_seconds)
            if record is None:
                continue
            if record.ended:  # found lost: nothing more to keep
                return
            if record.cancel_reason and not run.cancelled.is_set():
                run.cancel(record.cancel_reason)

    def _update(self, run: AgentRun, **changes: Any) -> AgentRunRecord | None:
        """The changed record; the record as it is when the run has ended already (found lost,
        or its thread deleted: None); None, logged, when the store fails."""
        try:
            return self.store.update_agent_run(self.owner, run.thread_id, run.run_id, **changes)
        except ConflictError as exc:
            current: AgentRunRecord | None = exc.current
            return current
        except NotFoundError:
            return None
        except StoreError as exc:
            log.warning("agent run %s: recording %s failed: %s", run.run_id, list(changes), exc)
            return None


def active_run(store: Store, owner: str, thread_id: str) -> AgentRunRecord | None:
    """The thread's run that has not ended, if any, on whichever instance it runs (runs on a
    thread are one at a time, so it is among the newest; a lost one reads ended)."""
    for record in store.list_agent_runs(owner, thread_id, limit=10):
        if not record.ended:
            return record
    return None


def run_view(record: AgentRunRecord) -> dict[str, Any]:
    """The Agent Protocol `Run` document of a record (`error`, ours, is `{"error", "message"}`
    when it failed)."""
    return {
        "run_id": record.run_id,
        "thread_id": shown_thread_id(record.thread_id),
        "assistant_id": record.assistant_id,
        "created_at": record.created_at.isoformat(),
        "updated_at": record.updated_at.isoformat(),
        "status": record.status,
        "metadata": record.metadata,
        "multitask_strategy": record.multitask_strategy or "reject",
        "cancel_reason": record.cancel_reason,
        "kwargs": record.kwargs,
        "error": record.error,
    }


async def ended_record(
    read: Callable[[], Awaitable[AgentRunRecord]], poll_seconds: float
) -> AgentRunRecord:
    """The run's record (`await read()`) once it has ended, reading it every `poll_seconds`
    until then."""
    while True:
        record = await read()
        if record.ended:
            return record
        await asyncio.sleep(poll_seconds)


def final_values(record: AgentRunRecord, values: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """What a join answers for an ended run known from its record: `{"__error__": {"error",
    "message"}}` when it failed, else its values now (`values()`: the thread's, or an
    optimization run's job's)."""
    if record.status == "error":
        return {"__error__": record.error or {"error": "INTERNAL", "message": "the run failed"}}
    return values()


def record_frames(
    record: AgentRunRecord, values: Callable[[], dict[str, Any]]
) -> list[tuple[str, Any]]:
    """The frames a stream join of an ended run known only from its record gets: `metadata`,
    `values` (`values()` now, when the run streamed values) or `error`, and `end`."""
    frames: list[tuple[str, Any]] = [("metadata", {"run_id": record.run_id, "attempt": 1})]
    if record.status == "error":
        error = record.error or {"error": "INTERNAL", "message": "the run failed"}
        frames.append(("error", error))
    elif "values" in record.kwargs.get("stream_mode", []):
        frames.append(("values", values()))
    frames.append(("end", {"run_id": record.run_id, "status": record.status}))
    return frames
