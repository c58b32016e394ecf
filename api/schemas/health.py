"""Response models of `GET /v1/health` and `GET /v1/health/live` (`api.routes.health`)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel


class Liveness(BaseModel):
    """The process answers requests (nothing else is checked)."""

    status: Literal["ok"]
    version: str


class Check(BaseModel):
    """One part the service needs: `ok`, `unavailable` (with why, in general words),
    `elsewhere` (job workers that run in other processes, which this one cannot see) or `busy`
    (capacity: at its limit of requests in flight, the process refuses more at once with 503 and
    `Retry-After`; it is still ready)."""

    status: Literal["ok", "unavailable", "elsewhere", "busy"]
    problem: str | None = None


class Checks(BaseModel):
    """The store (every route needs it: read and written), the disk (room for the next write),
    the research index (documents and search), the in-process job workers and the capacity for
    more requests (`busy` while the process is at its limit of requests in flight)."""

    store: Check
    disk: Check
    index: Check
    workers: Check
    capacity: Check


class Health(BaseModel):
    """The service can serve requests (`ok`), or serves all but documents, search or jobs
    (`degraded`: `checks` says which part is down); which backends it is configured with."""

    status: Literal["ok", "degraded"]
    version: str
    store: str
    compute: str
    model_provider: str
    """One provider for every role, or `role=provider` pairs joined by commas."""
    checks: Checks
