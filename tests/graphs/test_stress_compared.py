"""Stocks set side by side in a stress question ("would AAPL or KO hold up better in a 2008
crash?", "how would AAPL do against KO in 2008?", "which would hold up better if the market
falls 20%, XOM or MSFT?") are each stressed on their own: each stock's return over the episode
(bought at the close of its first day, held to the close of its last), best first, and which held
up better; through a market move, each stock's beta times the move. They were held together at
equal weights and one portfolio's loss answered, which chose nothing. The returns are checked
against the closing prices, the betas against numpy over the window the reply states; a
portfolio named ("my portfolio of ...") or stocks held together are stressed as before."""

from __future__ import annotations

import re

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from agents.offline.intent import parse_intent
from agents.offline.intent.stress_reading import stocks_compared
from agents.offline.stress_ranking import ranked_returns
from quant import load_sp500_index, load_sp500_prices
from quant.episodes import EPISODES
from tests.support.chat_answers import answer_in_new_thread

PRICES = load_sp500_prices()
INDEX = load_sp500_index()
EPISODE_SAID = {
    "gfc_2008": ("a 2008 crash", "the '08 crisis", "the gfc"),
    "covid_2020": ("the covid crash", "a covid-style crash", "the 2020 covid selloff"),
    "rates_2022": ("the 2022 rate shock", "the 2022 rate selloff"),
}
SIDE_BY_SIDE = (
    "would {a} or {b} hold up better in {e}?",
    "compare how {a} and {b} would do in {e}",
    "how would {a} do against {b} in {e}?",
    "{a} vs {b}: which would hold up better in {e}?",
    "which of {a} or {b} would lose less in {e}",
    "between {a} and {b}, who'd come through {e} in better shape?",
)
SETTINGS = settings(max_examples=12, deadline=None)
PAIRS = st.lists(st.sampled_from(sorted(PRICES.columns)), min_size=2, max_size=2, unique=True)


def _ranked(reply: str, words: str) -> tuple[list[tuple[str, float]], list[str]]:
    """The stocks and returns listed after `words`, in the order said, and the stocks said to
    hold up (or gain) most: one, or several tied ("... alike")."""
    found = re.search(
        rf"{words}: ((?:[A-Z.]+ -?\d+\.\d%(?: \([^)]*\))?(?:, )?)+); "
        r"(they|[A-Z.]+(?: and [A-Z.]+)*) (?:would hold up|held up|would gain) "
        r"(better|best|more|most|alike)",
        reply,
    )
    assert found is not None, reply
    listed = [(t, float(v) / 100) for t, v in re.findall(r"([A-Z.]+) (-?\d+\.\d)%", found[1])]
    leaders = [t for t, _ in listed] if found[2] == "they" else found[2].split(" and ")
    return listed, leaders


def _episode_return(ticker: str, key: str) -> float:
    episode = EPISODES[key]
    prices = PRICES[ticker]
    return float(prices.loc[episode.end] / prices.loc[episode.start] - 1)


@SETTINGS
@given(
    pair=PAIRS,
    ask=st.sampled_from(SIDE_BY_SIDE),
    key=st.sampled_from(sorted(EPISODE_SAID)),
    said=st.integers(0, 2),
)
def test_each_stock_is_replayed_alone_and_the_better_one_named(
    pair: list[str], ask: str, key: str, said: int
) -> None:
    a, b = pair
    names = EPISODE_SAID[key]
    reply = answer_in_new_thread(ask.format(a=a, b=b, e=names[said % len(names)]))
    assert "each on its own" in reply and "the portfolio loses" not in reply, reply
    listed, leaders = _ranked(reply, "each stock bought at its start")
    assert sorted(t for t, _ in listed) == sorted(pair), reply
    for ticker, shown in listed:
        assert shown == pytest.approx(_episode_return(ticker, key), abs=0.0006), (ticker, reply)
    values = [v for _, v in listed]
    assert values == sorted(values, reverse=True), reply  # best first
    assert leaders == [t for t, v in listed if v == values[0]], reply


@SETTINGS
@given(pair=PAIRS, move=st.sampled_from([10, 20, 30]))
def test_through_a_market_move_each_stock_moves_by_its_own_beta(pair: list[str], move: int) -> None:
    a, b = pair
    reply = answer_in_new_thread(
        f"which would hold up better if the market falls {move}%, {a} or {b}?"
    )
    listed, leaders = _ranked(reply, r"ends on \d{4}-\d{2}-\d{2}\)\)")
    window = re.search(r"estimated from (\d{4}-\d{2}-\d{2}) to (\d{4}-\d{2}-\d{2})", reply)
    assert window is not None, reply
    returns = PRICES[pair].pct_change().loc[window[1] : window[2]]
    market = INDEX.pct_change().loc[window[1] : window[2]]
    for ticker, shown in listed:
        beta = np.cov(returns[ticker], market)[0, 1] / np.var(market, ddof=1)
        assert shown == pytest.approx(-beta * move / 100, abs=0.0006), (ticker, reply)
    assert leaders[0] == listed[0][0] and listed[0][1] >= listed[1][1], reply


