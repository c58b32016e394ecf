"""A backtest asked with a volatility target, however the target is said ("targeting 12% vol",
"keeping the vol at 12%", "at 12% volatility"), is the backtest of the volatility-targeting
strategy at that target: before, only "with a 12% vol target" was; "targeting 12% vol" and
"keeping the vol at 12%" backtested equal weights (the first said "Not used: the 12%
volatility target") or gave each stock's volatility, and "at 12% volatility" was read as a 12%
weight in the ticker before it."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.messages import HumanMessage

from agents.offline.intent import parse_intent
from graphs.ask_check import account
from graphs.ask_inputs import ToolUse
from graphs.ask_vocabulary import vocabulary
from quant import load_sp500_prices
from tests.support.chat_answers import answer_in_new_thread

TICKERS = sorted(load_sp500_prices().columns)
SAID = (
    "targeting {p}% vol", "keeping the vol at {p}%", "at {p}% volatility",
    "with a {p}% vol target", "at {p}% annual vol", "targeting {p}% volatility",
)  # fmt: skip
"""Ways a PM says the target of a backtest."""


@settings(max_examples=10, deadline=None)
@given(
    pair=st.lists(st.sampled_from(TICKERS), min_size=2, max_size=2, unique=True),
    said=st.sampled_from(SAID),
    percent=st.integers(min_value=5, max_value=30),
)
def test_a_backtest_with_a_target_said_runs_the_strategy_at_it(
    pair: list[str], said: str, percent: int
) -> None:
    text = f"backtest {pair[0]} and {pair[1]} {said.format(p=percent)}"
    reply = answer_in_new_thread(text)
    assert reply.startswith(f"Backtest of a {percent}% target-vol "), reply
    assert f"target vol {percent}.0%" in reply and "Not used" not in reply, reply


def test_a_percentage_of_volatility_is_no_weight_in_either_reader() -> None:
    text = "backtest KO and PEP at 12% volatility"
    intent = parse_intent(text, TICKERS)
    assert intent.weights == {} and intent.target_vol == 0.12, intent
    config = {"target_vol": 0.12, "weight_function": "inverse_vol"}
    used = ToolUse("backtest_strategy", {"config": config, "universe": ["KO", "PEP"]})
    missing = account([HumanMessage(text)], [used], "...", vocabulary()).missing
    assert missing == [], missing
