"""The handler contract: what a job kind runs, and what it sees while running.

A *handler* is a plain callable `fn(job, ctx) -> dict` registered for a job `kind`. The worker
calls it with the claimed `store.Job` and a `JobContext`, and stores the returned dict as
the job's result (atomically with the `succeeded` status). `jobs/` never imports `graphs/`: the
optimization workflow registers its handler from its own package (`register_handler("optimize",
fn)` in a module the worker imports with `python -m jobs.worker --handlers MODULE`).

Contract (see docs/jobs.md):

* Return a JSON-serialisable dict only when the work is complete; raise on failure. A handler
  that raises `TransientJobError` (or lets a `store.StoreUnavailableError` escape) is
  retried with backoff; any other exception fails the job with `"<ExceptionType>: <message>"`.
* Check `ctx.cancelled()` between units of work and return (or raise `JobCancelledError`) once
  it is True: the job was cancelled or this worker lost its lease. Whatever is returned then
  is discarded.
* `ctx.resume` is True when the job ran before (a retry, or another worker died holding it):
  continue from the handler's own checkpoint instead of starting over. Handlers must be
  idempotent per unit of work (a unit interrupted mid-way is redone; finished ones are not).
* Raise `JobHandedOverError(holder, lease_seconds, message)` when the work goes on elsewhere
  and something else will end the job: it stays `running`, its lease held by `holder`.
* `ctx.after_success(fn)` asks the worker to call `fn()` once the job's result is stored and
  the job succeeded (work that follows the answer, such as training a model on it): the job
  never waits for it, and its failure is logged, never the job's.
* `ctx.progress(done, total)` records progress (and extends the lease); `ctx.emit(events)`
  appends trace events (anything with `run_id == ctx.run_id`, `seq` and `to_json()`, e.g.
  `traces.schema.TraceEvent` or `JobEvent`) to the store; `ctx.last_seq()` is the last stored
  sequence number of the run, so a resumed handler continues the trace after it.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from settings import Settings
from store import Job, SequencedEvent, Store, StoredEvent, Trial

log = logging.getLogger("jobs.worker")
Handler = Callable[[Job, "JobContext"], dict[str, Any]]
"""A job kind's work: `fn(job, ctx) -> result dict`."""
FollowUp = Callable[[], object]
"""Work that follows a job's success (`JobContext.after_success`)."""


class JobError(Exception):
    """Base class of the errors of the job layer."""


class TransientJobError(JobError):
    """Raised by a handler for a failure worth retrying (a flaky dependency, a timeout).

    The worker retries the job with backoff, up to `max_attempts` attempts in all, calling the
    handler again with `ctx.resume=True`; after the last attempt the job fails with this error.
    """


class JobCancelledError(JobError):
    """Raised by a handler that stops because `ctx.cancelled()` became True."""


class JobHandedOverError(JobError):
    """Raised by a handler whose work goes on outside the workers (a SageMaker pipeline
    execution it started): the worker passes the job's lease to `holder` for `lease_seconds`
    (`Store.hand_over`) and leaves the job `running`; `holder`'s own code completes or fails it
    (e.g. `jobs.pipeline.completion`). If the lease expires first, a worker takes the job over
    and its handler runs again with `ctx.resume=True`."""

    def __init__(self, holder: str, lease_seconds: float, message: str) -> None:
        super().__init__(message)
        self.holder = holder
        self.lease_seconds = lease_seconds


class UnknownJobKindError(JobError, LookupError):
    """No handler is registered for a job kind."""


@dataclass(frozen=True)
class JobEvent:
    """A minimal trace event for handlers that do not use `traces.schema.TraceEvent`.

    `seq` is 1-based and must increase within the run; `data` is any JSON object.
    """

    run_id: str
    seq: int
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """One line of compact JSON: `{"run_id", "seq", "type", "data"}`."""
        return json.dumps(
            {"run_id": self.run_id, "seq": self.seq, "type": self.type, "data": self.data},
            separators=(",", ":"),
            sort_keys=True,
        )


