"""Less risk asked of the portfolio built last ("make it less risky", "can you lower its
volatility?", "de-risk it"): the min-volatility portfolio of the same stocks, window and weight
cap, its volatility said beside the one it replaces; when the build already is the
min-volatility one, nothing runs and the reply says no mix of those stocks is calmer. Before,
the same request ran again (an HRP portfolio after a min-volatility one: a riskier one) or the
risk was reported. Checked against the volatilities of random weights within the same cap
(none calmer than the answer), from the sample covariance of the window."""

from __future__ import annotations

import re
import uuid

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, closes_from, turn_calls

ASKS = (
    "make it less risky",
    "can you lower its volatility?",
    "reduce the risk please",
    "de-risk it",
    "ok, make it more conservative",
    "lower the portfolio's volatility",
)
METHODS = {"an HRP": "hrp", "a max sharpe": "max_sharpe", "a risk parity": "risk_parity",
           "an inverse volatility": "inverse_volatility"}  # fmt: skip


def _volatility(reply: str) -> float:
    found = re.search(r"\bvolatility (\d+\.\d)%, Sharpe", reply)
    assert found is not None, reply
    return float(found[1]) / 100


def _weights(reply: str) -> dict[str, float]:
    built = re.search(r"portfolio \(pf_[0-9a-f]+\): (.+?)\. Expected", reply)
    assert built is not None, reply
    return {t: float(w) / 100 for t, w in re.findall(r"([A-Z]{2,5}) (\d+\.\d)%", built[1])}


@settings(max_examples=6, deadline=None)
@given(
    method=st.sampled_from(sorted(METHODS)),
    stocks=st.lists(st.sampled_from(STOCKS_ASKED), min_size=3, max_size=4, unique=True),
    year=st.integers(2015, 2020),
    cap=st.sampled_from((None, 40, 50)),
    ask=st.sampled_from(ASKS),
)
def test_less_risk_is_the_min_volatility_portfolio_of_the_same_build(
    method: str, stocks: list[str], year: int, cap: int | None, ask: str
) -> None:
    session = ChatSession(f"less-{uuid.uuid4().hex}", settings=Settings())
    capped = f" capped at {cap}%" if cap else ""
    built, first, _ = turn_calls(
        session, f"build {method} portfolio of {', '.join(stocks)}{capped} since {year}"
    )
    reply, calls, pending = turn_calls(session, ask)
    assert not pending and [c["name"] for c in calls] == ["optimize_portfolio"], (reply, calls)
    before, after = first[-1]["args"], calls[0]["args"]
    assert after == {**before, "method": "min_volatility"}, (before, after)
    was, now = _volatility(built), _volatility(reply)
    assert now <= was, (built, reply)
    said = re.search(r"a volatility of (\d+\.\d)% a year against (\d+\.\d)%", reply)
    if now < was:
        assert said is not None and (float(said[1]), float(said[2])) == pytest.approx(
            (now * 100, was * 100)
        ), reply
    weights = _weights(reply)
    returns = closes_from(year)[list(weights)].pct_change().iloc[1:].to_numpy()
    covariance = np.cov(returns, rowvar=False) * 252
    held = np.array(list(weights.values()))
    rng = np.random.default_rng(year)
    draws = rng.dirichlet(np.ones(len(weights)), size=4000)
    if cap:
        draws = draws[draws.max(axis=1) <= cap / 100]
    calmest = np.sqrt(np.einsum("ij,jk,ik->i", draws, covariance, draws)).min()
    ours = float(np.sqrt(held @ covariance @ held))
    assert ours <= calmest + 0.0015, (reply, ours, calmest)  # the weights as said (0.1%)
    assert abs(ours - now) <= 0.0015, (reply, ours)


def test_less_risk_of_the_min_volatility_portfolio_runs_nothing() -> None:
    session = ChatSession(f"less-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "build a min vol portfolio of AAPL, MSFT, JNJ, KO")
    reply, calls, pending = turn_calls(session, "can you lower its volatility?")
    assert not calls and not pending, (reply, calls)
    assert "is already the min-volatility portfolio of AAPL, JNJ, KO and MSFT" in reply, reply
    assert "'add PG and PEP'" in reply and "Nothing was computed" in reply, reply


def test_a_question_of_what_lowers_the_risk_builds_nothing() -> None:
    """'Which holdings reduce the risk?' asks what lowers it: no other portfolio is built."""
    session = ChatSession(f"less-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "build an HRP portfolio of AAPL, MSFT, JNJ, KO")
    _, calls, _ = turn_calls(session, "which holdings reduce the risk?")
    assert "optimize_portfolio" not in [c["name"] for c in calls], calls
