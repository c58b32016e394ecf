"""Jobs and their trace events: records, the guarded status transitions, leases, the result
check that makes `succeeded` mean "everything promised is stored", and the repository interface."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol, get_args

from store.common import check_limit, check_owner, dumps, from_micros, to_micros
from store.errors import ConflictError, InvalidResultError

JobStatus = Literal["pending", "running", "succeeded", "failed", "cancelled"]


JOB_STATUSES: tuple[JobStatus, ...] = get_args(JobStatus)


TERMINAL_STATUSES: frozenset[JobStatus] = frozenset({"succeeded", "failed", "cancelled"})
"""Statuses a job never leaves (except by archiving, which keeps the status)."""


@dataclass(frozen=True)
class Job:
    """A unit of work and its lifecycle.

    `progress` is `(done, total)` in the job's own units (`total` None while unknown);
    `attempts` counts successful `claim`s; `lease_owner` / `lease_expires_at` name the worker
    holding the job and until when (both None when no lease is held); `archived_at` is set by
    `cleanup` once the job's events and trials moved to the archive. `trace_context` is the W3C
    trace context (`traceparent`, optionally `tracestate`) of the span that submitted the job,
    which the worker continues; None when the submission was not traced.
    """

    id: str
    owner: str
    kind: str
    request: dict[str, Any]
    status: JobStatus
    progress: tuple[int, int | None]
    attempts: int
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    error: str | None = None
    idempotency_key: str | None = None
    lease_owner: str | None = None
    lease_expires_at: datetime | None = None
    archived_at: datetime | None = None
    trace_context: dict[str, str] | None = None

    def lease_active(self, now: datetime) -> bool:
        """True when some worker holds an unexpired lease at `now`."""
        return (
            self.lease_owner is not None
            and self.lease_expires_at is not None
            and self.lease_expires_at > now
        )


@dataclass(frozen=True)
class JobFilter:
    """Which of an owner's jobs a listing keeps: in `statuses` and of `kinds` (None: any), and
    archived ones only with `include_archived`."""

    statuses: Sequence[JobStatus] | None = None
    kinds: Sequence[str] | None = None
    include_archived: bool = False

    def keeps(self, job: Job) -> bool:
        """Whether `job` is one the listing keeps."""
        return (
            (self.statuses is None or job.status in self.statuses)
            and (self.kinds is None or job.kind in self.kinds)
            and (self.include_archived or job.archived_at is None)
        )


class SequencedEvent(Protocol):
    """What `append_events` accepts: `traces.schema.TraceEvent` fits (the store never imports it)."""

    @property
    def run_id(self) -> str: ...

    @property
    def seq(self) -> int: ...

    def to_json(self) -> str: ...


@dataclass(frozen=True)
class StoredEvent:
    """One stored trace event: `payload` is the event's JSON text exactly as appended.

    Turn it back into a trace event with `traces.schema.TraceEvent.from_json(stored.payload)`.
    """

    run_id: str
    seq: int
    payload: str

    def to_json(self) -> str:
        """The stored JSON text (so a `StoredEvent` can be appended to another store)."""
        return self.payload


def check_events(run_id: str, events: Sequence[SequencedEvent]) -> list[tuple[int, str]]:
    """Validate a batch for `append_events`: same run, seq >= 1, strictly increasing.

    Returns `(seq, json)` pairs. A non-increasing batch is a `ConflictError` (like a duplicate).
    """
    if not run_id:
        raise ValueError("run_id must be a non-empty string")
    out: list[tuple[int, str]] = []
    previous = 0
    for event in events:
        if event.run_id != run_id:
            raise ValueError(f"event for run {event.run_id!r} appended to run {run_id!r}")
        seq = int(event.seq)
        if seq < 1:
            raise ValueError(f"event seq must be >= 1, got {seq}")
        if seq <= previous:
            raise ConflictError(
                f"run {run_id}: seq {seq} follows seq {previous} in the batch; "
                "sequence numbers must strictly increase"
            )
        previous = seq
        out.append((seq, event.to_json()))
    return out


def check_progress(progress: tuple[int, int | None]) -> tuple[int, int | None]:
    """Validate a `(done, total)` progress pair (non-negative integers, total may be None)."""
    done, total = progress
    if done < 0 or (total is not None and total < 0):
        raise ValueError(f"progress must be non-negative, got {progress}")
    return int(done), None if total is None else int(total)


SUCCESS_DOCUMENT_STATUSES = ("succeeded", "partial")
"""The statuses a result document may state for its job to become succeeded."""


OPTIMIZATION_KIND = "optimization"
"""The job kind of an optimization run (its handler lives in `graphs.job_handlers`)."""


def check_result(kind: str, result: Any) -> None:
    """Refuse (`InvalidResultError`, naming what is missing) a result that cannot make its job
    succeeded. Any kind: a document stating another status (failed, cancelled), or one whose
    trials do not add up to its `n_trials`. An optimization (`OPTIMIZATION_KIND`) also needs a
    JSON object with at least one trial, `n_trials == len(trials)`, and a best configuration
    when its status is `succeeded` (a `partial` run may have none: no trial met the limits).
    Called by `JobRepository.complete_job` (above every backend) before anything is written,
    and by the optimization handler before it stores trials."""
    if not isinstance(result, Mapping):
        if kind == OPTIMIZATION_KIND:
            raise InvalidResultError(
                f"an optimization result must be a JSON object, not {type(result).__name__}"
            )
        return
    status = result.get("status")
    if status is not None and status not in SUCCESS_DOCUMENT_STATUSES:
        raise InvalidResultError(
            f"a result stating status {status!r} cannot complete a job as succeeded"
            + (f" ({result['reason']})" if result.get("reason") else "")
        )
    trials = result.get("trials")
    if isinstance(trials, list) and result.get("n_trials") not in (None, len(trials)):
        raise InvalidResultError(
            f"the result counts {result['n_trials']} trials but holds {len(trials)}: incomplete"
        )
    if kind != OPTIMIZATION_KIND:
        return
    if status is None:
        raise InvalidResultError("the optimization result states no status")
    if not isinstance(trials, list) or not trials or result.get("n_trials") != len(trials):
        count = len(trials) if isinstance(trials, list) else 0
        raise InvalidResultError(
            f"the optimization result holds {count} trials of {result.get('n_trials')}"
        )
    best = result.get("best")
    if status == "succeeded" and not (isinstance(best, Mapping) and best.get("config")):
        raise InvalidResultError("the succeeded optimization result has no best configuration")


TRACE_CONTEXT_KEYS = frozenset({"traceparent", "tracestate"})
"""The W3C Trace Context fields a job's `trace_context` may hold (`traceparent` required)."""

