"""Less risk asked of the portfolio the conversation built last ("make it less risky", "can you
lower its volatility?", "reduce the risk", "de-risk it", "make it more conservative"): the
min-volatility portfolio of the same stocks, window and weight limits, its volatility set beside
the one it replaces. When that build already is the min-volatility one, no fully invested mix of
its stocks under its limits is less volatile: the reply says so, and what would lower it (calmer
stocks added, part held in cash), and nothing runs. Before, the same request ran again (an HRP
portfolio after a min-volatility one: a riskier one), or the portfolio's risk was reported."""

from __future__ import annotations

import re
from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import earlier_results, user_text
from agents.offline.method_names import method_name
from agents.offline.policies import PolicyInput, forced_call, reply, tool_call
from agents.offline.portfolio_builds import build_attempt, describe_portfolio
from agents.offline.statistic_words import pct
from services.formatting import listed
from settings import patterns

__all__ = ["less_risk_chat", "less_risk_route"]

_LESS_RISK = patterns.compile(
    r"^\W*(?:(?:ok(?:ay)?|so|and|now|then|please|pls|can\s+(?:you|we)|could\s+(?:you|we)"
    r"|would\s+you|let'?s|i\s+(?:want|need|would\s+like)\s+(?:to|you\s+to)|try\s+to)[\s,]+)*"
    r"(?:make\s+(?:it|this|that|the\s+portfolio|my\s+portfolio|them)\s+(?:a\s+(?:bit|little)\s+)?"
    r"(?:less\s+(?:risky|volatile)|safer|more\s+(?:conservative|defensive)|lower[\s-]risk)"
    r"|(?:lower|reduce|cut|decrease|lessen|bring\s+down|minimi[sz]e)\s+(?:the\s+|its\s+|my\s+"
    r"|our\s+|the\s+portfolio'?s\s+)?(?:risk|volatility|vol|variance)"
    r"|de-?risk(?:\s+(?:it|this|that|the\s+portfolio|my\s+portfolio))?)"
    r"(?:\s+(?:please|a\s+(?:bit|little)|further|more|some|instead|then))*\W*$",
    re.IGNORECASE,
)
"""A message that only asks for less risk in the portfolio held ("make it less risky", "can you
lower its volatility?"): not a question of what lowers it ("which holdings reduce the risk?")."""
_LOWEST = "min_volatility"
_TARGETS = ("target_volatility", "target_return", "risk_aversion")
"""Arguments of a build that belong to another method: the min-volatility build takes none."""
_CALM = ("PG", "PEP", "JNJ", "KO", "WMT")
"""Stocks of the embedded data among the least volatile, named as examples to add."""


def _built_last(inp: PolicyInput) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The arguments and the result of the conversation's latest portfolio build, when the
    message asks for less risk; None otherwise."""
    if _LESS_RISK.match(user_text(inp).strip()) is None:
        return None
    built = next(
        ((args, data) for name, args, data in earlier_results(inp)
         if name == "optimize_portfolio" and isinstance(data, dict) and "weights" in data),
        None,
    )  # fmt: skip
    return built


def less_risk_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's route for less risk asked of the portfolio built last: the optimizer,
    which builds the min-volatility one, or the supervisor's own answer when that is the one
    built; None for any other message or with no portfolio built."""
    built = _built_last(inp)
    if built is None:
        return None
    args, data = built
    if args.get("method") == _LOWEST:
        if inp.must_call_tool:
            reason = "less risk asked of the min-volatility portfolio: none is less volatile"
            return forced_call(inp, {"agent": "supervisor", "reason": reason})
        return reply(_already_lowest(data))
    if inp.must_call_tool:
        reason = "less risk asked of the portfolio built last: its min-volatility version"
        return forced_call(inp, {"agent": "optimizer", "reason": reason})
    return None


def less_risk_chat(inp: PolicyInput) -> AIMessage | None:
    """The optimizer's reply to less risk asked of the portfolio built last: the min-volatility
    build of its stocks, window and limits, then its volatility beside the one it replaces;
    None for any other message."""
    built = _built_last(inp)
    if built is None or built[0].get("method") == _LOWEST:
        return None
    args, before = built
    lowest = {k: v for k, v in args.items() if k not in _TARGETS} | {"method": _LOWEST}
    done = [r for r in inp.results_this_turn() if r.name == "optimize_portfolio"]
    if not done:
        return reply("", tool_call("optimize_portfolio", lowest))
    failed = done[-1].failure(build_attempt(lowest))
    if failed is not None:
        return reply(failed)
    data = done[-1].data
    was, now = float(before["volatility"]), float(data["volatility"])
    called = f"{method_name(str(args.get('method') or ''))} portfolio {before['portfolio_id']}"
    if now < was:
        lead = (
            f"Less risky: the min-volatility portfolio of the same stocks, window and limits has "
            f"a volatility of {pct(now)} a year against {pct(was)} for the {called}"
        )
    else:
        lead = (
            f"The min-volatility portfolio of the same stocks, window and limits is no less "
            f"volatile than the {called} ({pct(now)} against {pct(was)} a year): it was already "
            f"as calm as these stocks allow. {_lower_still(data['weights'])}"
        )
    return reply(f"{lead}. {describe_portfolio(data)} (in-sample estimates).")


def _already_lowest(data: dict[str, Any]) -> str:
    """The answer when the portfolio built last is the min-volatility one."""
    names = listed(sorted(data["weights"]))
    window = data.get("date_range") or {}
    return (
        f"Portfolio {data['portfolio_id']} is already the min-volatility portfolio of {names} "
        f"(volatility {pct(float(data['volatility']))} a year, estimated from "
        f"{window.get('start')} to {window.get('end')}): no fully invested mix of these stocks "
        f"under its limits is less volatile. {_lower_still(data['weights'])} Nothing was computed."
    )


def _lower_still(held: dict[str, float]) -> str:
    """What would lower the volatility below the lowest mix of the stocks `held`."""
    calm = [t for t in _CALM if t not in held][:2]
    example = f"'add {' and '.join(calm)}', or " if calm else ""
    return (
        f"To lower it further, add calmer stocks ({example}ask 'which stocks were the least "
        "volatile?') or hold part of the capital in cash: its volatility falls in proportion "
        "to the share invested."
    )
