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
    `elsewhere` (job workers that run in other processes, which this one cannot see), or
    `loading` (a server that has just started: the part comes up once the app has loaded)."""

    status: Literal["ok", "unavailable", "elsewhere", "loading"]
    problem: str | None = None


class Checks(BaseModel):
    """The store (every route needs it), the research index (documents and search), the
    in-process job workers, the capacity for more requests (`unavailable` while the process
    is at its limit of requests in flight) and the routes (`loading` while a server that has
    just started imports them: requests then wait until they are loaded)."""

    store: Check
    index: Check
    workers: Check
    capacity: Check
    routes: Check


class Health(BaseModel):
    """The service can serve requests (`ok`), serves all but documents, search or jobs
    (`degraded`: `checks` says which part is down), or has just started and is loading its
    routes (`starting`: it accepts requests, which wait until the routes are loaded); which
    backends it is configured with."""

    status: Literal["ok", "degraded", "starting"]
    version: str
    store: str
    compute: str
    model_provider: str
    """One provider for every role, or `role=provider` pairs joined by commas."""
    checks: Checks
