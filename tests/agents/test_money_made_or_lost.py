"""What a holding made or lost over a past window is its total return (issue 63): "how much did
AAPL lose in 2022" got a market overview (its Sharpe ratio and annualised return), "how much did
we lose on JPM in 2020" a stress test of nothing, and "how much would I have lost in 2022
holding equal weights of the tech stocks" a risk report (VaR and CVaR). A loss that may still
happen ("how much would I lose if the market drops 20%", "... if the market fell 20%") stays a
stress test."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import known_tickers
from agents.offline.intent import parse_intent
from agents.offline.intent.analysis import read_analysis
from agents.offline.intent.stress_reading import market_move_named
from graphs.chat import ChatSession
from quant.data import load_sp500_index, load_sp500_prices
from settings import Settings

KNOWN = known_tickers()
ASKS = (
    "how much did {t} lose in {y}",
    "how much did {t} make in {y}?",
    "how much would I have made holding {t} since {y}",
    "how much did we lose on {t} in {y}",
    "how much would {t} have gained since {y}",
    "how much have we lost on {t} since {y}?",
)


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(ASKS),
    st.sampled_from(["AAPL", "KO", "JPM", "XOM", "AAPL and MSFT", "50% KO 50% PEP"]),
    st.integers(2006, 2021),
)
def test_what_a_holding_made_or_lost_is_its_total_return(ask: str, held: str, year: int) -> None:
    text = ask.format(t=held, y=year)
    intent = parse_intent(text, KNOWN)
    analysis = read_analysis(intent, KNOWN)
    assert analysis is not None and analysis.kind == "statistics", text
    assert "return" in analysis.measures, text
    assert intent.start == f"{year}-01-01", text


@pytest.mark.parametrize(
    ("text", "episodes"),
    [
        ("how much would I lose if the market drops 20% on 50% JPM 50% BAC", ()),
        ("how much could we lose on AAPL and KO in the 2008 crisis", ("gfc_2008",)),
        ("how much would AAPL and KO have lost in the 2008 crisis", ("gfc_2008",)),
    ],
)
def test_a_loss_that_may_happen_or_an_episode_replayed_stays_a_stress_test(
    text: str, episodes: tuple[str, ...]
) -> None:
    analysis = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert analysis is not None and analysis.kind == "stress" and analysis.episodes == episodes


SUPPOSED_MOVES = {
    "fell": -1, "dropped": -1, "crashed": -1, "tanked": -1, "sank": -1, "tumbled": -1,
    "rallied": 1, "rose": 1, "jumped": 1,
}  # fmt: skip
"""A move said in the past tense after "if" -> its sign."""


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(
        [
            "how much would {h} lose if {m} {v} {p}%?",
            "what would happen to {h} if {m} {v} {p}%",
            "suppose {m} {v} by {p}%: what does {h} lose?",
        ]
    ),
    st.sampled_from(["my portfolio of 60% AAPL and 40% KO", "AAPL and KO", "50% JPM 50% BAC"]),
    st.sampled_from(["the market", "the s&p", "the S&P 500", "stocks"]),
    st.sampled_from(sorted(SUPPOSED_MOVES)),
    st.integers(5, 45),
)
def test_a_move_supposed_in_the_past_tense_is_a_stress_test_of_it(
    ask: str, held: str, market: str, verb: str, size: int
) -> None:
    """'if the market fell 20%' is a move supposed, not one that happened: it built a portfolio
    ('how much would my portfolio lose if the market fell 20%?' answered with an HRP build)."""
    text = ask.format(h=held, m=market, v=verb, p=size)
    analysis = read_analysis(parse_intent(text, KNOWN), KNOWN)
    assert analysis is not None and analysis.kind == "stress", text
    assert analysis.market_move == pytest.approx(SUPPOSED_MOVES[verb] * size / 100), text


@pytest.mark.parametrize(
    "text",
    [
        "can you check if the market fell 20%?",
        "tell me if the S&P dropped 10% last year",
        "if the market fell 20% in 2022, how did KO do?",
    ],
)
def test_a_move_asked_whether_it_happened_is_no_move_supposed(text: str) -> None:
    assert market_move_named(text.lower()) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "what happens to me if the market fell 20%?",
        "I wonder if the market fell 20%, what would happen to my portfolio?",
        "if the market fell 20% from its 2021 high, what would my portfolio lose?",
        "suppose the market fell 20%, how much would a 2000 share position in AAPL lose?",
    ],
)
def test_a_move_supposed_beside_other_words_and_numbers_is_read(text: str) -> None:
    assert market_move_named(text.lower()) == pytest.approx(-0.2), text


def test_the_loss_through_a_move_supposed_is_the_betas_times_the_move(
    offline_data_dir: Path,
) -> None:
    session = ChatSession("supposed", settings=Settings())
    reply = session.send(
        "how much would my portfolio of 60% AAPL and 40% KO lose if the market fell 20%?"
    ).replies[-1]
    assert reply.startswith("Stress test of the portfolio given (AAPL 60.0%, KO 40.0%)"), reply
    window = re.search(r"estimated from (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})", reply)
    loss = re.search(r"the portfolio loses (\d+\.\d)%", reply)
    assert window is not None and loss is not None, reply
    prices = load_sp500_prices()[["AAPL", "KO"]].pct_change().loc[window[1] : window[2]]
    market = load_sp500_index().pct_change().loc[window[1] : window[2]]
    betas = {t: np.cov(prices[t], market)[0, 1] / np.var(market, ddof=1) for t in prices}
    expected = 0.2 * (0.6 * betas["AAPL"] + 0.4 * betas["KO"])
    assert float(loss[1]) / 100 == pytest.approx(expected, abs=0.0006), reply


def test_holding_equal_weights_is_answered_as_that_portfolio(offline_data_dir: Path) -> None:
    session = ChatSession("lost", settings=Settings())
    reply = session.send(
        "how much would I have lost in 2022 holding equal weights of the tech stocks"
    ).replies[-1]
    calls = [c for m in session.history() for c in getattr(m, "tool_calls", [])]
    assert [c["name"] for c in calls] == ["asset_statistics"]
    args = calls[0]["args"]
    assert sorted(args["weights"]) == ["AAPL", "AMD", "MSFT"]
    assert sum(args["weights"].values()) == pytest.approx(1.0)
    assert (args["start"], args["end"]) == ("2022-01-01", "2022-12-31")
    closes = load_sp500_prices()[["AAPL", "AMD", "MSFT"]].loc[:"2022-12-31"]
    daily = closes.pct_change().loc["2022"].mean(axis=1)  # constant equal weights
    total = float((1 + daily).prod() - 1)
    assert re.search(rf"the portfolio \([^)]*\) had a total return of {total:.1%}", reply), reply
    assert "Not used" not in reply and "VaR" not in reply


@settings(max_examples=60, deadline=None)
@given(
    st.text(st.characters(codec=None, exclude_categories=()), max_size=40),
    st.sampled_from(["", "\ud800", "\x00\x1b[2J", "(" * 200, "if " * 300]),
)
def test_hostile_text_around_a_supposed_move_reads_without_error(noise: str, tail: str) -> None:
    """Lone surrogates, control characters and deep nesting beside the move never raise; the
    move read, if any, is a fraction of the market."""
    text = f"{noise} how much would my portfolio lose if the market fell 20%? {tail}"
    move = market_move_named(text.lower())
    assert move is None or -1.0 < move < 1.0
    read_analysis(parse_intent(text, KNOWN), KNOWN)
