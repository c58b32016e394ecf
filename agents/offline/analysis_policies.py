"""The offline model's rules for the analysis questions a portfolio manager asks
(`agents.offline.intent.analysis`): the supervisor routes them (`analysis_route`), and the
specialist calls the tool that answers (`analysis_chat`: `asset_statistics`, `stress_test`,
`loss_probability`, `backtest_weights`, `compare_portfolios`) and answers with its numbers,
naming the window and where the market data ends. A request to deploy "the portfolio" deploys
the one built last in the conversation (`deployment_source`).

What a question is about: the portfolio ids, weights or tickers it names; else what the
conversation was last about (the portfolio built last, or the weights or tickers an earlier
analysis used); else the answer is a question.
"""

from __future__ import annotations

import json
import re
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.offline.analysis_answers import ANSWERS
from agents.offline.chat_intent import intent_of, known_tickers
from agents.offline.intent import Intent
from agents.offline.intent.analysis import AnalysisAsk, read_analysis
from agents.offline.policies import PolicyInput, forced_call, reply, tool_call

__all__ = ["analysis_ask", "analysis_chat", "analysis_route", "deployment_source"]

AGENTS = {
    "statistics": "market_analysis",
    "stress": "risk_manager",
    "loss_probability": "risk_manager",
    "backtest_weights": "optimizer",
    "compare": "risk_manager",
}
"""The specialist each kind of question goes to (`graphs.assistant.TOOLS_OF` hands it the
tool)."""

_SUBJECT_TOOLS = ("optimize_portfolio", "asset_statistics", "stress_test", "loss_probability",
                  "backtest_weights", "portfolio_risk_report")  # fmt: skip
"""Tools whose calls say what the conversation is about."""


def analysis_ask(inp: PolicyInput) -> AnalysisAsk | None:
    """The analysis question of the user's latest message, or None."""
    return read_analysis(intent_of(inp), known_tickers())


