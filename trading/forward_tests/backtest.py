"""The backtests a deployment's account is compared with, over the sessions it traded.

- **The deployed backtest** (`deployed_backtest`): the strategy exactly as deployed, simulated by
  the engine's day rules (`quant.engine.held_runs`): at each of the deployment's fires the
  targets it decides on the prices known then (`Fire`, `trading.deployments.FirePrice`) (its rule's `quant.targets.target_weights`, or its
  fixed weights, capped at `max_position`), traded at the close they were decided on, each asset
  then held drifting with its price until the next fire, the rest in the safe asset earning the
  rule's safe rate, trades costing the rule's `cost_bps`. It starts with the capital in cash, as
  the account does, and makes its first trade at the close where the account's first orders fill
  (the two start investing together); later trades are at the close they were decided on. This
  is the line beside the account; what separates them is `trading.forward_tests.tracking`.
- **The searched backtest** (`searched_backtest`): the strategy as it was searched, the engine's
  `evaluate(...).series` of its `StrategyConfig` (rebalancing every `rebalance_every` sessions
  from the first session; a single sleeve is the equal-weight basket rebalanced daily), or fixed
  weights held every day. It differs from the deployed backtest by the schedule (when the
  deployment does not follow the strategy's own cadence) and the basket's drift.

A deployment with an option hedge is compared with the searched backtest holding the overlay
(priced by the hedge's `vol_model`): the held simulation trades no options.

The engine evaluates at least two days after a config's lookback; a deployment's first two
sessions are fewer, so the searched backtest then runs on days of zero returns appended after the
last session and shows none of them (the engine is causal: the sessions' values are those a
longer history gives them, `tests/trading/forward_tests/test_young_backtest.py`).
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from execution.deployment import DeploymentLimits, capped_weights
from execution.rebalance import DeployedStrategy, FixedWeights, RuleStrategy
from execution.schedule import session_datetimes
from quant.engine import evaluate
from quant.engine.held_runs import held_wealth
from quant.engine.inputs import MIN_EVALUATION_DAYS
from quant.estimators import PERIODS_PER_YEAR
from trading.deployments import fire_price_of, safe_rate_of, schedule_of
from trading.hedges import spec_vol_model


@dataclass(frozen=True)
class Fire:
    """A fire of the deployment's schedule: its time, the row of `closes` of the last price known
    then (what it decides on: see `trading.deployments.FirePrice`) and of the first close after it (where its orders
    fill; None after the last session)."""

    time: datetime
    decision_row: int
    fill_row: int | None


def deployment_fires(
    spec: Mapping[str, Any], sessions: pd.DataFrame, closes: pd.DataFrame
) -> list[Fire]:
    """The fires of the spec's schedule from the first session's open to the last session's
    close, on sessions the market data prices (a session without prices cannot be traded),
    deciding on the prices the spec's `fire_price` says (`fire_price_of`)."""
    schedule = schedule_of(spec)
    during = fire_price_of(spec) == "session_close"
    open_times = session_datetimes(sessions["open"])
    first_open = open_times[0]
    last_close = sessions["close"].iloc[-1].to_pydatetime()
    priced = {day.date() for day in sessions.index}
    close_times = session_datetimes(sessions["close"])
    close_rows = closes.index.get_indexer(sessions.index)
    fires = []
    for fire in schedule.fires_between(first_open, last_close):
        if fire.astimezone(schedule.time_zone).date() not in priced:
            continue
        closed = bisect.bisect_right(close_times, fire)
        decision = int(close_rows[closed - 1]) if closed else int(close_rows[0]) - 1
        fill = int(close_rows[closed]) if closed < len(close_rows) else None
        if during and fill is not None and open_times[closed] <= fire:  # within that session
            decision = fill
        fires.append(Fire(fire, decision, fill))
    return fires


def deployed_targets(
    strategy: DeployedStrategy, closes: pd.DataFrame, spec: Mapping[str, Any], fires: list[Fire]
) -> list[np.ndarray]:
    """The capped target weights (in the order of `closes`' columns) each fire decides: those
    a run decides on the closes known at the fire (`RuleStrategy.targets`)."""
    limits = DeploymentLimits.model_validate(spec["limits"])
    columns = [str(c) for c in closes.columns]
    if isinstance(strategy, FixedWeights):
        fixed, _ = capped_weights(strategy.weights, limits)
        return [np.array([fixed.get(c, 0.0) for c in columns])] * len(fires)
    history = strategy.history_days
    universe = closes.loc[:, list(strategy.universe)]
    prices = universe.to_numpy(dtype=float)
    targets = []
    for fire in fires:
        window = prices[fire.decision_row + 1 - history : fire.decision_row + 1]
        capped, _ = capped_weights(strategy.targets_from(window, strategy.universe), limits)
        targets.append(np.array([capped.get(c, 0.0) for c in columns]))
    return targets


