"""A cash holding to be sized ("how much cash should I hold?", "what's the right cash allocation
for me?"): said to be beyond the data (stocks only, no cash or bond rates), with the two things
it can show instead, each of which works as written. Before, it asked what to do, or built an
HRP portfolio of every stock."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.scope import CASH_REPLY
from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import turn_calls

ASKS = (
    "how much cash should {w} hold?",
    "how much cash do {w} keep?",
    "what percentage should {w} keep in cash?",
    "how much should {w} hold in cash?",
    "what's the right cash allocation for {o}?",
    "what is the ideal cash buffer for {o}?",
)


@settings(max_examples=6, deadline=None)
@given(ask=st.sampled_from(ASKS), who=st.sampled_from([("I", "me"), ("we", "us")]))
def test_a_cash_holding_to_size_is_said_to_be_beyond_the_data(
    ask: str, who: tuple[str, str]
) -> None:
    session = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, ask.format(w=who[0], o=who[1]))
    assert reply == CASH_REPLY and calls == [] and not pending, (reply, calls)


def test_what_the_cash_reply_offers_instead_works_as_written() -> None:
    session = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    _, calls, pending = turn_calls(session, "search a 10% target-vol strategy on AAPL, KO and JNJ")
    assert pending, calls
    other = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(other, "stress test 60% AAPL 40% KO in the covid crash")
    assert [c["name"] for c in calls] == ["stress_test"], (reply, calls)
    assert calls[0]["args"]["episodes"] == ["covid_2020"], calls
    assert "'search a 10% target-vol strategy on AAPL, KO and JNJ'" in CASH_REPLY
    assert "'stress test 60% AAPL 40% KO in the covid crash'" in CASH_REPLY
