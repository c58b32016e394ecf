"""The stocks or weights said in answer to the question back of a question about the user's
portfolio ("what's the VaR of my portfolio?" -> "Which portfolio or stocks? ..." -> "60% AAPL 40%
KO") are what the question is asked of: its tool called with those weights, or the stocks held
at equal weights (before: a market read of the stocks, the weights said unused). A message that
says something else is read alone."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.chat_intent import WHICH_PORTFOLIO
from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import STOCKS_ASKED, turn_calls

ASKED = {
    "what's the VaR of my portfolio?": "portfolio_risk_report",
    "how volatile has my portfolio been since 2020?": "asset_statistics",
    "stress test my portfolio": "stress_test",
    "what's the 99% CVaR of my portfolio since 2019?": "portfolio_risk_report",
}
"""Each question of the user's portfolio, and the tool that answers it."""


@settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    asked=st.sampled_from(sorted(ASKED)),
    names=st.lists(st.sampled_from(STOCKS_ASKED), min_size=2, max_size=3, unique=True),
    first=st.integers(2, 8), weighted=st.booleans(),
    form=st.sampled_from(("{h}", "it's {h}", "my portfolio is {h}", "I hold {h}.")),
)  # fmt: skip
def test_the_holdings_said_after_the_question_back_are_its_subject(
    offline_data_dir: Path, asked: str, names: list[str], first: int, weighted: bool, form: str
) -> None:
    session = ChatSession(f"holdings-{uuid.uuid4().hex}", settings=Settings())
    back, _, _ = turn_calls(session, asked)
    assert back.startswith(WHICH_PORTFOLIO), back
    shares = [first * 10, *[(100 - first * 10) / (len(names) - 1)] * (len(names) - 1)]
    held = " ".join(f"{s:g}% {n}" for s, n in zip(shares, names, strict=True))
    reply, calls, _ = turn_calls(session, form.format(h=held if weighted else " and ".join(names)))
    assert [c["name"] for c in calls] == [ASKED[asked]], reply
    expected = (
        {n: s / 100 for s, n in zip(shares, names, strict=True)}
        if weighted
        else {n: 1 / len(names) for n in names}
    )
    args = calls[0]["args"]
    weights = args.get("weights") or {n: 1 / len(args["universe"]) for n in args["universe"]}
    assert weights.keys() == expected.keys(), calls  # a universe alone: held at equal weights
    assert all(abs(weights[n] - expected[n]) < 1e-6 for n in expected), calls
    assert "Not used" not in reply, reply


def test_another_question_after_the_question_back_is_read_alone(offline_data_dir: Path) -> None:
    session = ChatSession(f"holdings-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "what's the VaR of my portfolio?")
    reply, calls, _ = turn_calls(session, "how did the market do in 2022?")
    assert [c["name"] for c in calls] != ["portfolio_risk_report"], reply
    assert reply.startswith("The S&P 500 index"), reply
