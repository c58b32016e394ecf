"""Statistics of assets or a portfolio over a window, the questions a portfolio manager asks:
returns (cumulative, annualised, CAGR), volatility, the Sharpe ratio, beta to the index, the
worst day and worst calendar month, the deepest drawdown with its peak, trough and recovery
dates, correlations.

Conventions: `returns` are daily simple returns on the window's sessions (first row: the day
after the close the window starts from, `base_date`); a portfolio is held at constant weights,
rebalanced daily (`quant.risk.portfolio_returns`), as the risk report holds it; the annualised
return is the arithmetic mean x 252, the CAGR the compounded growth per 252 sessions, the
volatility the standard deviation (ddof=1) x sqrt(252), the Sharpe ratio the annualised mean
over the volatility with a risk-free rate of 0 (`quant.risk.sharpe_ratio`); drawdowns are
positive fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.estimators import PERIODS_PER_YEAR
from quant.risk import cagr, sharpe_ratio, volatility
from quant.statistics import beta, deepest_drawdown, market_correlation, monthly_returns

__all__ = [
    "DrawdownDates",
    "SeriesStatistics",
    "drawdown_dates",
    "series_statistics",
]


@dataclass(frozen=True)
class DrawdownDates:
    """The deepest drawdown of a series: its `depth` (a positive fraction) and the dates of its
    `peak` (None when the peak is the close the window starts from and that date is unknown),
    `trough` and `recovery` (None: not recovered by the window's end); all None with depth 0
    when the series never fell."""

    depth: float
    peak: pd.Timestamp | None
    trough: pd.Timestamp | None
    recovery: pd.Timestamp | None


@dataclass(frozen=True)
class SeriesStatistics:
    """One series' statistics over the window (see the module docstring); `beta` and
    `correlation` (of daily returns with the index) are None without an index (the correlation
    too for a series that does not move), `worst_month` and `best_month` hold the month's last
    date in the window."""

    cumulative_return: float
    annualised_return: float
    cagr: float
    volatility: float
    sharpe: float
    beta: float | None
    correlation: float | None
    worst_day: tuple[pd.Timestamp, float]
    best_day: tuple[pd.Timestamp, float]
    worst_month: tuple[pd.Timestamp, float]
    best_month: tuple[pd.Timestamp, float]
    drawdown: DrawdownDates


def drawdown_dates(returns: pd.Series, base_date: pd.Timestamp | None) -> DrawdownDates:
    """`quant.statistics.deepest_drawdown` of `returns` with its positions as dates (position
    -1, the close before the first return, is `base_date`)."""
    episode = deepest_drawdown(returns)
    index = pd.DatetimeIndex(returns.index)

    def date(position: int | None) -> pd.Timestamp | None:
        if position is None:
            return None
        return base_date if position < 0 else pd.Timestamp(index[position])

    if episode.depth <= 0.0:
        return DrawdownDates(0.0, None, None, None)
    return DrawdownDates(
        episode.depth, date(episode.peak), date(episode.trough), date(episode.recovery)
    )


def series_statistics(
    returns: pd.DataFrame, market: pd.Series | None, base_date: pd.Timestamp | None
) -> dict[str, SeriesStatistics]:
    """Each column's `SeriesStatistics` over the window (beta and correlation against `market`,
    when given)."""
    betas = correlations = None
    if market is not None and len(market) > 2:
        betas, correlations = beta(returns, market), market_correlation(returns, market)
    months = monthly_returns(returns)
    vols = volatility(returns)
    growth = cagr(returns)
    sharpes = sharpe_ratio(returns)
    assert isinstance(vols, pd.Series) and isinstance(growth, pd.Series)
    assert isinstance(sharpes, pd.Series)
    dates = pd.DatetimeIndex(returns.index)
    month_ends = pd.DatetimeIndex(months.index)
    out: dict[str, SeriesStatistics] = {}
    for k, name in enumerate(returns.columns):
        values = returns.iloc[:, k].to_numpy(dtype=float)
        monthly = months.iloc[:, k].to_numpy(dtype=float)
        worst, best = int(np.argmin(values)), int(np.argmax(values))
        month, top_month = int(np.argmin(monthly)), int(np.argmax(monthly))
        out[str(name)] = SeriesStatistics(
            cumulative_return=float(np.expm1(np.log1p(values).sum())),
            annualised_return=float(values.mean() * PERIODS_PER_YEAR),
            cagr=float(growth.iloc[k]),
            volatility=float(vols.iloc[k]),
            sharpe=float(sharpes.iloc[k]),
            beta=None if betas is None else float(betas.iloc[k]),
            correlation=_known(None if correlations is None else correlations.iloc[k]),
            worst_day=(pd.Timestamp(dates[worst]), float(values[worst])),
            best_day=(pd.Timestamp(dates[best]), float(values[best])),
            worst_month=(pd.Timestamp(month_ends[month]), float(monthly[month])),
            best_month=(pd.Timestamp(month_ends[top_month]), float(monthly[top_month])),
            drawdown=drawdown_dates(returns.iloc[:, k], base_date),
        )
    return out


def _known(value: float | None) -> float | None:
    """`value` as a float, None when missing or not finite."""
    return None if value is None or not np.isfinite(value) else float(value)
