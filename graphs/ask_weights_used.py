"""Whether the weights a message gives were used by a turn's tools: taken as given, held by a
build at each weight, added to a name held, added beside weights given ("add 10% KO to 60%
AAPL 40% MSFT"), or set beside a build on their stocks ("rebalance 60% AAPL 40% KO"); the cash
weights leave ("add 10% cash": weights adding up to 90%); and how close a number used must be to
the one asked."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from graphs.ask_inputs import Inputs, ToolUse
from graphs.ask_items import AskItem
from graphs.ask_notes import NOTHING_COMPUTED, pct

TOLERANCE = 1e-6
"""How close a number in a tool's arguments must be to the one asked (fractions)."""
WEIGHT_TOLERANCE = 1e-4
"""How close a weight used must be to the one asked (fractions)."""


class TurnTaking(Protocol):
    """What the weights' accounting reads of a turn (`graphs.ask_accounting.Turn`)."""

    @property
    def reply(self) -> str: ...

    def taking(self, kind: str, value: Any = None) -> list[tuple[ToolUse, Inputs]]: ...


def close(a: Any, b: float, tolerance: float = TOLERANCE) -> bool:
    """Whether `a` is a number (not a bool) within `tolerance` of `b`."""
    return (
        isinstance(a, int | float)
        and not isinstance(a, bool)
        and math.isclose(float(a), b, abs_tol=tolerance)
    )


def _weight_taken(name: str, asked: float, used: Any, reply: str) -> bool:
    """Whether a call took the weight `asked` of `name` as `used`: the same, or more when the
    reply says it was a share added to the name held ("KO 10.0% (from 30.0% to 37.0%)")."""
    topped = f"{name} {asked:.1%} (from " in reply and isinstance(used, (int, float))
    return close(used, asked, WEIGHT_TOLERANCE) or (topped and used >= asked - WEIGHT_TOLERANCE)


def _added_to_given(asked: Mapping[str, float], ran: Sequence[Mapping[str, float]]) -> bool:
    """Whether the shares asked were taken as names added at their shares beside weights given
    ("add 10% KO to 60% AAPL 40% MSFT"): one call took the weights given as given (some of the
    names, each at its share), and another holds every name, the rest at their shares."""
    for given in ran:
        if not given.keys() < asked.keys():
            continue
        if not all(close(w, asked[t], WEIGHT_TOLERANCE) for t, w in given.items()):
            continue
        added = [t for t in asked if t not in given]
        for whole in ran:
            if asked.keys() <= whole.keys() and all(
                close(whole[t], asked[t], WEIGHT_TOLERANCE) for t in added
            ):
                return True
    return False


def _set_beside_a_build(asked: Mapping[str, float], turn: TurnTaking) -> bool:
    """Whether the weights asked were set beside new ones built on their stocks ("rebalance 60%
    AAPL 40% KO"): a call took every name, and the reply gives each weight's change from the
    one asked ("Against your weights: AAPL from 60.0% to 29.4% ...")."""
    said = turn.reply
    if "Against your weights: " not in said:
        return False
    if not all(f"{t} from {w:.1%} to " in said for t, w in asked.items()):
        return False
    return any(set(asked) <= set(inputs.tickers) for _, inputs in turn.taking("weight"))


def weights_used(items: Sequence[AskItem], turn: TurnTaking) -> str | None:
    """Given weights: used when one call took them all as given, a build held each at its
    weight (`asset_limits` min and max: "add 10% JNJ" to a portfolio built by a method), or a
    share was added beside the weights given; else why not (None: used)."""
    asked, said = {str(i.subject): float(i.value) for i in items}, turn.reply
    for _, inputs in turn.taking("weight"):
        for weights in inputs.weights:
            if all(_weight_taken(t, w, weights.get(t), said) for t, w in asked.items()):
                return None
        pins = [(t, w, inputs.flat.get(f"asset_limits.{t}.{end}")) for t, w in asked.items()
                for end in ("min", "max")]  # fmt: skip
        if all(_weight_taken(t, w, pin, said) for t, w, pin in pins):
            return None
    ran = [w for _, i in turn.taking("weight") for w in i.weights]
    if _added_to_given(asked, ran) or _set_beside_a_build(asked, turn):
        return None
    if ran:
        shown = ", ".join(f"{t} {pct(w)}" for t, w in list(ran[-1].items())[:8])
        return f"the tools ran on other weights ({shown})"
    tickers = sorted({t for _, i in turn.taking("weight") for t in i.tickers})
    if tickers:
        return f"the tools ran on {', '.join(tickers[:12])} without these weights"
    return NOTHING_COMPUTED


def cash_left(inputs: Inputs, share: float) -> bool:
    """Whether the weights of a call leave `share` of the portfolio in cash (they add up to one
    less it: "what if I put 20% in cash?")."""
    weights = [v for k, v in inputs.flat.items() if k.startswith("weights.") and k.count(".") == 1]
    numbers = [float(v) for v in weights if isinstance(v, int | float) and not isinstance(v, bool)]
    return bool(numbers) and close(1.0 - sum(numbers), share, WEIGHT_TOLERANCE)
