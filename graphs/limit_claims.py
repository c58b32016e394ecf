"""Claims only what was checked: the weight limits a reply says a portfolio keeps are each
checked against the weights the optimiser returned.

The limits checked are those the build applied (its `max_weight`, `min_weight`, `asset_limits`
and `sector_limits`: a sector or group limit bounds the sum of its members' weights) and those
the user stated (`graphs.ask_items`: on every asset, on named assets, on groups). Each is read
and described as the tool reads and describes it (`tools.limits.weight_limits`, one limit at a
time), so "Limits kept: at most 30.0% in any asset" means what the tool's own words mean.

The sentences: "Limits kept: ..." for applied limits the weights keep; "Not a constraint of the
build, but the weights keep it: ..." for stated limits the build was not given yet holds;
"Limits not kept: ..." for every limit the weights break, naming who holds too much or too
little. A model's own sentence about limits kept (`LIMITS_CLAIM`) is removed and these put in
its place.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphs.ask_inputs import ToolUse
from graphs.ask_items import AskItem
from tools.limits import WeightLimits, weight_limits

TOLERANCE = 5e-4
"""How far a returned weight (rounded to 4 decimals) or a group's sum may pass a limit."""
LIMITS_CLAIM = re.compile(r"\s*Limits (?:not )?kept\b[^:.]*:.*?\.(?=\s|$)", re.DOTALL)
"""A reply's own sentence about the limits kept (or not), as any model writes it."""


@dataclass(frozen=True)
class _Bound:
    min: float = 0.0
    max: float = 1.0


@dataclass(frozen=True)
class _Request:
    """One limit, in the shape `weight_limits` reads (`tools.limits.LimitRequest`)."""

    max_weight: float = 1.0
    min_weight: float = 0.0
    asset_limits: Mapping[str, _Bound] = field(default_factory=dict)
    sector_limits: Mapping[str, _Bound] = field(default_factory=dict)


def _bound(value: Any) -> _Bound:
    found = value if isinstance(value, Mapping) else {}
    low, high = found.get("min", 0.0), found.get("max", 1.0)
    return _Bound(float(low or 0.0), float(1.0 if high is None else high))


def _applied(args: Mapping[str, Any]) -> list[_Request]:
    """The limits a build's arguments applied, one request each."""
    found = []
    if isinstance(args.get("max_weight"), int | float) and args["max_weight"] < 1:
        found.append(_Request(max_weight=float(args["max_weight"])))
    if isinstance(args.get("min_weight"), int | float) and args["min_weight"] > 0:
        found.append(_Request(min_weight=float(args["min_weight"])))
    for asset, bounds in (args.get("asset_limits") or {}).items():
        found.append(_Request(asset_limits={str(asset): _bound(bounds)}))
    for term, bounds in (args.get("sector_limits") or {}).items():
        found.append(_Request(sector_limits={str(term): _bound(bounds)}))
    return found


def _stated(items: Sequence[AskItem]) -> list[_Request]:
    """The weight limits the user stated, one request each (a floor and a cap on the same
    asset or group together)."""
    found = []
    subjects: dict[tuple[str, str], dict[str, float]] = {}
    for item in items:
        if not isinstance(item.value, float):
            continue
        bound = "max" if item.kind.endswith("cap") else "min"
        if item.kind == "cap":
            found.append(_Request(max_weight=item.value))
        elif item.kind == "floor":
            found.append(_Request(min_weight=item.value))
        elif item.kind in ("asset_cap", "asset_floor", "group_cap", "group_floor"):
            scope = "asset" if item.kind.startswith("asset") else "group"
            subjects.setdefault((scope, str(item.subject)), {})[bound] = item.value
    for (scope, subject), bounds in subjects.items():
        limit = {subject: _bound(bounds)}
        found.append(
            _Request(asset_limits=limit) if scope == "asset" else _Request(sector_limits=limit)
        )
    return found


def _read(request: _Request, weights: Mapping[str, float]) -> WeightLimits | None:
    """`request` as the tool reads it on a portfolio of `weights`' assets (None when it names
    an asset outside it or a group floor it cannot hold)."""
    try:
        return weight_limits(request, list(weights))
    except ValueError:
        return None


def _breakers(limits: WeightLimits, weights: Mapping[str, float]) -> tuple[list[str], str]:
    """Who breaks `limits` in `weights` (empty when they hold), and whether they hold more or
    less than allowed."""
    lower, upper = limits.bounds
    over = [a for a, w in weights.items() if w > float(upper[a]) + TOLERANCE]
    under = [a for a, w in weights.items() if w < float(lower[a]) - TOLERANCE]
    for group in limits.groups:
        total = sum(weights.get(m, 0.0) for m in group.members)
        held = [m for m in group.members if weights.get(m, 0.0) > 0] or list(group.members)
        if total > group.max + TOLERANCE:
            over += held
        elif total < group.min - TOLERANCE:
            under += held
    return (over, "more") if over else (under, "less")


def limit_sentences(uses: Sequence[ToolUse], items: Sequence[AskItem]) -> list[str]:
    """The checked sentences about the limits of the turn's portfolio builds (see the module
    docstring); none when no build returned weights or none had a limit."""
    kept: dict[str, None] = {}
    holds: dict[str, None] = {}
    broken: dict[str, str] = {}
    for use in uses:
        data = use.data if isinstance(use.data, dict) else {}
        if use.name != "optimize_portfolio" or use.is_error:
            continue
        if not isinstance(data.get("weights"), dict):
            continue
        weights = {str(k).upper(): float(v) for k, v in data["weights"].items()}
        applied = [(r, True) for r in _applied(use.args)]
        for request, given in [*applied, *((r, False) for r in _stated(items))]:
            limits = _read(request, weights)
            if limits is None or not limits.described:
                continue
            said = limits.described[0]
            if not given and (said in kept or said in broken):
                continue
            who, side = _breakers(limits, weights)
            if who:
                method = str(data.get("method") or "").replace("_", " ")
                where = f" in the {method} portfolio" if method else ""
                broken[said] = f"{said} ({' and '.join(who)} hold {side}{where})"
            else:
                (kept if given else holds)[said] = None
    for said in broken:
        kept.pop(said, None)
        holds.pop(said, None)
    sentences = []
    if kept:
        sentences.append(f"Limits kept: {'; '.join(kept)}.")
    if holds:
        sentences.append(f"Not a constraint of the build, but the weights keep it: {'; '.join(holds)}.")  # fmt: skip
    if broken:
        sentences.append(f"Limits not kept: {'; '.join(broken.values())}.")
    return sentences


__all__ = ["LIMITS_CLAIM", "TOLERANCE", "limit_sentences"]
