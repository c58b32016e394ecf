"""A rebalancing cadence said of given weights is a backtest of them held so: with the measure
("what's the Sharpe of 50% KO 50% PEP since 2019, rebalanced monthly?": it was the weights'
statistics, rebalanced daily, the cadence unsaid) or alone after it ("and with monthly
rebalancing?": it drafted a strategy search for approval). A measure no backtest gives (the
VaR) keeps its tool, and the reply says the cadence was not used."""

from __future__ import annotations

import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import turn_calls

CADENCES = ("weekly", "monthly", "quarterly")
MEASURES = ("sharpe", "volatility", "return")
PAIRS = (("KO", "PEP"), ("AAPL", "MSFT"), ("XOM", "JNJ"))
ALONE = ("and with {c} rebalancing?", "what if I rebalance {c} instead?", "rebalanced {c}?",
         "ok, and {c}?")  # fmt: skip
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SLOW
@given(
    pair=st.sampled_from(PAIRS), share=st.integers(2, 8), year=st.integers(2010, 2020),
    measure=st.sampled_from(MEASURES), cadence=st.sampled_from(CADENCES),
)  # fmt: skip
def test_a_cadence_said_with_weights_backtests_them(
    offline_data_dir: Path, pair: tuple[str, str], share: int, year: int, measure: str, cadence: str
) -> None:
    a, b = pair
    weights = {a: share / 10, b: 1 - share / 10}
    ask = f"what's the {measure} of {share * 10}% {a} {100 - share * 10}% {b} since {year}"
    session = ChatSession(f"cadence-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, f"{ask}, rebalanced {cadence}?")
    assert not pending
    assert [c["name"] for c in calls] == ["backtest_weights"], reply
    args = calls[0]["args"]
    assert args["rebalance"] == cadence and args["start"] == f"{year}-01-01"
    assert args["weights"].keys() == weights.keys(), args
    assert all(abs(args["weights"][t] - w) < 1e-9 for t, w in weights.items()), args
    assert f"rebalanced {cadence}" in reply, reply


@SLOW
@given(
    pair=st.sampled_from(PAIRS), year=st.integers(2010, 2020), cadence=st.sampled_from(CADENCES),
    alone=st.sampled_from(ALONE), equal=st.booleans(),
)  # fmt: skip
def test_a_cadence_alone_after_a_statistic_of_weights_backtests_them(
    offline_data_dir: Path, pair: tuple[str, str], year: int, cadence: str, alone: str, equal: bool
) -> None:
    a, b = pair
    held = f"an equal weight portfolio of {a} and {b}" if equal else f"60% {a} 40% {b}"
    session = ChatSession(f"cadence-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"what's the sharpe of {held} since {year}?")
    reply, calls, pending = turn_calls(session, alone.format(c=cadence))
    assert not pending, reply  # no strategy search drafted
    assert [c["name"] for c in calls] == ["backtest_weights"], (calls, reply)
    args = calls[0]["args"]
    assert args["rebalance"] == cadence and args["start"] == f"{year}-01-01", args
    names = set(args.get("weights") or args.get("universe") or ())
    assert names == {a, b}, args
    if not equal:
        assert abs(args["weights"][a] - 0.6) < 1e-9, args
    other = next(c for c in CADENCES if c != cadence)
    reply, calls, _ = turn_calls(session, f"and {other}?")
    assert [c["args"].get("rebalance") for c in calls] == [other], (calls, reply)
    assert f"rebalanced {other} instead of {cadence}" in reply, reply


def test_a_cadence_the_tool_cannot_take_is_said_unused(offline_data_dir: Path) -> None:
    session = ChatSession(f"cadence-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "what's the VaR of 50% KO 50% PEP?")
    reply, calls, _ = turn_calls(session, "and with monthly rebalancing?")
    assert [c["name"] for c in calls] == ["portfolio_risk_report"], reply
    assert "Not used: monthly rebalancing" in reply, reply