TRACE_CONTEXT_MAX_CHARS = 1024
"""Upper bound of each `trace_context` value, in characters (a `traceparent` is 55; W3C asks
propagators to keep at least 512 of a `tracestate`)."""


def check_trace_context(trace_context: Mapping[str, str] | None) -> dict[str, str] | None:
    """Validate a job's `trace_context` for `submit_job`: None, or string values under
    `traceparent` (required) and `tracestate`, each at most `TRACE_CONTEXT_MAX_CHARS` long.
    Returns it as a plain dict; `ValueError` naming what is wrong otherwise."""
    if trace_context is None:
        return None
    if not isinstance(trace_context, Mapping):
        raise ValueError(f"trace_context must be a mapping, not {type(trace_context).__name__}")
    extra = set(trace_context) - TRACE_CONTEXT_KEYS
    if extra or "traceparent" not in trace_context:
        raise ValueError(
            f"trace_context holds traceparent and optionally tracestate, got {sorted(trace_context)}"
        )
    for key, value in trace_context.items():
        if not isinstance(value, str) or len(value) > TRACE_CONTEXT_MAX_CHARS:
            raise ValueError(
                f"trace_context[{key!r}] must be a string of at most "
                f"{TRACE_CONTEXT_MAX_CHARS} characters"
            )
    return dict(trace_context)


def check_transition(to_status: JobStatus, from_statuses: Sequence[JobStatus]) -> None:
    """Arguments of `Store.transition`: known statuses; `succeeded` only via `complete_job`."""
    for status in (to_status, *from_statuses):
        if status not in JOB_STATUSES:
            raise ValueError(f"unknown job status {status!r}; expected one of {JOB_STATUSES}")
    if to_status == "succeeded":
        raise ValueError(
            "a job becomes succeeded only through complete_job(), which stores its result "
            "in the same atomic step"
        )
    if not from_statuses:
        raise ValueError("from_statuses must name at least one status")


def check_lease_seconds(lease_seconds: float) -> float:
    """A lease duration for `claim` / `heartbeat`: seconds, positive."""
    if lease_seconds <= 0:
        raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
    return lease_seconds


