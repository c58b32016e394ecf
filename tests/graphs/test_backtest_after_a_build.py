"""A backtest asked after a build ("build an HRP portfolio of AAPL, MSFT, JNJ and XOM", "now
without XOM", then "and backtest it since 2020"): the latest portfolio built, backtested over the
window said. Before, the "and" read it as a change of the build: the portfolio was built again
over the new window and no backtest ran. A backtest asked again after a backtest stays its
change ("and backtest it since 2020 quarterly")."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, turn_calls

METHODS = ("an HRP", "a min volatility", "a max sharpe", "a risk parity")
ASKED = ("and backtest it since {y}", "now backtest it since {y}", "backtest that since {y}")


@settings(max_examples=6, deadline=None)
@given(
    method=st.sampled_from(METHODS),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True),
    drop=st.booleans(),
    year=st.integers(2012, 2021),
    asked=st.sampled_from(ASKED),
)
def test_a_backtest_after_a_build_is_of_the_portfolio_built(
    method: str, stocks: list[str], drop: bool, year: int, asked: str
) -> None:
    session = ChatSession(f"built-{uuid.uuid4().hex}", settings=Settings())
    reply, _, _ = turn_calls(session, f"build {method} portfolio of {', '.join(stocks)}")
    if drop:
        reply, _, _ = turn_calls(session, f"now without {stocks[-1]}")
    built, _ = built_portfolio(reply)
    reply, calls, _ = turn_calls(session, asked.format(y=year))
    assert [(c["name"], c["args"].get("portfolio_id"), c["args"].get("start")) for c in calls] == [
        ("backtest_weights", built, f"{year}-01-01")
    ], (reply, calls)
    assert reply.startswith("Backtest of "), reply


def test_a_backtest_asked_again_after_a_backtest_is_its_change() -> None:
    session = ChatSession(f"built-{uuid.uuid4().hex}", settings=Settings())
    _, first, _ = turn_calls(session, "backtest 60% AAPL 40% KO since 2018")
    reply, calls, _ = turn_calls(session, "and backtest it since 2020 quarterly")
    assert [c["args"] for c in calls] == [
        first[0]["args"] | {"start": "2020-01-01", "rebalance": "quarterly"}
    ], calls
    assert reply.startswith("Changed from your previous request: "), reply
