"""Statistics of assets or a portfolio over a window, the questions a portfolio manager asks:
returns (cumulative, annualised, CAGR), volatility, the Sharpe ratio, beta to the index, the
worst day and worst calendar month, the deepest drawdown with its peak, trough and recovery
dates, correlations.

Conventions: `returns` are daily simple returns on the window's sessions (first row: the day
after the close the window starts from, `base_date`); a portfolio is held at constant weights,
rebalanced daily (`quant.risk.portfolio_returns`), as the risk report holds it; the annualised
return is the arithmetic mean x 252, the CAGR the compounded growth per 252 sessions, the
volatility the standard deviation (ddof=1) x sqrt(252), the Sharpe ratio the annualised mean
over the volatility with a risk-free rate of 0 (`quant.risk.sharpe_ratio`), the Sortino ratio
over the annualised downside deviation (`quant.risk.sortino_ratio`, `downside_deviation`, risk-free
rate 0), skewness and excess kurtosis with biased moments (`quant.risk.skewness`,
`excess_kurtosis`: scipy's defaults); drawdowns are positive fractions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.estimators import PERIODS_PER_YEAR
from quant.risk import (
    cagr,
    downside_deviation,
    excess_kurtosis,
    rolling_cagr,
    rolling_sharpe,
    rolling_volatility,
    sharpe_ratio,
    skewness,
    sortino_ratio,
    volatility,
)
from quant.statistics import (
    beta,
    deepest_drawdown,
    market_correlation,
    monthly_returns,
    rolling_beta,
    tracking_errors,
)

__all__ = [
    "FLAT",
    "DrawdownDates",
    "Rolled",
    "RollingSummary",
    "SeriesStatistics",
    "days_beyond",
    "drawdown_dates",
    "extreme_days",
    "rolling_betas",
    "rolling_cagrs",
    "rolling_correlations",
    "rolling_sharpe_ratios",
    "rolling_volatilities",
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
    too for a series that does not move), as are `tracking_error`, `active_return` and
    `information_ratio` (annualised, against the index: `quant.statistics.tracking_errors`; the
    ratio None too for a series that is the index); `worst_month` and `best_month` hold the
    month's last date in the window."""

    cumulative_return: float
    annualised_return: float
    cagr: float
    volatility: float
    sharpe: float
    sortino: float
    downside_deviation: float
    skewness: float
    excess_kurtosis: float
    beta: float | None
    correlation: float | None
    tracking_error: float | None
    active_return: float | None
    information_ratio: float | None
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


def days_beyond(returns: pd.DataFrame, size: float) -> dict[str, tuple[int, int]]:
    """Each column's sessions whose daily simple return fell below -`size` and rose above
    `size` (a fraction: 0.05 = more than 5%), as (down, up)."""
    values = returns.to_numpy(dtype=float)
    down, up = (values < -size).sum(axis=0), (values > size).sum(axis=0)
    return {str(name): (int(down[k]), int(up[k])) for k, name in enumerate(returns.columns)}


def extreme_days(
    returns: pd.DataFrame, count: int
) -> dict[str, tuple[list[tuple[pd.Timestamp, float]], list[tuple[pd.Timestamp, float]]]]:
    """Each column's `count` best days (highest return first) and `count` worst days (lowest
    first), as (date, daily simple return); equal returns in date order."""
    dates = pd.DatetimeIndex(returns.index)
    out = {}
    for k, name in enumerate(returns.columns):
        values = returns.iloc[:, k].to_numpy(dtype=float)
        best = np.argsort(-values, kind="stable")[:count]
        worst = np.argsort(values, kind="stable")[:count]
        out[str(name)] = (
            [(pd.Timestamp(dates[i]), float(values[i])) for i in best],
            [(pd.Timestamp(dates[i]), float(values[i])) for i in worst],
        )
    return out


_ACTIVE = ("tracking_error", "active_return", "information_ratio")
"""The measures of a series against the index (`quant.statistics.tracking_errors`)."""


def series_statistics(
    returns: pd.DataFrame, market: pd.Series | None, base_date: pd.Timestamp | None
) -> dict[str, SeriesStatistics]:
    """Each column's `SeriesStatistics` over the window (beta and correlation against `market`,
    when given)."""
    betas = correlations = None
    active = pd.DataFrame(np.nan, index=returns.columns, columns=list(_ACTIVE))
    if market is not None and len(market) > 2:
        betas, correlations = beta(returns, market), market_correlation(returns, market)
        active = tracking_errors(returns, market)
    months = monthly_returns(returns)
    vols = volatility(returns)
    growth = cagr(returns)
    sharpes = sharpe_ratio(returns)
    shape = {
        "sortino": sortino_ratio(returns), "downside_deviation": downside_deviation(returns),
        "skewness": skewness(returns), "excess_kurtosis": excess_kurtosis(returns),
    }  # fmt: skip
    assert isinstance(vols, pd.Series) and isinstance(growth, pd.Series)
    assert isinstance(sharpes, pd.Series)
    assert all(isinstance(measure, pd.Series) for measure in shape.values())
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
            **{name: float(measure.iloc[k]) for name, measure in shape.items()},  # type: ignore[union-attr]
            beta=None if betas is None else float(betas.iloc[k]),
            correlation=_known(None if correlations is None else correlations.iloc[k]),
            tracking_error=_known(active["tracking_error"].iloc[k]),
            active_return=_known(active["active_return"].iloc[k]),
            information_ratio=_known(active["information_ratio"].iloc[k]),
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


