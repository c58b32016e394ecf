"""What every request handler shares: settings, the store, the job runner, auth and limits.

One `AppContext` per app (`request.app.state.context`). The store opens on first use, so
importing `api.app` (uvicorn, the Lambda handlers) does no I/O. With `api_job_workers > 0` (the
embedded default) jobs run in worker threads of the API process; with 0 they run in separate
workers (`python -m jobs.worker --handlers graphs.job_handlers`, or the SQS worker on AWS).
"""

from __future__ import annotations

import importlib
import logging
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

from fastapi import Depends, Request, UploadFile
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.admission import Admission
from api.agent_protocol.chat_runs import RunRegistry
from api.agent_protocol.run_records import RunTiming
from api.auth import Authenticator, Principal
from api.errors import ApiError
from api.limits import RateLimiter
from api.memory import release_free_memory
from api.probe_thread import ProbeThread
from api.thread_turns import AppTurns
from jobs.handlers import Handler, HandlerRegistry, HandlersOnFirstUse
from jobs.job_runner import JobRunner
from jobs.queue import JobQueue
from services.work_bounds import WorkBound
from settings import Settings, get_settings
from store import Job, Store
from store.factory import open_store

if TYPE_CHECKING:
    from research.index import ResearchIndex

log = logging.getLogger("stratigos.api")
T = TypeVar("T")


EVALUATION_RETRY_AFTER_S = 2
"""`Retry-After` of a full evaluation refused at the bound: one takes up to seconds."""
ESTIMATE_RETRY_AFTER_S = 1
"""`Retry-After` of an estimate refused at the bound: one takes milliseconds (an endpoint's
call, up to its timeout)."""
UPLOAD_RETRY_AFTER_S = 5
"""`Retry-After` of an upload refused at the bound: reading one takes seconds."""

