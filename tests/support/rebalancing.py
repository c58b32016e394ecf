"""A plain reference of a weights backtest, kept in the tests: wealth of fixed weights traded
back on a calendar cadence, and its Sharpe ratio."""

from __future__ import annotations

import numpy as np
import pandas as pd

_PERIODS = {"monthly": "M", "quarterly": "Q", "annually": "Y"}


def rebalanced_wealth(closes: pd.DataFrame, weights: np.ndarray, cadence: str) -> np.ndarray:
    """Wealth of `weights` bought at the first close, traded back to them at the close of the
    first session of each new period (not the first session, not the last); never: held."""
    returns = closes.pct_change().iloc[1:]
    periods = returns.index.to_period(_PERIODS.get(cadence, "Y"))
    held, wealth = weights.astype(float).copy(), [1.0]
    for row, day in enumerate(returns.to_numpy()):
        held *= 1.0 + day
        wealth.append(held.sum())
        new = cadence != "never" and row > 0 and periods[row] != periods[row - 1]
        if new and row + 1 < len(returns):
            held = held.sum() * weights
    return np.array(wealth)


def wealth_sharpe(wealth: np.ndarray) -> float:
    """The annualised Sharpe ratio (risk-free rate 0) of a wealth path's daily returns."""
    daily = wealth[1:] / wealth[:-1] - 1.0
    return float(daily.mean() / daily.std(ddof=1) * np.sqrt(252))
