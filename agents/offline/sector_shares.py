"""A portfolio's share in a sector ("how much of my portfolio is in tech?", "what's the tech
weight of 50% AAPL 30% MSFT 20% KO?", "how much of it is in energy?" after a build): its risk
report (`portfolio_risk_report` of the weights given, else of the conversation's portfolio), led
by the sector's stocks' weights added up and the share of the portfolio's volatility they carry
(their risk contributions added up). With no portfolio in the conversation and none given, which
one (`WHICH_PORTFOLIO`: the holdings given next are the ones read). Before, the sector's stocks
were built into a portfolio of their own, or the market was read."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import WHICH_PORTFOLIO, earlier_results, last_subject
from agents.offline.intent import Intent
from agents.offline.intent.targets import sector_tickers
from agents.offline.policies import PolicyInput, ToolResult, forced_call, reply, tool_call
from agents.offline.statistic_words import pct
from services.formatting import listed
from settings import patterns

__all__ = ["sector_asked", "sector_share_chat", "sector_share_route"]

_SHARE_IN = patterns.compile(
    r"\b(?:how\s+much|what\s+(?:share|part|percentage|fraction|proportion))\s+of\b[^?.!;]{0,80}?"
    r"\b(?:is|was|sits)\s+(?:invested\s+)?(?:in|allocated\s+to|exposed\s+to)\s+(?:the\s+)?"
    r"(?P<group>[a-z&][a-z& -]{1,30}?)(?:\s+(?:stocks|names|sector|shares))?\s*(?:[?.!]|$)"
)
"""A sector's share of a portfolio asked ("how much of my portfolio is in tech?", "what share
of it is in energy?")."""
_WEIGHT_NAMED = patterns.compile(
    r"\bwhat(?:'s|s|\s+is)\s+(?:the|my|its|our|their)\s+(?P<group>[a-z&][a-z& ]{1,30}?)\s+"
    r"(?:weight|weighting|share|allocation|exposure)\b"
    r"|\b(?:weight|weighting|share|allocation|exposure)\s+(?:of|to)\s+(?:the\s+)?"
    r"(?P<of>[a-z&][a-z& ]{1,30}?)\s+(?:in|of)\b"
)
"""A sector's weight named ("what's the tech weight of 50% AAPL 30% MSFT 20% KO?", "the
weighting of energy in 30/30/40 XOM CVX KO")."""


def sector_asked(intent: Intent) -> tuple[str, list[str]] | None:
    """The sector term whose share of a portfolio the message asks and that sector's stocks;
    None when it asks no such thing."""
    low = intent.text.lower()
    asked = _SHARE_IN.search(low) or _WEIGHT_NAMED.search(low)
    if asked is None:
        return None
    words = (asked["group"] or asked.groupdict().get("of") or "").split()
    for term in (" ".join(words), words[-1] if words else "", words[0] if words else ""):
        if term and (stocks := sector_tickers([term])):
            return term, stocks
    return None


def _portfolio(inp: PolicyInput, intent: Intent) -> dict[str, Any] | None:
    """The portfolio whose share is asked: the weights the message gives, else the
    conversation's portfolio (built last, or the weights an analysis used); None for none."""
    if intent.weights:
        return {"weights": dict(intent.weights)}
    subject = last_subject(inp) or {}
    for key in ("portfolio_id", "weights"):
        if subject.get(key):
            return {key: subject[key]}
    return None


def sector_share_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's route for a sector's share of a portfolio: the risk manager (or the
    question back when there is no portfolio); None for any other message."""
    if sector_asked(intent) is None:
        return None
    if _portfolio(inp, intent) is None:
        if inp.must_call_tool:
            reason = "which portfolio a sector's share is asked of"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return reply(WHICH_PORTFOLIO)
    if inp.must_call_tool:
        reason = "a sector's share of a portfolio: its weights and its risk contributions"
        return forced_call(inp, {"agent": "risk_manager", "reason": reason})
    return None


def sector_share_chat(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The risk manager's reply to a sector's share of a portfolio: the risk report, then the
    share; None when the message asks no such thing or there is no portfolio."""
    asked, portfolio = sector_asked(intent), _portfolio(inp, intent)
    if asked is None or portfolio is None:
        return None
    reports = [r for r in inp.results_this_turn() if r.name == "portfolio_risk_report"]
    if not reports:
        return reply("", tool_call("portfolio_risk_report", {**portfolio, "level": 0.95}))
    if reports[-1].is_error or not isinstance(reports[-1].data, dict):
        return reply(f"The risk report failed: {reports[-1].reason}")
    weights = portfolio.get("weights") or _built_weights(inp, str(portfolio["portfolio_id"]))
    return reply(_share_sentence(asked, reports[-1], weights))


def _built_weights(inp: PolicyInput, portfolio_id: str) -> dict[str, float]:
    """The weights of the portfolio `portfolio_id` as the conversation built it ({} when it was
    not built here: a saved portfolio)."""
    for name, _, data in earlier_results(inp):
        built = name == "optimize_portfolio" and isinstance(data, dict)
        if built and data.get("portfolio_id") == portfolio_id:
            return dict(data.get("weights") or {})
    return {}


def _share_sentence(
    asked: tuple[str, list[str]], report: ToolResult, weights: dict[str, float]
) -> str:
    """The sector's stocks' weights (when known: given, or built here) and risk contributions
    added up, each stock's after."""
    term, stocks = asked
    data = report.data
    shares = {t: float(s) for t, s in (data.get("risk_contributions") or {}).items()}
    whose = (
        f"portfolio {data['portfolio_id']}" if data.get("portfolio_id") else "the portfolio given"
    )
    held = [t for t in sorted(shares, key=lambda t: -weights.get(t, shares[t])) if t in stocks]
    if not held:
        held_now = [f"{t} {pct(float(w))}" for t, w in weights.items()]
        others = ", ".join(held_now) or listed(list(shares))
        return f"None of {whose} is in {term} ({listed(stocks)}): it holds {others}."
    risk = sum(shares[t] for t in held)
    each = ", ".join(f"{t} {pct(float(weights[t]))}" if t in weights else t for t in held)
    if unheld := [t for t in stocks if t not in held]:
        each += f"; {listed(unheld)} not held"
    weighed = (
        f" is {pct(sum(float(weights[t]) for t in held))} of {whose} and"
        if all(t in weights for t in held)
        else f" in {whose}"
    )
    carried = ", ".join(f"{t} {pct(s)}" for t, s in sorted(shares.items(), key=lambda i: -i[1]))
    return (
        f"{term.capitalize()} ({each}){weighed} carries {pct(risk)} of its volatility (risk "
        f"contributions, each holding's share of the portfolio's volatility: {carried}); its "
        f"annualised volatility {pct(float(data['volatility']))}, from "
        f"{data['date_range']['start']} to {data['date_range']['end']}."
    )