def lease_expiry(now: datetime, lease_seconds: float) -> int:
    """When a lease taken or renewed at `now` for `lease_seconds` ends, in µs since the epoch."""
    return to_micros(now + timedelta(seconds=lease_seconds))


def check_key_reuse(existing: Job, idempotency_key: str, kind: str, body: str) -> Job:
    """`existing` (the job submitted under `idempotency_key`) when a repeated submission asks
    for the same `kind` and request (`body`: its JSON), else `ConflictError`."""
    if existing.kind != kind or dumps(existing.request) != body:
        raise ConflictError(
            f"idempotency key {idempotency_key!r} was used for a different request "
            f"(job {existing.id})",
            current=existing,
        )
    return existing


def refusal(job: Job, why: str) -> ConflictError:
    """The `ConflictError` of a guarded job update that wrote nothing: `why`, and `job` as it
    is now (its status and lease holder named in the message)."""
    return ConflictError(
        f"job {job.id}: {why} (status {job.status}, lease {job.lease_owner or 'none'})",
        current=job,
    )


def transition_refused(
    to_status: JobStatus, from_statuses: Sequence[JobStatus], worker: str | None
) -> str:
    """Why a `transition` wrote nothing (for `refusal`)."""
    why = f"cannot move to {to_status} from {list(from_statuses)}"
    return why + (f" as worker {worker}" if worker else "")


def claim_refused(worker: str) -> str:
    """Why a `claim` wrote nothing (for `refusal`)."""
    return f"worker {worker} cannot claim it"


def lease_not_held(worker: str) -> str:
    """Why a `heartbeat` or `release` wrote nothing (for `refusal`)."""
    return f"worker {worker} does not hold the lease"


def completion_refused(worker: str | None) -> str:
    """Why a `complete_job` wrote nothing (for `refusal`)."""
    return "cannot complete: not running" + (f" under worker {worker}" if worker else "")


def run_of_another_owner(run_id: str) -> ConflictError:
    """The refusal of an `append_events` to a run another owner started."""
    return ConflictError(f"run {run_id} belongs to another owner")


def seq_not_after(run_id: str, first_seq: int, last_seq: int | None) -> ConflictError:
    """The refusal of an `append_events` whose first seq is not after the last stored one."""
    return ConflictError(
        f"run {run_id}: seq {first_seq} is not after the last stored seq {last_seq} "
        "(duplicate or out of order)"
    )