class JobContext:
    """What a running handler may use: progress, events, cancellation and the resume flag.

    Built by the worker for each attempt. `run_id` is the id of the job's trace (the job id);
    `attempt` is the job's `attempts` count for this run (1 on the first), `max_attempts` the
    worker's bound (None: unknown), so `attempt >= max_attempts` is the last; `resume` is True
    when an earlier attempt started the job.
    """

    def __init__(
        self,
        *,
        store: Store,
        job: Job,
        resume: bool,
        settings: Settings | None,
        cancelled: Callable[[], bool],
        progress: Callable[[int, int | None], None],
        max_attempts: int | None = None,
    ) -> None:
        self.job = job
        self.max_attempts = max_attempts
        self.owner = job.owner
        self.run_id = job.id
        self.attempt = job.attempts
        self.resume = resume
        self.settings = settings
        self._store = store
        self._cancelled = cancelled
        self._progress = progress
        self._lock = threading.Lock()
        self.follow_ups: list[FollowUp] = []
        """What `after_success` asked for, in order (the worker calls them)."""
        self.trace_context: dict[str, str] | None = None
        """The W3C trace context of the attempt's `job <kind>` span (set by the worker; None
        untraced): the parent of the follow-ups' spans, so they are in the job's trace."""

    @property
    def store(self) -> Store:
        """The store the job lives in (the handler reads and writes its owner's records)."""
        return self._store

    @property
    def last_attempt(self) -> bool:
        """Whether a transient failure of this attempt fails the job (no retry follows)."""
        return self.max_attempts is not None and self.attempt >= self.max_attempts

    def cancelled(self) -> bool:
        """True once the job was cancelled or this worker lost its lease: stop promptly."""
        return self._cancelled()

    def after_success(self, follow_up: FollowUp) -> None:
        """Call `follow_up()` after the job succeeded (its result stored), in this worker, after
        the follow-ups asked before it; never if the attempt does not complete the job. A
        follow-up that raises is logged and changes nothing of the job."""
        self.follow_ups.append(follow_up)

    def progress(self, done: int, total: int | None = None) -> None:
        """Record `done` of `total` units (stored with the next heartbeat, at once if it can)."""
        self._progress(int(done), None if total is None else int(total))

    def emit(self, events: Sequence[SequencedEvent]) -> int:
        """Append trace events of this job's run to the store, all or nothing; returns how many.

        Sequence numbers must exceed the last stored one (`ConflictError` otherwise);
        `StoreUnavailableError` propagates (the worker retries the attempt).
        """
        if not events:
            return 0
        with self._lock:
            return self._store.append_events(self.owner, self.run_id, list(events))

    def put_trials(self, trials: Sequence[Trial]) -> int:
        """Store the job's evaluated trials (insert or replace by `number`), so they can be
        read page by page; returns how many were written."""
        with self._lock:
            return self._store.put_trials(self.owner, self.job.id, list(trials))

    def stored_events(self) -> list[StoredEvent]:
        """Every stored trace event of this job's run, in sequence order."""
        events: list[StoredEvent] = []
        while True:
            after = events[-1].seq if events else 0
            page = self._store.events(self.owner, self.run_id, after_seq=after, limit=1000)
            if not page:
                return events
            events.extend(page)

    def last_seq(self) -> int:
        """The highest stored sequence number of this run's trace (0 when it has none)."""
        last = 0
        while True:
            page = self._store.events(self.owner, self.run_id, after_seq=last, limit=1000)
            if not page:
                return last
            last = page[-1].seq