def analysis_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's route for an analysis question (None for any other message, or one
    naming unknown tickers, which the supervisor answers)."""
    if not inp.must_call_tool or intent.unknown_tickers:
        return None
    ask = analysis_ask(inp)
    if ask is None:
        return None
    agent = AGENTS[ask.kind]
    if ask.kind == "compare" and not intent.asks_risk:
        agent = "optimizer"
    reason = f"the message asks a {ask.kind.replace('_', ' ')} question ({ask.tool})"
    return forced_call(inp, {"agent": agent, "reason": reason})


def analysis_chat(inp: PolicyInput) -> AIMessage | None:
    """The specialist's reply to an analysis question whose tool it holds: the tool call, then
    the answer from its result; None when the message is no such question."""
    ask = analysis_ask(inp)
    if ask is None or ask.tool not in inp.tool_names:
        return None
    intent = intent_of(inp)
    done = [r for r in inp.results_this_turn() if r.name == ask.tool]
    if done:
        failed = done[-1].failure("answer that")
        return reply(failed if failed is not None else ANSWERS[ask.kind](done[-1].data, ask))
    window = _window(intent, ask)
    if ask.kind == "compare":
        return _compare(inp, intent, ask, window)
    subject = _subject(inp, intent, ask)
    if subject is None:
        return reply(
            "Which portfolio or stocks? Name them (for example 'AAPL and KO', or '60% AAPL 40% "
            "KO') or build a portfolio first. Nothing was computed."
        )
    return reply("", tool_call(ask.tool, {**subject, **window, **_slots(ask)}))


def _window(intent: Intent, ask: AnalysisAsk) -> dict[str, Any]:
    """The window arguments: the last N sessions, or the dates named (none for a stress test
    naming an episode: its years are the episode's)."""
    if ask.last_sessions is not None:
        return {"last_sessions": ask.last_sessions, **({"end": intent.end} if intent.end else {})}
    if ask.kind == "stress" and ask.episodes:
        return {}
    return {key: value for key, value in (("start", intent.start), ("end", intent.end)) if value}


def _slots(ask: AnalysisAsk) -> dict[str, Any]:
    """The tool's own arguments the message states."""
    out: dict[str, Any] = {}
    if ask.capital is not None and ask.kind in ("stress", "loss_probability", "backtest_weights"):
        out["capital"] = ask.capital
    if ask.kind == "stress":
        if ask.market_move is not None:
            out["market_move"] = ask.market_move
        if ask.episodes:
            out["episodes"] = list(ask.episodes)
        if ask.bear_case:
            out["scenarios"] = ["bear"]
        if ask.horizon is not None and ask.bear_case:
            out["horizon"] = max(21, ask.horizon)
    elif ask.kind == "loss_probability":
        out["threshold"] = ask.threshold if ask.threshold is not None else 0.1
        if ask.horizon is not None:
            out["horizon"] = min(1260, max(21, ask.horizon))
        if ask.scenarios:
            out["scenarios"] = list(ask.scenarios)
    elif ask.kind == "backtest_weights":
        out["rebalance"] = ask.rebalance or "monthly"
        if ask.cost_bps is not None:
            out["cost_bps"] = ask.cost_bps
    return out


def _compare(
    inp: PolicyInput, intent: Intent, ask: AnalysisAsk, window: dict[str, Any]
) -> AIMessage:
    """Build each method's portfolio (`optimize_portfolio`, so the conversation holds them),
    then compare them in one table (`compare_portfolios`)."""
    methods = [m for m in intent.methods if m != "frontier"]
    universe = intent.universe(known_tickers()) or _last_universe(inp)
    built = {
        r.args.get("method"): r for r in inp.results_this_turn() if r.name == "optimize_portfolio"
    }
    dates = {k: v for k, v in window.items() if k != "last_sessions"}
    if "last_sessions" not in window and "optimize_portfolio" in inp.tool_names:
        for method in methods:
            if method not in built:
                args: dict[str, Any] = {**dates, "method": method}
                if universe:
                    args["universe"] = universe
                if intent.max_weight is not None and method not in ("hrp", "risk_parity"):
                    args["max_weight"] = intent.max_weight
                return reply("", tool_call("optimize_portfolio", args))
    ids = [
        r.data["portfolio_id"]
        for r in built.values()
        if not r.is_error and isinstance(r.data, dict)
    ]
    compare: dict[str, Any] = {**window, "level": intent.confidence or 0.95}
    if ids and len(ids) == len(methods):
        compare["portfolio_ids"] = ids
    else:
        compare["methods"] = methods
        if universe:
            compare["universe"] = universe
        if intent.max_weight is not None:
            compare["max_weight"] = intent.max_weight
    if intent.equal_weight:
        compare["equal_weight"] = True
        if universe:
            compare["universe"] = universe
    return reply("", tool_call(ask.tool, compare))


def _subject(inp: PolicyInput, intent: Intent, ask: AnalysisAsk) -> dict[str, Any] | None:
    """What the question is about, as tool arguments (see the module docstring)."""
    if intent.portfolio_ids:
        return {"portfolio_id": intent.portfolio_ids[-1]}
    if ask.weights:
        return {"weights": dict(ask.weights)}
    tickers = intent.universe(known_tickers())
    if tickers:
        return {"universe": tickers}
    return _last_subject(inp)


def _earlier_results(inp: PolicyInput) -> list[tuple[str, dict[str, Any], Any]]:
    """(tool, arguments, parsed result) of the calls before this turn, newest first."""
    this_turn = {call["id"] for call in inp.calls_this_turn()}
    return [
        (r.name, r.args, r.data)
        for r in reversed(inp.tool_results())
        if r.call_id not in this_turn and not r.is_error
    ]


def _last_subject(inp: PolicyInput) -> dict[str, Any] | None:
    """The portfolio built last in the conversation, or the weights or universe an earlier
    analysis used, whichever came last; None when there is none."""
    for name, args, data in _earlier_results(inp):
        if name not in _SUBJECT_TOOLS:
            continue
        if name == "optimize_portfolio" and isinstance(data, dict) and data.get("portfolio_id"):
            return {"portfolio_id": data["portfolio_id"]}
        for key in ("portfolio_id", "weights", "universe"):
            if args.get(key):
                return {key: args[key]}
    return None


def _last_universe(inp: PolicyInput) -> list[str] | None:
    """The universe the conversation last used, if any."""
    for _, args, data in _earlier_results(inp):
        if args.get("universe"):
            return list(args["universe"])
        if isinstance(data, dict) and isinstance(data.get("weights"), dict):
            return list(data["weights"])
    return None


_RUN_ANSWER = re.compile(r"^Run \S+ (?:succeeded|failed|cancelled|finished)")
_WINNER = re.compile(r"\bwinner\b|\bsearch\b|\bstrateg(?:y|ies)\b|\brun\b")


def deployment_source(inp: PolicyInput) -> dict[str, Any] | None:
    """The draft's source when the message deploys the portfolio built last in the conversation
    ("deploy this portfolio", or "deploy it" when a portfolio came after any search run):
    ``{"source": "portfolio", "portfolio_id": ...}``; None otherwise (a portfolio named by
    id, the last search's winner)."""
    intent = intent_of(inp)
    low = intent.text.lower()
    if intent.portfolio_ids or _WINNER.search(low):
        return None
    portfolio, portfolio_at, run_at = None, -1, -1
    for index, message in enumerate(inp.messages):
        if isinstance(message, ToolMessage) and message.name == "optimize_portfolio":
            try:
                data = json.loads(message.text)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict) and isinstance(data.get("portfolio_id"), str):
                portfolio, portfolio_at = data["portfolio_id"], index
        elif isinstance(message, AIMessage) and _RUN_ANSWER.match(message.text or ""):
            run_at = index
        elif isinstance(message, HumanMessage) and index == len(inp.messages) - 1:
            break
    if portfolio is None or (portfolio_at < run_at and "portfolio" not in low):
        return None
    return {"source": "portfolio", "portfolio_id": portfolio}
