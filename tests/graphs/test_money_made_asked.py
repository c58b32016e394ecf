"""What a sum said would have made in a stock over a past window ("how much would I have made
investing $10,000 in MSFT in 2015?", "if I had put $50k into AAPL at the start of 2019, what
would it be worth at the end of 2021?") is answered with what the sum became, checked here
against the closing prices. Before, the first gave the stock's statistics and "Not used: the
capital $10,000", the second a read of the market regime. A sum lost in an episode named ("in
the 2008 crisis") stays the episode's stress test."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import answer_in_new_thread

PRICES = load_sp500_prices()
ASKS = (
    "How much would I have made investing {m} in {t} in {y}?",
    "how much would {m} invested in {t} in {y} have made?",
    "if I had put {m} into {t} at the start of {y}, what would it be worth at the end of {y}?",
    "how much would I have lost with {m} in {t} in {y}?",
)
"""How a PM asks what a sum would have made in one stock over a calendar year."""
SUMS = {"$10,000": 10_000.0, "$50k": 50_000.0, "$250,000": 250_000.0, "$1m": 1_000_000.0}


def _year_return(ticker: str, year: int) -> float:
    """The stock's total return over `year`: from the last close before it to its last close."""
    prices = PRICES[ticker].dropna()
    before = prices[prices.index.year < year].iloc[-1]
    return float(prices[prices.index.year == year].iloc[-1] / before - 1)


@settings(max_examples=10, deadline=None)
@given(
    ticker=st.sampled_from(sorted(PRICES.columns)),
    year=st.integers(min_value=2006, max_value=2021),
    said=st.sampled_from(sorted(SUMS)),
    ask=st.sampled_from(ASKS),
)
def test_a_sum_said_is_what_it_became_over_the_window(
    ticker: str, year: int, said: str, ask: str
) -> None:
    reply = answer_in_new_thread(ask.format(m=said, t=ticker, y=year))
    capital = SUMS[said]
    became = re.search(rf"{capital:,.0f} would have become ([\d,]+)\b", reply)
    assert became is not None, reply
    expected = capital * (1 + _year_return(ticker, year))
    assert abs(float(became[1].replace(",", "")) - expected) <= 0.002 * expected, (expected, reply)
    assert "Not used" not in reply, reply


def test_a_sum_lost_in_an_episode_named_is_its_stress_test() -> None:
    reply = answer_in_new_thread("how much would $1m in KO have lost in the 2008 crisis?")
    assert reply.startswith("Stress test of KO (KO 100.0%) on 1,000,000 of capital."), reply
    assert "replayed on KO bought at its start: KO loses" in reply, reply