def held_values(
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    capital: float,
    trades: list[tuple[int, np.ndarray]],
    *,
    safe_rate: float,
    cost_bps: float,
) -> pd.Series:
    """The value at each session's close of `capital` held from the close before the first
    session, traded to the weights of `trades` ((row of `closes`, weights) in any order; of
    several on one row the last counts) and drifting in between (`held_wealth`)."""
    rows = closes.index.get_indexer(sessions.index)
    start = int(rows[0]) - 1
    last = {row: weights for row, weights in trades if start <= row <= rows[-1]}
    ordered = [(row - start, last[row]) for row in sorted(last)]
    prices = closes.to_numpy(dtype=float)[start : int(rows[-1]) + 1]
    safe = np.full(len(prices), safe_rate / PERIODS_PER_YEAR)
    wealth = held_wealth(prices, safe, ordered, cost_bps=cost_bps)
    return pd.Series(capital * wealth[rows - start], index=sessions.index)


def deployed_backtest(
    strategy: DeployedStrategy,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    capital: float,
    spec: Mapping[str, Any],
    decisions: tuple[list[Fire], list[np.ndarray]] | None = None,
) -> pd.Series:
    """The deployed backtest's value at each of `sessions` (see the module docstring);
    `decisions`: the fires and their targets when already known (`deployment_fires`,
    `deployed_targets`)."""
    if "hedge" in spec:
        return searched_backtest(strategy, closes, sessions, capital, spec)
    if decisions is None:
        fires = deployment_fires(spec, sessions, closes)
        decisions = fires, deployed_targets(strategy, closes, spec, fires)
    fires, targets = decisions
    trades = [(f.decision_row, w) for f, w in zip(fires, targets, strict=True)]
    if fires and fires[0].fill_row is not None:  # both start investing at the first fill
        trades[0] = (fires[0].fill_row, targets[0])
    return held_values(
        closes,
        sessions,
        capital,
        trades,
        safe_rate=safe_rate_of(spec),
        cost_bps=cost_bps_of(strategy),
    )


def cost_bps_of(strategy: DeployedStrategy) -> float:
    """The cost of trading in the strategy's backtests (basis points of traded notional)."""
    return strategy.config.cost_bps if isinstance(strategy, RuleStrategy) else 0.0


def searched_backtest(
    strategy: DeployedStrategy,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    capital: float,
    spec: Mapping[str, Any],
) -> pd.Series:
    """The searched backtest's value at each of `sessions` (indexed by session date), starting
    at `capital` on the first: the engine's simulation of a rule (with its option overlay when
    the deployment `spec` has a hedge), or fixed weights held every day (see the module
    docstring)."""
    returns = closes.pct_change().iloc[1:]
    first = int(returns.index.searchsorted(sessions.index[0]))
    if isinstance(strategy, FixedWeights):
        window = returns.iloc[first + 1 :].loc[: sessions.index[-1]]
        weights = np.array([strategy.weights[s] for s in closes.columns])
        safe_daily = safe_rate_of(spec) / PERIODS_PER_YEAR
        daily = window.to_numpy() @ weights + (1 - weights.sum()) * safe_daily
        wealth = np.concatenate([[1.0], np.cumprod(1 + daily)])
        return pd.Series(capital * wealth, index=sessions.index[: len(wealth)])
    lookback = strategy.config.lookback
    window = _evaluable(returns.iloc[first - lookback + 1 :].loc[: sessions.index[-1]], lookback)
    # a single sleeve is the equal-weight portfolio of the assets, as in a search
    risky = window.mean(axis=1) if strategy.config.sleeve == "single" else window
    config = strategy.config
    if "hedge" not in spec:  # no options are traded, so the backtest holds none either
        config = config.model_copy(update={"overlay": "none"})
    series = evaluate([config], risky, strategy.safe_rate, vol_model=spec_vol_model(spec)).series(0)
    wealth = series["wealth"].to_numpy()
    # series row t is day lookback + t (its wealth after that day); the first session's close
    # is day lookback - 1, where the backtest starts at 1.
    path = np.concatenate([[1.0], wealth])[: len(sessions)]
    return pd.Series(capital * path, index=sessions.index[: len(path)])


def _evaluable(window: pd.DataFrame, lookback: int) -> pd.DataFrame:
    """`window` (the lookback's returns, then the sessions') with days of zero returns after
    its last when the sessions are fewer than the engine evaluates (`MIN_EVALUATION_DAYS`: a
    deployment's first sessions). The engine is causal (a day's wealth depends on no later
    return), so those days change none of the sessions' values, and they are not shown."""
    missing = MIN_EVALUATION_DAYS - (len(window) - lookback)
    if missing <= 0:
        return window
    after = pd.date_range(window.index[-1] + pd.Timedelta(days=1), periods=missing, freq="D")
    padding = pd.DataFrame(0.0, index=after, columns=window.columns)
    return pd.concat([window, padding])
