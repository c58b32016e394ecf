"""Equal weight set beside a portfolio ("how does it compare to equal weight?") is the
benchmark, not the conversation's subject: "backtest it" or "what's its beta?" after it are of
the portfolio, and equal weight is not carried into them as asked. Before, "backtest it since
2020" backtested the equal-weight portfolio."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, turn_calls

COMPARED = ("how does it compare to equal weight?", "compare it with equal weight",
            "is it better than equal weight?", "how does it do vs equal weight?")  # fmt: skip
NEXT = {"backtest it since 2020": "backtest_weights", "what's its beta?": "asset_statistics",
        "stress test it in the covid crash": "stress_test"}  # fmt: skip


@settings(max_examples=8, deadline=None)
@given(
    method=st.sampled_from(("HRP", "min vol", "risk parity")),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=5, unique=True),
    compared=st.sampled_from(COMPARED),
    then=st.sampled_from(sorted(NEXT)),
)
def test_after_equal_weight_is_set_beside_the_portfolio_stays_the_subject(
    method: str, stocks: list[str], compared: str, then: str
) -> None:
    session = ChatSession(f"beside-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(session, f"build a {method} portfolio of {' '.join(stocks)}")
    portfolio_id, _ = built_portfolio(built)
    turn_calls(session, compared)
    reply, calls, _ = turn_calls(session, then)
    assert [c["name"] for c in calls] == [NEXT[then]], (compared, then, calls)
    assert calls[0]["args"].get("portfolio_id") == portfolio_id, (compared, then, calls)
    assert "weights" not in calls[0]["args"], calls
    assert "Not used: the method equal weight" not in reply, reply
