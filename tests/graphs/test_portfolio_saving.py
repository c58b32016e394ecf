"""A portfolio asked to be saved or named in the chat ("save it as core", "call it Defensive",
"save this portfolio under the name Staples"): nothing runs, and the reply says where the
conversation's portfolio is kept (saved to the owner's portfolios when it was built, which the
store is checked for) and how to name it; weights given are to be created in Portfolios; with
nothing built, build first. Before, the message was read as a market question or built another
portfolio (an HRP of KO, PEP and PG for "... the name Staples")."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from store.sqlite import SQLiteStore
from tests.support.chat_answers import built_portfolio, turn_calls

NAMES = st.sampled_from(("core", "Staples", "Defensive 2024", "my income book", "Q3 growth"))
ASKS = st.sampled_from(
    (
        "save it as {n}",
        "save this portfolio under the name {n}",
        "please save that as {n}",
        "ok, save it as '{n}'",
        "call it {n}",
        "name this portfolio {n}",
        "rename it to {n}",
        "can you save the portfolio as {n}?",
    )
)


def _built() -> tuple[ChatSession, str]:
    session = ChatSession(f"save-{uuid.uuid4().hex}", settings=Settings())
    reply, _, _ = turn_calls(session, "build a min vol portfolio of KO, PEP and PG")
    return session, built_portfolio(reply)[0]


@settings(max_examples=6, deadline=None)
@given(name=NAMES, ask=ASKS)
def test_saving_or_naming_a_built_portfolio_says_where_it_is_and_how_to_name_it(
    name: str, ask: str
) -> None:
    session, portfolio = _built()  # a new thread each time (a long one keeps its recent turns)
    reply, calls, _ = turn_calls(session, ask.format(n=name))
    assert calls == [], (reply, calls)
    assert reply.startswith("I cannot name or save a portfolio from the chat myself"), reply
    assert f"{portfolio} is there already" in reply and f"call it \u201c{name}\u201d" in reply
    assert "Portfolios" in reply and "Nothing was saved or renamed." in reply, reply
    assert "used" not in reply.split("Nothing was saved or renamed.")[1], reply  # no "Not used"


def test_the_portfolio_the_reply_points_to_is_in_the_owner_s_portfolios(
    offline_data_dir: Path, tmp_path: Path
) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite")
    session = ChatSession("save-owned", settings=Settings(), owner="alice", store=store)
    reply, _, _ = turn_calls(session, "build an HRP portfolio of AAPL, MSFT, KO and XOM")
    portfolio, weights = built_portfolio(reply)
    reply, calls, _ = turn_calls(session, "save it as Core")
    assert calls == [] and f"{portfolio} is there already" in reply, reply
    kept = [p for p in store.list_portfolios("alice") if p.data["source"]["chat_id"] == portfolio]
    assert len(kept) == 1, store.list_portfolios("alice")
    saved = {row["asset"]: row["weight"] for row in kept[0].data["weights"]}
    assert saved.keys() == weights.keys()
    assert all(abs(saved[t] - weights[t]) <= 0.0006 for t in weights), (saved, weights)


def test_weights_given_are_to_be_created_and_nothing_built_is_to_be_built_first() -> None:
    session = ChatSession(f"save-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "save it as core")
    assert calls == [] and reply.startswith("There is no portfolio in this conversation"), reply
    turn_calls(session, "what is the risk of 60% AAPL 40% KO?")
    reply, calls, _ = turn_calls(session, "please save these weights as Growth")
    assert calls == [], (reply, calls)
    assert re.search(r"the weights given \(AAPL 60\.0%, KO 40\.0%\) and call it .Growth.", reply)
    assert "POST /v1/portfolios" in reply and "Nothing was saved." in reply, reply


def test_saving_as_an_idea_stays_the_ideas() -> None:
    session, _ = _built()
    _, calls, _ = turn_calls(session, "save that as an idea")
    assert [c["name"] for c in calls] == ["save_idea"], calls
