"""Part of the portfolio held in cash, asked as a what-if of the conversation's portfolio ("add
10% cash", "what if I put 20% in cash?", "move 15% to cash", "and with 30% in cash?"): its risk
report fully invested and with every weight scaled down to leave that share in cash (cash counted
at a 0% return, as the risk report counts it), over the same window, side by side. Before, it
asked what to do, or generated market scenarios of all 20 stocks."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import earlier_results, user_text
from agents.offline.policies import PolicyInput, forced_call, reply, tool_call
from agents.offline.statistic_words import pct
from settings import patterns

__all__ = ["cash_chat", "cash_route"]

_CASH_WHAT_IF = patterns.compile(
    r"^\W*(?:(?:and|so|now|ok(?:ay)?|then)\W+)*(?:(?:what|how)\s+(?:if|about|happens\s+if"
    r"|would\s+happen\s+if)\s+(?:(?:i|we)\s+)?|can\s+(?:you|we)\s+|let'?s\s+|please\s+)?"
    r"(?:(?:add|put|hold|held|keep|kept|move|moved|park|parked|raise|raised|allocate|had|have)\s+"
    r"|with\s+)?(?P<share>\d{1,2}(?:\.\d+)?)\s*%\s+(?:of\s+(?:it|the\s+portfolio)\s+)?"
    r"(?:(?:in(?:to)?|to|as|on)\s+)?cash(?:\s+instead)?\W*$",
    re.IGNORECASE,
)
"""A share of the portfolio held asked to be in cash, the message saying nothing else."""
_LEVEL = 0.95
_REPORT = "portfolio_risk_report"
NOTHING_HELD = (
    "There is no portfolio in this conversation to put part of in cash: build one, or give "
    "weights adding up to less than 100% (for example '60% AAPL 30% KO': the rest, 10%, is "
    "cash). Nothing was computed."
)


def _asked_share(inp: PolicyInput) -> float | None:
    """The share asked to be in cash (a fraction), or None."""
    asked = _CASH_WHAT_IF.match(user_text(inp).strip())
    share = float(asked["share"]) / 100 if asked else 0.0
    return share if 0.0 < share < 1.0 else None


def _held(inp: PolicyInput) -> tuple[str, dict[str, Any], dict[str, float], dict[str, str]] | None:
    """The conversation's latest portfolio: its name, how a tool names it (its id, or the
    weights given), its weights and its window (a build's estimation window, or the window
    weights were given over), from the latest result that holds one; a what-if's own weights
    in cash are passed over for the portfolio beside them."""
    earlier = earlier_results(inp)
    for index, (name, args, data) in enumerate(earlier):
        if name == "optimize_portfolio" and isinstance(data, dict) and data.get("weights"):
            span = data.get("date_range") or {}
            window = {k: str(span[k]) for k in ("start", "end") if span.get(k)}
            weights = {str(t): float(w) for t, w in data["weights"].items() if float(w) > 0}
            portfolio_id = str(data.get("portfolio_id"))
            return f"portfolio {portfolio_id}", {"portfolio_id": portfolio_id}, weights, window
        if not isinstance(args.get("weights"), dict) or not args["weights"]:
            continue
        weights = {str(t): float(w) for t, w in args["weights"].items()}
        paired = index + 1 < len(earlier) and earlier[index + 1][0] == name == _REPORT
        if paired and sum(weights.values()) < 1.0 - 1e-9:
            continue  # the what-if's weights in cash, its fully invested portfolio next
        window = {k: str(args[k]) for k in ("start", "end") if args.get(k)}
        return "the weights given", {"weights": weights}, weights, window
    return None


def cash_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's route for part of the conversation's portfolio asked in cash: the risk
    manager, or the supervisor's question back when there is no portfolio; None for any other
    message."""
    if _asked_share(inp) is None:
        return None
    if _held(inp) is None:
        if inp.must_call_tool:
            reason = "part of a portfolio asked in cash with no portfolio in the conversation"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return reply(NOTHING_HELD)
    if not inp.must_call_tool:
        return None
    reason = "part of the portfolio held asked in cash: its risk beside the fully invested one"
    return forced_call(inp, {"agent": "risk_manager", "reason": reason})


def cash_chat(inp: PolicyInput) -> AIMessage | None:
    """The risk manager's reply to part of the portfolio asked in cash: the two risk reports,
    then their figures side by side; None for any other message."""
    share, held = _asked_share(inp), _held(inp)
    if share is None or held is None:
        return None
    label, subject, weights, window = held
    invested = sum(weights.values())
    scaled = {t: w * (1.0 - share) / invested for t, w in weights.items()}
    asked = [{**named, "level": _LEVEL, **window} for named in (subject, {"weights": scaled})]
    done = [r for r in inp.results_this_turn() if r.name == _REPORT]
    if len(done) < len(asked):
        return reply("", tool_call(_REPORT, asked[len(done)]))
    failed = [f for r in done if (f := r.failure("measure that")) is not None]
    if failed:
        return reply(failed[0])
    full, cash = (r.data for r in done[-2:])
    return reply(_side_by_side(share, label, scaled, full, cash))


_FIGURES = (
    ("annualised volatility", "volatility", 1),
    ("maximum drawdown", "max_drawdown", 1),
    ("one-day 95% CVaR", "cvar_historical", 2),
    ("annualised return", "annualised_return", 1),
)
"""The risk report's figures set side by side: words, key, decimals."""


def _side_by_side(
    share: float,
    label: str,
    scaled: dict[str, float],
    full: dict[str, Any],
    cash: dict[str, Any],
) -> str:
    """The portfolio with `share` in cash beside it fully invested, figure by figure."""
    held = ", ".join(f"{t} {pct(w)}" for t, w in sorted(scaled.items(), key=lambda i: -i[1]))
    span = cash.get("date_range") or {}
    figures = "; ".join(
        f"{words} {pct(float(cash[key]), places)} against {pct(float(full[key]), places)}"
        for words, key, places in _FIGURES
        if cash.get(key) is not None and full.get(key) is not None
    )
    return (
        f"With {pct(share)} in cash and the rest in {label} ({held}), beside it fully invested, "
        f"from {span.get('start')} to {span.get('end')}: {figures}. The cash is counted at a "
        "0% return, as the risk report counts it; the weights are traded back to these shares "
        "each day."
    )
