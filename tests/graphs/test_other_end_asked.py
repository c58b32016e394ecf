"""The other end of a ranking asked alone ("and the worst?", "what about the bottom ones?",
"which was the worst?") after a ranking is that ranking at the other end: the same names,
measure and window (before: "What would you like me to do", or a read of the last sector's stocks
over the default window). After names compared with no end, "and the worst?" is which was worst
by what they were compared on. A ranking asked of the low end alone ("which stock was the least
volatile?") is ordered from the lowest. Every figure named is checked against pandas over the
embedded prices."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.thread_ends import other_end_again
from quant import load_sp500_prices
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread, answers_in_one_thread

CLOSES = load_sp500_prices()
YEARS = st.integers(min_value=2005, max_value=2021)
ENDS_ALONE = ("and the worst?", "what about the worst one?", "which was the worst?",
              "ok, and the worst performer?", "And the worst?")  # fmt: skip


def _year_returns(year: int, names: list[str]) -> pd.DataFrame:
    """Daily simple returns of `names` over `year`, from the close before its first session."""
    closes = CLOSES[names]
    first = int(closes.index.searchsorted(pd.Timestamp(f"{year}-01-01")))
    held = closes.iloc[max(first - 1, 0) :].loc[: f"{year}-12-31"]
    return held.pct_change().iloc[1:]


def _used(reply: str) -> list[str]:
    """The tickers of a reply's "Used:" line."""
    used = reply.split("Used:", 1)[1].split(";", 1)[0]
    return re.findall(r"\b[A-Z]{1,5}\b", used)


@settings(max_examples=6, deadline=None)
@given(year=YEARS, then=st.sampled_from(ENDS_ALONE))
def test_the_worst_after_the_best_is_the_same_ranking_at_its_other_end(
    year: int, then: str
) -> None:
    best, worst = answers_in_one_thread(f"which stock did best in {year}?", then)
    assert worst == answer_in_new_thread(f"which stock did worst in {year}?")
    names = _used(best)
    assert names == _used(worst) and len(names) > 5
    totals = (1 + _year_returns(year, names)).prod() - 1
    assert f"Best by total return: {totals.idxmax()} (the highest)" in best
    assert f"Worst by total return: {totals.idxmin()} (the lowest)" in worst, worst
    assert f"from {year}-01-0" in worst  # the year ranked, not the default window


@settings(max_examples=4, deadline=None)
@given(year=YEARS, then=st.sampled_from(("which was the worst?", "and the worst one?")))
def test_the_worst_sector_after_the_best_is_that_of_the_same_years(year: int, then: str) -> None:
    best, worst = answers_in_one_thread(f"which sector has been the best since {year}?", then)
    assert worst == answer_in_new_thread(f"which sector has been the worst since {year}?")
    assert "Each sector held at equal weights" in worst and f"from {year}-01-0" in worst
    ranked = re.search(r"lowest first: (.+?) \(lowest (.+?), highest", worst)
    assert ranked is not None, worst
    assert f"Worst by total return: {ranked[2]} (the lowest)" in worst
    first = re.search(r"highest first: (.+?) \(highest (.+?), lowest (.+?)\)", best)
    assert first is not None and first[3] == ranked[2]  # the end the first answer named lowest


@settings(max_examples=4, deadline=None)
@given(
    year=YEARS,
    top=st.integers(min_value=2, max_value=6),
    bottom=st.one_of(st.none(), st.integers(min_value=2, max_value=6)),
)
def test_the_bottom_after_the_top_keeps_the_measure_and_takes_a_new_count(
    year: int, top: int, bottom: int | None
) -> None:
    then = "and the bottom ones?" if bottom is None else f"and the bottom {bottom}?"
    first, second = answers_in_one_thread(
        f"what were the top {top} stocks by sharpe in {year}?", then
    )
    shown = bottom or top
    assert f"the {top} highest of" in first and f"the {shown} lowest of" in second, second
    returns = _year_returns(year, _used(second))
    sharpe = returns.mean() / returns.std(ddof=1) * np.sqrt(252)
    listed = re.findall(r"([A-Z]{1,5}) (-?\d+\.\d+)", second.split("lowest first:", 1)[1])
    assert [name for name, _ in listed[:shown]] == list(sharpe.sort_values().index[:shown])
    for name, value in listed[:shown]:
        assert abs(float(value) - sharpe[name]) <= 0.006


@settings(max_examples=4, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=3, unique=True),
    year=YEARS,
)
def test_the_worst_after_names_compared_is_the_worst_by_the_measure_compared(
    stocks: list[str], year: int
) -> None:
    asked = f"compare {stocks[0]}, {stocks[1]} and {stocks[2]} on sharpe since {year}"
    _, worst = answers_in_one_thread(asked, "and the worst?")
    closes = CLOSES[stocks]
    first = int(closes.index.searchsorted(pd.Timestamp(f"{year}-01-01")))
    returns = closes.iloc[max(first - 1, 0) :].pct_change().iloc[1:]
    sharpe = returns.mean() / returns.std(ddof=1)
    assert f"Worst by Sharpe ratio (risk-free rate 0%): {sharpe.idxmin()} (the lowest)" in worst


@settings(max_examples=4, deadline=None)
@given(year=YEARS)
def test_the_least_volatile_is_ranked_from_the_lowest(year: int) -> None:
    reply = answer_in_new_thread(f"which stock was the least volatile in {year}?")
    vol = _year_returns(year, _used(reply)).std(ddof=1)
    ranked = re.search(r"By volatility, lowest first: ([A-Z]{1,5}) ", reply)
    assert ranked is not None and ranked[1] == vol.idxmin(), reply
    most = answer_in_new_thread(f"which stock was the most volatile in {year}?")
    assert re.search(rf"By volatility, highest first: {vol.idxmax()} ", most), most


def test_an_end_alone_with_nothing_ranked_before_is_not_read_as_one() -> None:
    assert other_end_again("and the worst?", ["and the worst?"]) is None  # nothing before
    build = "build a min vol portfolio of AAPL and KO with at most 60% in any name"
    assert other_end_again("and the bottom 3?", ["and the bottom 3?", build]) is None
    assert other_end_again("and the least?", ["and the least?", build]) is None  # "at most"
    before = "which stock did best since 2015?"
    assert other_end_again("so which names were riskier?", ["x", before]) is None
    assert other_end_again("and the worst?", ["and the worst?", before]) == (
        "which stock did worst since 2015?"
    )
    twice = ["and the best?", "and the worst?", before]
    assert other_end_again("and the best?", twice) == before
