"""Part of the conversation's portfolio asked in cash ("add 10% cash", "what if I put 20% in
cash?", "move 15% to cash"): its risk report fully invested and with each weight scaled down to
leave that share in cash, over the same window, side by side. Cash at a 0% return scales the
daily returns, so the volatility and the CVaR scale by the share invested, which the test checks
with the fully invested volatility against numpy's over the build's window. Before, it asked what
to do, or generated market scenarios of all 20 stocks."""

from __future__ import annotations

import re
import uuid

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, built_portfolio, closes_from, turn_calls

ASKS = (
    "add {n}% cash",
    "what if I put {n}% in cash?",
    "move {n}% to cash",
    "and with {n}% in cash?",
    "keep {n}% of it in cash",
)


def _pair(reply: str, words: str) -> tuple[float, float]:
    found = re.search(rf"{words} (-?[\d.]+)% against (-?[\d.]+)%", reply)
    assert found is not None, (words, reply)
    return float(found[1]) / 100, float(found[2]) / 100


@settings(max_examples=6, deadline=None)
@given(
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=4, unique=True),
    method=st.sampled_from(("an HRP", "a min vol", "a max sharpe")),
    share=st.integers(5, 60),
    ask=st.sampled_from(ASKS),
)
def test_cash_is_the_portfolio_scaled_down_beside_it_fully_invested(
    stocks: list[str], method: str, share: int, ask: str
) -> None:
    session = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    built, _, _ = turn_calls(session, f"build {method} portfolio of {', '.join(stocks)}")
    portfolio_id, weights = built_portfolio(built)
    reply, calls, pending = turn_calls(session, ask.format(n=share))
    assert not pending and [c["name"] for c in calls] == ["portfolio_risk_report"] * 2, calls
    full, cash = (c["args"] for c in calls)
    assert full["portfolio_id"] == portfolio_id, full
    scaled = cash["weights"]
    assert abs(sum(scaled.values()) - (1 - share / 100)) < 1e-9, scaled
    for name, weight in weights.items():  # each scaled as the build holds it (0.1% rounding)
        if weight >= 0.05:
            assert abs(scaled[name] / (1 - share / 100) - weight) <= 0.0006, (scaled, weights)
    assert "Not used" not in reply and f"With {share:.1f}% in cash" in reply, reply
    with_cash, invested = _pair(reply, "annualised volatility")
    assert abs(with_cash - invested * (1 - share / 100)) <= 0.0011, reply
    cvar_cash, cvar_full = _pair(reply, "one-day 95% CVaR")
    assert abs(cvar_cash - cvar_full * (1 - share / 100)) <= 0.0002, reply
    daily = closes_from(2018)[list(weights)].pct_change().iloc[1:].to_numpy()
    mix = np.array(list(weights.values()))
    reference = float((daily @ (mix / mix.sum())).std(ddof=1) * np.sqrt(252))
    assert abs(invested - reference) <= 0.0015, (reply, reference)


def test_cash_with_no_portfolio_asks_for_one() -> None:
    session = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, "add 10% cash")
    assert not calls and reply.startswith("There is no portfolio in this conversation"), reply


def test_cash_of_weights_given_keeps_their_window() -> None:
    session = ChatSession(f"cash-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "backtest 60% AAPL 40% KO since 2019")
    reply, calls, _ = turn_calls(session, "move 15% to cash")
    assert [c["args"].get("start") for c in calls] == ["2019-01-01", "2019-01-01"], calls
    assert calls[0]["args"]["weights"] == {"AAPL": 0.6, "KO": 0.4}, calls
    assert "the rest in the weights given (AAPL 51.0%, KO 34.0%)" in reply, reply
