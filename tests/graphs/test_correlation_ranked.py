"""Stocks ranked by their correlation with one stock or the index ("which stocks have the lowest
correlation to AAPL?", "which stock is least correlated with XOM in 2022?", "rank the stocks by
correlation to the market"): every other stock in order of its correlation of daily returns
with it, the series named in the words. Before, the first two answered the named stock's
correlation with the index alone, and the third listed the stocks in alphabetical order.
Checked against pandas over the embedded closes and index."""

from __future__ import annotations

import re

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from quant.data import load_sp500_index
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
LOWEST = (
    "which stocks have the lowest correlation to {x}{w}?",
    "which stock is least correlated with {x}{w}?",
    "what are the 3 stocks least correlated with {x}{w}?",
)
HIGHEST = (
    "which stocks are most correlated with {x}{w}?",
    "rank the stocks by correlation to {x}{w}",
)
WINDOWS = ("", " in 2021", " since 2020", " in 2022")
_RANKING = re.compile(
    r"By correlation of daily returns with (?P<with>[A-Z]+|the S&P 500 index), "
    r"(?:the (?P<n>\d+) (?:lowest|highest) of \d+, )?(?P<end>lowest|highest) first: "
    r"(?P<names>.+?)(?: \((?:lowest|highest) |\.(?:\s|$))"
)


def _correlations(reply: str, against: pd.Series, others: pd.DataFrame) -> pd.Series:
    """Each stock's correlation of daily returns with `against` over the window the reply
    states (its first day's return from the close before it)."""
    start, end = re.search(r"from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", reply).groups()
    closes = pd.concat([others, against.rename("__against__")], axis=1)
    before = closes.loc[:start].index[-2]
    returns = closes.loc[before:end].pct_change().iloc[1:]
    return returns.drop(columns="__against__").corrwith(returns["__against__"])


def _check(reply: str, expected: pd.Series, end: str, count: int | None) -> None:
    said = _RANKING.search(reply)
    assert said is not None, reply
    assert said["end"] == end, reply
    shown = re.findall(r"([A-Z]+) (-?\d\.\d+)", said["names"])
    order = expected.sort_values(ascending=end == "lowest")
    assert [name for name, _ in shown] == list(order.index[: count or len(order)]), (reply, order)
    for name, value in shown:
        decimals = len(value.split(".")[1])
        assert abs(float(value) - expected[name]) <= 0.5 * 10**-decimals + 1e-4, (reply, order)


@settings(max_examples=8, deadline=None)
@given(
    ask=st.sampled_from(LOWEST + HIGHEST),
    stock=st.sampled_from(STOCKS_ASKED),
    window=st.sampled_from(WINDOWS),
)
def test_stocks_ranked_by_their_correlation_with_a_stock_are_every_other_in_order(
    ask: str, stock: str, window: str
) -> None:
    reply = answer_in_new_thread(ask.format(x=stock, w=window))
    assert f"correlation of daily returns with {stock}" in reply, reply
    expected = _correlations(reply, PRICES[stock], PRICES.drop(columns=stock))
    count = 3 if " 3 " in ask else None
    _check(reply, expected, "lowest" if ask in LOWEST else "highest", count)
    if window.startswith(" in "):
        assert f"from {window[-4:]}-01-" in reply, reply
    assert "Not used" not in reply, reply


@settings(max_examples=4, deadline=None)
@given(
    ask=st.sampled_from(
        (
            "rank the stocks by correlation to the market{w}",
            "what's the least correlated stock to the S&P{w}?",
            "which stocks are most correlated with the S&P 500{w}?",
        )
    ),
    window=st.sampled_from(WINDOWS),
)
def test_stocks_ranked_by_their_correlation_with_the_index_are_in_order(
    ask: str, window: str
) -> None:
    reply = answer_in_new_thread(ask.format(w=window))
    expected = _correlations(reply, INDEX, PRICES)
    assert "with the S&P 500 index" in reply, reply
    _check(reply, expected, "lowest" if "least" in ask else "highest", None)


def test_correlations_among_the_names_are_not_ranked_against_one_series() -> None:
    """A pair's correlation is still the pair's ("correlation of AAPL with KO"), not a ranking
    of one against the other."""
    reply = answer_in_new_thread("correlation of AAPL with KO since 2020")
    assert re.search(r"Correlation of daily returns: AAPL and KO \d\.\d\d", reply), reply
    assert "By correlation" not in reply, reply
