"""The trading day after the close: the post-market run, the tearsheets, the account snapshots
and the implied-volatility history (`STRATIGOS_TRADING_DAY_*`)."""

from __future__ import annotations

from datetime import time
from typing import ClassVar

from pydantic import Field, field_validator

from settings.fields import SettingsGroup


class TradingDaySettings(SettingsGroup):
    """When the jobs of the trading day run and how long their records are kept
    (trading.day); times are wall-clock times in `timezone`."""

    env_prefix: ClassVar[str] = "STRATIGOS_TRADING_DAY_"

    timezone: str = Field(
        default="America/New_York",
        description="The time zone of the times below (the exchange's, New York for XNYS).",
    )
    post_market_at: time = Field(
        default=time(21, 0),
        description="When each account's post-market run (analytics per strategy, as Parquet) "
        "starts, on every session of its calendar, once the session has closed.",
    )
    tearsheets_at: time = Field(
        default=time(21, 15),
        description="When the HTML tearsheets of a session are rendered from its analytics.",
    )
    hedge_check_at: time = Field(
        default=time(15, 45),
        description="When the daily hedge check rolls or closes each hedged deployment's options "
        "by their rules, on every session of its calendar (15 minutes before an earlier close).",
    )
    snapshot_times: list[time] = Field(
        default_factory=lambda: [time(4, 0), time(10, 0), time(16, 0), time(22, 0)],
        min_length=1,
        description="When every account is snapshotted (equity, cash, buying power, "
        "positions), every day.",
    )
    snapshot_retention_days: float = Field(
        default=90.0,
        gt=0,
        le=3_650,
        description="Days a snapshot is kept; store.retention's cleanup deletes it then.",
    )
    iv_tenor_days: int = Field(
        default=30,
        ge=7,
        le=365,
        description="The implied-volatility history records the at-the-money volatility of "
        "the listed expiry nearest this many calendar days.",
    )
    iv_max_age_days: int = Field(
        default=5,
        ge=0,
        le=30,
        description="A hedge is priced at the recorded implied volatility when the record is at "
        "most this many days older than the close it prices; else on realised volatility.",
    )

    links_base_url: str | None = Field(
        default=None,
        description="The public URL of the API and its web UI (e.g. https://stratigos.example.com) "
        "that the tearsheets' notifications link to; unset: the links are the API's paths.",
    )

    @field_validator("snapshot_times", mode="after")
    @classmethod
    def _ordered(cls, value: list[time]) -> list[time]:
        return sorted(set(value))
