"""Weights asked for a volatility ("what are the weights if I target 25% volatility with AAPL
MSFT KO JNJ?", "how should I weight AAPL KO JNJ XOM to get 25% volatility?", "what weights would
give me 22% vol with ...?"): the efficient-risk portfolio of those stocks at that volatility (the
highest return at it), or why it cannot be built. Before, a strategy search was proposed for
approval, or each stock's volatility was given and the target said unused."""

from __future__ import annotations

import re
import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

ASKS = (
    "what are the weights if I target {v}% volatility with {s}?",
    "how should I weight {s} to get {v}% volatility?",
    "what weights would give me {v}% vol with {s}?",
)


@settings(max_examples=8, deadline=None)
@given(
    ask=st.sampled_from(ASKS),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=5, unique=True),
    target=st.integers(15, 30),
)
def test_weights_asked_for_a_volatility_are_the_efficient_risk_portfolio_at_it(
    ask: str, stocks: list[str], target: int
) -> None:
    session = ChatSession(f"target-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, ask.format(v=target, s=" ".join(stocks)))
    assert not pending and [c["name"] for c in calls] == ["optimize_portfolio"], calls
    args = calls[0]["args"]
    assert args["method"] == "efficient_risk" and args["target_volatility"] == target / 100, args
    assert sorted(args["universe"]) == sorted(stocks), args
    built = re.search(r"Expected return [\d.]+%, volatility ([\d.]+)%", reply)
    if built is None:  # out of the frontier's reach: the range it has is said
        assert "I could not build that efficient-risk portfolio" in reply, reply
        assert "efficient volatilities range from" in reply, reply
    else:
        assert abs(float(built[1]) - target) <= 0.05, reply
    assert "Not used" not in reply, reply
