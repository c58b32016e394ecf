"""`GET /v1/health`: liveness and the configured backends (no authentication)."""

from __future__ import annotations

from importlib.metadata import version

from fastapi import APIRouter

from agents.models import provider_summary
from api.context import Ctx
from api.schemas.health import Health

router = APIRouter(prefix="/v1", tags=["health"])


@router.get("/health", response_model=Health, summary="Liveness and configuration")
def health(context: Ctx) -> Health:
    """Answers without touching the store, so load balancers and the Lambda Web Adapter's
    readiness check stay cheap."""
    settings = context.settings
    return Health(
        status="ok",
        version=version("stratigos"),
        store=settings.store.backend,
        compute=settings.compute.backend,
        model_provider=provider_summary(settings),
    )
