"""The last event of a finished job's trace: a job that ends `failed` or `cancelled` ends its
trace with a `run_finished` of that status.

A run appends its own `run_finished` when it can. When it cannot — the store refused the write
(a full disk) and the job failed once the store took writes again, a worker gave up on a run
that kept dying, the owner cancelled the job while it ran — `end_trace` appends one with the
job's status and reason, so that every door serving the trace (SSE, long poll, WebSocket, MCP,
the Agent Protocol) serves one that ends as the job did. It is called once the job's final
status is stored (a terminal status never changes, so the event cannot contradict it), by the
worker that failed the job or whose run was cancelled, and by the cancellation; calling it again
changes nothing. A run still appending after its job was cancelled gets a `ConflictError` (its
next sequence number is taken) and stops.

Only traces in the trace schema (`traces.schema.TraceEvent`) are ended, and only those that
exist: a job cancelled before it ran has none.
"""

from __future__ import annotations

import logging

from pydantic import ValidationError

from store import ConflictError, NotFoundError, Store, StoredEvent, StoreUnavailableError
from traces.schema import RunStatus, TraceEvent

log = logging.getLogger("jobs.trace_end")

FINAL_STATUSES: dict[str, RunStatus] = {"failed": "failed", "cancelled": "cancelled"}
"""The run status that ends the trace of a job that ended in each of these job statuses (a
succeeded job's run ends its trace itself before the job may complete)."""

MAX_TRIES = 20
"""Appends `end_trace` tries while the run is still appending (each one loses the race only to
an event appended between reading the last event and appending after it)."""


def end_trace(store: Store, owner: str, job_id: str) -> bool:
    """Append `run_finished` (the job's final status and error) to the job's trace unless the
    job is not failed or cancelled, has no trace, has a trace of another shape, or the trace
    already ends with a `run_finished` of that status; whether it appended.
    `StoreUnavailableError` propagates (call again once the store takes writes)."""
    job = store.get_job(owner, job_id)
    status = FINAL_STATUSES.get(job.status)
    if status is None:
        return False
    for _ in range(MAX_TRIES):
        stored = last_event(store, owner, job_id)
        if stored is None:
            return False
        try:
            last = TraceEvent.from_json(stored.payload)
        except ValidationError:
            return False  # events of another shape (e.g. `jobs.handlers.JobEvent`)
        if last.type == "run_finished" and last.data["status"] == status:
            return False
        final = TraceEvent(
            run_id=last.run_id,
            seq=stored.seq + 1,
            ts=job.finished_at or store.clock(),
            type="run_finished",
            data={"status": status, "reason": job.error},
        )
        try:
            store.append_events(owner, job_id, [final])
        except ConflictError:
            continue  # the run appended meanwhile: end after its event
        return True
    raise ConflictError(f"job {job_id}: its run kept appending events; its trace was not ended")


def last_event(store: Store, owner: str, job_id: str) -> StoredEvent | None:
    """The last stored event of the job's trace (None when it has none)."""
    last: StoredEvent | None = None
    while True:
        after = 0 if last is None else last.seq
        page = store.events(owner, job_id, after_seq=after, limit=10_000)
        if not page:
            return last
        last = page[-1]


class TraceEnds:
    """A worker's `end_trace` calls: one the store refuses (`StoreUnavailableError`) is kept and
    made again by `retry`, which the worker calls before it claims anything else, so the trace
    ends once the store takes writes again."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.pending: set[tuple[str, str]] = set()
        """(owner, job id) of the traces still to end."""

    def end(self, owner: str, job_id: str) -> None:
        """`end_trace` of the job now, or at a later `retry` if the store refuses the write."""
        self.pending.add((owner, job_id))
        try:
            end_trace(self.store, owner, job_id)
        except StoreUnavailableError as exc:
            log.warning("job %s: its trace ends once the store takes writes: %s", job_id, exc)
            return
        except (ConflictError, NotFoundError) as exc:
            log.warning("job %s: its trace could not be ended: %s", job_id, exc)
        self.pending.discard((owner, job_id))

    def retry(self) -> None:
        """`end` again each trace the store refused to end before."""
        for owner, job_id in list(self.pending):
            self.end(owner, job_id)
