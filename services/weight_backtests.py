"""A backtest of weights the user gives: bought at the close the window starts from, traded back
to them on a rebalancing cadence, with trading costs, by the engine's day rules
(`quant.engine.held_runs.held_wealth`: the deployments' and the benchmarks' simulator).

Cadences: ``never`` (bought once and held), ``daily`` (every session), ``weekly``,
``monthly``, ``quarterly``, ``annually`` (the first session of each new calendar week, month,
quarter or year of the window). Costs are `cost_bps` per unit of turnover (docs/engine.md);
what the weights leave uninvested earns the safe asset's annual `safe_rate` (a daily rate of
safe_rate / 252). Measures: total return, CAGR, annualised volatility, Sharpe ratio against
`risk_free_rate` (annual) and the deepest drawdown with its dates, on the wealth's daily simple
returns; `cost_drag` is the total return lost to costs (the same run without costs minus this
one); `turnover` the weight traded a year at the rebalances after the first purchase (sum over
the assets of |target - drifted weight| at each, over the window's years of 252 sessions: what
the costs are charged on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

import numpy as np
import pandas as pd

from quant.estimators import PERIODS_PER_YEAR
from quant.risk import cagr, sharpe_ratio, volatility
from services.errors import InputError
from services.statistics import DrawdownDates, drawdown_dates

__all__ = [
    "CADENCES",
    "Cadence",
    "WeightsBacktest",
    "backtest_weights",
    "trade_rows",
]

Cadence = Literal["never", "daily", "weekly", "monthly", "quarterly", "annually"]
CADENCES: tuple[str, ...] = get_args(Cadence)
_PERIODS = {"weekly": "W", "monthly": "M", "quarterly": "Q", "annually": "Y"}


def trade_rows(dates: pd.DatetimeIndex, cadence: Cadence) -> list[int]:
    """The rows of `dates` (row 0: the close the window starts from) at whose closes the
    portfolio trades to its weights: row 0, then per `cadence` (see the module docstring), but
    not row 1 (the session after the purchase: a window starting with a month starts the day
    after the previous month's last close) and never the last row (a trade there would have
    no day left to count)."""
    last = len(dates) - 1
    if cadence == "never":
        return [0]
    if cadence == "daily":
        return list(range(last))
    periods = dates.to_period(_PERIODS[cadence])
    changes = np.flatnonzero(periods[1:] != periods[:-1]) + 1
    # row 1 opening a period is the session after the purchase: the weights are fresh
    return [0, *(int(r) for r in changes if 1 < r < last)]


@dataclass(frozen=True)
class WeightsBacktest:
    """The backtest's `wealth` (from 1 at the window's first close) and its measures (module
    docstring), the rows it traded on (`rebalances`, the first purchase included)."""

    wealth: pd.Series
    total_return: float
    cagr: float
    volatility: float
    sharpe: float
    drawdown: DrawdownDates
    cost_drag: float
    rebalances: int
    turnover: float


def backtest_weights(
    returns: pd.DataFrame,
    weights: pd.Series,
    base_date: pd.Timestamp,
    *,
    cadence: Cadence,
    cost_bps: float,
    safe_rate: float,
    risk_free_rate: float = 0.0,
) -> WeightsBacktest:
    """Backtest `weights` (by asset of `returns`, long-only, summing to at most 1) over
    `returns` (daily simple returns after `base_date`, the close it buys at). `InputError` on
    ``weights`` or ``cost_bps`` for values the simulator cannot hold."""
    from quant.engine.held_runs import held_run, held_wealth  # the engine loads on first use

    w = weights.astype(float).to_numpy()
    if not np.isfinite(w).all() or (w < 0).any() or w.sum() > 1.0 + 1e-6:
        raise InputError(
            "weights",
            f"weights must be long-only and sum to at most 1 (cash is the rest), got a sum of "
            f"{w.sum():.4g}: give weights summing to 100% or less",
        )
    if not 0.0 <= cost_bps <= 1_000.0:
        raise InputError("cost_bps", f"{cost_bps} is outside 0..1000 basis points")
    w = w / max(1.0, float(w.sum()))
    values = returns[list(weights.index)].to_numpy(dtype=float)
    prices = np.vstack([np.ones(values.shape[1]), np.cumprod(1.0 + values, axis=0)])
    dates = pd.DatetimeIndex([base_date, *returns.index])
    rows = trade_rows(dates, cadence)
    trades = [(row, w) for row in rows]
    safe = np.full(len(dates), safe_rate / PERIODS_PER_YEAR)
    wealth, traded = held_run(prices, safe, trades, cost_bps=cost_bps)
    free = held_wealth(prices, safe, trades, cost_bps=0.0) if cost_bps else wealth
    daily = pd.Series(wealth[1:] / wealth[:-1] - 1.0, index=returns.index)
    return WeightsBacktest(
        wealth=pd.Series(wealth, index=dates, name="wealth"),
        total_return=float(wealth[-1] - 1.0),
        cagr=float(np.asarray(cagr(daily))),
        volatility=float(np.asarray(volatility(daily))),
        sharpe=float(np.asarray(sharpe_ratio(daily, risk_free_rate=risk_free_rate))),
        drawdown=drawdown_dates(daily, base_date),
        cost_drag=float(free[-1] - wealth[-1]),
        rebalances=len(rows),
        turnover=float(traded[1:].sum()) / (len(returns) / PERIODS_PER_YEAR),
    )
