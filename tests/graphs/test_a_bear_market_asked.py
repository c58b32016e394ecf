"""A question how stocks or a portfolio would do in a bear market said in the singular ("how
would KO do in a bear market?", "how does JNJ hold up in a bear market?"), or whether they are
good in one ("is KO good in a bear market?": before, the bear scenario's mean return alone), is
the stress test of the scenario engine's bear case, as "stress test KO in a bear market" is: before, the first was
answered with a 10%-target-vol backtest of KO and "Not used: the bear scenario", the second
drafted a 200-trial strategy search. A search that holds up in one stays a search, a measure
beside it keeps its reading, and a search said with "optimize a ... strategy" or "search
strategies" and a scenario weighted is a search, not the scenario's statistics. Asked in the past
tense ("how did KO do in a bear market?"), it is the replay of the historical episodes, as in
the plural ("in bear markets"): before, it was answered with the whole window's statistics and
"Not used: the bear scenario"."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent.stress_reading import bear_market_asked
from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread

TICKERS = st.sampled_from(sorted(load_sp500_prices().columns))
ASKS = (
    "how would {t} do in a bear market?",
    "how does {t} hold up in a bear market?",
    "How would {t} fare in a bear market",
    "how will {t} perform in the next bear market?",
    "would {t} survive a bear market? how would it hold up in a bear market",
    "how might {t} cope during a bear market?",
    "how much would {t} lose in a bear market?",
    "what do you think {t} would do in a bear market?",
    "If we hit a bear market, how badly would {t} get hurt?",
    "if the market enters a bear market, how much would {t} suffer?",
    "in case of a bear market how would {t} hold up",
    "say we enter a bear market next year - how much could {t} lose?",
    "Suppose the market goes into a bear market. How would {t} hold up?",
    "imagine there's a bear market: how badly could {t} fall?",
    "what if we hit another bear market, how would {t} do?",
    "assuming a bear market hits, how much would {t} drop",
    "let's say stocks were to enter a full-blown bear market; how would {t} fare?",
    "is {t} good in a bear market?",
    "is {t} a good stock for a bear market?",
    "is {t} safe in a bear market?",
    "would you say {t} is defensive in a bear market?",
)
"""How a PM asks how one stock would do in a (simulated) bear market."""


def test_every_way_of_asking_is_read_as_the_bear_case() -> None:
    """Each phrasing, whichever the property test below draws."""
    unread = [ask for ask in ASKS if not bear_market_asked(ask.format(t="KO").lower())]
    assert not unread, unread


BEAR_CASE = re.compile(
    r"The scenario engine's bear case over 252 sessions \([\d,]+ paths\): median return -?\d+\.\d%, "
    r"5th percentile -?\d+\.\d%, probability of a loss \d+\.\d%"
)


@settings(max_examples=8, deadline=None)
@given(ticker=TICKERS, ask=st.sampled_from(ASKS))
def test_how_a_stock_would_do_in_a_bear_market_is_the_bear_case_stress(
    ticker: str, ask: str
) -> None:
    reply = answer_in_new_thread(ask.format(t=ticker))
    stressed = BEAR_CASE.search(reply)
    assert stressed is not None, reply
    assert f"Stress test of {ticker} ({ticker} 100.0%)" in reply, reply
    asked_so = answer_in_new_thread(f"stress test {ticker} in a bear market")
    assert stressed[0] in asked_so, (reply, asked_so)  # the same case, the same numbers
    assert "Not used" not in reply, reply


def test_a_search_a_measure_and_the_past_keep_their_reading() -> None:
    session = ChatSession("bear-search", settings=Settings())
    turn = session.send("find a strategy for KO and PEP that holds up in a bear market")
    assert turn.pending is not None, turn.replies
    assert turn.pending["request"]["scenario_weights"]["bear"] > 1.0
    beta = answer_in_new_thread("how would KO's beta look in a bear market?")
    assert "beta 0." in beta and "bear case" not in beta, beta
    # ("which stocks hold up in a bear market?" chooses among the stocks: each one's bear case,
    # ranked, tests/graphs/test_stocks_stressed_side_by_side.py)
    for text in (
        "how did KO do in a bear market?",
        "find a strategy that holds up in a bear market",
        "how should i weight ko, pep and jnj to hold up in a bear market?",
        "build me a portfolio of ko, pep and jnj that holds up in a bear market",
        "how did ko hold up in a bear market?",
        "how would a put on ko perform in a bear market?",
    ):
        assert not bear_market_asked(text.lower()), text


def test_a_strategy_to_optimize_with_a_scenario_weighted_is_a_search() -> None:
    """ "optimize a vol-targeting strategy for KO and PEP weighting the bear scenario 3x" was
    answered with the bear scenario's statistics: it is a search, the bear scenario weighted
    as said, and leverage said beside it is leverage, not the weight."""
    built = answer_in_new_thread("optimize risk parity strategy for KO, PEP and JNJ")
    assert built.startswith("Risk-parity portfolio"), built  # a method's portfolio, no search
    asks = {
        "optimize a vol-targeting strategy for KO and PEP weighting the bear scenario 3x": 3.0,
        "optimize a vol-targeting strategy for KO and PEP with 2x leverage and the bear "
        "scenario weighted double": 2.0,
        "optimize a vol-targeting strategy for KO and PEP with 3x leverage, overweight the "
        "bear scenario": 2.0,
        "optimize the allocation strategy of KO and PEP, weighting the bear scenario triple": 3.0,
        "optimize a vol-targeting strategy for KO and PEP with leverage up to 3x, weight the "
        "bear scenario more": 2.0,
        "search strategies for KO and PEP and weight the bear scenario 3x": 3.0,
        "search strategies for KO and PEP, weighting the bear scenario triple": 3.0,
    }
    for ask, weight in asks.items():
        turn = ChatSession("weighted", settings=Settings()).send(ask)
        assert turn.pending is not None, (ask, turn.replies)
        weights = turn.pending["request"]["scenario_weights"]
        assert weights["bear"] == weight and weights["bull"] == 1.0, (ask, weights)
    session = ChatSession("weighted-change", settings=Settings())
    session.send("optimize a vol-targeting strategy for KO and PEP")
    changed = session.send("weight the bear scenario triple")
    assert changed.pending is not None
    assert changed.pending["request"]["scenario_weights"]["bear"] == 3.0, changed.pending


PAST_ASKS = (
    "how did {t} do in a bear market?",
    "how did {t} hold up in the last bear market?",
    "How did {t} fare during a recession",
    "how was {t} in a market crash?",
)
"""How a PM asks how one stock did in a downturn said in the singular, in the past tense."""
EPISODES = ("The 2008 financial crisis", "The 2020 Covid crash", "The 2022 rate shock")


@settings(max_examples=6, deadline=None)
@given(ticker=TICKERS, ask=st.sampled_from(PAST_ASKS))
def test_how_a_stock_did_in_a_bear_market_is_the_replay_of_the_episodes(
    ticker: str, ask: str
) -> None:
    reply = answer_in_new_thread(ask.format(t=ticker))
    assert f"Stress test of {ticker} ({ticker} 100.0%)" in reply, reply
    assert all(episode in reply for episode in EPISODES), reply
    assert "bear case" not in reply and "Not used" not in reply, reply
    plural = answer_in_new_thread(f"how did {ticker} do in bear markets?")
    assert reply.split("\n\n")[0] == plural.split("\n\n")[0], (reply, plural)
