"""The request and response bodies of the hedging kill switch (`POST /v1/hedge-kill-switch` and
its release, `api.routes.hedges`): whose hedges, and what the switch did. Their names are the
OpenAPI schema's components.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class HedgeKillIn(BaseModel):
    """Whose hedges: all of the caller's deployments with one, or `deployment_id`'s."""

    model_config = ConfigDict(extra="forbid")

    deployment_id: str | None = Field(default=None, max_length=100)


class HedgeKillOut(BaseModel):
    """What the switch did: deployments halted or released, hedge orders canceled, the closing
    orders (symbol, side, contracts, status, average price) and failures (pull it again)."""

    halted: list[str]
    released: list[str]
    canceled_orders: list[str]
    closed: list[dict[str, Any]]
    failures: list[str]
