"""Statistics of return series over a window: beta to an index and the tracking error against
it, the deepest drawdown with its peak, trough and recovery, each calendar month's and year's
compounded return.

Conventions (as in `quant.risk`): inputs are daily simple returns, one column per series; wealth
starts at W_0 = 1 before the first return and compounds, W_t = prod_{u<=t} (1 + r_u); drawdowns
are positive fractions meaning losses. Positions are row numbers of the returns, with -1 for
the initial wealth W_0 (the close before the first return).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.errors import DataError
from quant.estimators import PERIODS_PER_YEAR
from quant.validation import as_returns_frame

__all__ = [
    "DrawdownEpisode",
    "beta",
    "calendar_returns",
    "deepest_drawdown",
    "monthly_returns",
    "rolling_beta",
    "tracking_errors",
    "yearly_returns",
]


def _with_market(
    returns: pd.DataFrame, market: pd.Series, what: str
) -> tuple[pd.DataFrame, np.ndarray]:
    """The returns as a frame, and their values with the market's as the last column on the
    dates both hold; `DataError` naming `what` when fewer than 3 are shared."""
    frame = as_returns_frame(returns)
    aligned = pd.concat([frame, market.rename("__market__")], axis=1, join="inner")
    if len(aligned) < 3:
        raise DataError(f"{what} needs at least 3 dates shared with the index, got {len(aligned)}")
    return frame, aligned.to_numpy(dtype=float)


def beta(returns: pd.DataFrame, market: pd.Series) -> pd.Series:
    """Each column's beta to `market` on the dates both hold: cov(r_i, m) / var(m), sample
    moments (ddof=1). `DataError` when fewer than 3 dates are shared or the market does not
    move."""
    frame, values = _with_market(returns, market, "beta")
    m = values[:, -1]
    variance = float(m.var(ddof=1))
    if not variance > 0.0:
        raise DataError("the index does not move over the window: beta is undefined")
    centred = values[:, :-1] - values[:, :-1].mean(axis=0)
    covariances = centred.T @ (m - m.mean()) / (len(m) - 1)
    return pd.Series(covariances / variance, index=frame.columns, name="beta")


FLAT_MARKET = 1e-12
"""A daily standard deviation of the market at or below which it did not move (beyond rounding)
over a window: no beta there."""


def rolling_beta(returns: pd.Series, market: pd.Series, window: int) -> pd.Series:
    """`beta` of `returns` to `market` over every `window` consecutive dates both hold, at the
    window's last date (NaN where the market does not move over the window beyond rounding:
    its standard deviation `FLAT_MARKET` or less); `DataError` when `window` is below 3 or they
    share fewer dates."""
    if not (isinstance(window, int) and window >= 3):
        raise DataError(f"a rolling beta needs a window of 3 dates or more, got {window!r}")
    frame, values = _with_market(returns.to_frame(), market, "beta")
    if len(values) < window:
        raise DataError(f"a rolling beta of {window} dates needs as many shared with the index")
    windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=0)  # (n, 2, window)
    centred = windows - windows.mean(axis=2, keepdims=True)
    variance = (centred[:, 1] ** 2).sum(axis=1)
    covariance = (centred[:, 0] * centred[:, 1]).sum(axis=1)
    out = np.full(len(values), np.nan)
    moved = np.sqrt(variance / (window - 1)) > FLAT_MARKET
    out[window - 1 :][moved] = covariance[moved] / variance[moved]
    dates = pd.concat([frame, market.rename("__market__")], axis=1, join="inner").index
    return pd.Series(out, index=dates, name="beta")


def market_correlation(returns: pd.DataFrame, market: pd.Series) -> pd.Series:
    """Each column's correlation (Pearson, daily returns) with `market` on the dates both hold;
    NaN for a column that does not move. `DataError` as `beta`'s."""
    frame, values = _with_market(returns, market, "a correlation")
    centred = values - values.mean(axis=0)
    spread = np.sqrt((centred**2).sum(axis=0))
    if not spread[-1] > 0.0:
        raise DataError("the index does not move over the window: a correlation is undefined")
    with np.errstate(divide="ignore", invalid="ignore"):
        correlations = (centred[:, :-1].T @ centred[:, -1]) / (spread[:-1] * spread[-1])
    return pd.Series(correlations, index=frame.columns, name="correlation")


