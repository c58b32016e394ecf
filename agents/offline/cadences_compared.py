"""Rebalancing cadences set side by side in one message ("backtest monthly rebalancing of 50%
AAPL 50% KO vs buy and hold since 2018", "compare quarterly vs annual rebalancing for 60% MSFT
40% JNJ"): a backtest at each cadence, the same weights, window and costs, each answered, then
judged side by side by the Sharpe ratio (before: one backtest, the other cadence said unused).
How often to rebalance, asked without naming cadences ("how often should I rebalance it?"), is
the same backtest at the usual cadences, said as one comparison (before: a strategy search was
proposed, or the weights given were built anew)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from langchain_core.messages.tool import ToolCall

from agents.offline.analysis_answers import ANSWERS, held_said, window_said
from agents.offline.backtests_compared import side_by_side
from agents.offline.intent.analysis_ask import AnalysisAsk
from agents.offline.policies import ToolResult, tool_call
from agents.offline.statistic_words import pct, told_apart

__all__ = ["cadence_calls", "cadences_answer", "how_often_answer"]


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


_SHARPE_DEFINITION = "return a year per unit of volatility, risk-free rate 0"


def how_often_answer(done: Sequence[ToolResult]) -> str:
    """How often to rebalance, answered from a backtest at each cadence (the same weights,
    window and costs): the best by the Sharpe ratio with its definition and how far apart the
    cadences are on it, then each cadence's CAGR, volatility, Sharpe ratio, deepest drawdown,
    trades and turnover, and what the trading costs counted (none unless said)."""
    ran = [r for r in done if not r.is_error and isinstance(r.data, dict) and "sharpe" in r.data]
    failed = [f for r in done if (f := r.failure("backtest that")) is not None]
    if not ran:
        return "\n\n".join(failed)
    first = ran[0].data
    costs = f"{first['cost_bps']:g} bps trading costs" if first["cost_bps"] else "no trading costs"
    sharpes = {_cadence_name(str(r.args.get("rebalance"))): float(r.data["sharpe"]) for r in ran}
    shown = told_apart(sharpes, lambda v: f"{v:.2f}")
    rows = [_cadence_row(name, r.data, shown[name]) for name, r in zip(sharpes, ran, strict=True)]
    best = max(sharpes, key=lambda name: sharpes[name])
    spread = max(sharpes.values()) - min(sharpes.values())
    text = (
        f"A portfolio has no rebalancing schedule until it is deployed on one: between trades "
        f"its weights drift with prices. Backtested at each cadence {window_said(first)} with "
        f"{costs}, {held_said(first['portfolio'])} did best {best} by the Sharpe ratio "
        f"({_SHARPE_DEFINITION}; the cadences {spread:.2f} apart on it): " + "; ".join(rows) + "."
    )
    if not first["cost_bps"]:
        text += (
            " No trading costs were counted, so trading more often cost nothing here; ask again "
            "with costs ('with 10 bps costs') to weigh the turnover."
        )
    return "\n\n".join([text, *failed])


def _cadence_row(name: str, data: dict[str, Any], sharpe: str) -> str:
    """One cadence's backtest in a row: "rebalanced monthly: CAGR 14.2%, volatility 19.4%,
    Sharpe ratio 0.78, maximum drawdown 30.6%, 60 trades (...), turnover 34.7% a year"."""
    row = (
        f"{name}: CAGR {pct(data['cagr'])}, volatility {pct(data['volatility'])}, Sharpe ratio "
        f"{sharpe}, maximum drawdown {pct(data['max_drawdown']['depth'])}"
    )
    if name != _cadence_name("never"):  # held: the first purchase its one trade
        row += f", {int(data['trades'])} trades (the first purchase included)"
        if data.get("turnover") is not None:
            row += f", turnover {pct(data['turnover'])} a year"
    if data["cost_bps"]:
        row += f", costs took {pct(data['cost_drag'], 2)} of the return"
    return row
