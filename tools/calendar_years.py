"""Each calendar year's (or month's) return of daily return series, with the sessions each
counts and whether the window cuts it (judged against the market data's own calendar), for the
tools that give returns by year (`asset_statistics`, `backtest_weights`) or by month
(`asset_statistics`)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from quant.statistics import monthly_returns, yearly_returns
from tools.summaries import iso_date, sig

__all__ = ["calendar_months", "calendar_years"]


def calendar_years(
    frame: pd.DataFrame, sessions: pd.DatetimeIndex
) -> dict[str, list[dict[str, Any]]]:
    """Each column's return in each calendar year of the window, with the year's first and last
    sessions inside it and whether the window cuts the year (`cut`: the market data's `sessions`
    hold days of that year outside it)."""
    years = yearly_returns(frame)
    dates = pd.DatetimeIndex(frame.dropna(how="all").index)
    firsts = pd.Series(dates, index=dates).groupby(dates.year).min()
    data_years = pd.Series(sessions, index=sessions).groupby(sessions.year)
    spans = {int(y): _year_span(int(y), days.min(), days.max()) for y, days in data_years}
    ends = pd.DatetimeIndex(years.index)
    out: dict[str, list[dict[str, Any]]] = {}
    for name in frame.columns:
        out[str(name)] = []
        for end, value in zip(ends, years[name].to_numpy(dtype=float), strict=True):
            year, first = int(end.year), firsts.loc[end.year]
            held = spans.get(year, (first, end))
            cut = bool(first > held[0] or end < held[1])
            out[str(name)].append(
                {"year": year, "return": sig(float(value)), "from": iso_date(first),
                 "to": iso_date(end), "cut": cut}
            )  # fmt: skip
    return out


def _year_span(year: int, first: pd.Timestamp, last: pd.Timestamp) -> tuple[pd.Timestamp, ...]:
    """The sessions a whole calendar `year` runs over, from the data's `first` and `last` of it:
    the data's own, or the year's edges where the data starts or ends inside the year (a year's
    first session is on or before January 4, its last on or after December 29)."""
    start = first if first <= pd.Timestamp(year, 1, 4) else pd.Timestamp(year, 1, 1)
    end = last if last >= pd.Timestamp(year, 12, 29) else pd.Timestamp(year, 12, 31)
    return start, end


def calendar_months(
    frame: pd.DataFrame, sessions: pd.DatetimeIndex
) -> dict[str, list[dict[str, Any]]]:
    """Each column's return in each calendar month of the window ("2020-03"), and whether the
    window cuts the month (`cut`: the market data's `sessions` hold days of that month outside
    it)."""
    months = monthly_returns(frame)
    dates = pd.DatetimeIndex(frame.dropna(how="all").index)
    firsts = {str(m): days.min() for m, days in pd.Series(dates).groupby(dates.strftime("%Y-%m"))}
    data_months = pd.Series(sessions).groupby(sessions.strftime("%Y-%m"))
    spans = {str(m): (days.min(), days.max()) for m, days in data_months}
    out: dict[str, list[dict[str, Any]]] = {str(name): [] for name in frame.columns}
    for end, row in zip(pd.DatetimeIndex(months.index), months.to_numpy(dtype=float), strict=True):
        month = end.strftime("%Y-%m")
        first = firsts[month]
        held = spans.get(month, (first, end))
        cut = bool(first > held[0] or end < held[1])
        for name, value in zip(frame.columns, row, strict=True):
            out[str(name)].append({"month": month, "return": sig(float(value)), "cut": cut})
    return out
