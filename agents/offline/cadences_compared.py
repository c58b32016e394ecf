"""Rebalancing cadences set side by side in one message ("backtest monthly rebalancing of 50%
AAPL 50% KO vs buy and hold since 2018", "compare quarterly vs annual rebalancing for 60% MSFT
40% JNJ"): a backtest at each cadence, the same weights, window and costs, each answered, then
judged side by side by the Sharpe ratio (before: one backtest, the other cadence said unused)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages.tool import ToolCall

from agents.offline.analysis_answers import ANSWERS
from agents.offline.backtests_compared import side_by_side
from agents.offline.intent.analysis_ask import AnalysisAsk
from agents.offline.policies import ToolResult, tool_call

__all__ = ["cadence_calls", "cadences_answer"]


def _cadence_name(cadence: str) -> str:
    """A cadence as a backtest's name: "rebalanced monthly", "bought once and held"."""
    return "bought once and held" if cadence == "never" else f"rebalanced {cadence}"


def cadence_calls(ask: AnalysisAsk, args: dict[str, Any]) -> list[ToolCall]:
    """A `backtest_weights` call at each cadence the question compares, otherwise `args`."""
    return [tool_call(ask.tool, {**args, "rebalance": cadence}) for cadence in ask.rebalances]


def cadences_answer(done: Sequence[ToolResult], ask: AnalysisAsk) -> str:
    """Each cadence's backtest, a paragraph each in the order asked, then those that ran side
    by side (a failed one says why)."""
    paragraphs = [
        r.failure("backtest that") or ANSWERS["backtest_weights"](r.data, ask) for r in done
    ]
    ran = [
        (_cadence_name(str(r.args.get("rebalance"))), r.data)
        for r in done
        if not r.is_error and isinstance(r.data, dict) and "sharpe" in r.data
    ]
    if len(ran) > 1:
        paragraphs.append(side_by_side(ran))
    return "\n\n".join(paragraphs)
