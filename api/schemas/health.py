"""Response model of `GET /v1/health` (`api.routes.health`)."""

from __future__ import annotations

from pydantic import BaseModel


class Health(BaseModel):
    """The service is up; which backends it is configured with."""

    status: str
    version: str
    store: str
    compute: str
    model_provider: str
    """One provider for every role, or `role=provider` pairs joined by commas."""