@pytest.mark.parametrize(
    "ask",
    [
        "stress test {a} and {b} through the 2008 crisis",
        "stress my portfolio of {a} and {b} against 2008",
        "how would {a} and {b} held together do in the 2008 crisis?",
        "stress {a} and {b} through each crisis",
        "how would {a} and {b} hold up in a 30% drop or worse?",
        "stress {a} and {b} compared with the S&P in the 2008 crisis",
    ],
)
def test_stocks_held_together_are_one_portfolio_as_before(ask: str) -> None:
    reply = answer_in_new_thread(ask.format(a="KO", b="PEP"))
    assert "the portfolio loses" in reply and "each on its own" not in reply, reply


@settings(max_examples=6, deadline=None)
@given(ticker=st.sampled_from(sorted(PRICES.columns)))
def test_one_stock_stressed_is_named_not_called_the_portfolio(ticker: str) -> None:
    """ "stress test KO" said "through each stock's beta (betas KO 0.64 ...)", "the portfolio
    loses 12.9%" and "replayed on the weights", of one stock, and "(1000 paths)"."""
    reply = answer_in_new_thread(f"stress test {ticker}")
    moved = re.search(
        rf"A 20% market fall through {re.escape(ticker)}'s beta to the S&P 500 index "
        rf"\((-?\d\.\d\d), estimated .*?\): {re.escape(ticker)} (loses|gains) (\d+\.\d)%",
        reply,
    )
    assert moved is not None, reply
    loss = float(moved[3]) * (-1 if moved[2] == "loses" else 1)
    assert abs(loss - (-20 * float(moved[1]))) <= 0.15, reply  # beta x move, as rounded
    replayed = f"replayed on {ticker} bought at its start: {ticker} "
    assert reply.count(replayed) == len(EPISODES), reply
    assert "the portfolio" not in reply and "the weights" not in reply, reply
    assert "(1,000 paths)" in reply, reply


def test_three_stocks_on_a_capital_each_with_its_amount() -> None:
    reply = answer_in_new_thread(
        "compare how AAPL, KO and XOM would do in the 2008 crisis on $1,000,000"
    )
    assert "each on its own, 1,000,000 in each" in reply, reply
    listed, leaders = _ranked(reply, "each stock bought at its start")
    assert sorted(t for t, _ in listed) == ["AAPL", "KO", "XOM"] and "held up best" in reply
    amounts = dict(re.findall(r"([A-Z]+) -?\d+\.\d% \((-?[\d,]+)\)", reply))
    for ticker, _ in listed:
        amount = float(amounts[ticker].replace(",", ""))
        assert amount == pytest.approx(_episode_return(ticker, "gfc_2008") * 1e6, abs=600), reply
    assert leaders == [listed[0][0]]


def test_on_a_market_rise_the_one_that_gains_more_is_named() -> None:
    reply = answer_in_new_thread("which would gain more if the market rises 10%, XOM or MSFT?")
    listed, leaders = _ranked(reply, r"ends on \d{4}-\d{2}-\d{2}\)\)")
    assert "would gain more" in reply and all(v > 0 for _, v in listed), reply
    assert leaders == [listed[0][0]] and listed[0][1] > listed[1][1], reply


@pytest.mark.parametrize(
    "ask", ["was the S&P down 20% in 2022?", "did the market drop 20% in 2022?"]
)
def test_a_move_that_happened_is_not_classed_as_a_stress_test(ask: str) -> None:
    assert parse_intent(ask, list(PRICES.columns)).intent != "scenarios"


@pytest.mark.parametrize(
    ("ask", "stocks"),
    [
        ("would T or VZ hold up better in the 2008 crisis?", ["T", "VZ"]),
        ("how would VZ do against T in the covid crash?", ["T", "VZ"]),
    ],
)
def test_a_ticker_that_is_a_word_is_set_beside_the_other(ask: str, stocks: list[str]) -> None:
    known = ["T", "VZ", "KO"]
    intent = parse_intent(ask, known)
    assert sorted(intent.tickers) == stocks
    assert stocks_compared(intent, intent.text.lower())


def test_on_a_rise_a_stock_that_falls_is_not_said_to_hold_up() -> None:
    said = ranked_returns({"XOM": -0.02, "MSFT": 0.12}, would=True, rise=True)
    assert said == "MSFT 12.0%, XOM -2.0%; MSFT would gain more"
    said = ranked_returns({"XOM": -0.02, "MSFT": 0.12}, would=True, rise=False)
    assert said.endswith("MSFT would hold up better")


@pytest.mark.parametrize(
    ("ask", "pair", "key"),
    [
        (
            "ok so between exxon and chevron, who'd come through a covid-type crash in better "
            "shape?",
            ["CVX", "XOM"],
            "covid_2020",
        ),
        ("p&g vs coke: how'd they fare in the '08 crisis?", ["KO", "PG"], "gfc_2008"),
    ],
)
def test_a_choice_said_loosely_is_each_stock_replayed(ask: str, pair: list[str], key: str) -> None:
    """Phrasings met as a PM would write them: a choice "between" two companies, "'08"."""
    listed, leaders = _ranked(answer_in_new_thread(ask), "each stock bought at its start")
    assert sorted(t for t, _ in listed) == pair
    for ticker, shown in listed:
        assert shown == pytest.approx(_episode_return(ticker, key), abs=0.0006)
    assert leaders == [listed[0][0]]
