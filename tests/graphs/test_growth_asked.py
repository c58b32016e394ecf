"""Growth as a stock's return ("which stocks had the most growth in 2021?", "which stock grew the
least since 2020?", "how much did AAPL grow in 2019?"): the stocks ranked by their total return
over the window, or the stock's total return. Before, each asked what to do (or read the market
for the one stock). Checked against pandas."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread, total_returns

RANKED = (
    ("which stocks had the most growth in {y}?", "highest"),
    ("which stocks grew the most in {y}?", "highest"),
    ("which stock grew the least in {y}?", "lowest"),
    ("which stocks had the lowest growth in {y}?", "lowest"),
)


@settings(max_examples=6, deadline=None)
@given(ask=st.sampled_from(RANKED), year=st.integers(2012, 2022))
def test_the_stocks_are_ranked_by_their_total_return(ask: tuple[str, str], year: int) -> None:
    words, end = ask
    reply = answer_in_new_thread(words.format(y=year))
    ranked = re.search(rf"By total return, {end} first: ([A-Z]+) (-?[\d.]+)%", reply)
    assert ranked is not None, reply
    returns = total_returns(year, f"{year}-12-31")
    expected = returns.idxmax() if end == "highest" else returns.idxmin()
    assert ranked[1] == expected, (reply, returns.sort_values())
    assert abs(float(ranked[2]) / 100 - returns[expected]) <= max(
        6e-4, 6e-4 * abs(returns[expected])
    )


@settings(max_examples=6, deadline=None)
@given(ticker=st.sampled_from(STOCKS_ASKED), year=st.integers(2012, 2022))
def test_a_stock_s_growth_is_its_total_return(ticker: str, year: int) -> None:
    reply = answer_in_new_thread(f"how much did {ticker} grow in {year}?")
    said = re.search(rf"{ticker}: a total return of (-?[\d.]+)%", reply)
    assert said is not None, reply
    expected = total_returns(year, f"{year}-12-31")[ticker]
    assert abs(float(said[1]) / 100 - expected) <= max(6e-4, 6e-4 * abs(expected)), reply