class JobRepository(ABC):
    """Jobs (submission, guarded transitions, leases, completion with the result) and the trace
    events of their runs."""

    def submit_job(
        self,
        owner: str,
        kind: str,
        request: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
        trace_context: Mapping[str, str] | None = None,
    ) -> tuple[Job, bool]:
        """Create a `pending` job; returns `(job, created)`.

        With an `idempotency_key` (unique per owner) a repeated submission returns the existing
        job and `created=False`; reusing the key for a different `kind`/`request` is a
        `ConflictError`. Concurrent submissions with one key create exactly one job.
        `trace_context` (`check_trace_context`) is stored with a new job for its worker to
        continue the submitter's trace; a repeated submission keeps the first one's.
        """
        check_owner(owner)
        if not kind:
            raise ValueError("kind must be a non-empty string")
        context = check_trace_context(trace_context)
        return self._insert_job(
            owner,
            kind,
            dumps(dict(request)),
            idempotency_key,
            None if context is None else dumps(context),
        )

    @abstractmethod
    def _insert_job(
        self,
        owner: str,
        kind: str,
        body: str,
        idempotency_key: str | None,
        trace_context: str | None,
    ) -> tuple[Job, bool]:
        """`submit_job` after its checks (`body`: the request as JSON; `trace_context`: the
        checked trace context as JSON, or None): the backend's atomic insert, or the job already
        submitted under `idempotency_key`."""

    @abstractmethod
    def get_job(self, owner: str, job_id: str) -> Job:
        """The job, or `NotFoundError`."""

    def list_jobs(
        self,
        owner: str,
        *,
        statuses: Sequence[JobStatus] | None = None,
        kinds: Sequence[str] | None = None,
        include_archived: bool = False,
        limit: int = 100,
    ) -> list[Job]:
        """The owner's newest `limit` jobs, newest first, optionally only those in `statuses`
        and of `kinds` (the limit counts the jobs kept, not the jobs read)."""
        check_limit(limit)
        if (statuses is not None and not statuses) or (kinds is not None and not kinds):
            return []
        return self._list_jobs(owner, JobFilter(statuses, kinds, include_archived), limit)

    @abstractmethod
    def _list_jobs(self, owner: str, wanted: JobFilter, limit: int) -> list[Job]:
        """`list_jobs` after its checks (`wanted`'s sequences None or non-empty)."""

    def jobs_by_status(self, status: JobStatus, *, limit: int = 100) -> list[Job]:
        """Jobs of every owner in `status`, oldest first (for schedulers and lease sweepers)."""
        check_limit(limit)
        return self._jobs_by_status(status, limit)

    @abstractmethod
    def _jobs_by_status(self, status: JobStatus, limit: int) -> list[Job]:
        """`jobs_by_status` after its checks."""

    def transition(
        self,
        owner: str,
        job_id: str,
        from_statuses: Sequence[JobStatus],
        to_status: JobStatus,
        *,
        error: str | None = None,
        worker: str | None = None,
    ) -> Job:
        """Atomically move the job from one of `from_statuses` to `to_status`.

        `ConflictError` (nothing written) if the current status is not in `from_statuses`, or if
        `worker` is given and does not hold the job's lease. Entering `running` sets
        `started_at` (once); entering a terminal status sets `finished_at` and drops the lease.
        `error` is recorded (use it with `failed`). `succeeded` is refused with `ValueError`:
        use `complete_job`, which writes the result in the same step.
        """
        check_transition(to_status, from_statuses)
        return self._transition(owner, job_id, from_statuses, to_status, error, worker)

    @abstractmethod
    def _transition(
        self,
        owner: str,
        job_id: str,
        from_statuses: Sequence[JobStatus],
        to_status: JobStatus,
        error: str | None,
        worker: str | None,
    ) -> Job:
        """`transition` after `check_transition`: the backend's guarded update."""

    def claim(self, owner: str, job_id: str, worker: str, lease_seconds: float) -> Job:
        """Take the job's lease for `worker` until now + `lease_seconds`.

        Allowed when the job is `pending` or `running` and no other worker holds an unexpired
        lease (an expired lease is taken over; the same worker may re-claim). The job becomes
        `running` and `attempts` increases by one. `ConflictError` otherwise; of concurrent
        claims exactly one wins.
        """
        if not worker:
            raise ValueError("worker must be a non-empty string")
        return self._claim(owner, job_id, worker, check_lease_seconds(lease_seconds))

    @abstractmethod
    def _claim(self, owner: str, job_id: str, worker: str, lease_seconds: float) -> Job:
        """`claim` after its checks: the backend's guarded update."""

    def heartbeat(
        self,
        owner: str,
        job_id: str,
        worker: str,
        lease_seconds: float,
        *,
        progress: tuple[int, int | None] | None = None,
        error: str | None = None,
    ) -> Job:
        """Extend `worker`'s lease to now + `lease_seconds` and optionally record `progress` and
        the `error` an attempt just failed with (kept on the running job, so that whichever
        worker later gives up on it states the cause; a job that then succeeds drops it).

        `ConflictError` if the worker no longer holds the lease (another worker claimed it, or
        the job was cancelled or finished): the worker must stop.
        """
        lease_seconds = check_lease_seconds(lease_seconds)
        return self._heartbeat(
            owner,
            job_id,
            worker,
            lease_seconds,
            None if progress is None else check_progress(progress),
            error,
        )

    @abstractmethod
    def _heartbeat(
        self,
        owner: str,
        job_id: str,
        worker: str,
        lease_seconds: float,
        progress: tuple[int, int | None] | None,
        error: str | None,
    ) -> Job:
        """`heartbeat` after its checks: the backend's guarded update (`error` None leaves the
        recorded one)."""

    def hand_over(
        self, owner: str, job_id: str, worker: str, holder: str, lease_seconds: float
    ) -> Job:
        """Pass `worker`'s lease on the running job to `holder` (work that goes on outside the
        workers, e.g. a SageMaker pipeline execution named by its ARN) until now +
        `lease_seconds`, as one conditional write: the job stays `running`, no worker claims it
        while the lease lasts, and `holder` ends it (`complete_job(..., worker=holder)`, or
        `transition(..., worker=holder)` to fail it). `ConflictError` (nothing written) if
        `worker` does not hold the lease or the job is not running."""
        if not worker or not holder:
            raise ValueError("worker and holder must be non-empty strings")
        lease_seconds = check_lease_seconds(lease_seconds)
        return self._hand_over(owner, job_id, worker, holder, lease_seconds)

    @abstractmethod
    def _hand_over(
        self, owner: str, job_id: str, worker: str, holder: str, lease_seconds: float
    ) -> Job:
        """`hand_over` after its checks: the backend's guarded update."""

    @abstractmethod
    def release(self, owner: str, job_id: str, worker: str) -> Job:
        """Drop `worker`'s lease without changing the status (`ConflictError` if not held)."""

    def complete_job(
        self, owner: str, job_id: str, result: Any, *, worker: str | None = None
    ) -> Job:
        """Store `result` and move the job `running` -> `succeeded` as one step.

        This is the only way a job becomes `succeeded` (an error recorded by a failed earlier
        attempt is dropped). The result is verified first for the job's kind (`check_result`; `InvalidResultError`, nothing written). Then either both
        happen or neither: a crash or a failure (disk full, endpoint down, the database file
        deleted) leaves the job `running` with no result, never `succeeded` without one. With
        `worker`, the worker must hold the lease. `ConflictError` if the job is not running
        (e.g. cancelled); `NotFoundError` if there is no such job.
        """
        kind = self.get_job(owner, job_id).kind
        check_result(kind, result)
        return self._complete_job(owner, job_id, kind, dumps(result), worker)

    @abstractmethod
    def _complete_job(
        self, owner: str, job_id: str, kind: str, body: str, worker: str | None
    ) -> Job:
        """`complete_job` after `check_result` (`body`: the result as JSON): in one atomic step,
        store the result and move the job `running` -> `succeeded`, conditional on the job still
        being of `kind` (the kind whose result was verified) and, with `worker`, on its lease."""

    def append_events(self, owner: str, run_id: str, events: Sequence[SequencedEvent]) -> int:
        """Append events to the run's trace, all or nothing; returns how many.

        Sequence numbers must strictly increase within the batch and exceed every stored one:
        a duplicate or an out-of-order `seq` is a `ConflictError` and nothing is written. A run
        belongs to the owner of its first append; other owners' appends are `ConflictError`.
        """
        check_owner(owner)
        batch = check_events(run_id, events)
        if batch:
            self._append_events(owner, run_id, batch)
        return len(batch)

    @abstractmethod
    def _append_events(self, owner: str, run_id: str, batch: list[tuple[int, str]]) -> None:
        """`append_events` after `check_events` (`batch`: a non-empty list of `(seq, json)`,
        strictly increasing): the backend's guarded append."""

    def events(
        self, owner: str, run_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        """Up to `limit` events with `seq > after_seq`, in `seq` order ([] for an unknown run or
        a run of another owner)."""
        check_limit(limit, 10_000)
        return self._events(owner, run_id, after_seq, limit)

    @abstractmethod
    def _events(self, owner: str, run_id: str, after_seq: int, limit: int) -> list[StoredEvent]:
        """`events` after its checks."""


def job_to_json(job: Job) -> dict[str, Any]:
    """A job as a JSON object (timestamps as ISO-8601 UTC strings)."""

    def iso(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat().replace("+00:00", "Z")

    return {
        "id": job.id,
        "owner": job.owner,
        "kind": job.kind,
        "request": job.request,
        "status": job.status,
        "progress": list(job.progress),
        "attempts": job.attempts,
        "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
        "started_at": iso(job.started_at),
        "finished_at": iso(job.finished_at),
        "error": job.error,
        "idempotency_key": job.idempotency_key,
        "archived_at": iso(job.archived_at),
        "trace_context": job.trace_context,
    }


def job_from_row(d: Mapping[str, Any]) -> Job:
    """The Job a stored row or item holds (`d`: column or attribute name -> value; absent
    optional attributes read as None)."""
    return Job(
        id=d["id"],
        owner=d["owner"],
        kind=d["kind"],
        request=json.loads(d["request"]),
        status=d["status"],
        progress=(d.get("done", 0), d.get("total")),
        attempts=d.get("attempts", 0),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
        started_at=from_micros(d.get("started_at")),
        finished_at=from_micros(d.get("finished_at")),
        error=d.get("error"),
        idempotency_key=d.get("idempotency_key"),
        lease_owner=d.get("lease_owner"),
        lease_expires_at=from_micros(d.get("lease_expires_at")),
        archived_at=from_micros(d.get("archived_at")),
        trace_context=json.loads(d["trace_context"]) if d.get("trace_context") else None,
    )