def tracking_errors(returns: pd.DataFrame, market: pd.Series) -> pd.DataFrame:
    """Each column's active daily return a_t = r_t - m_t against `market` on the dates both
    hold, annualised: `tracking_error` = std(a, ddof=1) x sqrt(252), `active_return` = mean(a)
    x 252, `information_ratio` = active_return / tracking_error (NaN where the tracking error
    is 0: a series that is the market). One row per column. `DataError` as `beta`'s."""
    frame, values = _with_market(returns, market, "a tracking error")
    active = values[:, :-1] - values[:, -1:]
    error = active.std(axis=0, ddof=1) * np.sqrt(PERIODS_PER_YEAR)
    mean = active.mean(axis=0) * PERIODS_PER_YEAR
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(error > 0.0, mean / error, np.nan)
    return pd.DataFrame(
        {"tracking_error": error, "active_return": mean, "information_ratio": ratio},
        index=frame.columns,
    )


@dataclass(frozen=True)
class DrawdownEpisode:
    """The deepest fall of wealth below its running peak: `depth` (a fraction in [0, 1]), the
    position of the `peak` it fell from (the last one before the trough; -1: the initial
    wealth), of the `trough`, and of the `recovery` (the first position after the trough back
    at the peak's wealth; None when the window ends below it). All positions are -1 and depth 0
    when wealth never falls."""

    depth: float
    peak: int
    trough: int
    recovery: int | None


def deepest_drawdown(returns: pd.Series | np.ndarray) -> DrawdownEpisode:
    """The deepest drawdown of one return series (see `DrawdownEpisode`); its depth equals
    `quant.risk.max_drawdown`. Ties: the first deepest trough."""
    values = as_returns_frame(returns).to_numpy(dtype=float)[:, 0]
    if (values < -1.0).any():
        raise DataError("a return below -100%: wealth would turn negative")
    wealth = np.concatenate([[1.0], np.cumprod(1.0 + values)])
    peaks = np.maximum.accumulate(wealth)
    depths = 1.0 - wealth / peaks
    trough = int(np.argmax(depths))
    depth = float(depths[trough])
    if depth <= 0.0:
        return DrawdownEpisode(0.0, -1, -1, None)
    peak = int(np.flatnonzero(wealth[: trough + 1] == peaks[trough])[-1])
    after = np.flatnonzero(wealth[trough:] >= wealth[peak])
    recovery = int(after[0]) + trough - 1 if after.size else None
    return DrawdownEpisode(depth, peak - 1, trough - 1, recovery)


def _compounded(returns: pd.DataFrame | pd.Series, period: str) -> pd.DataFrame:
    """Each calendar `period`'s ("M" or "Y") compounded return per column over its days
    present, indexed by the period's last date present (periods in calendar order)."""
    frame = as_returns_frame(returns)
    index = pd.DatetimeIndex(frame.index)
    if len(index) == 0:
        raise DataError("no returns: no period to compound")
    years = index.year.to_numpy(dtype=np.int64)
    keys = years * 12 + index.month.to_numpy(dtype=np.int64) if period == "M" else years
    order = np.lexsort((index.asi8, keys))  # by period, then date: a period's last row is its end
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(order)] - 1
    logs = np.log1p(frame.to_numpy()[order])
    return pd.DataFrame(
        np.expm1(np.add.reduceat(logs, starts, axis=0)),
        index=pd.DatetimeIndex(index[order[ends]]),
        columns=frame.columns,
    )


def monthly_returns(returns: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Each calendar month's compounded return per column: prod(1 + r) - 1 over the month's
    days present (a month cut by the window's edge counts only its days inside), indexed by
    the month's last date present."""
    return _compounded(returns, "M")


def yearly_returns(returns: pd.DataFrame | pd.Series) -> pd.DataFrame:
    """Each calendar year's compounded return per column, as `monthly_returns` by year: a year
    cut by the window's edge counts only its days inside; indexed by the year's last date
    present."""
    return _compounded(returns, "Y")


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
"""The columns of `calendar_returns`' months, in order."""


def calendar_returns(returns: pd.Series) -> pd.DataFrame:
    """The monthly returns table of one series: a row per calendar year (its number), a column
    per month (`MONTHS`: that month's compounded return, as `monthly_returns`; NaN for a month
    without returns) and `Year` (the year's compounded return over its days present)."""
    months = monthly_returns(returns).iloc[:, 0]
    index = pd.DatetimeIndex(months.index)
    table = pd.DataFrame(np.nan, index=sorted(set(index.year)), columns=[*MONTHS, "Year"])
    for when, value in zip(index, months.to_numpy(), strict=True):
        table.loc[when.year, MONTHS[when.month - 1]] = value
    for year in table.index:
        present = table.loc[year, list(MONTHS)].dropna().to_numpy(dtype=float)
        table.loc[year, "Year"] = float(np.expm1(np.log1p(present).sum()))
    return table
