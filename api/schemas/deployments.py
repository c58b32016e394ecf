"""The request and response bodies of `/v1/deployments` and `/v1/kill-switch`
(`api.routes.deployments`): what a deployment is created from (source, schedule, limits, hedge,
notifications, broker), how it is shown, its orders, forward tests and stored ledger exports,
and the kill switch's request and report. Their names are the OpenAPI schema's components.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from execution.deployment import MAX_CAPITAL, MIN_CAPITAL, PRICE_RESERVE, BrokerName, FirePrice
from execution.schedule import MAX_INTERVAL
from notifications.preferences import NotificationPreferences
from services.bounds import Count, Money, RequestVolModel
from store.exports import ExportFormat


class SourceIn(BaseModel):
    """What to deploy: a saved portfolio (`pf_...`) or a finished optimization job (`job_...`):
    its winner, or the trial numbered `trial` (any of its trials; the spec's notes say whether
    it met the risk limits)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["portfolio", "optimization"]
    id: str = Field(min_length=1, max_length=100)
    trial: Count | None = Field(
        default=None, description="An optimization's trial number (default: its winner)."
    )


class ScheduleIn(BaseModel):
    """When to rebalance, on the exchange's trading sessions and in its time zone: `every`
    session (or every `interval`-th, counted from `anchor`), week, month or quarter (on its
    `first` or `last` session) at `at`, or a `cron` expression; `catch_up` says what happens to
    fires missed while nothing ran. Without `every` and `cron`, the strategy's own cadence: an
    optimization's rule every `rebalance_every` sessions from its first fire (as it was
    backtested), a portfolio the first session of each week."""

    model_config = ConfigDict(extra="forbid")

    every: Literal["session", "week", "month", "quarter"] | None = None
    interval: int = Field(
        default=1, ge=1, le=MAX_INTERVAL, description="With every=session: sessions between fires."
    )
    anchor: date | None = Field(
        default=None,
        description="With every=session and an interval: the first session counted (default: "
        "the deployment's first fire).",
    )
    on: Literal["first", "last"] = "first"
    at: str = Field(default="15:45", description="Local time HH:MM.")
    cron: str | None = None
    calendar: str = "XNYS"
    catch_up: Literal["latest", "all", "none"] = "latest"


class LimitsIn(BaseModel):
    """Pre-trade and account limits (fractions of equity, except `min_trade_value`)."""

    model_config = ConfigDict(extra="forbid")

    max_turnover: float = Field(default=1.0, gt=0, le=2)
    min_trade_value: Money = Field(
        default=1.0, description="Currency: orders worth less are not sent (0 to 1e12)."
    )
    cash_buffer: float = Field(default=0.0, ge=0, lt=1)
    price_reserve: float = Field(
        default=PRICE_RESERVE,
        ge=0,
        le=0.5,
        description="Buys are sized to stay payable if prices rise this much before they fill "
        "(they fill at the next bar).",
    )
    max_position: float = Field(default=1.0, gt=0, le=1)
    max_drawdown: float | None = Field(default=None, gt=0, lt=1)


class HedgeIn(BaseModel):
    """The option hedge of a deployed strategy with an overlay (docs/deployments.md "Hedges")."""

    model_config = ConfigDict(extra="forbid")

    underlying: str = Field(
        min_length=1,
        max_length=6,
        examples=["SPY"],
        description="A symbol of the market data standing in for the risky sleeve; the hedge "
        "is sized on the sleeve's notional with a beta of 1.",
    )
    vol_model: RequestVolModel | None = Field(
        default=None,
        description="The implied-volatility model pricing the hedge's options (fields not "
        "given keep the engine's defaults).",
    )


