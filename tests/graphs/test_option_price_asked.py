"""What one option costs, asked in the chat in several phrasings ("how much would a protective put
on AAPL cost for 3 months at 90% strike?", "what does a 3-month 95% put on MSFT cost?"): the
reply gives the price a share, its share of the stock's value, the cost a year if rolled, the
volatility and the delta, each checked against Black-Scholes written here (`math.erf`) at the
implied-volatility model's volatility on the realised volatility of the embedded closes; asks for
a strategy with puts still draft a search."""

from __future__ import annotations

import math
import re
import uuid

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from quant.data import load_sp500_index
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, answer_in_new_thread

CLOSES = load_sp500_prices()
INDEX = load_sp500_index()
PHRASINGS = (
    "how much would a protective {kind} on {ticker} cost for {months} months at {pct}% strike?",
    "what does a {months}-month {pct}% {kind} on {ticker} cost?",
    "cost of a {months}-month {pct}% {kind} on {ticker}",
    "{ticker}: price a {kind} struck at {pct}%, {months} months",
    "I hold {ticker}; what's the premium on a {months} month {kind} at {pct}% of spot?",
)


def _n(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def _expected(closes: pd.Series, kind: str, moneyness: float, sessions: int) -> dict[str, float]:
    """Price, share of spot, cost a year, volatility and delta of the option at the last close:
    Black-Scholes, no dividend yield, rate 252 ln(1 + 2%/252), the model's volatility
    (sqrt(rv^2 + 0.01) x moneyness^-1.5 on 21 returns' realised volatility, ddof=1)."""
    closes = closes.dropna()
    spot = float(closes.iloc[-1])
    rv = closes.pct_change().dropna().iloc[-21:].std(ddof=1) * math.sqrt(252)
    sigma = float(np.clip(math.sqrt(rv * rv + 0.01) * moneyness**-1.5, 0.05, 3.0))
    t, r, k = sessions / 252, 252 * math.log1p(0.02 / 252), moneyness * spot
    d1 = (math.log(spot / k) + (r + sigma**2 / 2) * t) / (sigma * math.sqrt(t))
    d2 = d1 - sigma * math.sqrt(t)
    if kind == "put":
        price, delta = k * math.exp(-r * t) * _n(-d2) - spot * _n(-d1), _n(d1) - 1
    else:
        price, delta = spot * _n(d1) - k * math.exp(-r * t) * _n(d2), _n(d1)
    share = price / spot
    return {"spot": spot, "strike": k, "price": price, "share": share,
            "year": share * 252 / sessions, "volatility": sigma, "delta": delta}  # fmt: skip


def _said(reply: str, index: bool = False) -> dict[str, float]:
    unit = r"([\d,]+\.\d+) index points" if index else r"\$([\d,]+\.\d+) a share"
    found = re.search(
        rf"costs about {unit}, (\d+(?:\.\d+)?)% of the (?:stock's value|index's level) \(about "
        r"(\d+(?:\.\d+)?)% a year if bought again every",
        reply,
    )
    vol = re.search(r"; volatility (\d+(?:\.\d+)?)% \(", reply)
    delta = re.search(r"Delta (-?\d+\.\d+):", reply)
    assert found and vol and delta, reply
    return {"price": float(found[1].replace(",", "")), "share": float(found[2]) / 100,
            "year": float(found[3]) / 100, "volatility": float(vol[1]) / 100,
            "delta": float(delta[1])}  # fmt: skip


def _agrees(said: dict[str, float], expected: dict[str, float]) -> None:
    assert said["price"] == pytest.approx(expected["price"], abs=0.0051)
    for key in ("share", "year", "volatility"):  # one decimal of a percentage, or more
        assert said[key] == pytest.approx(expected[key], abs=0.00051), key
    assert said["delta"] == pytest.approx(expected["delta"], abs=0.0051)


@settings(max_examples=8, deadline=None)
@given(
    ticker=st.sampled_from(STOCKS_ASKED),
    kind=st.sampled_from(("put", "put", "call")),
    months=st.sampled_from((1, 2, 3, 6, 9)),
    pct=st.integers(min_value=80, max_value=110),
    phrasing=st.sampled_from(PHRASINGS),
)
def test_an_option_asked_is_priced_and_its_figures_are_black_scholes_on_the_data(
    ticker: str, kind: str, months: int, pct: int, phrasing: str
) -> None:
    reply = answer_in_new_thread(phrasing.format(ticker=ticker, kind=kind, months=months, pct=pct))
    expected = _expected(CLOSES[ticker], kind, pct / 100, 21 * months)
    struck = "the money (" if pct == 100 else f"{pct}% of its 2022-12-28 close ("
    assert f"{months}-month European {kind} on {ticker} struck at {struck}" in reply, reply
    strike = f"${expected['strike']:,.2f}" + ("" if pct == 100 else f" of ${expected['spot']:,.2f}")
    assert strike in reply, (strike, reply)
    _agrees(_said(reply), expected)
    assert "Black-Scholes-Merton, no dividend yield" in reply and "rate 2.00% a year" in reply
    assert "over the 21 sessions 2022-11-29 to 2022-12-28" in reply, reply
    assert "Not used" not in reply and "Nothing was computed" not in reply, reply


@settings(max_examples=6, deadline=None)
@given(
    ticker=st.sampled_from(STOCKS_ASKED),
    kind=st.sampled_from(("put", "call")),
    months=st.sampled_from((1, 3, 6)),
    away=st.floats(min_value=0.85, max_value=1.1),
    phrasing=st.sampled_from(
        (
            "what does a {strike} {kind} on {ticker} cost for {months} months?",
            "price the {strike} {kind} on {ticker} expiring in {months} months",
            "how much is the ${strike} {kind} on {ticker}, {months} months out?",
        )
    ),
)
def test_a_trader_s_strike_in_currency_is_the_option_s_strike(
    ticker: str, kind: str, months: int, away: float, phrasing: str
) -> None:
    """ "the 90 put": a strike of $90 (it was priced at the money, the 90 neither used nor said
    unused)."""
    spot = float(CLOSES[ticker].dropna().iloc[-1])
    strike = round(away * spot)
    asked = phrasing.format(strike=strike, kind=kind, ticker=ticker, months=months)
    reply = answer_in_new_thread(asked)
    assert f"{months}-month European {kind} on {ticker} struck at ${strike:,.2f} (" in reply, reply
    _agrees(_said(reply), _expected(CLOSES[ticker], kind, strike / spot, 21 * months))
    assert "Not used" not in reply and "Nothing was computed" not in reply, reply


def test_a_strike_where_the_model_s_volatility_is_capped_is_said_to_be_its_edge() -> None:
    reply = answer_in_new_thread("what would a 10 put on AAPL cost for a month?")
    assert "struck at $10.00 (" in reply and "volatility 300.0% (" in reply, reply
    assert "at the model's cap of 300.0%" in reply and "not a market's quote" in reply, reply
    usual = answer_in_new_thread("what does a 3-month 95% put on AAPL cost?")
    assert "at the model's" not in usual, usual


def test_the_index_at_the_money_for_six_months_is_priced_in_index_points() -> None:
    reply = answer_in_new_thread("price a 6 month at-the-money put on the S&P 500")
    assert "6-month European put on the S&P 500 index struck at the money (3,783.22" in reply
    _agrees(_said(reply, index=True), _expected(INDEX, "put", 1.0, 126))


def test_a_year_and_a_date_and_days_are_read_as_said() -> None:
    reply = answer_in_new_thread("cost of a 1-year 90% put on KO as of 2020-03-16")
    closes = CLOSES["KO"].loc[:"2020-03-16"]
    assert "1-year European put on KO struck at 90% of its 2020-03-16 close" in reply, reply
    _agrees(_said(reply), _expected(closes, "put", 0.9, 252))
    days = answer_in_new_thread("how expensive is a 30-day ATM put on XOM?")
    assert "(30 calendar days: 21 trading sessions) struck at the money" in days, days
    _agrees(_said(days), _expected(CLOSES["XOM"], "put", 1.0, 21))
    otm = answer_in_new_thread("premium on a 10% out-of-the-money put on JPM expiring in 2 months?")
    _agrees(_said(otm), _expected(CLOSES["JPM"], "put", 0.9, 42))


@settings(max_examples=5, deadline=None)
@given(
    ticker=st.sampled_from(STOCKS_ASKED),
    year=st.integers(min_value=2000, max_value=2022),
    asked=st.sampled_from(
        (  # the ask, and whether it names the year alone
            ("how much would a 90% put on {t} have cost in {y}?", True),
            ("what would a 3-month 90% put on {t} have cost at the start of {y}?", False),
            ("what did a 90% put on {t} cost at the beginning of {y}?", False),
        )
    ),
)
def test_a_put_asked_in_a_past_year_is_priced_at_the_year_s_start(
    ticker: str, year: int, asked: tuple[str, bool]
) -> None:
    """ "how much would a 90% put on AAPL have cost in 2022?": priced at the last close before
    the year (it was read as a strategy search over 2022 and refused for its window); a year
    said alone says the rest of the year was not used."""
    text, alone = asked
    reply = answer_in_new_thread(text.format(t=ticker, y=year))
    closes = CLOSES[ticker].loc[: f"{year - 1}-12-31"].dropna()
    day = closes.index[-1].date().isoformat()
    assert f"3-month European put on {ticker} struck at 90% of its {day} close" in reply, reply
    _agrees(_said(reply), _expected(closes, "put", 0.9, 63))
    assert ("Not used: the rest of " in reply) is alone, reply
    assert reply.count("Not used") == int(alone), reply


def test_a_strategy_s_hedge_cost_in_a_year_is_not_an_option_price() -> None:
    reply = answer_in_new_thread("how much would the hedge have cost in 2022?")
    assert "costs about" not in reply, reply


def test_a_stated_volatility_and_rate_are_used_and_an_american_option_is_said_unused() -> None:
    reply = answer_in_new_thread("how much is a 3-month 95% put on AAPL at 30% vol with a 4% rate?")
    assert "volatility 30.0% (as you gave it)" in reply and "rate 4.00% a year" in reply, reply
    american = answer_in_new_thread("price an American put on MSFT, 3 months, 90%")
    assert "Not used: an American option (priced European" in american, american
    _agrees(_said(american), _expected(CLOSES["MSFT"], "put", 0.9, 63))


@pytest.mark.parametrize(
    "ask",
    [
        "optimize a vol-targeting strategy with protective puts",
        "search strategies with puts at 90% strike",
        "find the best strategy for AAPL with 90% puts and a 2% annual budget",
    ],
)
def test_a_strategy_with_puts_is_still_drafted_as_a_search(ask: str) -> None:
    turn = ChatSession(f"puts-{uuid.uuid4().hex}", settings=Settings()).send(ask)
    assert turn.pending is not None and turn.pending["type"] == "approval", turn.replies
    assert "protective puts" in turn.pending["summary"], turn.pending["summary"]


def test_a_short_follow_up_prices_the_option_just_priced_changed() -> None:
    session = ChatSession(f"puts-{uuid.uuid4().hex}", settings=Settings())
    session.send("how much would a 3-month 90% put on AAPL cost?")
    longer = session.send("and for 6 months?").replies[-1]
    assert "6-month European put on AAPL struck at 90%" in longer, longer
    _agrees(_said(longer), _expected(CLOSES["AAPL"], "put", 0.9, 126))
    other = session.send("how about MSFT?").replies[-1]
    assert "6-month European put on MSFT struck at 90%" in other, other
    _agrees(_said(other), _expected(CLOSES["MSFT"], "put", 0.9, 126))
    call = session.send("and a call?").replies[-1]
    assert "6-month European call on MSFT" in call and "on AAPL" not in call, call
    _agrees(_said(call), _expected(CLOSES["MSFT"], "call", 0.9, 126))
