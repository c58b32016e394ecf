"""Request and response models of `/v1/portfolios` (`api.routes.portfolios`): a saved portfolio's
weights (a list of `{"asset", "weight"}`, so a repeated asset is detectable), dataset and notes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.bounds import Version, Weight
from store import Portfolio


class WeightItem(BaseModel):
    """One asset's weight (a fraction of the portfolio's value; 0.25 = 25%)."""

    model_config = ConfigDict(extra="forbid")

    asset: str = Field(min_length=1, max_length=100, description="Asset name.", examples=["AAPL"])
    weight: Weight = Field(description="Fraction of the portfolio's value.", examples=[0.25])


_EXAMPLE: dict[str, Any] = {
    "name": "Defensive four",
    "weights": [
        {"asset": "JNJ", "weight": 0.3},
        {"asset": "KO", "weight": 0.3},
        {"asset": "PG", "weight": 0.2},
        {"asset": "XOM", "weight": 0.2},
    ],
    "dataset_id": None,
    "notes": "staples and energy",
    "allow_short": False,
}


class PortfolioIn(BaseModel):
    """A portfolio to create (or to replace an existing one with)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": _EXAMPLE})

    name: str = Field(min_length=1, max_length=200, description="Display name.")
    weights: list[WeightItem] = Field(
        min_length=1,
        max_length=2000,
        description="Weights per asset, each asset once; they must sum to 1 (within 1e-6).",
    )
    dataset_id: str | None = Field(
        default=None,
        description="The uploaded dataset whose assets these are (null: the embedded S&P 500).",
    )
    notes: str | None = Field(default=None, max_length=10_000, description="Free text.")
    allow_short: bool = Field(default=False, description="Allow negative weights.")


class PortfolioUpdate(PortfolioIn):
    """A full replacement; `version` (or the `If-Match` header) guards against lost updates."""

    model_config = ConfigDict(json_schema_extra={"example": {**_EXAMPLE, "version": 1}})

    version: Version | None = Field(
        default=None, description="The version being replaced (409 if it changed)."
    )


class PortfolioOut(BaseModel):
    """A saved portfolio."""

    id: str = Field(description="Portfolio id (`pf_...`).")
    name: str
    weights: list[WeightItem]
    dataset_id: str | None = Field(description="Dataset of the assets (null: embedded S&P 500).")
    notes: str | None
    allow_short: bool
    version: int = Field(description="Increases by one on every update.")
    created_at: datetime
    updated_at: datetime


class PortfolioList(BaseModel):
    """The caller's portfolios, oldest first."""

    items: list[PortfolioOut]


def portfolio_out(portfolio: Portfolio) -> PortfolioOut:
    """The API view of a stored portfolio."""
    data = portfolio.data
    weights = [WeightItem(asset=a, weight=w) for a, w in portfolio.weights.items()]
    return PortfolioOut(
        id=portfolio.id,
        name=portfolio.name,
        weights=weights,
        dataset_id=data.get("dataset_id"),
        notes=data.get("notes"),
        allow_short=bool(data.get("allow_short", False)),
        version=portfolio.version,
        created_at=portfolio.created_at,
        updated_at=portfolio.updated_at,
    )
