"""`GET /v1/health`: liveness and the configured backends (no authentication)."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter
from pydantic import BaseModel

from agents.models import provider_summary
from api.context import Ctx

router = APIRouter(prefix="/v1", tags=["health"])


class Health(BaseModel):
    """The service is up; which backends it is configured with."""

    status: str
    version: str
    store: str
    compute: str
    model_provider: str
    """One provider for every role, or `role=provider` pairs joined by commas."""


@router.get("/health", response_model=Health, summary="Liveness and configuration")
def health(context: Ctx) -> Health:
    """Answers without touching the store, so load balancers and the Lambda Web Adapter's
    readiness check stay cheap."""
    settings = context.settings
    return Health(
        status="ok",
        version=version("stratigos"),
        store=settings.store_backend,
        compute=settings.compute_backend,
        model_provider=provider_summary(settings),
    )
