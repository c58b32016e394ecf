"""The words of the ask accounting (`graphs.ask_accounting`): how a reply may name an item
(`mentions`, `named_as_not_used`), apply it as a bar (`applied_as_bar`) or give a scenario's
figure (`scenario_stated`), an item in words (`describe`) and the sentence that names
what was not used and why (`not_used_sentence`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from graphs.ask_items import AskItem
from services.formatting import scenario
from settings import patterns

NOTHING_COMPUTED = "nothing was computed in this turn"
"""The reason of every item of a turn that made no tool call."""

NOT_USED_MARKERS = patterns.compile(
    r"\b(?:not|no|never|cannot|can't|could not|couldn't|without|left out|leaves? out|excluded?|"
    r"excludes|dropped|removed|skipped|ignored|instead|unknown|unavailable|missing|outside|"
    r"isn't|aren't|wasn't|weren't|don't|doesn't|didn't|refused?|infeasible|unsupported|"
    r"takes? no|holds? no)\b|n't\b",
    re.IGNORECASE,
)
"""Words of a sentence that says something was not used."""
_SENTENCE = patterns.compile(r"(?<=[.!?])\s+(?=[A-Z(\"'])|\n+")


@dataclass(frozen=True)
class Unaccounted:
    """An item no tool took and the reply does not name, and why it was not used; `carried`
    when it came from the thread's earlier request."""

    item: AskItem
    reason: str
    carried: bool = False


def pct(value: float) -> str:
    """A fraction as a percentage with up to 4 significant digits (0.2 -> "20%")."""
    return f"{100 * value:.4g}%"


def mentions(item: AskItem) -> list[str]:
    """Regular expressions of the ways a reply can name `item`."""
    said = [re.escape(item.text)] if len(item.text) >= 2 else []
    said.append(re.escape(describe(item)))  # the accounting's own words
    kind, value = item.kind, item.value
    if kind in ("ticker", "unknown_ticker"):
        return [*said, rf"\b{re.escape(str(value))}\b"]
    if kind == "group":
        return [*said, rf"\b{re.escape(str(value))}\b"]
    if isinstance(value, float) and kind not in ("capital", "cost", "horizon"):
        number = f"{abs(100 * value):.10g}"
        return [*said, rf"(?<![\d.]){re.escape(number)}(?:\.0+)?\s?%"]
    if kind in ("start", "end"):
        return [*said, re.escape(str(value)), re.escape(str(value)[:4])]
    if kind in ("method", "frequency", "scenario", "episode"):
        return [*said, re.escape(str(value)), re.escape(str(value).replace("_", " "))]
    return said


_BAR_STATED = patterns.compile(
    r"\b(?:above|below|of at least|of at most|deeper than|shallower than)\s+([-+]?\d+(?:\.\d+)?)%"
    r"|\b(?:plus|minus) (\d+(?:\.\d+)?) percentage points?\b"
)
"""A bar a reply sets names against, in percent ("5 of the 20 had a total return below -20%":
`agents.offline.intent.bars`), or its margin over the index ("the S&P 500 index's 26.89% plus
10 percentage points")."""
_BAR_KINDS = ("percentage", "vol_limit", "drawdown_limit")
"""The kinds of item a question about the names beyond a bar gives ("which stocks fell more than
30%?", "stocks with volatility under 25%", "a drawdown deeper than 50%")."""


def applied_as_bar(item: AskItem, reply: str, tools: set[str]) -> bool:
    """Whether `item` is a percentage the reply applies as a bar (`_BAR_STATED`) to the
    statistics the turn's `tools` (their names) measured: only `asset_statistics`, whose
    figures the bar is applied to (a build's reply saying "volatility below 12%" does not
    account for a limit no tool took)."""
    if item.kind not in _BAR_KINDS or tools != {"asset_statistics"}:
        return False
    value = abs(float(item.value))
    stated = (bound or margin for bound, margin in _BAR_STATED.findall(reply))
    return any(math.isclose(abs(float(n)) / 100, value, abs_tol=1e-9) for n in stated)


def scenario_stated(item: AskItem, reply: str) -> bool:
    """Whether `item` is a scenario the reply gives a figure of ("bear 0.12", "high-volatility
    18.93%")."""
    if item.kind != "scenario":
        return False
    words = re.escape(scenario(str(item.value)))
    return re.search(rf"\b{words} [-+]?\d", reply) is not None


