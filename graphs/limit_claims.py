"""Claims only what was checked: the one statement of a reply about the weight limits of the
portfolios its turn built, each limit checked against the weights the optimiser returned.

The limits checked are those each build applied (its `max_weight`, `min_weight`,
`asset_limits` and `sector_limits`, read together as the tool reads them: a sector or group
limit bounds the sum of its members' weights) and those the user stated (`graphs.ask_items`: on
every asset, on named assets, on groups) that the applied ones do not already keep by
construction. Each is read, described and checked as the tool reads, describes and checks it
(`tools.limits.weight_limits`, `tools.limits.StatedLimit.holding`), so "Limits kept: at most
30.0% in any asset (largest KO 30.0%)" means what the tool's own words mean.

The sentences: "Limits kept: ..." for applied limits the weights keep; "Not a constraint of the
build, but the weights keep it: ..." for stated limits the build was not given yet holds;
"Limits not kept: ..." for every limit the weights break, with what they hold. A model's own
sentence about limits kept (`LIMITS_CLAIM`, any case) is removed and these put in its place, so
a reply states its limits once.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from graphs.ask_inputs import ToolUse
from graphs.ask_items import AskItem
from settings import patterns
from tools.limits import LIMIT_TOLERANCE, WeightLimits, weight_limits

LIMITS_CLAIM = patterns.compile(
    r"\s*Limits (?:not )?kept\b[^:.]*:.*?\.(?=\s|$)", re.DOTALL | re.IGNORECASE
)
"""A reply's own sentence about the limits kept (or not), as any model writes it."""


@dataclass(frozen=True)
class _Bound:
    min: float = 0.0
    max: float = 1.0


@dataclass(frozen=True)
class _Request:
    """Weight limits in the shape `weight_limits` reads (`tools.limits.LimitRequest`)."""

    max_weight: float = 1.0
    min_weight: float = 0.0
    asset_limits: Mapping[str, _Bound] = field(default_factory=dict)
    sector_limits: Mapping[str, _Bound] = field(default_factory=dict)


def _bound(value: Any) -> _Bound:
    found = value if isinstance(value, Mapping) else {}
    low, high = found.get("min", 0.0), found.get("max", 1.0)
    return _Bound(float(low or 0.0), float(1.0 if high is None else high))


def _number(value: Any, default: float) -> float:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default  # fmt: skip


def _applied(args: Mapping[str, Any]) -> _Request:
    """The limits a build's arguments applied, together, as the tool reads them."""
    return _Request(
        max_weight=_number(args.get("max_weight"), 1.0),
        min_weight=_number(args.get("min_weight"), 0.0),
        asset_limits={str(a): _bound(b) for a, b in (args.get("asset_limits") or {}).items()},
        sector_limits={str(t): _bound(b) for t, b in (args.get("sector_limits") or {}).items()},
    )


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


def _read(request: _Request, names: Sequence[str]) -> WeightLimits | None:
    """`request` as the tool reads it on a portfolio of `names` (None when it names an asset
    outside it or a group floor it cannot hold)."""
    try:
        return weight_limits(request, list(names))
    except ValueError:
        return None


def _keeps(applied: WeightLimits, stated: WeightLimits) -> bool:
    """Whether the applied limits keep the stated ones by construction: every asset's bounds
    at least as tight, every stated group bounded by an applied group of the same members."""
    (low, high), (asked_low, asked_high) = applied.bounds, stated.bounds
    if ((low < asked_low - LIMIT_TOLERANCE) | (high > asked_high + LIMIT_TOLERANCE)).any():
        return False
    return all(
        any(
            set(g.members) == set(s.members)
            and g.min >= s.min - LIMIT_TOLERANCE
            and g.max <= s.max + LIMIT_TOLERANCE
            for g in applied.groups
        )
        for s in stated.groups
    )


def limit_sentences(uses: Sequence[ToolUse], items: Sequence[AskItem]) -> list[str]:
    """The checked sentences about the limits of the turn's portfolio builds (see the module
    docstring); none when no build returned weights or none had a limit."""
    builds = [
        u
        for u in uses
        if u.name == "optimize_portfolio"
        and not u.is_error
        and isinstance(u.data, dict)
        and isinstance(u.data.get("weights"), dict)
    ]
    kept: dict[str, list[str]] = {}
    holds: dict[str, list[str]] = {}
    broken: dict[str, list[str]] = {}
    for use in builds:
        data: dict[str, Any] = use.data
        weights = pd.Series({str(k).upper(): float(v) for k, v in data["weights"].items()})
        method = str(data.get("method") or use.args.get("method") or "").replace("_", " ")
        where = f" in the {method} portfolio" if len(builds) > 1 and method else ""
        applied = _read(_applied(use.args), list(weights.index))
        checks = [(limit, kept) for limit in (applied.stated if applied else [])]
        for request in _stated(items):
            stated = _read(request, list(weights.index))
            if stated is None or (applied is not None and _keeps(applied, stated)):
                continue
            checks += [(limit, holds) for limit in stated.stated]
        for limit, sink in checks:
            if sink is holds and (limit.described in kept or limit.described in broken):
                continue
            shown, ok = limit.holding(weights)
            said = f"{shown}{where}" if shown else ""
            parts = (sink if ok else broken).setdefault(limit.described, [])
            if said and said not in parts:
                parts.append(said)

    def listed(found: dict[str, list[str]]) -> str:
        return "; ".join(f"{d} ({', '.join(s)})" if s else d for d, s in found.items())

    sentences = []
    if kept:
        sentences.append(f"Limits kept: {listed(kept)}.")
    if holds:
        sentences.append(f"Not a constraint of the build, but the weights keep it: {listed(holds)}.")  # fmt: skip
    if broken:
        sentences.append(f"Limits not kept: {listed(broken)}.")
    return sentences


__all__ = ["LIMITS_CLAIM", "limit_sentences"]
