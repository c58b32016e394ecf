"""A risk limit whose bound is said after its number ("drawdown at 20% max", "CVaR of 3% or
less", "volatility at 12% max") is that measure's limit, in both readers: a search's draft takes
it (before, "drawdown at 20% max" was dropped from the draft), and a build, which takes no
volatility limit, says so instead of reading "12% max" as a cap on every weight (before: "Limits
not kept: at most 12.0% in any asset", or the build refused as infeasible)."""

from __future__ import annotations

import uuid
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings

BOUNDS = ("max", "maximum", "at most", "tops", "or less", "at the most")
CONNECTORS = ("at ", "of ", "")
MEASURES = {
    "max_drawdown": (("drawdown", "max drawdown", "dd"), st.integers(10, 40)),
    "cvar_95": (("cvar", "CVaR", "expected shortfall"), st.integers(1, 6)),
    "var_95": (("VaR", "var"), st.integers(1, 6)),
}


def _session() -> ChatSession:
    return ChatSession(f"bound-{uuid.uuid4().hex}", settings=Settings())


@st.composite
def limits_said(draw: st.DrawFn) -> tuple[str, str, int]:
    key = draw(st.sampled_from(sorted(MEASURES)))
    words, numbers = MEASURES[key]
    said = f"{draw(st.sampled_from(words))} {draw(st.sampled_from(CONNECTORS))}"
    number = draw(numbers)
    return key, f"{said}{number}% {draw(st.sampled_from(BOUNDS))}", number


@settings(max_examples=12, deadline=None)
@given(limit=limits_said(), pair=st.sampled_from((("KO", "PEP"), ("XOM", "CVX"), ("JNJ", "PG"))))
def test_a_search_draft_takes_the_limit(limit: tuple[str, str, int], pair: tuple[str, str]) -> None:
    key, said, number = limit
    turn = _session().send(f"find a strategy for {pair[0]} and {pair[1]} with {said}")
    assert turn.pending is not None, turn.replies
    limits: dict[str, Any] = turn.pending["request"]["risk_limits"]
    assert limits[key] == number / 100, (said, limits)
    assert all(v is None for k, v in limits.items() if k not in (key, "scenarios")), limits


@settings(max_examples=6, deadline=None)
@given(
    bound=st.sampled_from(BOUNDS),
    connector=st.sampled_from(("at ", "of ")),
    number=st.integers(8, 14),
    method=st.sampled_from(("min vol", "hrp", "risk parity")),
)
def test_a_build_says_it_takes_no_volatility_limit_and_caps_no_weight(
    bound: str, connector: str, number: int, method: str
) -> None:
    session = _session()
    reply = session.send(
        f"{method} portfolio of KO, PEP and JNJ with volatility {connector}{number}% {bound}"
    ).replies[-1]
    calls = [
        call["args"]
        for message in session.history()
        for call in getattr(message, "tool_calls", [])
        if call["name"] == "optimize_portfolio"
    ]
    assert calls and all("max_weight" not in args for args in calls), calls
    assert f"Not used: the {number}% volatility limit" in reply, reply
    assert "in any asset" not in reply, reply