class DeploymentIn(BaseModel):
    """A deployment to create (as a draft)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "name": "Defensive four, weekly",
                "source": {"kind": "portfolio", "id": "pf_0123456789ab"},
                "capital": 100000,
                "schedule": {"every": "week", "on": "first", "at": "15:45"},
                "limits": {"cash_buffer": 0.02, "max_drawdown": 0.2},
            }
        },
    )

    name: str = Field(min_length=1, max_length=200)
    source: SourceIn
    capital: float = Field(
        ge=MIN_CAPITAL,
        le=MAX_CAPITAL,
        allow_inf_nan=False,
        description="Currency: an amount a broker account can hold (1 to 1e12).",
    )
    schedule: ScheduleIn = Field(
        default_factory=ScheduleIn,
        description="Default: the strategy's own cadence (see ScheduleIn).",
    )
    limits: LimitsIn = Field(default_factory=LimitsIn)
    notifications: NotificationPreferences = Field(
        default_factory=NotificationPreferences,
        description="Who hears of the deployment: destinations (email or a Slack-compatible "
        "webhook) and the kinds each receives (alerts by default; fills and the daily summary "
        "when named).",
    )
    cap_leverage: bool | None = Field(
        default=None,
        description="A winner whose max_leverage exceeds 1 would borrow, which a cash account "
        "cannot: by default (null) and with true it is deployed with its leverage capped at 1 "
        "(said in the spec's notes); false refuses it.",
    )
    confirm_below_benchmarks: bool = Field(
        default=False,
        description="Deploy an optimization's winner (or trial) that does not beat every "
        "benchmark its search scored on the same paths (the result's benchmark_verdict): "
        "refused (422 naming this field, with the gap in words) unless true.",
    )
    broker: BrokerName = Field(
        default="paper",
        description="paper: its own simulated account; alpaca: the caller's Alpaca account "
        "(configured by the server's settings; refused when the caller has none, when Alpaca "
        "refuses its keys, or when another deployment trades it).",
    )
    hedge: HedgeIn | None = Field(
        default=None,
        description="The option hedge of a strategy with an overlay (required then, refused "
        "otherwise): the underlying standing in for the risky sleeve.",
    )
    account: str | None = Field(
        default=None,
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9][a-z0-9-]*$",
        description="The name of an account the caller's deployments share, the caller's own "
        "(another caller's account of the same name is another account; on paper "
        "paper-shared-<tag>-<name>, <tag> the caller's; on alpaca the caller's Alpaca account "
        "itself): at each decision time their orders are netted and traded once, each fill "
        "attributed to its strategy's own ledger. Default: its own account.",
    )


class DeploymentOut(BaseModel):
    """A deployment as the API shows it."""

    id: str
    name: str
    status: str
    mode: Literal["paper", "forward_test"] = Field(
        description="forward_test: a forward test over past data; paper: a deployment trading "
        "on its schedule, through the broker its spec names (spec.broker: paper or alpaca)."
    )
    version: int
    spec: dict[str, Any] = Field(description="What is deployed, capital, schedule and limits.")
    created_at: datetime
    updated_at: datetime
    links: dict[str, str]
    data: dict[str, Any] | None = Field(
        default=None,
        description="The market data it trades on: provider, version, first and last session "
        "of its universe's closes (start, end), the data's last session (data_end), symbols; "
        "or provider and problem when the data cannot be read.",
    )


class DeploymentList(BaseModel):
    """The caller's deployments, oldest first."""

    items: list[DeploymentOut]


class ForwardTestIn(BaseModel):
    """Paper-trade the deployment from `start` to `end` (default: the end of the data)."""

    model_config = ConfigDict(extra="forbid")

    start: date
    end: date | None = None
    fire_price: FirePrice = Field(
        default="session_close",
        description="What a fire during a session decides on: `session_close`, the session's "
        "close standing in for the price at the fire (a live run takes the latest trade; its "
        "orders fill at that close, as the backtest trades), or `previous_close`, only the "
        "closes of sessions already closed (the orders fill a session later).",
    )
    cash_rate: float | None = Field(
        default=None,
        ge=0,
        le=1,
        allow_inf_nan=False,
        description="The yearly rate the paper account's cash earns (default: the strategy's "
        "safe rate, as its backtest's safe asset earns).",
    )


class KillSwitchIn(BaseModel):
    """Which deployments to stop: all of the caller's, or those trading `account`."""

    model_config = ConfigDict(extra="forbid")

    account: str | None = Field(default=None, max_length=200, examples=["paper-dep_0123"])


class KillSwitchOut(BaseModel):
    """What the kill switch stopped (`failures`: broker calls that failed; pull it again)."""

    paused: list[str]
    cancelled_jobs: list[str]
    canceled_orders: list[str]
    failures: list[str]


class OrderOut(BaseModel):
    """An order of the execution queue as the deployment sees it, and what became of it."""

    client_order_id: str
    account: str = Field(description="The queue: the broker account (hedge-<id>: the hedge's).")
    run_id: str
    sequence: int
    symbol: str
    side: str
    quantity: float = Field(
        description="The deployment's part: on a shared account its allocation, else the "
        "order's quantity (shares, or contracts for a hedge's order)."
    )
    status: str
    attempts: int
    filled_quantity: float = Field(
        description="The deployment's part of the fills: what its book holds of the order."
    )
    order_quantity: float = Field(
        description="The whole order's quantity (on a shared account: every strategy's parts)."
    )
    order_filled_quantity: float = Field(description="The whole order's filled quantity.")
    average_price: float | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    allocations: dict[str, float] = Field(
        default_factory=dict,
        description="On a shared account: the shares each deployment asked for (they add up "
        "to the quantity); empty for a deployment's own order.",
    )
    internal_price: float | None = Field(
        default=None,
        description="On a shared account: the price of a crossing inside the account (one "
        "strategy bought what another sold; never sent to the broker).",
    )


class ExportIn(BaseModel):
    """A stored export of the ledger to create."""

    model_config = ConfigDict(extra="forbid")

    format: ExportFormat = Field(description="`csv` or `parquet`.")


class ExportOut(BaseModel):
    """A stored export of a deployment's ledger (`links.download`: its file)."""

    id: str
    deployment_id: str
    format: ExportFormat
    rows: int = Field(description="Ledger entries in the file.")
    size_bytes: int
    sha256: str = Field(description="SHA-256 of the file, hex.")
    created_at: datetime
    links: dict[str, str]


class ExportList(BaseModel):
    """A deployment's stored exports, oldest first."""

    items: list[ExportOut]
