"""A volatility target said as a bare target after a volatility-targeting strategy is named
("optimize a vol-targeting strategy on AAPL, MSFT and KO with a 12% target", "... with a target
of 10%") is the drafted search's fixed target (a 5-25% search was drafted and the 12% said
unused); a return target said so ("a 15% target return") is not taken for a volatility."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED

ASKED = (
    "optimize a vol-targeting strategy on {names} with a {t}% target",
    "run a volatility targeting search on {names} with a target of {t}%",
    "find me a vol targeting strategy for {names}, the {t}% target",
)


def _drafted(text: str) -> dict:
    turn = ChatSession(f"target-{uuid.uuid4().hex}", settings=Settings()).send(text)
    assert turn.pending is not None and turn.pending["type"] == "approval", turn.replies
    return turn.pending


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    target=st.integers(min_value=5, max_value=25),
    asked=st.sampled_from(ASKED),
)
def test_a_bare_target_after_a_volatility_targeting_strategy_is_its_fixed_target(
    stocks: list[str], target: int, asked: str
) -> None:
    names = ", ".join(stocks[:-1]) + f" and {stocks[-1]}"
    pending = _drafted(asked.format(names=names, t=target))
    assert pending["request"]["search_space"]["target_vol"] == target / 100, pending
    assert f"volatility target {target}% (fixed)" in pending["summary"], pending["summary"]
    assert "Not used" not in pending["summary"], pending["summary"]


def test_a_return_target_is_not_read_as_a_volatility_target() -> None:
    pending = _drafted("find a vol-targeting strategy for AAPL and MSFT with a 15% target return")
    assert pending["request"]["search_space"]["target_vol"] == {"low": 0.05, "high": 0.25}
    assert "Not used: the 15% return target" in pending["summary"], pending["summary"]
