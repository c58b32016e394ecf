"""A measure of an equal-weight portfolio of every stock ("what's the annualised volatility of an
equal weight portfolio of all 20 stocks?", "sharpe ratio of an equal weighted portfolio of every
stock since 2019"): the portfolio held at equal weights, rebalanced daily, beside each stock.
Before, each stock was measured alone and equal weight was said unused. Checked against
pandas."""

from __future__ import annotations

import re

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import load_sp500_prices
from tests.support.chat_answers import answer_in_new_thread

PRICES = load_sp500_prices()
ASKS = (
    "what's the annualized volatility of an equal weight portfolio of all 20 stocks since {y}?",
    "volatility of an equal weighted portfolio of every stock since {y}",
    "what's the sharpe ratio of an equally weighted portfolio of all the stocks since {y}?",
)


@settings(max_examples=6, deadline=None)
@given(ask=st.sampled_from(ASKS), year=st.integers(2012, 2021))
def test_an_equal_weight_portfolio_of_every_stock_is_measured_held_together(
    ask: str, year: int
) -> None:
    reply = answer_in_new_thread(ask.format(y=year))
    closes = PRICES.loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] :]
    daily = closes.pct_change().iloc[1:].mean(axis=1)
    held = re.search(r"the portfolio \(([^)]*)\) had (volatility|Sharpe ratio) (-?[\d.]+)", reply)
    assert held is not None, reply
    shares = dict(re.findall(r"([A-Z]+) ([\d.]+)%", held[1]))
    assert sorted(shares) == sorted(PRICES.columns) and set(shares.values()) == {"5.0"}, reply
    volatility = daily.std(ddof=1) * np.sqrt(252)
    if held[2] == "volatility":
        assert abs(float(held[3]) / 100 - volatility) <= 0.0006, (reply, volatility)
    else:
        assert abs(float(held[3]) - daily.mean() * 252 / volatility) <= 0.006, reply
    assert "Not used" not in reply, reply
