"""A deployment: an owner's strategy bound to a broker account, capital, a rebalancing schedule
and limits, with its lifecycle (draft -> active <-> paused -> retired).

Conventions: limits are fractions of the account's equity (0.25 = 25%) except `min_trade_value`
(currency); turnover is traded value / equity before the run. `check_limits` reads an order plan
against the limits before anything is sent: the first run of a deployment (no holdings yet)
invests the capital and is exempt from the turnover limit; a target weight above
`max_position` is capped at it before planning (the rest stays in cash) by `capped_weights`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from execution.errors import DeploymentStateError
from execution.orders import OrderPlan

BrokerName = Literal["paper", "alpaca"]
"""The brokers a deployment trades through: the paper simulator, or Alpaca."""

FirePrice = Literal["session_close", "previous_close"]
"""What a fire during a session decides on, where daily closes are all the data holds:
`session_close`, the session's close standing in for the price at the fire (a live run at 15:45
takes the latest trade then, and its orders fill at that session's close, as the engine's
backtest trades at the close it decided on: about 15 minutes of the session are known early), or
`previous_close`, only the closes of sessions already closed (nothing of the fire's session:
the orders fill a whole session after the prices they were decided on). A fire outside a session
decides on the closes of the sessions closed by then either way."""

DeploymentStatus = Literal["draft", "active", "paused", "retired"]
TRANSITIONS: dict[DeploymentStatus, frozenset[DeploymentStatus]] = {
    "draft": frozenset({"active", "retired"}),
    "active": frozenset({"paused", "retired"}),
    "paused": frozenset({"active", "retired"}),
    "retired": frozenset(),
}
"""The lifecycle: which status each status may move to (retired is final)."""


MIN_CAPITAL = 1.0
MAX_CAPITAL = 1e12
"""The capital a deployment may be given (currency): at least one unit and at most a trillion,
an amount a broker account can hold, whose sums stay exact to the cent in floating point."""


PRICE_RESERVE = 0.03
"""The default rise of prices between a decision and its fills that buys stay payable after:
an equal-weight basket of the embedded stocks rose more than 3% in a day on 1.2% of the sessions
of 1990-2022 (docs/deployments.md "Sizing")."""


class DeploymentLimits(BaseModel):
    """What a rebalance run may do: `max_turnover` per run, `min_trade_value` (currency),
    `cash_buffer` kept in cash, `price_reserve` (buys are sized so that they stay payable if
    prices rise this much before they fill, as they fill at the next bar), `max_position` per
    symbol, and `max_drawdown` of the account's value from its peak before the deployment
    pauses itself (None: no limit)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_turnover: float = Field(default=1.0, gt=0, le=2, allow_inf_nan=False)
    min_trade_value: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    cash_buffer: float = Field(default=0.0, ge=0, lt=1, allow_inf_nan=False)
    price_reserve: float = Field(default=PRICE_RESERVE, ge=0, le=0.5, allow_inf_nan=False)
    max_position: float = Field(default=1.0, gt=0, le=1, allow_inf_nan=False)
    max_drawdown: float | None = Field(default=None, gt=0, lt=1, allow_inf_nan=False)


@dataclass(frozen=True)
class LimitBreach:
    """A limit a plan or an account breaks: which (`limit`), by how much (`value` against
    `allowed`), in words."""

    limit: str
    value: float
    allowed: float
    message: str


def check_transition(current: DeploymentStatus, new: DeploymentStatus) -> None:
    """Refuse a lifecycle move the deployment cannot make (`DeploymentStateError`)."""
    if new not in TRANSITIONS[current]:
        allowed = ", ".join(sorted(TRANSITIONS[current])) or "nothing (retired is final)"
        raise DeploymentStateError(
            f"a {current} deployment cannot become {new}; it can become {allowed}"
        )


def capped_weights(
    weights: Mapping[str, float], limits: DeploymentLimits
) -> tuple[dict[str, float], list[str]]:
    """`weights` with each capped at `max_position` (the excess stays in cash), and a note per
    capped symbol."""
    capped: dict[str, float] = {}
    notes: list[str] = []
    for symbol, weight in weights.items():
        if weight > limits.max_position:
            notes.append(
                f"{symbol}: target weight {weight:.2%} capped at the {limits.max_position:.2%} "
                "position limit; the rest stays in cash"
            )
            weight = limits.max_position
        capped[symbol] = weight
    return capped, notes


def check_limits(
    plan: OrderPlan, limits: DeploymentLimits, *, first_run: bool
) -> list[LimitBreach]:
    """The limits `plan` breaks (empty when it may be sent)."""
    breaches = []
    if not first_run and plan.turnover > limits.max_turnover + 1e-12:
        breaches.append(
            LimitBreach(
                "max_turnover",
                plan.turnover,
                limits.max_turnover,
                f"the plan trades {plan.turnover:.2%} of equity, more than the "
                f"{limits.max_turnover:.2%} allowed per run",
            )
        )
    return breaches


def drawdown_breach(values: list[float], limits: DeploymentLimits) -> LimitBreach | None:
    """The breach of `max_drawdown` by the account values so far (oldest first), if any: the
    drawdown is 1 - last value / highest value."""
    if limits.max_drawdown is None or not values:
        return None
    peak = max(values)
    if not (math.isfinite(peak) and peak > 0):
        return None
    drawdown = 1.0 - values[-1] / peak
    if drawdown <= limits.max_drawdown:
        return None
    return LimitBreach(
        "max_drawdown",
        drawdown,
        limits.max_drawdown,
        f"the account is {drawdown:.2%} below its peak, beyond the {limits.max_drawdown:.2%} limit",
    )
