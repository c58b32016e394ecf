"""A build or a backtest of the names a ranking picks, asked in one message ("build a portfolio
of the top 5 stocks by Sharpe in 2021", "backtest the 5 best performers of 2021 equally weighted
since 2022"), ranks every stock over the ranking's own year first and then acts on the names it
picked (it built or backtested all twenty, or refused a backtest ending before it started), over
the window said for the action, else the ranking's; the reply names the picks and, when the
windows overlap, says they are seen with hindsight. With no
count ("build a portfolio of the best stocks") it asks how many and by what. The picks are
checked against pandas over the embedded closes."""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.offline.ranked_picks import NO_COUNT
from graphs.chat import ChatSession
from prompts.canonical import TOOL_SIGNIFICANT_DIGITS
from quant import load_sp500_prices
from settings import Settings
from tests.support.chat_answers import turn_calls

PRICES = load_sp500_prices()
SLOW = settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
RANKINGS = {
    "the top {n} stocks by Sharpe in {y}": ("sharpe", False),
    "the {n} best performers of {y}": ("return", False),
    "the {n} biggest winners of {y}": ("return", False),
    "the {n} least volatile stocks in {y}": ("volatility", True),
    "the {n} calmest names of {y}": ("volatility", True),
}
"""Each ranking's words, the measure it ranks by, and whether it keeps the lowest values."""
ACTIONS = (
    "build a portfolio of {ranking}",
    "build a min vol portfolio of {ranking}",
    "invest in {ranking}",
    "backtest {ranking} equally weighted since {after}",
)


def _values(year: int, measure: str) -> pd.Series:
    closes = PRICES.loc[PRICES.loc[: f"{year - 1}-12-31"].index[-1] : f"{year}-12-31"]
    daily = closes.pct_change().iloc[1:]
    if measure == "return":
        return closes.iloc[-1] / closes.iloc[0] - 1
    volatility = daily.std() * math.sqrt(252)
    return volatility if measure == "volatility" else daily.mean() * 252 / volatility


@SLOW
@given(
    year=st.integers(2008, 2021), count=st.integers(2, 5),
    ranking=st.sampled_from(sorted(RANKINGS)), action=st.sampled_from(ACTIONS),
)  # fmt: skip
def test_a_ranking_acted_on_is_computed_first_and_its_picks_are_acted_on(
    offline_data_dir: Path, year: int, count: int, ranking: str, action: str
) -> None:
    measure, lowest = RANKINGS[ranking]
    values = _values(year, measure).sort_values(ascending=lowest)
    held = values.map(lambda v: f"{v:.{TOOL_SIGNIFICANT_DIGITS}g}")
    if held.iloc[count - 1] == held.iloc[count]:
        return  # a tie at the tool's precision decides the last pick
    picks = sorted(values.index[:count])
    message = action.format(ranking=ranking.format(n=count, y=year), after=year + 1)
    session = ChatSession(f"picks-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, _ = turn_calls(session, message)
    ranked, acted = calls[0], calls[1:]
    assert ranked["name"] == "asset_statistics", (message, calls)
    assert len(ranked["args"]["universe"]) == len(PRICES.columns)
    assert (ranked["args"]["start"], ranked["args"]["end"]) == (f"{year}-01-01", f"{year}-12-31")
    assert len(acted) == 1, (message, calls)
    args = acted[0]["args"]
    assert sorted(args.get("universe") or args.get("weights")) == picks, (message, calls)
    assert reply.startswith("Picked by "), reply
    hindsight = "with hindsight" in reply
    if "backtest" in action:
        assert acted[0]["name"] == "backtest_weights"
        assert args["start"] == f"{year + 1}-01-01", calls
        assert not hindsight, reply  # the backtest starts after the ranking's year
    else:
        assert acted[0]["name"] == "optimize_portfolio"
        assert args.get("method") == ("min_volatility" if "min vol" in action else "hrp")
        # no window said for the build: the ranking's, the one window said, so with hindsight
        assert (args.get("start"), args.get("end")) == (f"{year}-01-01", f"{year}-12-31"), calls
        assert hindsight, reply


@SLOW
@given(
    message=st.sampled_from((
        "build a portfolio of the best stocks", "invest in the top performers",
        "backtest the biggest winners equally weighted",
    ))
)  # fmt: skip
def test_a_ranking_acted_on_with_no_count_asks_how_many_and_computes_nothing(
    offline_data_dir: Path, message: str
) -> None:
    session = ChatSession(f"picks-{uuid.uuid4().hex}", settings=Settings())
    reply, calls, pending = turn_calls(session, message)
    assert calls == [] and not pending, (reply, calls)
    assert reply.startswith(NO_COUNT), reply


def test_the_top_3_after_a_ranking_shown_are_the_names_shown_not_a_new_ranking(
    offline_data_dir: Path,
) -> None:
    session = ChatSession(f"picks-{uuid.uuid4().hex}", settings=Settings())
    turn_calls(session, "show me the top 3 stocks by Sharpe in 2021")
    reply, calls, _ = turn_calls(session, "build an HRP portfolio of the top 3")
    top = sorted(_values(2021, "sharpe").sort_values(ascending=False).index[:3])
    assert [c["name"] for c in calls] == ["optimize_portfolio"], (reply, calls)
    assert sorted(calls[0]["args"]["universe"]) == top, calls
