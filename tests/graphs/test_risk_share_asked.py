"""How much of a portfolio's risk comes from a holding ("how much of my portfolio's risk comes
from AAPL? I hold 50% AAPL, 25% KO, 25% JNJ", "how much of its risk comes from AAPL?" after a
build) is its risk report with each holding's share of the volatility, the holding asked about
first (before: an HRP portfolio was built with the weights said unused, or the named stock was
reported alone at 100%). Each share is checked against numpy: w_i (S w)_i / w'S w, S the sample
covariance of the daily returns over the window."""

from __future__ import annotations

import re
import uuid

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import (
    STOCKS_ASKED,
    answer_in_new_thread,
    built_portfolio,
    tool_args,
)

RETURNS = load_sp500_prices().pct_change().loc["2018-01-02":"2022-12-28"]
ASKS = (
    "how much of my portfolio's risk comes from {one}? I hold {held}",
    "I hold {held}. how much of my risk comes from {one}?",
    "what share of the risk comes from {one} in {held}?",
)


def _share(weights: dict[str, float], name: str) -> float:
    """`name`'s share of the volatility of `weights` over the default window."""
    w = np.array(list(weights.values()))
    cov = np.cov(RETURNS[list(weights)].to_numpy(), rowvar=False, ddof=1)
    return float(
        w[list(weights).index(name)] * (cov @ w)[list(weights).index(name)] / (w @ cov @ w)
    )


def _lead(reply: str, name: str) -> float:
    said = re.search(rf"{name} carries (-?\d+(?:\.\d+)?)% of the portfolio's volatility\.", reply)
    assert said is not None, reply
    return float(said[1]) / 100


@settings(max_examples=5, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=3, unique=True),
    first=st.integers(min_value=2, max_value=6),
    second=st.integers(min_value=1, max_value=3),
    ask=st.sampled_from(ASKS),
    which=st.integers(min_value=0, max_value=2),
)
def test_the_share_of_risk_asked_of_a_holding_is_its_risk_contribution(
    stocks: list[str], first: int, second: int, ask: str, which: int
) -> None:
    shares = [first * 10, second * 10, 100 - 10 * (first + second)]
    weights = {t: s / 100 for t, s in zip(stocks, shares, strict=True)}
    held = ", ".join(f"{s}% {t}" for t, s in zip(stocks, shares, strict=True))
    reply = answer_in_new_thread(ask.format(one=stocks[which], held=held))
    assert "pf_" not in reply and "Not used" not in reply, reply  # the weights given, no build
    assert abs(_lead(reply, stocks[which]) - _share(weights, stocks[which])) <= 0.0005 + 1e-9


def test_the_share_asked_after_a_build_is_that_of_the_built_portfolio() -> None:
    session = ChatSession(f"share-{uuid.uuid4().hex}", settings=Settings())
    portfolio, weights = built_portfolio(
        session.send("build a portfolio of AAPL, KO and JNJ").replies[-1]
    )
    reply = session.send("how much of its risk comes from AAPL?").replies[-1]
    assert [a.get("portfolio_id") for a in tool_args(session, "portfolio_risk_report")] == [
        portfolio
    ]
    # the weights as the build's reply rounds them (0.1%)
    assert abs(_lead(reply, "AAPL") - _share(weights, "AAPL")) <= 0.003
