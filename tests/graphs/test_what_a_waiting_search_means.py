"""What the search waiting for approval means, asked of it alone ("thanks, what does that mean?",
"can you explain that?", "what will it do?"), is answered in plain words from the drafted
request: the stocks, the settings it tries, the paths and scenarios, how it is scored; the
search still waits, unchanged. Before, "thanks, what does that mean?" was greeted back and
"what does that mean?" asked what to do. A term asked ("what does CVaR mean?") keeps the
glossary's answer."""

from __future__ import annotations

import uuid

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from services.formatting import count, listed
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED

LEAD_INS = ("", "thanks, ", "ok. ", "Thank you! ", "hmm, so ", "sorry, ")
ASKS = ("what does that mean?", "can you explain that?", "what will it do?",
        "explain it to me please", "what do you mean?", "what is that?")  # fmt: skip


@settings(max_examples=10, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    trials=st.sampled_from((50, 100, 200)),
    lead_in=st.sampled_from(LEAD_INS),
    ask=st.sampled_from(ASKS),
)
def test_the_waiting_search_is_said_in_plain_words_and_still_waits(
    stocks: list[str], trials: int, lead_in: str, ask: str
) -> None:
    session = ChatSession(f"means-{uuid.uuid4().hex}", settings=Settings())
    drafted = session.send(f"find a strategy for {', '.join(stocks)} with {trials} trials")
    assert drafted.pending is not None
    request = drafted.pending["request"]
    turn = session.send(lead_in + ask)
    reply = turn.replies[-1]
    assert reply.startswith(
        "The search waiting for your approval has not run. It would try up to "
        f"{count(trials)} settings of a volatility-targeting strategy that holds "
        f"{listed(request['universe'])} (it searches "
    ), reply
    assert f"{request['n_paths']} paths of {request['horizon']} trading days" in reply, reply
    assert f"{request['start']} to {request['end']}" in reply, reply
    assert turn.pending is not None and turn.pending["request"] == request  # still waiting


def test_a_term_asked_while_a_search_waits_keeps_the_glossary() -> None:
    session = ChatSession(f"means-{uuid.uuid4().hex}", settings=Settings())
    session.send("find a strategy for KO and PEP")
    reply = session.send("thanks, what does CVaR mean?").replies[-1]
    assert reply.startswith("CVaR (expected shortfall):"), reply