@dataclass(frozen=True)
class RollingSummary:
    """A statistic over every window of consecutive sessions ending at a session of the period
    (the first ends on the window's last session): its value on the last window with a value
    (`latest`, ending `latest_date`), the lowest and highest with the sessions their windows end
    on, the mean over the `windows` windows that have a value."""

    windows: int
    latest: float
    latest_date: pd.Timestamp
    low: float
    low_date: pd.Timestamp
    high: float
    high_date: pd.Timestamp
    mean: float


def _summary(series: pd.Series) -> RollingSummary | None:
    """`series`' finite values summarised (None when it has none)."""
    known = series[np.isfinite(series.to_numpy(dtype=float))]
    if known.empty:
        return None
    values = known.to_numpy(dtype=float)
    dates = pd.DatetimeIndex(known.index)
    low, high = int(np.argmin(values)), int(np.argmax(values))
    return RollingSummary(
        len(values), float(values[-1]), pd.Timestamp(dates[-1]), float(values[low]),
        pd.Timestamp(dates[low]), float(values[high]), pd.Timestamp(dates[high]),
        float(values.mean()),
    )  # fmt: skip


def _enough(returns: pd.DataFrame | pd.Series, sessions: int) -> None:
    if sessions < 2:
        raise ValueError(
            f"rolling_sessions: a rolling window needs 2 sessions or more, not {sessions}"
        )
    if len(returns) < sessions:
        raise ValueError(
            f"rolling_sessions: a rolling window of {sessions} sessions needs at least "
            f"{sessions} sessions of returns; the period holds {len(returns)}"
        )


FLAT = 1e-12
"""An annualised volatility at or below which a series or a window did not move (beyond
rounding): it has no Sharpe ratio, skewness or kurtosis."""
Rolled = tuple[dict[str, RollingSummary], list[str]]
"""Summaries by name, and the names with no finite value in any window."""


def _each(columns: dict[str, pd.Series]) -> Rolled:
    found: dict[str, RollingSummary] = {}
    unmeasured = []
    for name, series in columns.items():
        summary = _summary(series)
        if summary is None:
            unmeasured.append(name)
        else:
            found[name] = summary
    return found, unmeasured


def rolling_volatilities(returns: pd.DataFrame, sessions: int) -> Rolled:
    """Each column's annualised volatility (`quant.risk.rolling_volatility`: ddof=1, x sqrt(252))
    over every window of `sessions` sessions, summarised; ValueError when the period is shorter
    than one window."""
    _enough(returns, sessions)
    return _each({str(c): rolling_volatility(returns[c], sessions) for c in returns.columns})


def rolling_sharpe_ratios(returns: pd.DataFrame, sessions: int) -> Rolled:
    """Each column's Sharpe ratio (`quant.risk.rolling_sharpe`, risk-free rate 0, annualised)
    over every window of `sessions` sessions, summarised; a window whose annualised volatility
    is `FLAT` or less has none. ValueError when the period is shorter than one window."""
    _enough(returns, sessions)
    found = {}
    for column in returns.columns:
        moved = rolling_volatility(returns[column], sessions) > FLAT
        found[str(column)] = rolling_sharpe(returns[column], sessions).where(moved)
    return _each(found)


def rolling_cagrs(returns: pd.DataFrame, sessions: int) -> Rolled:
    """Each column's CAGR (`quant.risk.rolling_cagr`: compounded growth per 252 sessions; over a
    window of 252 sessions, its compounded return) over every window of `sessions` sessions,
    summarised; ValueError when the period is shorter than one window."""
    _enough(returns, sessions)
    return _each({str(c): rolling_cagr(returns[c], sessions) for c in returns.columns})


def rolling_betas(returns: pd.DataFrame, sessions: int, reference: pd.Series) -> Rolled:
    """Each column's beta to `reference` (`quant.statistics.rolling_beta`: cov / var, over the
    sessions both hold) over every window of `sessions` sessions, summarised; a window in which
    the reference does not move has none. ValueError when they share fewer sessions than one
    window."""
    _enough(returns.join(reference.rename("__reference"), how="inner"), sessions)
    return _each({str(c): rolling_beta(returns[c], reference, sessions) for c in returns.columns})


def rolling_correlations(
    returns: pd.DataFrame, sessions: int, reference: pd.Series | None = None
) -> Rolled:
    """The correlation of daily returns over every window of `sessions` sessions, summarised:
    of each pair of columns (named "A/B"), or of each column with `reference` when given
    (named by the column; over the sessions both hold); a window in which either does not move
    has none, and a pair with none in any window is named among the unmeasured. ValueError when
    the period is shorter than one window."""
    _enough(returns, sessions)
    names = [str(c) for c in returns.columns]
    if reference is not None:
        both = returns.join(reference.rename("__reference"), how="inner")
        _enough(both, sessions)
        series = {n: both[n].rolling(sessions).corr(both["__reference"]) for n in names}
    else:
        series = {
            f"{first}/{second}": returns[first].rolling(sessions).corr(returns[second])
            for i, first in enumerate(names)
            for second in names[i + 1 :]
        }
    return _each(series)
