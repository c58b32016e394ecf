"""`GET /v1/health` (readiness) and `GET /v1/health/live` (liveness), without authentication.

Liveness says the process answers; it touches nothing, for the Lambda Web Adapter's start-up
check and load balancers that restart a process which stopped answering. Readiness reads the
store (one page of the system owner's jobs), opens the research index and counts the
in-process job workers: 503 in the error format when the store cannot be read (no route can
serve), 200 `degraded` when only the index or a worker is down. What is down is named in
general words; the reason (paths, endpoints) goes to the server log only, as the route is open
to anyone.
"""

from __future__ import annotations

import logging
from importlib.metadata import version

from fastapi import APIRouter

from agents.models import provider_summary
from api.context import AppContext, Ctx
from api.errors import ApiError, ErrorResponse
from api.schemas.health import Check, Checks, Health, Liveness
from jobs.worker import SYSTEM_OWNER
from research.index import ResearchIndexError
from store import StoreError

log = logging.getLogger("stratigos.api.health")

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health/live", response_model=Liveness, summary="Liveness")
def live() -> Liveness:
    """The process answers (nothing else is checked)."""
    return Liveness(status="ok", version=version("stratigos"))


def _store_check(context: AppContext) -> Check:
    try:
        context.store.list_jobs(SYSTEM_OWNER, limit=1)
    except StoreError as exc:
        log.error("readiness: the store cannot be read: %s", exc)
        return Check(status="unavailable", problem="the store cannot be read")
    return Check(status="ok")


def _index_check(context: AppContext) -> Check:
    try:
        context.research_index  # noqa: B018 - opening it is the check
    except (ResearchIndexError, OSError) as exc:
        log.error("readiness: the research index cannot be opened: %s", exc)
        return Check(status="unavailable", problem="the research index cannot be opened")
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
    responses={503: {"model": ErrorResponse, "description": "The store cannot be read"}},
)
def health(context: Ctx) -> Health:
    """Whether the service can serve requests, part by part (see the module docstring)."""
    checks = Checks(
        store=_store_check(context), index=_index_check(context), workers=_workers_check(context)
    )
    if checks.store.status != "ok":
        raise ApiError(
            503,
            "UNAVAILABLE",
            "not ready: the store cannot be read; retry later",
            [("store", checks.store.problem or "unavailable")],
            headers={"Retry-After": "5"},
        )
    settings = context.settings
    down = checks.index.status == "unavailable" or checks.workers.status == "unavailable"
    return Health(
        status="degraded" if down else "ok",
        version=version("stratigos"),
        store=settings.store.backend,
        compute=settings.compute.backend,
        model_provider=provider_summary(settings),
        checks=checks,
    )
