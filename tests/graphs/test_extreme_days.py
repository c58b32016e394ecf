"""The best and worst days asked with a count ("what were the 3 best days for MSFT in 2020?",
"show me the five worst days of AAPL since 2015"): that many days, most extreme first (the best
day alone was given, the count neither used nor said unused). `asset_statistics` lists them with
`extreme_days`; each list is checked against pandas' `nlargest`/`nsmallest` over the embedded
prices, and the service's against pandas on generated returns with ties. How many days moved
beyond a size ("how many days did AAPL fall more than 5% since 2015?": a read of the market, the
5% said unused) is the count of sessions down and up by more than it (`move_beyond`), against
pandas."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.pandas import column, data_frames, range_indexes

from quant import load_sp500_prices
from services.statistics import days_beyond, extreme_days
from services.windows import MAX_EXTREME_DAYS
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

CLOSES = load_sp500_prices()


def _whole_percents(bound: int) -> st.SearchStrategy[pd.DataFrame]:
    """Two series "A" and "B" of 1 to 30 daily returns in whole percents within +-`bound`
    (as integers: many equal values)."""
    return data_frames(
        [column("A", dtype=int), column("B", dtype=int)],
        index=range_indexes(min_size=1, max_size=30),
        rows=st.tuples(st.integers(-bound, bound), st.integers(-bound, bound)),
    )


WORDS = {2: "two", 3: "three", 5: "five"}
ASKS = (
    "what were the {n} {end} days for {s} in {y}?",
    "show me the {n} {end} days of {s} in {y}",
    "{s} {end} {n} trading days in {y}",
)


def _year(stock: str, year: int) -> pd.Series:
    closes = CLOSES[stock]
    first = int(closes.index.searchsorted(pd.Timestamp(f"{year}-01-01")))
    return closes.iloc[first - 1 :].loc[: f"{year}-12-31"].pct_change().iloc[1:]


@settings(max_examples=8, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2004, max_value=2021),
    count=st.integers(min_value=2, max_value=8),
    end=st.sampled_from(("best", "worst")),
    ask=st.sampled_from(ASKS),
    in_words=st.booleans(),
)
def test_a_count_of_best_or_worst_days_lists_that_many_most_extreme_first(
    stock: str, year: int, count: int, end: str, ask: str, in_words: bool
) -> None:
    said = WORDS.get(count, str(count)) if in_words else str(count)
    reply = answer_in_new_thread(ask.format(n=said, end=end, s=stock, y=year))
    order = "highest" if end == "best" else "lowest"
    listed = re.search(rf"{count} {end} days, {order} first: (.+?)\.(?:\s|$)", reply)
    assert listed is not None, reply
    days = re.findall(r"(\d{4}-\d\d-\d\d) \((-?\d+\.\d\d)%\)", listed[1])
    returns = _year(stock, year)
    expected = returns.nlargest(count) if end == "best" else returns.nsmallest(count)
    assert [d for d, _ in days] == [str(d.date()) for d in expected.index], reply
    for (_, shown), value in zip(days, expected, strict=True):  # 4 significant digits, 0.01 pt
        assert abs(float(shown) / 100 - value) <= 0.0001


def test_more_days_than_listed_say_so() -> None:
    reply = answer_in_new_thread("what were the 30 worst days for AAPL since 2010?")
    assert f"{MAX_EXTREME_DAYS} worst days (the most listed), lowest first:" in reply, reply
    one = answer_in_new_thread("what was the worst day for AAPL since 2010?")
    closes = CLOSES["AAPL"]
    start = int(closes.index.searchsorted(pd.Timestamp("2010-01-01")))
    day = closes.iloc[start - 1 :].pct_change().iloc[1:].idxmin()
    assert f"worst day {day.date()}" in one and "worst days" not in one, one


@settings(max_examples=60, deadline=None)
@given(
    frame=_whole_percents(3),
    count=st.integers(min_value=1, max_value=40),
)
def test_the_service_lists_pandas_ends_with_ties_in_date_order(
    frame: pd.DataFrame, count: int
) -> None:
    returns = frame.astype(float) / 100
    returns.index = pd.bdate_range("2020-01-01", periods=len(returns))
    for name, (best, worst) in extreme_days(returns, count).items():
        series = returns[name]
        for listed, expected in ((best, series.nlargest(count)), (worst, series.nsmallest(count))):
            assert [d for d, _ in listed] == list(expected.index)
            np.testing.assert_array_equal([r for _, r in listed], expected.to_numpy())


MOVES = (
    "how many days did {s} fall more than {x}% in {y}?",
    "how often did {s} drop {x}% in a day in {y}?",
    "how many times was {s} up over {x}% in {y}",
    "how many sessions did {s} move more than {x}% in {y}?",
)


@settings(max_examples=8, deadline=None)
@given(
    stock=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2004, max_value=2021),
    size=st.sampled_from((1, 2, 2.5, 3, 4, 5, 7)),
    ask=st.sampled_from(MOVES),
)
def test_the_days_beyond_a_move_are_counted_down_and_up(
    stock: str, year: int, size: float, ask: str
) -> None:
    reply = answer_in_new_thread(ask.format(s=stock, x=f"{size:g}", y=year))
    returns = _year(stock, year)
    down, up = int((returns < -size / 100).sum()), int((returns > size / 100).sum())
    said = f"{down:,} sessions down more than {size:.1f}% and {up:,} up more than {size:.1f}%"
    assert f"{stock}: {said}, of {len(returns):,}" in reply, reply
    assert "Not used" not in reply, reply


@settings(max_examples=60, deadline=None)
@given(
    frame=_whole_percents(6),
    size=st.integers(min_value=1, max_value=5),
)
def test_the_service_counts_strictly_beyond_the_move(frame: pd.DataFrame, size: int) -> None:
    returns = frame.astype(float) / 100
    for name, (down, up) in days_beyond(returns, size / 100).items():
        values = list(frame[name])
        assert down == sum(1 for v in values if v < -size)  # exactly the size is not beyond
        assert up == sum(1 for v in values if v > size)
