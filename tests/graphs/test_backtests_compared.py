"""Which of the two backtests just run was the better ("backtest 60/40 AAPL KO since 2015", then
"and with quarterly rebalancing?", then "which was better?") is answered from the two results,
nothing computed, by the Sharpe ratio with its definition and each backtest named by what sets
it apart (it was a market read of the stocks over the default window); after one backtest alone
it says there is no second and sets it beside the index."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import ToolMessage

from graphs.chat import ChatSession
from settings import Settings
from tests.support.chat_answers import turn_calls

SECOND = {
    "and with quarterly rebalancing?": "rebalanced quarterly",
    "and with 50 bps costs?": "50 bps costs",
    "and since 2018?": "from 2018-01-01",
}


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    second=st.sampled_from(sorted(SECOND)),
    asked=st.sampled_from(("which was better?", "which one did better?", "so which is worse?")),
    share=st.integers(2, 8),
)
def test_which_backtest_was_better_is_read_from_the_two_results(
    offline_data_dir: Path, second: str, asked: str, share: int
) -> None:
    session = ChatSession(f"backtests-{uuid.uuid4().hex}", settings=Settings())
    first, _, _ = turn_calls(
        session, f"backtest {share * 10}% AAPL {100 - share * 10}% KO since 2015"
    )
    then, calls, _ = turn_calls(session, second)
    assert [c["name"] for c in calls] == ["backtest_weights"], (then, calls)
    reply, calls, _ = turn_calls(session, asked)
    assert calls == [], (reply, calls)
    sharpes = [float(re.search(r"Sharpe ratio (-?\d\.\d+)", r)[1]) for r in (first, then)]
    said = re.search(r"^(Better|Worse) by the Sharpe ratio \([^)]*\): (.+?)\. Side by side", reply)
    assert said is not None, reply
    worse = "worse" in asked
    assert said[1] == ("Worse" if worse else "Better"), reply
    if abs(sharpes[0] - sharpes[1]) >= 0.01:  # apart at the replies' two decimals
        second_won = (sharpes[1] > sharpes[0]) != worse
        assert (said[2] == SECOND[second]) == second_won, (reply, sharpes)
    assert "Nothing new was computed" in reply


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    share=st.integers(2, 8), since=st.integers(2010, 2021),
    asked=st.sampled_from(("which was better?", "which one did better?", "so which is worse?",
                           "how does that compare to the S&P?", "and vs the market?",
                           "how does it stack up against the index?")),
)  # fmt: skip
def test_after_one_backtest_it_is_set_beside_the_index(
    offline_data_dir: Path, share: int, since: int, asked: str
) -> None:
    """One backtest, then "which was better?": no second to compare, so the reply says so and
    sets it beside the index from its own result, figure by figure (before: a market read of
    the stocks over the default window); "how does that compare to the S&P?" is that beside
    alone (before: a market read over the default window, the backtest's window said unused)."""
    session = ChatSession(f"backtests-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, f"backtest {share * 10}% AAPL {100 - share * 10}% KO since {since}")
    result = json.loads(
        next(m.text for m in reversed(session.history()) if isinstance(m, ToolMessage))
    )
    reply, calls, _ = turn_calls(session, asked)
    assert calls == [], reply  # nothing computed
    lead = "Only one backtest has been run" if "etter" in asked or "orse" in asked else "Beside"
    assert reply.startswith(lead), reply
    assert f"the S&P 500 index from {result['window']['start']} to" in reply, reply
    index = result["index"]
    for words, ours, theirs in (
        ("total return", result["total_return"], index["total_return"]),
        ("volatility", result["volatility"], index["volatility"]),
        ("maximum drawdown", result["max_drawdown"]["depth"], index["max_drawdown"]),
    ):
        side = {True: "higher", False: "lower"}[ours > theirs]
        if words == "maximum drawdown":
            side = {"higher": "deeper", "lower": "shallower"}[side]
        said = f"{words} {100 * ours:.1f}% against {100 * theirs:.1f}% ({side})"
        assert said in reply, (said, reply)
