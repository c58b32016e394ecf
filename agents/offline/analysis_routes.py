"""The offline supervisor's side of the analysis questions a portfolio manager asks
(`agents.offline.intent.analysis`): which specialist answers each (`analysis_route`, the
specialist's side is `agents.offline.analysis_policies`), and what "deploy it" deploys when the
conversation's latest build is a portfolio (`deployment_source`)."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agents.offline.chat_intent import (
    earlier_results,
    has_thread_subject,
    intent_of,
    known_tickers,
)
from agents.offline.intent import Intent
from agents.offline.intent.analysis import AnalysisAsk, read_analysis
from agents.offline.intent.held import THE_BUILD
from agents.offline.policies import PolicyInput, forced_call
from agents.offline.portfolio_builds import build_against_index
from agents.offline.thread_runs import finished_run, run_is_latest
from agents.offline.winner_backtests import names_the_winner
from settings import patterns

__all__ = ["AGENTS", "analysis_ask", "analysis_route", "deployment_source"]

AGENTS = {
    "statistics": "market_analysis",
    "stress": "risk_manager",
    "loss_probability": "risk_manager",
    "backtest_weights": "optimizer",
    "compare": "risk_manager",
    "coverage": "market_analysis",
}
"""The specialist each kind of question goes to (`graphs.assistant.TOOLS_OF` hands it the
tool)."""


def analysis_ask(inp: PolicyInput) -> AnalysisAsk | None:
    """The analysis question of the user's latest message (one naming no subject is about the
    conversation's, when it has one), or None."""
    intent = intent_of(inp)
    if build_against_index(intent.text):
        return None  # "give me a portfolio that beats the S&P": a build, not a ranking
    ask = read_analysis(intent, known_tickers(), has_thread_subject(inp))
    if ask is not None and ask.kind == "backtest_weights" and _winner_named(inp, intent):
        return None  # "backtest it" right after a search: its winner's backtest, the optimizer's
    return _years_of_backtest(inp, ask) or ask


def _winner_named(inp: PolicyInput, intent: Intent) -> bool:
    """Whether the message names the winner of the conversation's finished search ("backtest
    it", "backtest it since 2020") and that search, or a backtest of its winner, is the
    conversation's latest work (or the winner was backtested in this turn)."""
    if not names_the_winner(intent, intent.text):
        return False
    if any(call["name"] == "backtest_strategy" for call in inp.calls_this_turn()):
        return True
    earlier = earlier_results(inp)
    if earlier and earlier[0][0] == "backtest_strategy" and "run_id" in earlier[0][1]:
        return True
    return finished_run(inp) and run_is_latest(inp)


def _years_of_backtest(inp: PolicyInput, ask: AnalysisAsk | None) -> AnalysisAsk | None:
    """ "Show the yearly returns" naming no subject after a backtest of weights: that backtest
    again, with its calendar years (its own cadence and costs, not the weights rebalanced
    daily); None otherwise."""
    intent = intent_of(inp)
    if ask is None or ask.kind != "statistics" or "by_year" not in ask.measures:
        return None
    if set(ask.measures) - {"by_year", "return"} or intent.tickers or intent.weights:
        return None
    earlier = earlier_results(inp)
    if not earlier or earlier[0][0] != "backtest_weights" or THE_BUILD.search(intent.text):
        return None  # only right after the backtest
    args = earlier[0][1]
    return replace(
        ask, kind="backtest_weights", tool="backtest_weights", measures=("by_year",),
        weights=dict(args.get("weights") or {}), rebalance=args.get("rebalance"),
        cost_bps=args.get("cost_bps"), capital=args.get("capital"),
    )  # fmt: skip


def analysis_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's route for an analysis question (None for any other message, or one
    naming unknown tickers, which the supervisor answers, unless it asks whether they are in
    the data)."""
    if not inp.must_call_tool:
        return None
    ask = analysis_ask(inp)
    if ask is None or (intent.unknown_tickers and not (ask.kind == "coverage" and ask.names)):
        return None
    agent = AGENTS[ask.kind]
    if ask.kind == "compare" and not intent.asks_risk:
        agent = "optimizer"
    reason = f"the message asks a {ask.kind.replace('_', ' ')} question ({ask.tool})"
    return forced_call(inp, {"agent": agent, "reason": reason})


_RUN_ANSWER = patterns.compile(r"^Run \S+ (?:succeeded|failed|cancelled|finished)")
_WINNER = patterns.compile(r"\bwinner\b|\bsearch\b|\bstrateg(?:y|ies)\b|\brun\b")


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
