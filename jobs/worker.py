"""Workers: claim jobs from the store, run their handlers under a heartbeat lease, record the end.

`Worker.run_once()` claims one job — a `pending` one, or a `running` one whose lease expired
because the worker holding it died — runs the handler registered for its kind while a background
thread renews the lease, and then either stores the result and the `succeeded` status in one
step (`Store.complete_job`) or marks the job `failed` with the reason. Transient failures
(`TransientJobError`, `StoreUnavailableError`) are retried with backoff up to `max_attempts`
attempts, the handler resuming from its own checkpoint (`ctx.resume=True`). A job it fails, or
whose run stopped for a cancellation, gets its trace ended (`jobs.trace_end`). Each attempt is a
span `job {kind}` whose parent is the span that submitted the job (`Job.trace_context`, stored
with it so that a worker in another process or on another machine continues that trace); a job
without one (scheduled, or submitted with tracing off) starts a trace of its own.

Run one as a process with `python -m jobs.worker --handlers MODULE` (MODULE registers handlers
on import, `jobs.handlers.register_handler`, or defines a `HANDLERS` mapping; docs/jobs.md).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import signal
import socket
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import FrameType
from typing import Literal, TypedDict, cast

from jobs.handlers import (
    Handler,
    JobCancelledError,
    JobContext,
    JobHandedOverError,
    TransientJobError,
    load_handler_modules,
    registry,
    run_follow_ups,
)
from jobs.lease import JobLease
from jobs.trace_end import TraceEnds
from settings import Settings, get_settings
from settings.logs import configure_logging
from settings.process_exit import exit_process
from settings.tracing import configure_tracing, current_trace_context, flush_tracing, span
from store import ConflictError, Job, NotFoundError, Store, StoreUnavailableError
from store.owner_data import OwnerBusyError

log = logging.getLogger("jobs.worker")

DEFAULT_BACKOFF: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
"""Seconds to wait before the 2nd, 3rd, ... attempt (the last value repeats)."""

Outcome = Literal["succeeded", "failed", "cancelled", "lost", "handed_over"]


def new_worker_id() -> str:
    """`<host>-<pid>-<4 hex>`: unique per worker object."""
    return f"{socket.gethostname()}-{os.getpid()}-{os.urandom(2).hex()}"


def describe(exc: BaseException) -> str:
    """The failure reason stored on a job: `"<ExceptionType>: <message>"`."""
    message = str(exc).strip()
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


@dataclass(frozen=True)
class WorkOutcome:
    """How one claimed job ended for this worker.

    `status` is `succeeded` / `failed` / `cancelled` (the job's final status, written by this
    worker or, for `cancelled`, by whoever cancelled it), `lost` (another worker took the
    lease; the job goes on there) or `handed_over` (`JobHandedOverError`: it goes on elsewhere). `attempts` is the job's attempt count at the end.
    """

    job_id: str
    owner: str
    status: Outcome
    attempts: int
    error: str | None = None


SYSTEM_OWNER = "system"
"""Owner of the jobs a tick starts (they act across owners, e.g. firing schedules)."""


class WorkerOptions(TypedDict, total=False):
    """How a worker holds and runs jobs: the keyword arguments of `Worker` (defaults there), which
    `jobs.job_runner.JobRunner` passes on to its workers."""

    lease_seconds: float
    heartbeat_seconds: float | None
    max_attempts: int
    backoff: Sequence[float]
    cancel_poll_seconds: float
    poll_seconds: float


def worker_options(source: object) -> WorkerOptions:
    """The `WorkerOptions` that `source` (a `Worker`, parsed command-line arguments) holds as
    attributes of the same names; options it lacks are left to `Worker`'s defaults."""
    names = WorkerOptions.__optional_keys__
    return cast(WorkerOptions, {n: getattr(source, n) for n in names if hasattr(source, n)})


