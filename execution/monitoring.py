"""How a deployment is doing against its backtest over the same days.

Conventions: `live` and `backtest` are values (any currency or wealth index) at the end of the
same sessions, oldest first; their daily simple returns are compared. Tracking error is the
sample standard deviation (ddof=1) of the daily return differences x sqrt(252) (annualised, 0.02
= 2 %); the return gap is the live total return minus the backtest's. Weight drift is the
largest absolute difference, over symbols, between the account's weights (value / equity) and
the targets of the last rebalance. Drawdown is 1 - last value / highest value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from quant.estimators import PERIODS_PER_YEAR


@dataclass(frozen=True)
class Comparison:
    """Live against backtest over `days` sessions: total returns, their gap, the annualised
    tracking error (None with fewer than 3 values), and the live drawdown from its peak."""

    days: int
    live_return: float
    backtest_return: float
    return_gap: float
    tracking_error: float | None
    drawdown: float


def compare_with_backtest(live: Sequence[float], backtest: Sequence[float]) -> Comparison:
    """Compare the live values with the backtest's on the same sessions (equal lengths, at least
    one value each, all positive)."""
    live_values = np.asarray(live, dtype=float)
    backtest_values = np.asarray(backtest, dtype=float)
    if live_values.shape != backtest_values.shape or live_values.size == 0:
        raise ValueError("live and backtest need the same number of values, at least one")
    if not (np.all(live_values > 0) and np.all(backtest_values > 0)):
        raise ValueError("values must be positive")
    live_return = float(live_values[-1] / live_values[0] - 1)
    backtest_return = float(backtest_values[-1] / backtest_values[0] - 1)
    tracking_error = None
    if live_values.size >= 3:
        gaps = (
            np.diff(live_values) / live_values[:-1]
            - np.diff(backtest_values) / backtest_values[:-1]
        )
        tracking_error = float(np.std(gaps, ddof=1) * math.sqrt(PERIODS_PER_YEAR))
    return Comparison(
        days=int(live_values.size),
        live_return=live_return,
        backtest_return=backtest_return,
        return_gap=live_return - backtest_return,
        tracking_error=tracking_error,
        drawdown=float(1 - live_values[-1] / live_values.max()),
    )


def weight_drift(
    holdings: Mapping[str, float],
    cash: float,
    prices: Mapping[str, float],
    targets: Mapping[str, float],
) -> float:
    """The largest |account weight - target weight| over the symbols held or targeted."""
    values = {symbol: quantity * prices[symbol] for symbol, quantity in holdings.items()}
    equity = cash + sum(values.values())
    if not equity > 0:
        raise ValueError(f"the account has no equity ({equity:g})")
    symbols = set(values) | set(targets)
    return max(
        (abs(values.get(s, 0.0) / equity - targets.get(s, 0.0)) for s in symbols), default=0.0
    )
