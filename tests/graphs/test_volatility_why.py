""" "Why?" asked of a stock's volatility ("what is the volatility of AAPL in 2022?", then "why so
high?"): the index's volatility over the same days, the stock's beta and correlation to it, the
share of its daily variance that moved with the index (the correlation squared) and its largest
daily moves, from the result already given. Before, the reply decomposed the stock's return,
which nobody asked about. Checked against pandas."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.data import load_sp500_index
from tests.support.chat_answers import STOCKS_ASKED, answers_in_one_thread, closes_from

INDEX = load_sp500_index()


@settings(max_examples=6, deadline=None)
@given(
    ticker=st.sampled_from(STOCKS_ASKED),
    year=st.integers(2012, 2022),
    why=st.sampled_from(["why so high?", "why so low?", "why?", "and why is that?"]),
)
def test_a_stock_s_volatility_is_set_beside_the_index_s(ticker: str, year: int, why: str) -> None:
    asked = f"what is the volatility of {ticker} in {year}?"
    reply = answers_in_one_thread(asked, why)[-1]
    closes = closes_from(year, f"{year}-12-31")
    start = closes.index[0]
    stock = closes[ticker].pct_change().iloc[1:]
    index = INDEX.loc[start : f"{year}-12-31"].pct_change().iloc[1:]
    said = re.search(
        rf"{ticker}'s volatility of ([\d.]+)% a year from \S+ to \S+: the S&P 500 index's was "
        r"([\d.]+)% over the same days, and \w+ moved with it at a beta of (-?[\d.]+) "
        r"\(correlation (-?[\d.]+)\), so about (\d+)% of its daily variance came with the "
        r"index's moves and (\d+)% was its own",
        reply,
    )
    assert said is not None, reply
    correlation = stock.corr(index)
    beta = stock.cov(index) / index.var()
    assert abs(float(said[1]) / 100 - stock.std() * np.sqrt(252)) <= 0.0006, reply
    assert abs(float(said[2]) / 100 - index.std() * np.sqrt(252)) <= 0.0006, reply
    assert abs(float(said[3]) - beta) <= 0.006 and abs(float(said[4]) - correlation) <= 0.006
    assert abs(int(said[5]) - 100 * correlation**2) <= 0.5 + 1e-9, reply
    assert int(said[5]) + int(said[6]) in (99, 100, 101), reply
    assert "total return" not in reply, reply
