"""A search keeps what the PM states and what a follow-up leaves alone (issue 63).

Before: "find a strategy ... rebalanced monthly" searched rebalancing over 5-63 days (the cadence
only named the parameter the answer reports); "find a strategy for AAPL, MSFT and KO with a 10%
max drawdown in the bear scenario" generated a bear scenario set instead of a search; "rebalance
quarterly instead" after a search drafted a new search of the whole universe without the earlier
limit; and the same words in an empty conversation drafted a 200-trial search of 20 stocks."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.strategy_args import CADENCE_SESSIONS
from graphs.chat import ChatSession
from settings import Settings

KNOWN = known_tickers()
UNIVERSES = (("AAPL", "MSFT", "KO"), ("JPM", "BAC"), ("XOM", "CVX", "PG", "KO"))
SCENARIOS = ("bear", "bull", "high-vol", "low-vol")
CADENCES = ("weekly", "monthly", "quarterly")


def _names(universe: tuple[str, ...]) -> str:
    return ", ".join(universe[:-1]) + " and " + universe[-1]


def _fresh() -> str:
    """A thread id of its own (hypothesis' examples share the test's store)."""
    return f"t-{uuid.uuid4().hex[:12]}"


def _drafted(session: ChatSession, text: str) -> dict[str, Any]:
    """The request a message drafts for approval (rejected, so the thread goes on)."""
    turn = session.send(text)
    assert turn.pending is not None and turn.pending["type"] == "approval", (text, turn.replies)
    session.decide("reject")
    return dict(turn.pending["request"]) | {"summary": turn.pending["summary"]}


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(UNIVERSES),
    st.integers(5, 30),
    st.sampled_from(SCENARIOS),
    st.sampled_from(("find", "find me", "look for", "suggest", "recommend")),
)
def test_a_strategy_asked_for_with_a_limit_in_a_scenario_is_a_search(
    universe: tuple[str, ...], limit: int, scenario: str, verb: str
) -> None:
    text = f"{verb} a strategy for {_names(universe)} with a {limit}% max drawdown in the "
    intent = parse_intent(text + f"{scenario} scenario", KNOWN)
    assert intent.intent == "search_strategy", text
    assert intent.risk_limits == {"max_drawdown": limit / 100}


@settings(max_examples=6, deadline=None)
@given(
    st.sampled_from(UNIVERSES),
    st.sampled_from(CADENCES),
    st.sampled_from((21, 42, 63, 126)),
    st.sampled_from((1.25, 1.5, 2.0)),
)
def test_the_cadence_lookback_and_leverage_asked_are_kept_in_every_trial(
    universe: tuple[str, ...], cadence: str, lookback: int, leverage: float
) -> None:
    session = ChatSession(_fresh(), settings=Settings())
    text = (
        f"find a strategy for {_names(universe)} rebalanced {cadence}, with a {lookback}-day "
        f"lookback and {leverage:g}x leverage"
    )
    request = _drafted(session, text)
    space = request["search_space"]
    assert space["rebalance_every"] == CADENCE_SESSIONS[cadence], text
    assert space["lookback"] == lookback and space["max_leverage"] == leverage, text
    assert sorted(request["universe"]) == sorted(universe)
    assert isinstance(space["target_vol"], dict)  # what is not stated is searched
    assert (
        f"rebalancing every {CADENCE_SESSIONS[cadence]} trading days (fixed)"
        in (request["summary"])
    )


def test_a_revision_changes_the_latest_search_and_keeps_the_rest() -> None:
    session = ChatSession("revised", settings=Settings())
    first = _drafted(
        session,
        "find a strategy for AAPL, MSFT and KO with a 10% max drawdown in the bear scenario",
    )
    assert first["risk_limits"]["max_drawdown"] == 0.1
    quarterly = _drafted(session, "rebalance quarterly instead")
    assert quarterly["universe"] == first["universe"]
    assert quarterly["risk_limits"] == first["risk_limits"]
    assert quarterly["search_space"]["rebalance_every"] == 63
    session.send("what's the vol of XOM")  # another ask between: not a search
    fewer = _drafted(session, "and make it 50 trials instead")
    assert fewer["budget"]["max_trials"] == 50
    assert fewer["universe"] == first["universe"]  # not XOM, the subject of the ask between
    assert fewer["risk_limits"] == first["risk_limits"]
    assert fewer["search_space"]["rebalance_every"] == 63  # the revision before is kept too


@settings(max_examples=8, deadline=None)
@given(
    st.sampled_from(
        (
            "rebalance quarterly instead",
            "make it 50 trials instead",
            "use min vol instead",
            "start in 2018 instead",
            "rebalance monthly instead.",
            "now with 2x leverage",
            "and since 2015?",
            "also with a 126-day lookback",
        )
    )
)
def test_a_revision_in_an_empty_conversation_asks_what_it_is_for(text: str) -> None:
    turn = ChatSession(_fresh(), settings=Settings()).send(text)
    assert turn.pending is None, text  # no search drafted
    assert len(turn.replies) == 1
    reply = turn.replies[0]
    assert reply.startswith("There is no earlier request in this conversation"), reply
    assert "nothing was computed" in reply
    assert text.rstrip(".!?") in reply


def test_a_revision_naming_its_stocks_in_an_empty_conversation_is_answered() -> None:
    turn = ChatSession("named", settings=Settings()).send("use min vol instead for AAPL and KO")
    assert turn.pending is None
    assert turn.replies and turn.replies[0].startswith("Min-volatility portfolio")


def test_follow_ups_of_a_search_change_it_and_those_of_another_ask_stay_with_that_ask() -> None:
    """ "now with 2x leverage", "what about a 126-day lookback?", "try it with 50 trials" build on
    the search (each keeping the changes before it); "and since 2015?" after a statistics ask
    changes that ask, not the search."""
    session = ChatSession(_fresh(), settings=Settings())
    first = _drafted(session, "find a strategy for AAPL, MSFT and KO rebalanced monthly")
    levered = _drafted(session, "now with 2x leverage")
    longer = _drafted(session, "what about a 126-day lookback?")
    assert levered["universe"] == longer["universe"] == first["universe"]
    assert levered["search_space"]["max_leverage"] == longer["search_space"]["max_leverage"] == 2
    assert longer["search_space"]["lookback"] == 126
    assert longer["search_space"]["rebalance_every"] == 21
    session.send("what's the vol of XOM")
    since = session.send("and since 2015?")
    assert since.pending is None and "2015" in since.replies[-1]
    fewer = _drafted(session, "try it with 50 trials")
    assert fewer["budget"]["max_trials"] == 50
    assert fewer["universe"] == first["universe"] and fewer["start"] == first["start"]
    assert fewer["search_space"]["lookback"] == 126


@settings(max_examples=6, deadline=None)
@given(
    st.sampled_from(("same but for {n}", "same thing for {n}", "same for {n} please")),
    st.sampled_from((("the banks", ("BAC", "JPM")), ("JPM and XOM", ("JPM", "XOM")))),
)
def test_same_for_other_names_after_a_search_is_that_search_on_them(
    form: str, names: tuple[str, tuple[str, ...]]
) -> None:
    """ "same but for the banks" after a search read as a market overview of the banks; it is the
    search again on them, with its stated settings."""
    session = ChatSession(_fresh(), settings=Settings())
    _drafted(session, "find a strategy for AAPL, MSFT and KO rebalanced monthly")
    again = _drafted(session, form.format(n=names[0]))
    assert tuple(sorted(again["universe"])) == names[1]
    assert again["search_space"]["rebalance_every"] == 21


@pytest.mark.parametrize(
    "text",
    ("now find strategies rebalanced monthly", "then search for strategies since 2015"),
)
def test_a_fresh_ask_that_opens_like_a_follow_up_is_answered(text: str) -> None:
    turn = ChatSession(_fresh(), settings=Settings()).send(text)
    assert not any(r.startswith("There is no earlier request") for r in turn.replies), text
    assert turn.pending is not None, text  # a search drafted for approval


@settings(max_examples=10, deadline=None)
@given(
    st.sampled_from(
        (
            "use {y} as the start",
            "actually use {y} as the start",
            "start in {y} instead",
            "from {y} instead",
            "what about since {y}?",
            "and since {y}?",
            "begin in {y}",
            "change the start to {y}",
            "set the start date to {y}",
        )
    ),
    st.integers(2013, 2019),
    st.booleans(),
)
def test_a_new_start_for_the_search_drafts_it_again_from_that_year(
    form: str, year: int, decided: bool
) -> None:
    """ "use 2015 as the start" while a search waited for approval was read as no ask at all: the
    assistant asked what to do and the search was gone. A new start said alone, the search
    decided or still pending (the new message sets it aside), drafts the search again from that
    year with everything else it had."""
    session = ChatSession(_fresh(), settings=Settings())
    text = "search for a strategy on AAPL, MSFT, JNJ and XOM from 2012, max drawdown under 20%"
    first = session.send(text).pending
    assert first is not None and first["request"]["start"] == "2012-01-01"
    if decided:
        session.decide("reject")
    turn = session.send(form.format(y=year))
    assert turn.pending is not None and turn.pending["type"] == "approval", turn.replies
    again = turn.pending["request"]
    assert again["start"] == f"{year}-01-01"
    for kept in ("universe", "end", "risk_limits", "scenarios", "budget", "search_space"):
        assert again[kept] == first["request"][kept], kept