class HandlersOnFirstUse(Mapping[str, Handler]):
    """The handlers `load()` returns (job kind -> handler), loaded when first read (once, under a
    lock): a process that starts workers imports its handlers' modules (graphs, trading runs,
    reports) when a worker first looks for work or a job is first submitted, not before. It is
    true as a promise of handlers: `load()` returning none is a `ValueError` when first read."""

    def __init__(self, load: Callable[[], Mapping[str, Handler]]) -> None:
        self._load: Callable[[], Mapping[str, Handler]] | None = load
        self._handlers: Mapping[str, Handler] = {}
        self._lock = threading.Lock()

    def _loaded(self) -> Mapping[str, Handler]:
        if self._load is not None:
            with self._lock:
                if self._load is not None:
                    handlers = dict(self._load())
                    if not handlers:
                        raise ValueError("the handlers loaded on first use are none")
                    self._handlers = handlers
                    self._load = None
        return self._handlers

    def __bool__(self) -> bool:
        return True

    def __getitem__(self, kind: str) -> Handler:
        return self._loaded()[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(self._loaded())

    def __len__(self) -> int:
        return len(self._loaded())


class HandlerRegistry(Mapping[str, Handler]):
    """A mapping of job kind -> handler, filled with `register`; read-only as a `Mapping`."""

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = {}
        self._lock = threading.Lock()
        for kind, fn in (handlers or {}).items():
            self.register(kind, fn)

    def register(self, kind: str, fn: Handler, *, replace: bool = False) -> Handler:
        """Register `fn` for `kind` (a second registration of a kind needs `replace=True`)."""
        if not isinstance(kind, str) or not kind:
            raise ValueError(f"job kind must be a non-empty string, got {kind!r}")
        if not callable(fn):
            raise TypeError(f"handler for kind {kind!r} must be callable, got {fn!r}")
        with self._lock:
            existing = self._handlers.get(kind)
            if existing is not None and existing is not fn and not replace:
                raise ValueError(f"a handler for job kind {kind!r} is already registered")
            self._handlers[kind] = fn
        return fn

    def handler(self, kind: str) -> Handler:
        """The handler of `kind`, or `UnknownJobKindError` naming the registered kinds."""
        try:
            return self._handlers[kind]
        except KeyError:
            raise UnknownJobKindError(
                f"no handler registered for job kind {kind!r}; registered: {sorted(self._handlers)}"
            ) from None

    def __getitem__(self, kind: str) -> Handler:
        return self._handlers[kind]

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._handlers))

    def __len__(self) -> int:
        return len(self._handlers)


registry = HandlerRegistry()
"""The process-wide registry `python -m jobs.worker` uses (modules given with `--handlers`
register into it on import)."""


def register_handler(kind: str, fn: Handler, *, replace: bool = False) -> Handler:
    """Register `fn` for job `kind` in the process-wide `registry`; returns `fn`."""
    return registry.register(kind, fn, replace=replace)


def get_handler(kind: str) -> Handler:
    """The handler registered for `kind` in the process-wide `registry`."""
    return registry.handler(kind)


def run_follow_ups(
    job: Job, follow_ups: Sequence[FollowUp], parent: Mapping[str, str] | None = None
) -> None:
    """Call a succeeded job's follow-ups in order (`JobContext.after_success`): each in a span of
    its own, a child of `parent` (the job's span: `JobContext.trace_context`) when given; one
    that raises is logged and the next still runs (the job's result stands)."""
    from settings.tracing import span

    for follow_up in follow_ups:
        try:
            carry = {"stratigos.job_id": job.id}
            with span(f"job {job.kind} follow-up", carry=carry, parent=parent):
                follow_up()
        except Exception:
            log.exception("job %s: a follow-up after its success failed", job.id)


def load_handler_modules(modules: Sequence[str]) -> None:
    """Import each module: it registers handlers on import (`register_handler`) and/or defines
    a `HANDLERS` mapping of kind -> handler, which is registered here."""
    for name in modules:
        module = importlib.import_module(name)
        table = getattr(module, "HANDLERS", None)
        if table is not None:
            if not isinstance(table, Mapping):
                raise TypeError(f"{name}.HANDLERS must be a mapping of kind -> handler")
            for kind, fn in table.items():
                registry.register(kind, fn)