JOB_THREAD_SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits, with in-process job workers."""


class AppContext:
    """The app's shared services (thread-safe, opened lazily)."""

    def __init__(self, settings: Settings | None = None, store: Store | None = None) -> None:
        self.settings = settings or get_settings()
        self._store = store
        self._owns_store = store is None
        self._lock = threading.Lock()
        self._runner: JobRunner | None = None
        self._authenticator: Authenticator | None = None
        self._queue: JobQueue | None = None
        self.turns = AppTurns()
        """The chat turns this app runs (none goes on after `close`)."""
        self.runs = RunRegistry()
        """The Agent Protocol runs this app executes (their live frames)."""
        self.run_timing = RunTiming()
        """Leases, heartbeats and polling of Agent Protocol runs (tests shorten them)."""
        self.buffered = False
        """True behind a buffering adapter (Mangum): event streams end instead of following."""
        api = self.settings.api
        self.rate_limiter = RateLimiter(api.rate_limit_per_minute, api.rate_limit_burst)
        """The per-caller limit (429)."""
        self.admission = Admission(
            api.max_in_flight,
            RateLimiter(api.global_rate_limit_per_minute, api.global_rate_limit_burst),
        )
        """The process's limits: requests in flight and the global rate (503)."""
        self.probes = ProbeThread("readiness")
        """Where readiness runs its blocking checks (never the request threads)."""
        self.evaluations = WorkBound(
            "full evaluations", api.max_evaluations, "body.evaluate", EVALUATION_RETRY_AFTER_S
        )
        """Full evaluations this process runs at once (`services.work_bounds`)."""
        self.estimates = WorkBound(
            "estimates", api.max_estimates, "body.config", ESTIMATE_RETRY_AFTER_S
        )
        """Instant estimates this process computes at once."""
        self.uploads = WorkBound(
            "uploads being read",
            self.settings.documents.parse_workers,
            "file",
            UPLOAD_RETRY_AFTER_S,
        )
        """Uploads this process reads at once (each in a child process)."""

    @property
    def store(self) -> Store:
        """The configured store (opened on first use)."""
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self.settings.ensure_data_dir()
                    self._store = open_store(self.settings)
        return self._store

    @property
    def research_index(self) -> ResearchIndex:
        """The research index of the documents library (opened on first use)."""
        from services.research import research_index  # the index's libraries on first use

        return research_index(self.settings)

    @property
    def runner(self) -> JobRunner:
        """Submits, follows and (with `api_job_workers > 0`) runs jobs."""
        if self._runner is None:
            store = self.store
            with self._lock:
                if self._runner is None:
                    handlers = HandlersOnFirstUse(_job_handlers)
                    self._runner = JobRunner(store, handlers=handlers, settings=self.settings)
        return self._runner

    @property
    def authenticator(self) -> Authenticator:
        """Verifies API keys and bearer tokens."""
        if self._authenticator is None:
            store = self.store
            with self._lock:
                if self._authenticator is None:
                    self._authenticator = Authenticator(store, self.settings)
        return self._authenticator

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a store-bound call from an async route: inline on the embedded SQLite store
        (sub-millisecond, no thread hop), in the thread pool for network-backed stores."""
        if self.settings.store.backend == "sqlite" and not self.settings.jobs.queue_url:
            return fn(*args, **kwargs)
        return await run_in_threadpool(fn, *args, **kwargs)

    async def read_upload(self, file: UploadFile, limit: int, work: Callable[[bytes], T]) -> T:
        """`work` on the first `limit` + 1 bytes of an uploaded `file` (one byte past the limit
        is enough to refuse it), in a worker thread, in one of the `documents.parse_workers`
        places for uploads of this process (`uploads`: with none free, `BusyError` at once, a
        429 with `Retry-After`). Afterwards the free pages of the server's heaps go back to the
        system (`api.memory.release_free_memory`)."""

        def run() -> T:
            try:
                return work(file.file.read(limit + 1))
            finally:
                release_free_memory()

        with self.uploads.held():
            return await run_in_threadpool(run)

    async def submit(self, submission: Callable[..., T], *args: Any) -> T:
        """Run `submission(*args)`, an async route's submission of work (a job, an Agent
        Protocol run), in a worker thread whatever the store (never inline as `call` runs on
        SQLite): its checks may read the configured market data (an optimization request's,
        `graphs.request`; a deployment's run now or forward test: loading the data takes half
        a second, or waits for the start-up's warm-up loading it), and the runner's first
        submission loads the job handlers (`jobs.handlers.HandlersOnFirstUse`: graphs, trading
        runs, reports, seconds of imports; once, later submissions load nothing). On the event
        loop either would keep it from answering anything meanwhile, health checks included."""
        return await run_in_threadpool(submission, *args)

    @staticmethod
    async def load(module: str) -> None:
        """Import `module` in a worker thread: an async route's first use of a module with heavy
        libraries (pandas, parsers) would otherwise import them on the event loop, or wait
        there for another thread importing them (the start-up's warm-up)."""
        if module not in sys.modules:
            await run_in_threadpool(importlib.import_module, module)

    def notify_submitted(self, job: Job) -> None:
        """Wake the in-process workers, and announce a new job on the SQS queue when one is
        configured (AWS); a failed announcement is logged, and the scheduled cleanup announces
        stale pending jobs again."""
        if job.status != "pending":
            return
        if self._runner is not None:
            self._runner.wake()  # in-process workers start it now
        if not self.settings.jobs.queue_url:
            return
        try:
            if self._queue is None:
                self._queue = JobQueue.from_settings(self.settings)
            if self._queue is not None:
                self._queue.announce(job)
        except Exception:  # the job is stored; a later sweep announces it
            log.exception("could not announce job %s on the queue", job.id)

    def live_workers(self) -> int:
        """How many in-process job workers are running (0 before `start`)."""
        return 0 if self._runner is None else self._runner.live_workers()

    def start(self) -> None:
        """Start the in-process job workers (if configured)."""
        if self.settings.api.job_workers > 0:
            # a job thread then competes with the request handlers for the GIL: hand it over
            # every 1 ms instead of 5 ms (measured: p99 of status reads under load 300 -> 170 ms)
            sys.setswitchinterval(JOB_THREAD_SWITCH_INTERVAL)
            self.runner.start(self.settings.api.job_workers)

    def close(self) -> None:
        """Stop the chat turns (refused from now on; those under way stop before their next
        step, waited for: `AppTurns.close`) and the workers, and close the store if this context
        opened it."""
        self.turns.close()
        if self._runner is not None:
            self._runner.stop(timeout=5.0)
        self.probes.close()
        if self._owns_store and self._store is not None:
            self._store.close()
            self._store = None
            # both hold the closed store: a later start (another lifespan) builds new ones
            self._runner = None
            self._authenticator = None


def _job_handlers() -> HandlerRegistry:
    """Every job kind the API's workers run: optimizations, deployments' runs, tearsheets, the
    Agent Protocol's crons (their graphs, trading runs and reports imported when jobs are first
    looked for)."""
    from api.agent_protocol.cron_runs import HANDLERS as CRON_HANDLERS
    from api.tearsheet_jobs import HANDLERS as TEARSHEET_HANDLERS
    from graphs.job_handlers import KIND as OPTIMIZATION_KIND
    from graphs.job_handlers import optimization_handler
    from trading.execution_jobs import HANDLERS as EXECUTION_HANDLERS

    handlers: dict[str, Handler] = {OPTIMIZATION_KIND: optimization_handler}
    return HandlerRegistry(
        {**handlers, **EXECUTION_HANDLERS, **TEARSHEET_HANDLERS, **CRON_HANDLERS}
    )


async def get_context(request: Request) -> AppContext:
    """The app's context (a FastAPI dependency)."""
    context: AppContext = request.app.state.context
    return context


_api_key_header = APIKeyHeader(
    name="x-api-key", auto_error=False, description="An API key from `stratigos keys create`."
)
_bearer = HTTPBearer(auto_error=False, description="A Cognito id or access token (JWT).")


async def current_principal(
    context: Annotated[AppContext, Depends(get_context)],
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    request: Request,
) -> Principal:
    """The authenticated caller, after the rate limit (a FastAPI dependency)."""
    authorization = request.headers.get("authorization") if bearer is None else None
    if bearer is not None:
        authorization = f"{bearer.scheme} {bearer.credentials}"
    host = request.client.host if request.client else None
    return await authenticated_caller(context, api_key, authorization, host)


async def authenticated_caller(
    context: AppContext, api_key: str | None, authorization: str | None, host: str | None
) -> Principal:
    """The caller these credentials name, after the rate limit (`ApiError` 401/403/429). A
    failed attempt counts against the client address `host`. The REST routes and `/mcp` both
    authenticate with it."""
    try:
        principal = await context.call(context.authenticator.authenticate, api_key, authorization)
    except ApiError as exc:
        if exc.status == 401:  # failed attempts count against the client address
            context.rate_limiter.check(f"ip:{host or '-'}")
        raise
    context.rate_limiter.check(f"{principal.method}:{principal.credential_id}")
    return principal


Ctx = Annotated[AppContext, Depends(get_context)]
"""Route parameter type: the app context."""

Caller = Annotated[Principal, Depends(current_principal)]
"""Route parameter type: the authenticated caller (401/403/429 otherwise)."""
