"""Request and response models of `/v1/profile` (`api.routes.profile`): the caller's profile,
whole or in part (`services.profiles.Profile`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from notifications.preferences import NotificationPreferences
from services.bounds import VersionFromZero
from services.profiles import LimitValues, Profile, RiskTolerance

_EXAMPLE: dict[str, Any] = {
    "risk_tolerance": "conservative",
    "risk_limits": {"max_drawdown": 0.25, "cvar_95": 0.03},
    "benchmark": "SP500",
    "universe": ["AAPL", "JNJ", "KO", "MSFT", "PG", "XOM"],
    "exclusions": ["AMD", "tobacco"],
    "base_currency": "USD",
    "notifications": {"destinations": []},
}


class ProfileOut(BaseModel):
    """The caller's profile."""

    owner: str
    risk_tolerance: RiskTolerance
    risk_limits: LimitValues = Field(
        description="Default upper limits of optimization requests (fractions, positive = "
        "loss), each checked on a statistic of the simulated paths: a number is the 95th "
        "percentile ('in 95% of paths'), an object {limit, statistic} names another (mean, "
        "median, p90, p95, p99, worst)."
    )
    benchmark: str | None = Field(description="A ticker of the market data, or SP500 (the index).")
    universe: list[str] | None = Field(description="Preferred tickers (null: none).")
    exclusions: list[str] = Field(description="Tickers and industry or sector terms never held.")
    base_currency: str = Field(description="ISO 4217; USD only today.")
    notifications: NotificationPreferences
    version: int = Field(description="0 until first saved; then increases by one on every save.")
    updated_at: datetime | None


class ProfileIn(BaseModel):
    """A whole profile (fields left out take their defaults)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"example": _EXAMPLE})

    risk_tolerance: RiskTolerance = "moderate"
    risk_limits: LimitValues = Field(default_factory=LimitValues)
    benchmark: str | None = Field(default=None, max_length=20)
    universe: list[str] | None = Field(default=None, max_length=50)
    exclusions: list[str] = Field(default_factory=list, max_length=100)
    base_currency: str = Field(default="USD", max_length=10)
    notifications: NotificationPreferences = Field(default_factory=NotificationPreferences)
    version: VersionFromZero | None = Field(
        default=None, description="The version being replaced (0: none saved yet)."
    )


class ProfilePatch(BaseModel):
    """The fields to change (null resets a field to its default)."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"exclusions": ["AMD"], "version": 1}}
    )

    risk_tolerance: RiskTolerance | None = None
    risk_limits: LimitValues | None = None
    benchmark: str | None = Field(default=None, max_length=20)
    universe: list[str] | None = Field(default=None, max_length=50)
    exclusions: list[str] | None = Field(default=None, max_length=100)
    base_currency: str | None = Field(default=None, max_length=10)
    notifications: NotificationPreferences | None = None
    version: VersionFromZero | None = Field(
        default=None, description="The version being changed (0: none saved yet)."
    )


def profile_out(profile: Profile) -> ProfileOut:
    """The API view of a profile."""
    return ProfileOut.model_validate(profile.model_dump())