class Worker:
    """Claims and runs jobs whose kind has a handler in `handlers`.

    `lease_seconds` is how long a claim lasts without a heartbeat (another worker takes the job
    over once it expires, so a dead worker's job resumes elsewhere within about that long);
    heartbeats renew it every `heartbeat_seconds` (default a third of the lease).
    `max_attempts` bounds the attempts of a job, counting every claim (retries after transient
    errors and takeovers after a worker died); `backoff[i]` is the wait in seconds before
    attempt `i + 2` (the last value repeats). `cancel_poll_seconds` bounds how often
    `ctx.cancelled()` reads the job between heartbeats; `poll_seconds` is the idle wait of
    `run_forever`. `settings` is handed to handlers as `ctx.settings`; its `jobs_ticks` are
    the job kinds this worker starts once a minute (`submit_tick`; those it has handlers for),
    as EventBridge Scheduler's ticks start them on AWS.
    """

    def __init__(
        self,
        store: Store,
        handlers: Mapping[str, Handler] | None = None,
        worker_id: str | None = None,
        *,
        lease_seconds: float = 30.0,
        heartbeat_seconds: float | None = None,
        max_attempts: int = 3,
        backoff: Sequence[float] = DEFAULT_BACKOFF,
        cancel_poll_seconds: float = 1.0,
        poll_seconds: float = 1.0,
        settings: Settings | None = None,
    ) -> None:
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
        heartbeat = lease_seconds / 3 if heartbeat_seconds is None else heartbeat_seconds
        if heartbeat <= 0:
            raise ValueError(f"heartbeat_seconds must be positive, got {heartbeat}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        if not backoff or any(b < 0 for b in backoff):
            raise ValueError(f"backoff must be non-empty non-negative seconds, got {backoff}")
        self.store = store
        self.handlers: Mapping[str, Handler] = registry if handlers is None else handlers
        self.worker_id = worker_id or new_worker_id()
        self.lease_seconds = float(lease_seconds)
        self.heartbeat_seconds = float(heartbeat)
        self.max_attempts = int(max_attempts)
        self.backoff = tuple(float(b) for b in backoff)
        self.cancel_poll_seconds = float(cancel_poll_seconds)
        self.poll_seconds = float(poll_seconds)
        self._wake = threading.Event()
        self._in_job = False
        self._lease: JobLease | None = None
        self.settings = settings
        self._ticked: datetime | None = None
        self._unrecorded: dict[tuple[str, str], str] = {}
        """(owner, job id) -> the failure this worker could not record (the store refused the
        write): recorded before this worker claims anything else."""
        self._trace_ends = TraceEnds(store)
        """Ends the traces of the jobs this worker failed or saw cancelled (`jobs.trace_end`)."""

    def options(self) -> WorkerOptions:
        """This worker's options, to start another worker like it."""
        return worker_options(self)

    @functools.cached_property
    def ticks(self) -> tuple[str, ...]:
        """The job kinds of `settings.jobs.ticks` this worker has handlers for (read when first
        needed: the handlers may be loaded on first use, `jobs.handlers.HandlersOnFirstUse`)."""
        ticks = self.settings.jobs.ticks if self.settings is not None else []
        return tuple(kind for kind in ticks if kind in self.handlers)

    # ----------------------------------------------------------------- claiming

    def claim_next(self, stop: threading.Event | None = None) -> Job | None:
        """Claim one runnable job: the oldest pending one, else a running one whose lease
        expired. None when there is none (or other workers won every race), or when `stop` is
        set once the candidates are read (the first read loads handlers given on first use:
        seconds, after which a stopped worker claims nothing)."""
        candidates = [
            j for j in self.store.jobs_by_status("pending", limit=100) if j.kind in self.handlers
        ]
        now = self.store.clock()
        candidates += [
            j
            for j in self.store.jobs_by_status("running", limit=100)
            if j.kind in self.handlers and not j.lease_active(now)
        ]
        if stop is not None and stop.is_set():
            return None
        for job in candidates:
            try:
                return self.store.claim(job.owner, job.id, self.worker_id, self.lease_seconds)
            except (ConflictError, NotFoundError, OwnerBusyError):
                continue  # another worker won, it was cancelled, or its owner was just erased
        return None

    def submit_tick(self, kind: str) -> Job | None:
        """Start the job `kind` for the current minute, owned by `SYSTEM_OWNER`: one per kind
        and minute however many workers (or deliveries of a tick) ask; None without a handler
        for `kind`."""
        if kind not in self.handlers:
            return None
        minute = self.store.clock().replace(second=0, microsecond=0)
        job, _ = self.store.submit_job(
            SYSTEM_OWNER,
            kind,
            {"tick": minute.isoformat()},
            idempotency_key=f"tick:{kind}:{minute.isoformat()}",
        )
        return job

    def _tick(self) -> None:
        minute = self.store.clock().replace(second=0, microsecond=0)
        if not self.ticks or minute == self._ticked:
            return
        self._ticked = minute
        for kind in self.ticks:
            self.submit_tick(kind)

    def run_once(self, stop: threading.Event | None = None) -> WorkOutcome | None:
        """Start this minute's ticks (once), then claim and run one job to its end for this
        worker; None if nothing was runnable, or if `stop` was set before the claim.

        Raises `StoreUnavailableError` when the store cannot be reached to claim, or to record
        a failure (the job then stays `running` without a result until this worker records the
        failure at a later call, or, if it never does, until another worker takes it over once
        its lease expired and gives up stating the cause the last attempt recorded).
        """
        self._record_failures()
        self._tick()
        job = self.claim_next(stop)
        if job is None:
            return None
        return self.run_claimed(job)

    def _record_failures(self) -> None:
        """Record the failures this worker decided but could not write (`StoreUnavailableError`
        while the store still refuses): a job that gave up stays running only until the store
        takes writes again, and ends failed with its real cause. A job another worker took over
        meanwhile (or that was cancelled) is no longer this worker's to fail."""
        for (owner, job_id), reason in list(self._unrecorded.items()):
            try:
                self.store.transition(
                    owner, job_id, ["running"], "failed", error=reason, worker=self.worker_id
                )
                log.warning("job %s failed: %s", job_id, reason)
                self._trace_ends.end(owner, job_id)
            except (ConflictError, NotFoundError):
                pass
            del self._unrecorded[(owner, job_id)]
        self._trace_ends.retry()

    def wake(self) -> None:
        """Look for work now instead of at the end of the idle wait (e.g. a job was submitted)."""
        self._wake.set()

    def run_forever(self, stop_event: threading.Event, *, max_jobs: int | None = None) -> int:
        """Run jobs until `stop_event` is set (checked between jobs) or `max_jobs` ran.

        Waits `poll_seconds` when idle or when the store is unavailable. Returns how many jobs
        it ran.
        """
        ran = 0
        while not stop_event.is_set() and (max_jobs is None or ran < max_jobs):
            try:
                outcome = self.run_once(stop_event)
            except StoreUnavailableError as exc:
                log.error("worker %s: store unavailable: %s", self.worker_id, exc)
                stop_event.wait(self.poll_seconds)
                continue
            if outcome is None:
                self._wake.wait(self.poll_seconds)  # `wake()` (a new job, a stop) cuts it short
                self._wake.clear()
            else:
                ran += 1
                log.info(
                    "job %s %s after %d attempt(s)%s",
                    outcome.job_id,
                    outcome.status,
                    outcome.attempts,
                    f": {outcome.error}" if outcome.error else "",
                )
        return ran

    # ----------------------------------------------------------------- running

    @property
    def in_job(self) -> bool:
        """True while this worker runs a job it claimed (`run_claimed`)."""
        return self._in_job

    def let_go(self) -> None:
        """Stop the job under way, if any, at its handler's next `ctx.cancelled()`, leaving it
        `running` for another worker to take over once its lease expires (`JobLease.let_go`)."""
        lease = self._lease
        if lease is not None:
            lease.let_go()

    def run_claimed(self, job: Job) -> WorkOutcome:
        """Run a job this worker has just claimed (its lease is held) to its end here."""
        self._in_job = True
        try:
            return self._run_leased(job)
        finally:
            self._in_job = False

    def _run_leased(self, job: Job) -> WorkOutcome:
        lease = JobLease(
            self.store,
            job,
            self.worker_id,
            self.lease_seconds,
            self.heartbeat_seconds,
            self.cancel_poll_seconds,
        )
        lease.start()
        self._lease = lease
        succeeded: list[JobContext] = []  # the attempt that completed the job, if one did
        try:
            return self._attempts(job, lease, succeeded)
        finally:
            self._lease = None
            lease.stop()
            for ctx in succeeded:  # its `ctx.after_success`, in the job's trace
                run_follow_ups(job, ctx.follow_ups, parent=ctx.trace_context)
            flush_tracing()  # a job's spans leave before the next job (or the process end)

    def _attempts(self, job: Job, lease: JobLease, succeeded: list[JobContext]) -> WorkOutcome:
        last_error: str | None = None
        while True:
            if job.attempts > self.max_attempts:
                # the cause an earlier attempt recorded on the job, whichever worker ran it
                why = last_error or job.error or "the worker running it stopped before finishing"
                return self._fail(job, lease, f"gave up after {self.max_attempts} attempts: {why}")
            handler = self.handlers.get(job.kind)
            if handler is None:
                return self._fail(job, lease, f"no handler registered for job kind {job.kind!r}")
            ctx = JobContext(
                store=self.store,
                job=job,
                resume=job.attempts > 1,
                settings=self.settings,
                cancelled=lease.cancelled,
                progress=lease.progress,
                max_attempts=self.max_attempts,
            )
            try:
                with span(
                    f"job {job.kind}",
                    {"stratigos.job_kind": job.kind, "stratigos.job_attempt": job.attempts},
                    carry={"stratigos.job_id": job.id},
                    parent=job.trace_context,  # the submitter's span, wherever it ran
                ):
                    ctx.trace_context = current_trace_context()  # the follow-ups' parent
                    result = handler(job, ctx)
                if lease.stopped.is_set() or lease.refresh():
                    return self._stopped(job, lease)  # a cancelled run's result is discarded
                if not isinstance(result, dict):
                    raise TypeError(
                        f"handler for {job.kind!r} returned {type(result).__name__}, expected dict"
                    )
                lease.store_progress()
                done = self.store.complete_job(job.owner, job.id, result, worker=self.worker_id)
                succeeded.append(ctx)
                return WorkOutcome(job.id, job.owner, "succeeded", done.attempts)
            except JobCancelledError:
                lease.refresh()
                return self._stopped(job, lease)
            except JobHandedOverError as exc:
                return self._hand_over(job, lease, exc)
            except (TransientJobError, StoreUnavailableError) as exc:
                last_error = describe(exc)
                if lease.stopped.is_set():
                    return self._stopped(job, lease)
                lease.record_error(last_error)
                if job.attempts >= self.max_attempts:
                    reason = f"{last_error} (gave up after {job.attempts} attempts)"
                    return self._fail(job, lease, reason)
                delay = self.backoff[min(job.attempts - 1, len(self.backoff) - 1)]
                log.warning(
                    "job %s attempt %d failed (%s); retrying in %.3g s",
                    job.id,
                    job.attempts,
                    last_error,
                    delay,
                )
                if lease.stopped.wait(delay):
                    return self._stopped(job, lease)
                try:
                    job = self.store.claim(job.owner, job.id, self.worker_id, self.lease_seconds)
                except (ConflictError, NotFoundError):
                    lease.refresh()
                    return self._stopped(job, lease)
            except Exception as exc:  # the handler's failure: the job fails with the reason
                if lease.stopped.is_set() or lease.refresh():
                    return self._stopped(job, lease)
                return self._fail(job, lease, describe(exc))

    def _hand_over(self, job: Job, lease: JobLease, to: JobHandedOverError) -> WorkOutcome:
        """Pass the job's lease to the work going on elsewhere; the job stays running."""
        try:
            self.store.hand_over(job.owner, job.id, self.worker_id, to.holder, to.lease_seconds)
        except ConflictError as exc:  # cancelled, or lost, meanwhile
            lease._mark(exc.current if isinstance(exc.current, Job) else None)
            return self._stopped(job, lease)
        return WorkOutcome(job.id, job.owner, "handed_over", job.attempts, str(to))

    def _stopped(self, job: Job, lease: JobLease) -> WorkOutcome:
        status: Outcome = "cancelled" if lease.reason == "cancelled" else "lost"
        if status == "cancelled":  # the run stopped: nothing more comes after the trace's end
            self._trace_ends.end(job.owner, job.id)
        return WorkOutcome(job.id, job.owner, status, job.attempts)

    def _fail(self, job: Job, lease: JobLease, reason: str) -> WorkOutcome:
        try:
            failed = self.store.transition(
                job.owner, job.id, ["running"], "failed", error=reason, worker=self.worker_id
            )
        except ConflictError as exc:
            lease._mark(exc.current if isinstance(exc.current, Job) else None)
            return self._stopped(job, lease)
        except OwnerBusyError:  # its owner's data was erased meanwhile: the purge removes it
            lease._mark(None)
            return self._stopped(job, lease)
        except StoreUnavailableError as exc:
            self._unrecorded[(job.owner, job.id)] = reason
            raise StoreUnavailableError(
                f"job {job.id} failed ({reason}) but the failure could not be recorded: {exc}; "
                "this worker records it once the store takes writes again"
            ) from exc
        log.warning("job %s failed: %s", job.id, reason)
        self._trace_ends.end(job.owner, job.id)
        return WorkOutcome(job.id, job.owner, "failed", failed.attempts, reason)


# --------------------------------------------------------------------------- CLI


def _backoff(text: str) -> tuple[float, ...]:
    try:
        values = tuple(float(part) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"--backoff wants seconds like 1,2,4: {text!r}") from exc
    if not values:
        raise argparse.ArgumentTypeError("--backoff needs at least one value")
    return values


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m jobs.worker --handlers MODULE [...]`: run a worker on the configured store."""
    parser = argparse.ArgumentParser(
        prog="python -m jobs.worker",
        description="Run a Stratigos job worker on the store configured by STRATIGOS_* settings.",
    )
    parser.add_argument(
        "--handlers",
        action="append",
        default=[],
        metavar="MODULE",
        help="module that registers job handlers (repeatable)",
    )
    parser.add_argument("--worker-id", default=None)
    parser.add_argument("--lease-seconds", type=float, default=30.0)
    parser.add_argument("--heartbeat-seconds", type=float, default=None)
    parser.add_argument("--max-attempts", type=int, default=3)
    parser.add_argument("--backoff", type=_backoff, default=DEFAULT_BACKOFF)
    parser.add_argument("--poll-seconds", type=float, default=1.0)
    parser.add_argument("--max-jobs", type=int, default=None, help="exit after this many jobs")
    args = parser.parse_args(argv)

    settings = get_settings()
    configure_logging(settings)
    configure_tracing(settings)
    load_handler_modules(args.handlers)
    if not len(registry):
        parser.error("no job handlers registered; pass --handlers MODULE")

    from store.factory import open_store

    store = open_store(settings)
    worker = Worker(store, registry, args.worker_id, settings=settings, **worker_options(args))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        log.info("worker %s: signal %d, stopping after the current job", worker.worker_id, signum)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    log.info("worker %s serving kinds %s", worker.worker_id, sorted(registry))
    try:
        worker.run_forever(stop, max_jobs=args.max_jobs)
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    exit_process(main)