def named_as_not_used(item: AskItem, reply: str, *, anywhere: bool = False) -> bool:
    """Whether the reply names `item` in a sentence that says it was not used (`anywhere`:
    in any sentence)."""
    said_as = [re.compile(p, re.IGNORECASE) for p in mentions(item)]  # the user's words: `re`
    for sentence in _SENTENCE.split(reply):
        said = any(p.search(sentence) for p in said_as)
        if said and (
            anywhere or item.kind == "unknown_ticker" or NOT_USED_MARKERS.search(sentence)
        ):
            return True
    return False


_AMOUNT_LEAD = patterns.compile(
    r"^(?:on|with|of|capital(?: of)?|book(?: of)?|invest(?:ing)?|put|deploy(?:ing)?|"
    r"allocate|allocating)\s+(?:a\s+)?",
    re.IGNORECASE,
)


def describe(item: AskItem) -> str:
    """`item` in words for the reply ("the 20% limit on tech")."""
    kind, value, said = item.kind, item.value, item.text
    number = pct(abs(value)) if isinstance(value, float) else ""
    amount = _AMOUNT_LEAD.sub("", said)
    frequency = (
        "buy and hold" if value == "never"
        else f"rebalancing every {value} sessions" if isinstance(value, int)
        else f"{value} rebalancing"
    )  # fmt: skip
    words = {
        "ticker": f"the exclusion of {value}" if item.excluded else str(value),
        "unknown_ticker": str(value),
        "group": f"leaving out {value}" if item.excluded else f"the {value} names",
        "universe_all": f"{said} (the whole universe)",
        "cap": f"the {number} cap on every asset",
        "floor": f"the {number} floor on every asset",
        "asset_cap": f"the {number} limit on {item.subject}",
        "asset_floor": f"the {number} floor on {item.subject}",
        "group_cap": f"the {number} limit on {item.subject}",
        "group_floor": f"the {number} floor on {item.subject}",
        "drawdown_limit": f"the {number} drawdown limit",
        "var_limit": f"the {number} VaR limit",
        "cvar_limit": f"the {number} CVaR limit",
        "vol_limit": f"the {number} volatility limit",
        "vol_target": (
            f"the {number} {'lowest' if item.subject == 'low' else 'highest'} volatility target"
            if item.subject in ("low", "high")
            else f"the {number} volatility target"
        ),
        "return_target": f"the {number} return target",
        "risk_free": f"the {number} risk-free rate",
        "level": f"the {number} confidence level",
        "threshold": f"the {number} loss threshold",
        "market_move": f"the {number} market fall",
        "rate_move": f"the {value:+g} bps rate move" if isinstance(value, float) else said,
        "beta_to": f"the beta against {value}",
        "weight": f"{item.subject} {number}",
        "capital": f"the capital {amount}",
        "holdings": f"the count of {value} stocks",
        "cost": f"the {value:g} bps costs" if isinstance(value, float) else f"the costs {said}",
        "frequency": frequency,
        "start": f"the window {said}",
        "end": f"the window {said}",
        "recent": f"the window {said}",
        "horizon": f"the horizon {said}",
        "rolling": f"the {value}-session rolling window",
        "method": f"the method {said}",
        "episode": f"the episode {said}",
        "scenario": f"the {str(value).replace('_', ' ')} scenario",
        "percentage": f"the {number} in '{said}'",
    }
    return words.get(kind, said)


def not_used_sentence(found: Sequence[Unaccounted]) -> str:
    """One sentence naming each unaccounted item and why ("" when there is none); given
    weights are named together, items carried from the thread say so."""
    if found and all(u.reason == NOTHING_COMPUTED for u in found):
        shown = ", ".join(dict.fromkeys(describe(u.item) for u in found))
        return f"Nothing was computed in this turn, so none of these was used: {shown}."
    parts: list[str] = []
    weights = [u for u in found if u.item.kind == "weight"]
    if weights:
        shown = ", ".join(describe(u.item) for u in weights)
        parts.append(f"your weights ({shown}) ({weights[0].reason})")
    for u in found:
        earlier = " from your earlier message" if u.carried else ""
        part = f"{describe(u.item)}{earlier} ({u.reason})"
        if u.item.kind != "weight" and part not in parts:  # a window's start and end: once
            parts.append(part)
    return f"Not used: {'; '.join(parts)}." if parts else ""


__all__ = [
    "NOTHING_COMPUTED", "NOT_USED_MARKERS", "Unaccounted", "applied_as_bar", "describe", "mentions",
    "named_as_not_used", "not_used_sentence", "pct", "scenario_stated",
]  # fmt: skip
