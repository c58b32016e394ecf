"""`GET /v1/health` (readiness) and `GET /v1/health/live` (liveness), without authentication.

Liveness says the process answers; it touches nothing and never depends on load, for the Lambda
Web Adapter's start-up check and load balancers that restart a process which stopped answering.
Readiness says whether the process can serve: it reads the store (one page of the system owner's
jobs) and writes to it (`Store.check_writable`: one record replaced, the store never grows),
reads the free space of the data directory's disk (and the SQLite store's, when elsewhere),
opens the research index (a local one: checks that its directory exists, owner-only, and can be
read and written, which is all opening it checks, without loading LanceDB), counts the in-process
job workers and the requests in flight. 503 in the error format with `Retry-After` when the store
cannot be read or written within `CHECK_TIMEOUT_S` or the disk has less room than the largest
upload the API accepts (`api_max_upload_bytes`: the next write may not fit): no route that
writes could serve. 200 `degraded` when only the index or a worker is down. A process at its
limit of requests in flight is ready: it answers what it admits and refuses the rest at once
with 503 + `Retry-After` (`api.admission`), so readiness stays 200 and says `busy` for
`capacity` (a load balancer that took busy instances out would take them all out at the peak).
A server still loading its routes answers 503 naming `routes` itself (`api.startup`). What is
down is named in general words; the reason (paths, endpoints) goes to the server log only, as
the route is open to anyone.

Neither waits behind the application's work: both run on the event loop (no request thread),
are never counted nor refused by admission control, and readiness's blocking checks run in a
thread of their own (`api.probe_thread`): readiness answers with their latest results, checked
again in the background once older than `CHECK_REFRESH_S`, and waits only when it has none
younger than `CHECK_MAX_AGE_S`. The count of requests in flight is read at each call.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from functools import cache
from importlib import metadata

from agents.providers import provider_summary
from api.context import AppContext, Ctx
from api.errors import ApiError, ErrorResponse
from api.route_defaults import api_router
from api.schemas.health import Check, Checks, Health, Liveness
from jobs.worker import SYSTEM_OWNER
from research.index_terms import ResearchIndexError, is_remote, open_local_directory
from settings import Settings
from store import StoreError

log = logging.getLogger("stratigos.api.health")

router = api_router(prefix="/v1", tags=["health"])

CHECK_TIMEOUT_S = 10.0
"""How long readiness waits for a blocking check (the store, the research index) when it has
no recent result."""
CHECK_REFRESH_S = 0.5
"""A check's result older than this is checked again (in the background) when asked."""
CHECK_MAX_AGE_S = 5.0
"""A check's result is answered at most this old; an older one is waited for."""
NOT_READY_RETRY_AFTER_S = 5
"""`Retry-After` of a 503 from readiness."""


@cache
def version() -> str:
    """Stratigos' installed version (read once: reading package metadata costs milliseconds)."""
    return metadata.version("stratigos")


@router.get("/health/live", response_model=Liveness, summary="Liveness")
async def live() -> Liveness:
    """The process answers (nothing else is checked)."""
    return Liveness(status="ok", version=version())


def _store_check(context: AppContext) -> Check:
    try:
        context.store.list_jobs(SYSTEM_OWNER, limit=1)
    except StoreError as exc:
        log.error("readiness: the store cannot be read: %s", exc)
        return Check(status="unavailable", problem="the store cannot be read")
    try:
        context.store.check_writable()
    except StoreError as exc:
        log.error("readiness: the store cannot be written: %s", exc)
        return Check(status="unavailable", problem="the store cannot be written")
    return Check(status="ok")


def _disk_directories(settings: Settings) -> list[str]:
    """The directories whose disks the server writes to: the data directory and, when it is
    elsewhere, the SQLite store's."""
    directories = [str(settings.data_dir)]
    sqlite_path = settings.store.sqlite_path
    if settings.store.backend == "sqlite" and sqlite_path is not None:
        directories.append(str(sqlite_path.parent))
    return directories


def _disk_check(context: AppContext) -> Check:
    needed = context.settings.api.max_upload_bytes
    for directory in _disk_directories(context.settings):
        try:
            free = shutil.disk_usage(directory).free
        except OSError as exc:
            log.error("readiness: the free space of %s cannot be read: %s", directory, exc)
            return Check(status="unavailable", problem="the disk cannot be read")
        if free < needed:
            log.error(
                "readiness: the disk of %s has %d bytes free, less than the largest upload "
                "(%d bytes, api_max_upload_bytes)",
                directory,
                free,
                needed,
            )
            return Check(status="unavailable", problem="the disk is full")
    return Check(status="ok")


def _index_check(context: AppContext) -> Check:
    uri = context.settings.resolved_research_index_uri()
    try:
        if is_remote(uri):
            context.research_index  # noqa: B018 - opening it (its client) is the check
        else:  # its directory: what opening it checks, without loading LanceDB
            open_local_directory(uri)
    except (ResearchIndexError, OSError) as exc:
        log.error("readiness: the research index cannot be opened: %s", exc)
        return Check(status="unavailable", problem="the research index cannot be opened")
    return Check(status="ok")


async def _probe(context: AppContext, part: str, check: Callable[[AppContext], Check]) -> Check:
    try:
        return await context.probes.run(
            part,
            lambda: check(context),
            refresh_after=CHECK_REFRESH_S,
            max_age=CHECK_MAX_AGE_S,
            timeout=CHECK_TIMEOUT_S,
        )
    except TimeoutError:
        log.error("readiness: the %s check did not finish within %g s", part, CHECK_TIMEOUT_S)
        return Check(status="unavailable", problem=f"the {part} did not answer in time")


def _capacity_check(context: AppContext) -> Check:
    admission = context.admission
    if admission.saturated():
        return Check(
            status="busy",
            problem=f"{admission.in_flight} of {admission.max_in_flight} requests in flight; "
            "more are refused with Retry-After",
        )
    return Check(status="ok")


def _workers_check(context: AppContext) -> Check:
    wanted = context.settings.api.job_workers
    if wanted == 0:
        return Check(status="elsewhere")
    running = context.live_workers()
    if running < wanted:
        return Check(status="unavailable", problem=f"{running} of {wanted} job workers are running")
    return Check(status="ok")


@router.get(
    "/health",
    response_model=Health,
    summary="Readiness",
    responses={
        503: {
            "model": ErrorResponse,
            "description": "The store cannot be read or written, or the disk is full",
        }
    },
)
async def health(context: Ctx) -> Health:
    """Whether the service can serve requests, part by part (see the module docstring)."""
    checks = Checks(
        store=await _probe(context, "store", _store_check),
        disk=await _probe(context, "disk", _disk_check),
        index=await _probe(context, "research index", _index_check),
        workers=_workers_check(context),
        capacity=_capacity_check(context),
    )
    down = [
        (part, check.problem or "unavailable")
        for part, check in (("store", checks.store), ("disk", checks.disk))
        if check.status != "ok"
    ]
    if down:
        raise ApiError(
            503,
            "UNAVAILABLE",
            f"not ready: {', '.join(problem for _, problem in down)}; retry later",
            down,
            headers={"Retry-After": str(NOT_READY_RETRY_AFTER_S)},
        )
    settings = context.settings
    degraded = checks.index.status == "unavailable" or checks.workers.status == "unavailable"
    return Health(
        status="degraded" if degraded else "ok",
        version=version(),
        store=settings.store.backend,
        compute=settings.compute.backend,
        model_provider=provider_summary(settings),
        checks=checks,
    )
