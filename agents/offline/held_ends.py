"""The largest or smallest holdings of the portfolio just built, asked alone ("what's the biggest
position?", "which holding is the largest?", "what are the top 3 weights?", "the smallest
position?"): read from the build's result, nothing computed (it asked what to do)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessage

from agents.offline.chat_intent import user_text
from agents.offline.method_names import method_name
from agents.offline.policies import PolicyInput, forced_call, reply
from agents.offline.statistic_words import pct
from agents.offline.weight_explanations import portfolio_to_explain
from settings import patterns

__all__ = ["held_end_route"]

_LARGE = r"biggest|largest|top|heaviest|highest|most\s+weight"
_SMALL = r"smallest|lightest|tiniest|lowest|least\s+weight"
_HELD = r"(?:positions?|holdings?|weights?|weighted\s+(?:stocks?|names?)|allocations?)"
_END_ASKED = patterns.compile(
    r"^\W*(?:(?:and|so|ok(?:ay)?|then)\W+)*(?:(?:what|which)(?:'s|\s+(?:is|are|was|were))\s+)?"
    rf"(?:the\s+|my\s+|its\s+|our\s+)?(?:(?P<n>\d{{1,2}})\s+)?(?:(?P<large>{_LARGE})|{_SMALL})\s+"
    rf"(?:(?P<n2>\d{{1,2}})\s+)?{_HELD}(?:\s+in\s+(?:it|the\s+portfolio|my\s+portfolio))?\W*$"
    rf"|^\W*which\s+(?:holding|position|stock|name)\s+(?:is|has)\s+(?:the\s+)?"
    rf"(?:(?P<large2>{_LARGE})|{_SMALL})(?:\s+{_HELD}|\s+one)?\W*$"
)
"""The largest or smallest holdings asked alone, with how many ("the top 3 weights")."""


def _ends(built: dict[str, Any], large: bool, count: int) -> str:
    """The answer: the `count` largest (or smallest) weights of `built`, the one after them."""
    weights = sorted((built.get("weights") or {}).items(), key=lambda kv: -kv[1])
    held = [(t, w) for t, w in weights if w > 0] if not large else weights
    ordered = held if large else held[::-1]
    shown, after = ordered[:count], ordered[count : count + 1]
    which = "largest" if large else "smallest"
    noun = f"{which} holding" if count == 1 else f"{count} {which} holdings"
    named = f"the {method_name(str(built.get('method') or ''))} portfolio ({built['portfolio_id']})"
    said = f"The {noun} of {named}: " + ", ".join(f"{t} {pct(w)}" for t, w in shown)
    said += f"; next {after[0][0]} {pct(after[0][1])}" if after else ""
    zero = [t for t, w in weights if w <= 0]
    held_none = f" It holds none of {', '.join(zero)}." if zero and not large else ""
    return (
        f"{said}.{held_none} Nothing new was computed: the weights are those of the build "
        "just given."
    )


def held_end_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's answer to which holdings of the portfolio just built are the largest or
    the smallest, through its own route when a route must be called; None when the message asks
    no such thing or no portfolio was built."""
    asked = _END_ASKED.search(user_text(inp).lower())
    if asked is None or (built := portfolio_to_explain(inp)) is None:
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "the portfolio just built"})
    large = bool(asked["large"] or asked["large2"])
    return reply(_ends(built, large, max(1, int(asked["n"] or asked["n2"] or 1))))
