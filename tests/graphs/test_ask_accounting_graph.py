"""The ask accounting in the assistant graph, whatever the model: a model scripted to make the
mistakes of issue 51 (a lower-case ticker dropped, a group limit read as a cap and reported as
kept, given weights replaced by equal ones, a drawdown limit left out of a search) answers
through the real graph and tools, and the reply the user gets names each mistake, with the
limits checked against the weights the optimiser returned."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.policies import PolicyInput, forced_call, reply, tool_call
from graphs.chat import ChatSession
from settings import Settings
from store.sqlite import SQLiteStore


def _built(chat: ChatSession) -> dict[str, float]:
    results = [m for m in chat.history() if getattr(m, "name", None) == "optimize_portfolio"]
    weights: dict[str, float] = json.loads(results[-1].text)["weights"]
    return weights


def sloppy_builder(inp: PolicyInput) -> AIMessage:
    """Drops "ko", reads "no more than 20% in tech" as a 20% cap on every name, and claims
    the tech limit was kept."""
    if not inp.results_this_turn():
        args = {"universe": ["AAPL", "MSFT", "JNJ", "PG", "XOM"], "method": "min_volatility",
                "max_weight": 0.2}  # fmt: skip
        return reply("", tool_call("optimize_portfolio", args))
    return reply("Here is the min-vol portfolio. Limits kept: at most 20% in tech.")


def test_a_misread_group_limit_and_a_dropped_ticker_are_named_through_the_graph(
    offline_data_dir: Path, policy_override: Any
) -> None:
    policy_override("optimizer", sloppy_builder)
    chat = ChatSession("sloppy-build", settings=Settings())
    text = chat.send("min vol of aapl, msft, jnj, ko, pg and xom with no more than 20% in tech")
    answer = text.replies[-1]
    weights = _built(chat)
    assert weights["AAPL"] + weights["MSFT"] > 0.2 + 1e-3  # the group holds more than asked
    assert "at most 20% in tech" not in answer  # the unchecked claim is gone
    held = weights["AAPL"] + weights["MSFT"]
    assert "Limits kept: at most 20.0% in any asset (largest " in answer
    assert f"Limits not kept: tech (AAPL, MSFT) within 0.0% to 20.0% in all (holds {held:.1%})." in answer  # fmt: skip
    assert "the 20% limit on tech (it was applied as a limit on every asset, not a group limit)" in answer  # fmt: skip
    assert "KO (not in the universe used (AAPL, JNJ, MSFT, PG, XOM))" in answer
    # the message the thread keeps is the checked one: a later turn sees what the user saw
    assert chat.history()[-1].text == answer


def equal_weights_backtester(inp: PolicyInput) -> AIMessage:
    """Backtests equal weights of the names instead of the weights given."""
    if not inp.results_this_turn():
        args = {"universe": ["AAPL", "KO"], "rebalance": "monthly"}
        return reply("", tool_call("backtest_weights", args))
    return reply("Backtest of equal weights of AAPL and KO, rebalanced monthly.")


def test_given_weights_replaced_are_named_through_the_graph(
    offline_data_dir: Path, policy_override: Any
) -> None:
    policy_override("optimizer", equal_weights_backtester)
    chat = ChatSession("sloppy-weights", settings=Settings())
    answer = chat.send("backtest 60% AAPL 40% KO rebalanced monthly since 2019").replies[-1]
    assert "your weights (AAPL 60%, KO 40%) (the tools ran on AAPL, KO without these weights)" in answer  # fmt: skip
    assert "the window since 2019 (the tools used 2018-01-02 to 2022-12-28)" in answer
    assert "Used: AAPL, KO; 2018-01-02 to 2022-12-28; equal weights; rebalanced monthly." in answer  # fmt: skip


def drawdown_dropper(inp: PolicyInput) -> AIMessage:
    """Drafts the search without the drawdown limit asked for."""
    if inp.called_tool == "RequestDraft":
        return forced_call(inp, {"universe": ["AAPL", "JNJ", "KO", "XOM"], "max_trials": 12,
                                 "summary": "a target-vol search"})  # fmt: skip
    return reply("I can draft that search.")


def test_a_drawdown_limit_left_out_of_a_search_is_named_in_its_approval(
    offline_data_dir: Path, policy_override: Any, tmp_path: Path
) -> None:
    policy_override("optimizer", drawdown_dropper)
    store = SQLiteStore(tmp_path / "store.sqlite")
    chat = ChatSession("sloppy-search", settings=Settings(), owner="alice", store=store)
    turn = chat.send(
        "find the target-vol setting for AAPL, JNJ, KO and XOM with a max drawdown of 20%"
    )
    assert turn.pending is not None
    assert "risk_limits" not in turn.pending["request"] or not turn.pending["request"]["risk_limits"].get("max_drawdown")  # fmt: skip
    assert turn.pending["summary"].endswith(
        "Not used: the 20% drawdown limit (the drafted search did not take it)."
    )
