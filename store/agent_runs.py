"""Agent Protocol run records (one run of an assistant on a chat thread) and their repository
interface.

A record says what a client asks about a run (`GET .../runs/{id}`, list, join after the end):
its owner, thread, assistant, status, times, error, metadata, multitask strategy, request
options (`kwargs`) and cancel reason. The live frames of a run stay in the memory of the
process that executes it; the record lets any process sharing the store answer for it.

Status moves `pending -> running -> success | error | interrupted` (`ENDED` are final: a
write to an ended run is a `ConflictError`). While a run is not ended, the executing process
holds a lease (`lease_expires_at`, renewed by its heartbeat). A process that dies stops
renewing it: the first read after the lease expired (by the store's clock) ends the run as
`error` with `LOST_MESSAGE`, so a run never reads "running" forever. The change is guarded
by the lease that was read, so a renewal that wins the race keeps the run alive.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from store.common import Clock, check_limit, check_owner, dumps, from_micros, to_micros
from store.errors import ConflictError

AgentRunStatus = Literal["pending", "running", "success", "error", "interrupted"]
AGENT_RUN_STATUSES: tuple[AgentRunStatus, ...] = get_args(AgentRunStatus)
ENDED: tuple[AgentRunStatus, ...] = ("success", "error", "interrupted")
"""The final statuses."""

LOST_CODE = "SERVER_STOPPED"
LOST_MESSAGE = (
    "the server running this run stopped before the run ended (its lease expired); "
    "the thread keeps what the run's finished steps wrote"
)
"""The error of a run whose process stopped renewing its lease."""


@dataclass(frozen=True)
class AgentRunRecord:
    """A stored Agent Protocol run. Times are UTC; `error` is `{"error": code, "message"}`
    when the run failed; `kwargs` holds the request's options (e.g. `stream_mode`);
    `lease_expires_at` is None once the run has ended."""

    run_id: str
    owner: str
    thread_id: str
    assistant_id: str
    status: AgentRunStatus
    created_at: datetime
    updated_at: datetime
    metadata: dict[str, Any] = field(default_factory=dict)
    multitask_strategy: str | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)
    error: dict[str, Any] | None = None
    cancel_reason: str | None = None
    lease_expires_at: datetime | None = None
    job_id: str | None = None
    """The job the run follows (a run of the optimization assistant runs as a job)."""

    @property
    def ended(self) -> bool:
        """Whether the status is final."""
        return self.status in ENDED


class AgentRunRepository(ABC):
    """The owner's Agent Protocol runs, by thread (another owner's run is `NotFoundError`)."""

    clock: Clock

    def create_agent_run(
        self,
        owner: str,
        *,
        run_id: str,
        thread_id: str,
        assistant_id: str,
        lease_seconds: float,
        metadata: Mapping[str, Any] | None = None,
        multitask_strategy: str | None = None,
        kwargs: Mapping[str, Any] | None = None,
        job_id: str | None = None,
    ) -> AgentRunRecord:
        """Store a new `pending` run whose lease lasts `lease_seconds` from now (`ConflictError`
        if `run_id` exists); `job_id` is the job it follows, if any."""
        check_owner(owner)
        _check_lease(lease_seconds)
        now = self.clock()
        record = AgentRunRecord(
            run_id=run_id,
            owner=owner,
            thread_id=thread_id,
            assistant_id=assistant_id,
            status="pending",
            created_at=now,
            updated_at=now,
            metadata=dict(metadata or {}),
            multitask_strategy=multitask_strategy,
            kwargs=dict(kwargs or {}),
            lease_expires_at=now + timedelta(seconds=lease_seconds),
            job_id=job_id,
        )
        self._insert_agent_run(agent_run_to_row(record))
        return record

    def get_agent_run(self, owner: str, thread_id: str, run_id: str) -> AgentRunRecord:
        """The run (a lost one ended as `error` first), or `NotFoundError` (unknown, another
        owner's, or of another thread)."""
        return self._settle(self._get_agent_run(owner, thread_id, run_id))

    def list_agent_runs(
        self, owner: str, thread_id: str, *, limit: int = 10, offset: int = 0
    ) -> list[AgentRunRecord]:
        """The thread's runs, newest first (creation time, then id)."""
        check_limit(limit)
        if offset < 0:
            raise ValueError(f"offset must be >= 0, got {offset}")
        runs = sorted(
            self._thread_agent_runs(owner, thread_id),
            key=lambda r: (r.created_at, r.run_id),
            reverse=True,
        )
        return [self._settle(r) for r in runs[offset : offset + limit]]

    def update_agent_run(
        self,
        owner: str,
        thread_id: str,
        run_id: str,
        *,
        status: AgentRunStatus | None = None,
        error: Mapping[str, Any] | None = None,
        cancel_reason: str | None = None,
        lease_seconds: float | None = None,
    ) -> AgentRunRecord:
        """Change a run that has not ended: its status (an ended status drops the lease),
        error, cancel reason, or renew its lease for `lease_seconds` from now. `ConflictError`
        when it has ended (also when it was found lost), `NotFoundError` when absent."""
        if status is not None and status not in AGENT_RUN_STATUSES:
            raise ValueError(f"status must be one of {AGENT_RUN_STATUSES}, got {status!r}")
        now = self.clock()
        changes: dict[str, Any] = {}
        if status is not None:
            changes["status"] = status
            changes["updated_at"] = to_micros(now)
        if error is not None:
            changes["error"] = dumps(dict(error))
        if cancel_reason is not None:
            changes["cancel_reason"] = cancel_reason
        if lease_seconds is not None:
            _check_lease(lease_seconds)
            changes["lease_expires_at"] = to_micros(now + timedelta(seconds=lease_seconds))
        if status in ENDED:
            changes["lease_expires_at"] = None
        current = self.get_agent_run(owner, thread_id, run_id)
        if current.ended:
            raise _ended(current)
        updated = self._update_agent_run(owner, thread_id, run_id, changes, None)
        if updated is None:  # ended meanwhile
            raise _ended(self.get_agent_run(owner, thread_id, run_id))
        return updated

    def delete_agent_runs(self, owner: str, thread_id: str) -> int:
        """Delete the thread's runs; how many there were."""
        return self._delete_agent_runs(owner, thread_id)

    def _settle(self, run: AgentRunRecord) -> AgentRunRecord:
        """`run`, or, when its lease has expired before it ended, the run ended as lost."""
        lease = run.lease_expires_at
        if run.ended or lease is None or lease > self.clock():
            return run
        changes = {
            "status": "error",
            "error": dumps({"error": LOST_CODE, "message": LOST_MESSAGE}),
            "updated_at": to_micros(self.clock()),
            "lease_expires_at": None,
        }
        lost = self._update_agent_run(
            run.owner, run.thread_id, run.run_id, changes, to_micros(lease)
        )
        if lost is not None:
            return lost
        return self._get_agent_run(run.owner, run.thread_id, run.run_id)  # renewed or ended

    @abstractmethod
    def _insert_agent_run(self, row: dict[str, Any]) -> None:
        """Insert the row (`ConflictError` if its run id exists)."""

    @abstractmethod
    def _get_agent_run(self, owner: str, thread_id: str, run_id: str) -> AgentRunRecord:
        """The stored run as it is, or `NotFoundError`."""

    @abstractmethod
    def _thread_agent_runs(self, owner: str, thread_id: str) -> list[AgentRunRecord]:
        """Every stored run of the thread, in any order."""

    @abstractmethod
    def _update_agent_run(
        self,
        owner: str,
        thread_id: str,
        run_id: str,
        changes: dict[str, Any],
        lease_was: int | None,
    ) -> AgentRunRecord | None:
        """Apply `changes` (column -> stored value) if the run has not ended and, when
        `lease_was` is given, its lease is still that (µs); the new run, None when the guard
        failed, `NotFoundError` when absent."""

    @abstractmethod
    def _delete_agent_runs(self, owner: str, thread_id: str) -> int:
        """`delete_agent_runs`."""


def _check_lease(seconds: float) -> None:
    if not seconds > 0:
        raise ValueError(f"lease_seconds must be > 0, got {seconds}")


def _ended(run: AgentRunRecord) -> ConflictError:
    return ConflictError(f"agent run {run.run_id} has ended ({run.status})", current=run)


def agent_run_to_row(run: AgentRunRecord) -> dict[str, Any]:
    """The stored columns / attributes of a run (times as µs, documents as JSON)."""
    return {
        "run_id": run.run_id,
        "owner": run.owner,
        "thread_id": run.thread_id,
        "assistant_id": run.assistant_id,
        "status": run.status,
        "created_at": to_micros(run.created_at),
        "updated_at": to_micros(run.updated_at),
        "metadata": dumps(run.metadata),
        "multitask_strategy": run.multitask_strategy,
        "kwargs": dumps(run.kwargs),
        "error": None if run.error is None else dumps(run.error),
        "cancel_reason": run.cancel_reason,
        "lease_expires_at": (
            None if run.lease_expires_at is None else to_micros(run.lease_expires_at)
        ),
        "job_id": run.job_id,
    }


def agent_run_from_row(d: Mapping[str, Any]) -> AgentRunRecord:
    """The run a stored row or item holds (absent optional attributes read as None)."""
    error = d.get("error")
    return AgentRunRecord(
        run_id=d["run_id"],
        owner=d["owner"],
        thread_id=d["thread_id"],
        assistant_id=d["assistant_id"],
        status=d["status"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
        metadata=json.loads(d["metadata"]),
        multitask_strategy=d.get("multitask_strategy"),
        kwargs=json.loads(d["kwargs"]),
        error=None if error is None else json.loads(error),
        cancel_reason=d.get("cancel_reason"),
        lease_expires_at=from_micros(d.get("lease_expires_at")),
        job_id=d.get("job_id"),
    )
