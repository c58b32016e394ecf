"""Returns by month asked ("show me AAPL's monthly returns for 2020", "KO and PEP returns by month
in 2021"): each calendar month's return of each stock, a month the window cuts marked as a part,
then the best and the worst month (the year's return alone was given). Each month is checked
against pandas over the embedded prices; a window of more months than a reader reads is refused
with what to ask instead."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from services.windows import MAX_CALENDAR_MONTHS
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread
from tools.calendar_years import calendar_months

CLOSES = load_sp500_prices()
SESSIONS = pd.DatetimeIndex(CLOSES.index)
SESSION_MONTHS = SESSIONS.strftime("%Y-%m")
ASKS = (
    "show me {s}'s monthly returns for {y}",
    "{s} returns by month in {y}",
    "what were the month-by-month returns of {s} in {y}?",
)


def _months(stock: str, first: str, last: str) -> pd.Series:
    """Each calendar month's compounded return of `stock` from the close before `first` to
    `last`, by "YYYY-MM"."""
    closes = CLOSES[stock]
    start = int(closes.index.searchsorted(pd.Timestamp(first)))
    daily = closes.iloc[start - 1 :].loc[:last].pct_change().iloc[1:]
    grown = (1 + daily).groupby(daily.index.to_period("M")).prod() - 1
    return pd.Series(grown.to_numpy(), index=[str(p) for p in grown.index])


def _said(reply: str, stock: str) -> list[tuple[str, float, bool]]:
    """(month, return, part) of `stock`'s months in the reply."""
    part = reply.split(f"{stock}:", 1)[1].split("by calendar month ", 1)[1].split(";", 1)[0]
    return [
        (month, float(value) / 100, bool(cut))
        for month, value, cut in re.findall(r"(\d{4}-\d\d) (-?\d+\.\d)%( \(part\))?", part)
    ]


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=1, max_size=2, unique=True),
    year=st.integers(min_value=2004, max_value=2021),
    ask=st.sampled_from(ASKS),
)
def test_each_month_of_the_year_is_its_return(stocks: list[str], year: int, ask: str) -> None:
    reply = answer_in_new_thread(ask.format(s=" and ".join(stocks), y=year))
    for stock in stocks:
        expected = _months(stock, f"{year}-01-01", f"{year}-12-31")
        said = _said(reply, stock)
        assert [m for m, _, _ in said] == list(expected.index), reply
        for (month, value, cut), truth in zip(said, expected, strict=True):
            assert abs(value - truth) <= 0.0006 and not cut, (month, reply)
        best, worst = expected.idxmax(), expected.idxmin()
        assert f"best month {best} (" in reply and f"worst {worst} (" in reply


def test_a_month_the_window_cuts_is_marked_a_part_and_a_long_window_is_refused() -> None:
    reply = answer_in_new_thread("monthly returns of AAPL from 2020-03-16 to 2020-06-30")
    said = _said(reply, "AAPL")
    expected = _months("AAPL", "2020-03-16", "2020-06-30")
    assert [(m, c) for m, _, c in said] == [(m, m == "2020-03") for m in expected.index], reply
    for (_, value, _), truth in zip(said, expected, strict=True):
        assert abs(value - truth) <= 0.0006
    refused = answer_in_new_thread("monthly returns of MSFT since 2010")
    assert f"given for at most {MAX_CALENDAR_MONTHS}" in refused and "by year" in refused
    assert "by calendar month" not in refused


@settings(max_examples=25, deadline=None)
@given(
    start=st.integers(min_value=100, max_value=len(CLOSES) - 400),
    length=st.integers(min_value=2, max_value=300),  # a window holds two sessions or more
)
def test_calendar_months_are_pandas_months_cut_only_at_the_window_s_edges(
    start: int, length: int
) -> None:
    daily = CLOSES[["KO", "XOM"]].pct_change().iloc[start : start + length]
    months = calendar_months(daily, SESSIONS)
    labels = daily.index.strftime("%Y-%m")
    grown = (1 + daily).groupby(labels).prod() - 1
    first, last = daily.index[0], daily.index[-1]
    for name in ("KO", "XOM"):
        assert [m["month"] for m in months[name]] == list(grown.index)
        for entry in months[name]:
            in_data = SESSIONS[SESSION_MONTHS.isin([entry["month"]])]
            assert entry["cut"] == bool(in_data[0] < first or in_data[-1] > last)
            truth = grown.loc[entry["month"], name]  # to the tool's 4 significant digits
            assert abs(entry["return"] - truth) <= 5e-4 * abs(truth) + 1e-15
