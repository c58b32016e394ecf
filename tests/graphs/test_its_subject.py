""" "Its" after a build means the portfolio the conversation measured last: weights given after
the build ("what's the VaR of 60% AAPL 40% MSFT?", then "what's its CVaR?") or the build's
weights changed ("drop KO" after its stress test), not the build itself (it measured the build
again whenever the weights held fewer names than it); "my portfolio" is still the build. The
volatility said is numpy's of those weights over the window said."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from quant import load_sp500_prices, to_returns
from settings import Settings

RETURNS = to_returns(load_sp500_prices())
BUILD = "build a min vol portfolio of AAPL, MSFT, KO and JNJ"


def _risk_calls(session: ChatSession, since: int) -> list[dict[str, Any]]:
    return [
        dict(call["args"])
        for message in session.history()[since:]
        for call in getattr(message, "tool_calls", [])
        if call["name"] == "portfolio_risk_report"
    ]


def _volatility_said(reply: str, weights: dict[str, float]) -> None:
    """The reply's annualised volatility is numpy's of `weights` over the window it names."""
    window = re.search(r"from (\d{4}-\d\d-\d\d) to (\d{4}-\d\d-\d\d)", reply)
    said = re.search(r"annualised volatility (\d+\.\d)%", reply)
    assert window is not None and said is not None, reply
    days = RETURNS.loc[window.group(1) : window.group(2), list(weights)]
    expected = (days @ np.array(list(weights.values()))).std(ddof=1) * np.sqrt(252)
    assert abs(float(said.group(1)) - 100 * expected) <= 0.06, (expected, reply)  # as shown


@settings(
    max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    share=st.integers(10, 90),
    pair=st.sampled_from([("AAPL", "MSFT"), ("XOM", "CVX"), ("KO", "PEP")]),
    measure=st.sampled_from(["what's its CVaR?", "and its VaR at 99%?", "how risky is it?"]),
)
def test_its_after_weights_given_after_a_build_is_those_weights(
    offline_data_dir: Path, share: int, pair: tuple[str, str], measure: str
) -> None:
    session = ChatSession(f"its-{uuid.uuid4().hex}", settings=Settings())
    session.send(BUILD)
    a, b = pair
    session.send(f"what's the VaR of {share}% {a} {100 - share}% {b}?")
    since = len(session.history())
    reply = session.send(measure).replies[-1]
    weights = {a: share / 100, b: (100 - share) / 100}
    calls = _risk_calls(session, since)
    assert calls and all(c.get("weights") == weights for c in calls), (calls, reply)
    assert "portfolio_id" not in calls[-1], calls
    _volatility_said(reply, weights)
    since = len(session.history())
    session.send("and what's my portfolio's CVaR?")  # the portfolio named: the build
    named = _risk_calls(session, since)
    assert named and all(str(c.get("portfolio_id", "")).startswith("pf_") for c in named), named


def test_its_after_a_name_dropped_from_a_stress_test_is_the_changed_weights(
    offline_data_dir: Path,
) -> None:
    session = ChatSession(f"its-{uuid.uuid4().hex}", settings=Settings())
    session.send(BUILD)
    session.send("stress test it in the 2020 crash")
    session.send("drop KO")
    since = len(session.history())
    reply = session.send("what's its VaR?").replies[-1]
    calls = _risk_calls(session, since)
    assert len(calls) == 1 and set(calls[0].get("weights") or {}) == {"AAPL", "MSFT", "JNJ"}
    _volatility_said(reply, calls[0]["weights"])
