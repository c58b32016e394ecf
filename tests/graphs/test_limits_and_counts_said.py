"""What a PM states reaches the search as stated: a drawdown cap said with the verb ("optimize
a strategy for KO and PEP, cap drawdown at 20%") is the search's limit (before, the draft
dropped it and the search ran without one), and a lookback said with thousands separators ("a
1,000-day lookback") is that many sessions for both readers, the offline model's and the ask
accounting's (before, 0 and 1: "lookback 0 trading days asked")."""

from __future__ import annotations

from functools import cache

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.strategy_terms import lookback_sessions
from graphs.ask_items import ask_items
from graphs.ask_vocabulary import Vocabulary, vocabulary
from graphs.chat import ChatSession
from settings import Settings

CAPS = (
    "optimize a strategy for KO and PEP, cap drawdown at {x}%",
    "search strategies for KO and PEP and cap the max drawdown at {x}%",
    "find the best strategy for KO and PEP; limit drawdown to {x}%",
)


@cache
def _vocab() -> Vocabulary:
    return vocabulary(Settings())


@settings(max_examples=6, deadline=None)
@given(said=st.sampled_from(CAPS), percent=st.integers(5, 45))
def test_a_drawdown_cap_said_with_the_verb_is_the_search_s_limit(said: str, percent: int) -> None:
    turn = ChatSession("capped", settings=Settings()).send(said.format(x=percent))
    assert turn.pending is not None, turn.replies
    limits = turn.pending["request"]["risk_limits"]
    assert limits["max_drawdown"] == percent / 100, limits
    assert f"max drawdown ≤ {percent:.2f}%" in turn.pending["summary"], turn.pending["summary"]


@settings(max_examples=60, deadline=None)
@given(days=st.integers(1000, 999_999), form=st.sampled_from(["a {n}-day lookback",
       "a lookback of {n} days", "lookback {n}", "{n} days of lookback"]))  # fmt: skip
def test_a_lookback_said_with_thousands_separators_is_read_whole(days: int, form: str) -> None:
    text = "search strategies for KO with " + form.format(n=f"{days:,}")
    assert lookback_sessions(text.lower()) == days
    items = [i for i in ask_items(text, _vocab()) if i.kind == "lookback"]
    assert [i.value for i in items] == [days], items


def test_a_lookback_longer_than_the_horizon_is_refused_with_the_number_said() -> None:
    reply = ChatSession("long", settings=Settings()).send(
        "search strategies for KO, PEP and JNJ with a 1,000-day lookback"
    )
    text = reply.replies[-1]
    assert reply.pending is None and "lookback up to 1000 days" in text, text
    assert "lookback 0" not in text and "1,000-day lookback" in text, text
