"""What a rebalance run decides before it sends anything: the targets, the order plan and the
limits it would break.

A deployed strategy is either a rule (`RuleStrategy`: a `StrategyConfig` over a universe of
symbols with a safe rate, whose targets are `quant.targets.target_weights` on the closing prices
known at the time of the run) or fixed weights (`FixedWeights`, e.g. a saved portfolio).
Deployments trade cash accounts: a rule whose `max_leverage` exceeds 1 could borrow and is
refused when the strategy is built.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from execution.deployment import DeploymentLimits, LimitBreach, capped_weights, check_limits
from execution.errors import OrderPlanError
from execution.orders import OrderPlan, PlanRules, plan_orders
from quant.strategy import StrategyConfig


@dataclass(frozen=True)
class RuleStrategy:
    """A `StrategyConfig` over `universe` (symbols), the safe asset earning `safe_rate` a year."""

    config: StrategyConfig
    universe: tuple[str, ...]
    safe_rate: float = 0.0

    def __post_init__(self) -> None:
        if self.config.max_leverage > 1:
            raise OrderPlanError(
                f"max_leverage {self.config.max_leverage:g} could borrow: deployments trade "
                "cash accounts, so it must be at most 1"
            )
        if not self.universe or len(set(self.universe)) != len(self.universe):
            raise OrderPlanError("universe must name at least one symbol, each once")

    @property
    def history_days(self) -> int:
        """Closing prices a run needs: the lookback's returns and the price before them."""
        return self.config.lookback + 1

    def targets(self, closes: pd.DataFrame) -> dict[str, float]:
        """Target weights from `closes` (the universe's closing prices up to the run, oldest
        first; the last `history_days` rows are used)."""
        position = {symbol: i for i, symbol in enumerate(closes.columns.tolist())}
        missing = [symbol for symbol in self.universe if symbol not in position]
        if missing:
            raise OrderPlanError(f"no prices for {', '.join(missing)}")
        columns = [position[symbol] for symbol in self.universe]
        # the frame's array, not a frame of its last rows: pandas' indexing costs more than the
        # arithmetic in a run (the same numbers either way)
        window = closes.to_numpy(dtype=float)[-self.history_days :][:, columns]
        return self.targets_from(window, self.universe)

    def targets_from(self, window: np.ndarray, symbols: Sequence[str]) -> dict[str, float]:
        """Target weights from `window`: the last `history_days` closing prices (rows, oldest
        first) of the universe's `symbols` (columns, in that order)."""
        from quant.targets import target_weights_of  # the engine's kernels on first use

        returns = window[1:] / window[:-1] - 1.0
        return target_weights_of(self.config, returns, symbols, self.safe_rate).weights


@dataclass(frozen=True)
class FixedWeights:
    """The same weights at every run (symbol -> fraction of equity, summing to at most 1)."""

    weights: Mapping[str, float]
    history_days: int = field(default=1, init=False)

    def __post_init__(self) -> None:
        total = sum(self.weights.values())
        if not self.weights or any(
            not (math.isfinite(w) and w >= 0) for w in self.weights.values()
        ):
            raise OrderPlanError("weights must be numbers >= 0, at least one")
        if total > 1 + 1e-9:
            raise OrderPlanError(f"weights sum to {total:.6g}, more than 1")

    @property
    def universe(self) -> tuple[str, ...]:
        """The symbols held."""
        return tuple(sorted(self.weights))

    def targets(self, closes: pd.DataFrame) -> dict[str, float]:
        """The fixed weights (prices do not change them)."""
        return dict(self.weights)


DeployedStrategy = RuleStrategy | FixedWeights


@dataclass(frozen=True)
class RebalanceDecision:
    """The targets after the position cap, the plan to reach them, the limits it breaks (it is
    sent only when there are none), and notes for the run's record."""

    targets: dict[str, float]
    plan: OrderPlan
    breaches: list[LimitBreach]
    notes: list[str]


def decide_rebalance(
    strategy: DeployedStrategy,
    closes: pd.DataFrame,
    holdings: Mapping[str, float],
    cash: float,
    limits: DeploymentLimits,
    *,
    fractional: bool,
    rules: PlanRules | None = None,
) -> RebalanceDecision:
    """The decision of a run with the account at `holdings` and `cash`, on `closes` (closing
    prices known at the run, oldest first: the last row prices the plan). `rules` gives the
    cost estimates; its sizing settings are taken from `limits` and `fractional`."""
    targets, notes = capped_weights(strategy.targets(closes), limits)
    return rebalance_to(
        targets, last_prices(closes), holdings, cash, limits, fractional=fractional, rules=rules,
        notes=notes,
    )  # fmt: skip


def rebalance_to(
    targets: Mapping[str, float],
    last: Mapping[str, float],
    holdings: Mapping[str, float],
    cash: float,
    limits: DeploymentLimits,
    *,
    fractional: bool,
    rules: PlanRules | None = None,
    notes: list[str] | None = None,
) -> RebalanceDecision:
    """The decision of a run moving the account at `holdings` and `cash` to `targets` (capped
    weights) at the prices `last` (symbol -> the last close known), as `decide_rebalance`."""
    prices = {
        str(symbol): float(last[symbol])
        for symbol in set(targets) | set(holdings)
        if symbol in last
    }
    base = rules or PlanRules()
    plan_rules = PlanRules(
        fractional=fractional,
        min_trade_value=limits.min_trade_value,
        cash_buffer=limits.cash_buffer,
        price_reserve=limits.price_reserve,
        commission_per_share=base.commission_per_share,
        commission_bps=base.commission_bps,
        slippage_bps=base.slippage_bps,
    )
    plan = plan_orders(holdings, cash, prices, targets, plan_rules)
    first_run = not any(quantity > 0 for quantity in holdings.values())
    breaches = check_limits(plan, limits, first_run=first_run)
    return RebalanceDecision(dict(targets), plan, breaches, (notes or []) + plan.notes)


def last_prices(closes: pd.DataFrame) -> dict[Any, float]:
    """The last row of `closes` (symbol -> price) as a dict of floats, read from the frame's
    array at once (a row Series, and a lookup in it per symbol, cost tens of microseconds each:
    a hot loop's time)."""
    row = closes.to_numpy(dtype=float)[-1].tolist()
    return dict(zip(closes.columns.tolist(), row, strict=True))
