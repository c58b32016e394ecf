"""A market move asked again as a percentage alone after a stress test of one ("stress test 50%
JPM 50% BAC with a 30% market crash", then "what about 20%?", "and 40%?"): the same stress test
at that move, its side kept (a fall stays a fall, a rally a rally), said as changed. Before, the
follow-up asked what to do. Checked against each stock's beta to the index from pandas."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
FIRST = {
    -1: "stress test {w} with a {x}% market crash",
    1: "what if the market rallies {x}% for {w}?",
}
AGAIN = ("what about {y}%?", "and {y}%?", "try {y}% instead")


def _beta(stock: str) -> float:
    """The stock's beta to the index over the default window (2018 to the data's end)."""
    start = PRICES.loc[:"2017-12-31"].index[-1]
    stock_returns = PRICES[stock].loc[start:].pct_change().iloc[1:]
    index_returns = INDEX.loc[start:].pct_change().iloc[1:]
    return float(stock_returns.cov(index_returns) / index_returns.var())


@settings(max_examples=8, deadline=None)
@given(
    side=st.sampled_from((-1, 1)),
    again=st.sampled_from(AGAIN),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=2, unique=True),
    moves=st.lists(st.sampled_from((10, 15, 20, 25, 30, 40)), min_size=2, max_size=2, unique=True),
)
def test_a_move_said_again_stresses_the_same_weights_at_it(
    side: int, again: str, stocks: list[str], moves: list[int]
) -> None:
    session = ChatSession(f"moves-{uuid.uuid4().hex}", settings=Settings())
    weights = f"50% {stocks[0]} 50% {stocks[1]}"
    turn_calls(session, FIRST[side].format(w=weights, x=moves[0]))
    reply, calls, _ = turn_calls(session, again.format(y=moves[1]))
    assert [c["name"] for c in calls] == ["stress_test"], calls
    assert calls[0]["args"]["market_move"] == side * moves[1] / 100, calls
    assert calls[0]["args"]["weights"] == {stocks[0]: 0.5, stocks[1]: 0.5}, calls
    word = "fall" if side < 0 else "rise"
    assert f"a {moves[1]}% market {word} instead of {moves[0]}%" in reply, reply
    expected = side * moves[1] / 100 * (0.5 * _beta(stocks[0]) + 0.5 * _beta(stocks[1]))
    said = re.search(r"the portfolio (loses|gains) ([\d.]+)%", reply)
    assert said is not None, reply
    assert abs(float(said[2]) / 100 - abs(expected)) <= 0.0006, (reply, expected)
    assert said[1] == ("loses" if expected < 0 else "gains"), reply
