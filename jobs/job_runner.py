"""The job runner: submit, status, cancel, results and events of jobs, on any `Store`.

A job has an id, owner, kind, request, status (`pending` -> `running` -> `succeeded` | `failed`
| `cancelled`), progress, attempts, timestamps and error (`store.Job`). `JobRunner` is
what the API and the CLI use; the work itself is done by `jobs.worker.Worker`s — in this
process (`JobRunner.start()` / `run_once()`, the embedded default) or in separate processes
(`python -m jobs.worker --handlers MODULE`) sharing the store. See docs/jobs.md.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any, Unpack

from jobs.handlers import Handler, UnknownJobKindError
from jobs.trace_end import end_trace
from jobs.worker import Worker, WorkerOptions, WorkOutcome
from settings import Settings
from settings.tracing import current_trace_context
from store import (
    TERMINAL_STATUSES,
    ConflictError,
    Job,
    JobStatus,
    Store,
    StoredEvent,
    StoreUnavailableError,
)

log = logging.getLogger("jobs.job_runner")

LET_GO_JOIN_SECONDS = 10.0
"""How long `JobRunner.stop` waits, beyond its timeout, for a job it let go to stop (its
handler's next `ctx.cancelled()`; the optimization's comes within a batch of trials)."""
BETWEEN_JOBS_JOIN_SECONDS = 60.0
"""How long `JobRunner.stop` waits, beyond its timeout, for a worker that is not running a job
(loading the handlers given on first use takes seconds: graphs, compiled kernels, trading)."""


class JobNotSucceededError(ConflictError):
    """`results()` of a job that has not succeeded: `status` names where it is (and `job` is it)."""

    def __init__(self, job: Job) -> None:
        detail = f": {job.error}" if job.error else ""
        super().__init__(
            f"job {job.id} has no result: its status is {job.status}{detail}", current=job
        )
        self.job = job
        self.status: JobStatus = job.status


class JobTimeoutError(TimeoutError):
    """`wait()` gave up before the job reached a terminal status (`job` is its last state)."""

    def __init__(self, job: Job, timeout: float) -> None:
        super().__init__(f"job {job.id} still {job.status} after {timeout:g} s")
        self.job = job


class JobRunner:
    """Submit and follow jobs; optionally run them with in-process worker threads.

    `handlers` maps job kinds to handlers (`jobs.handlers`); when given, `submit` refuses
    unknown kinds and `run_once` / `start` can run jobs here. A runner without handlers (an
    API process whose workers run elsewhere) accepts any kind. `worker_id`, `settings` and the
    `options` (`jobs.worker.WorkerOptions`: lease, heartbeat, attempts, backoff, polls) are
    handed to its workers (`jobs.worker.Worker`, whose defaults apply).
    """

    def __init__(
        self,
        store: Store,
        *,
        handlers: Mapping[str, Handler] | None = None,
        worker_id: str | None = None,
        settings: Settings | None = None,
        **options: Unpack[WorkerOptions],
    ) -> None:
        self.store = store
        self.handlers = handlers
        self.worker = Worker(
            store, handlers if handlers is not None else {}, worker_id, settings=settings, **options
        )
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._workers: list[Worker] = []

    # ----------------------------------------------------------------- the interface

    def submit(
        self,
        owner: str,
        kind: str,
        request: Mapping[str, Any],
        idempotency_key: str | None = None,
    ) -> Job:
        """Create a `pending` job (or return the job submitted before with the same key).

        The job carries the caller's trace context (`settings.tracing.current_trace_context`):
        its worker's spans, in whichever process or machine, continue the caller's trace.
        The same `idempotency_key` with a different kind/request is a `ConflictError`; a kind
        without a handler (when this runner has handlers) is `UnknownJobKindError`.
        """
        if self.handlers is not None and kind not in self.handlers:
            raise UnknownJobKindError(
                f"no handler registered for job kind {kind!r}; registered: {sorted(self.handlers)}"
            )
        job, _created = self.store.submit_job(
            owner,
            kind,
            request,
            idempotency_key=idempotency_key,
            trace_context=current_trace_context(),
        )
        return job

    def status(self, owner: str, job_id: str) -> Job:
        """The job as stored now (status, progress, attempts, timestamps, error)."""
        return self.store.get_job(owner, job_id)

    def list_jobs(
        self, owner: str, *, statuses: Sequence[JobStatus] | None = None, limit: int = 100
    ) -> list[Job]:
        """The owner's jobs, newest first."""
        return self.store.list_jobs(owner, statuses=statuses, limit=limit)

    def cancel(self, owner: str, job_id: str) -> Job:
        """Cancel a pending or running job; cancelling a cancelled job again returns it.

        A pending job is cancelled at once and never runs. A running one is marked `cancelled`
        at once (its lease is dropped); its worker notices at its next heartbeat or
        `ctx.cancelled()` check, the handler stops and whatever it returns is discarded — the
        store refuses to complete a job that is not running, so a cancelled job never becomes
        `succeeded`. A job that already succeeded or failed is a `ConflictError`. The job's
        trace, if its run started one, ends with `run_finished` status `cancelled`
        (`jobs.trace_end`; here, or by the job's worker once its run stopped).
        """
        try:
            job = self.store.transition(owner, job_id, ["pending", "running"], "cancelled")
        except ConflictError as exc:
            current = exc.current if isinstance(exc.current, Job) else None
            if current is None or current.status != "cancelled":
                status = current.status if current is not None else "unknown"
                raise ConflictError(
                    f"job {job_id} cannot be cancelled: it already {status}", current=current
                ) from exc
            job = current
        try:
            end_trace(self.store, owner, job_id)
        except (ConflictError, StoreUnavailableError) as exc:  # its worker ends it when it stops
            log.warning("job %s: cancelled; its trace was not ended here: %s", job_id, exc)
        return job

    def results(self, owner: str, job_id: str) -> Any:
        """The result document of a succeeded job.

        `JobNotSucceededError` (naming the status, and the error of a failed job) otherwise;
        `NotFoundError` for an unknown job.
        """
        job = self.store.get_job(owner, job_id)
        if job.status != "succeeded":
            raise JobNotSucceededError(job)
        return self.store.get_result(owner, job_id).payload

    def events(
        self, owner: str, job_id: str, after_seq: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        """The job's trace events with `seq > after_seq`, in order (the run id is the job id)."""
        self.store.get_job(owner, job_id)  # NotFoundError for an unknown or foreign job
        return self.store.events(owner, job_id, after_seq=after_seq, limit=limit)

    def wait(
        self, owner: str, job_id: str, *, timeout: float | None = None, poll_seconds: float = 0.1
    ) -> Job:
        """Poll until the job is terminal; `JobTimeoutError` after `timeout` seconds."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            job = self.store.get_job(owner, job_id)
            if job.status in TERMINAL_STATUSES:
                return job
            if deadline is not None and time.monotonic() >= deadline:
                raise JobTimeoutError(job, timeout or 0.0)
            time.sleep(poll_seconds)

    # ----------------------------------------------------------------- in-process workers

    def run_once(self) -> WorkOutcome | None:
        """Claim and run one job in this thread (None when nothing is runnable)."""
        if not self.handlers:
            raise UnknownJobKindError("this runner has no handlers: it cannot run jobs")
        return self.worker.run_once()

    def start(self, threads: int = 1) -> None:
        """Run jobs in `threads` background worker threads until `stop()`."""
        if not self.handlers:
            raise UnknownJobKindError("this runner has no handlers: it cannot run jobs")
        self._stop.clear()
        for i in range(threads):
            worker = self.worker if i == 0 else self._another_worker(i)
            self._workers.append(worker)
            thread = threading.Thread(
                target=worker.run_forever, args=(self._stop,), name=f"job-worker-{i}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def live_workers(self) -> int:
        """How many background worker threads are running now."""
        return sum(thread.is_alive() for thread in self._threads)

    def wake(self) -> None:
        """Have idle background workers look for pending jobs now (after a submission)."""
        for worker in self._workers:
            worker.wake()

    def stop(self, timeout: float | None = None) -> None:
        """Stop the background workers: none claims a job after this call.

        A worker running a job stops after it and is waited for up to `timeout` seconds; a job
        still running then is let go (`Worker.let_go`): its handler stops at its next
        `ctx.cancelled()` and is waited for up to `LET_GO_JOIN_SECONDS` more, and the job stays
        `running` until its lease expires and another worker takes it over, as after the
        process's death; none of its work goes on after the stop. A worker between jobs
        (looking for work; the first look loads the handlers given on first use) is waited for
        too, up to `BETWEEN_JOBS_JOIN_SECONDS` more: a process that stops right after its start
        leaves no thread of its own importing modules while it exits.
        """
        self._stop.set()
        self.wake()
        for thread, worker in zip(self._threads, self._workers, strict=True):
            thread.join(timeout)
            if thread.is_alive() and worker.in_job:
                worker.let_go()
                thread.join(LET_GO_JOIN_SECONDS)
            if thread.is_alive() and not worker.in_job:
                thread.join(BETWEEN_JOBS_JOIN_SECONDS)
        alive = [(t, w) for t, w in zip(self._threads, self._workers, strict=True) if t.is_alive()]
        self._threads = [t for t, _ in alive]
        self._workers = [w for _, w in alive]

    def _another_worker(self, i: int) -> Worker:
        w = self.worker
        return Worker(
            self.store, w.handlers, f"{w.worker_id}-{i}", settings=w.settings, **w.options()
        )


__all__ = [
    "JobNotSucceededError",
    "JobRunner",
    "JobTimeoutError",
]
