"""Downturns said in the plural in a question how stocks or a portfolio did ("how did KO do in
bear markets?", "how do KO and PEP hold up in downturns?", "how did it fare in past crashes?")
are the historical episodes, every one, replayed: before, the first was answered with KO's
statistics over the whole window and "Not used: the bear scenario", the second drafted a
200-trial strategy search. In a search ("find a strategy that holds up in downturns", "VaR
under 3% in bear markets") they stay the simulated bear scenario. Each replayed loss is checked
against the closing prices; both readers (the offline model and the ask accounting) are held to
the same reading."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.ask_items import ask_items
from graphs.ask_vocabulary import vocabulary
from quant import load_sp500_prices
from quant.episodes import EPISODES
from settings import Settings
from tests.support.chat_answers import answer_in_new_thread, answers_in_one_thread

PRICES = load_sp500_prices()
TICKERS = st.sampled_from(sorted(PRICES.columns))
ASKS = (
    "How did {t} do in bear markets?",
    "how does {t} hold up in downturns?",
    "how did {t} fare in past crashes?",
    "how did {t} do in the downturns?",
    "how did {t} do in past recessions?",
    "how has {t} held up in previous bear markets?",
    "how did {t} perform during market crashes",
)
"""How a PM asks how one stock did in past downturns."""
SEARCHES = (
    "find a strategy for KO and PEP that holds up in downturns",
    "find a target vol setting for XOM CVX with VaR under 3% in bear markets",
)
"""Searches whose downturns are the simulated bear scenario."""
OTHER_READINGS = {
    "what's KO's beta in downturns?": "beta 0.",  # the measure asked
    "how did KO do in bear markets before 2010?": "2010-12-31",  # the window said
    "how did the S&P 500 do in bear markets?": "The S&P 500 index from",  # the index
}
"""Downturns beside a measure, a window or the index: those are answered, no episode replayed."""


def _replayed(reply: str, stock: str | None = None) -> dict[str, float]:
    """Episode key -> the loss (negative) or gain the reply states for it, of the portfolio or
    of the one `stock` held (named, not called "the portfolio")."""
    held, holder = ("the weights", "the portfolio") if stock is None else (stock, stock)
    found = {}
    for key, episode in EPISODES.items():
        said = re.search(
            rf"{re.escape(episode.name)} \({episode.start} to {episode.end}\), replayed on "
            rf"{held} bought at its start: {holder} (loses|gains) (\d+\.\d)%",
            reply,
            flags=re.IGNORECASE,
        )
        if said is not None:
            found[key] = float(said[2]) / 100 * (-1 if said[1] == "loses" else 1)
    return found


@settings(max_examples=10, deadline=None)
@given(ticker=TICKERS, ask=st.sampled_from(ASKS))
def test_how_a_stock_did_in_downturns_replays_every_episode(ticker: str, ask: str) -> None:
    reply = answer_in_new_thread(ask.format(t=ticker))
    replayed = _replayed(reply, ticker)
    assert replayed.keys() == EPISODES.keys(), reply
    for key, told in replayed.items():
        episode = EPISODES[key]
        prices = PRICES[ticker]
        expected = float(prices.loc[episode.end] / prices.loc[episode.start] - 1)
        assert abs(told - expected) <= 0.0006, (key, told, expected, reply)  # as said: 0.1%
    assert "Not used" not in reply, reply  # the downturns were the episodes, all of them
    # the episodes replay their own prices: no other window is said to be used (it said
    # "History used from 2018-01-02 to 2022-12-28" and "Used: KO; 2018-01-02 to 2022-12-28")
    assert "History used" not in reply and reply.endswith(f"Used: {ticker}."), reply


def test_downturns_beside_a_measure_a_window_or_the_index_keep_what_was_asked() -> None:
    for ask, answered in OTHER_READINGS.items():
        reply = answer_in_new_thread(ask)
        assert answered in reply and not (_replayed(reply) or _replayed(reply, "KO")), (ask, reply)
        items = ask_items(ask, vocabulary(Settings()))
        assert not [item for item in items if item.kind == "episode"], (ask, items)


def test_a_portfolio_built_then_asked_about_past_bear_markets_is_replayed() -> None:
    built, asked = answers_in_one_thread(
        "hrp of KO, PG and XOM", "how did it do in past bear markets?"
    )
    portfolio = re.search(r"\((pf_[0-9a-f]{6})\)", built)
    assert portfolio is not None, built
    assert f"Stress test of portfolio {portfolio[1]}" in asked, asked
    assert _replayed(asked).keys() == EPISODES.keys() and "Not used" not in asked, asked


def test_the_ask_accounting_reads_past_downturns_as_every_episode_and_searches_as_bear() -> None:
    vocab = vocabulary(Settings())
    for ask in ASKS:
        items = ask_items(ask.format(t="KO"), vocab)
        episodes = {item.value for item in items if item.kind == "episode"}
        assert episodes == set(EPISODES), (ask, items)
        assert not [item for item in items if item.kind == "scenario"], (ask, items)
    for search in SEARCHES:
        items = ask_items(search, vocab)
        assert not [item for item in items if item.kind == "episode"], (search, items)
    items = ask_items(SEARCHES[1], vocab)  # the limit's scenario
    assert [item.value for item in items if item.kind == "scenario"] == ["bear"], items
    items = ask_items("what's the VaR of KO in bear markets?", vocab)
    assert [i.value for i in items if i.kind == "scenario"] == ["bear"], items  # a measure in
    assert not [i for i in items if i.kind == "episode"], items  # the simulated bear market


def test_a_search_that_holds_up_in_downturns_stays_a_search_weighting_the_bear_scenario() -> None:
    from graphs.chat import ChatSession

    for search in SEARCHES:
        turn = ChatSession(f"downturns-{abs(hash(search))}", settings=Settings()).send(search)
        assert turn.pending is not None, (search, turn.replies)
        request = turn.pending["request"]
        bear_weighted = (request.get("scenario_weights") or {}).get("bear", 1.0) > 1.0
        bear_limited = (request["risk_limits"].get("scenarios") or []) == ["bear"]
        assert bear_weighted or bear_limited, (search, request)
