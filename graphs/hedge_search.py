"""The option-hedge part of a request's search space, from the few settings a person gives.

A hedge (protective put, put spread, collar on the risky sleeve) is a set of `StrategyConfig`
fields (`overlay`, `overlay_strike`, ..., `overlay_budget`; docs/engine.md "Option overlays"), so
an `OptimizationRequest` searches it through its `search_space` like any other parameter. The
command line's flags and the chat's draft both name it the same way, built here once:

- `kinds`: the hedge kinds to search ("none" keeps unhedged strategies in the comparison);
- numbers (`strike`, `lower_strike`, `call_strike`, `hedge_ratio`, `budget`): one value, fixed,
  or a (low, high) range searched; strikes are moneyness (0.9 = 10% out of the money), the
  budget the largest premium per year as a fraction of wealth;
- `tenor_days`: trading days to expiry, one (fixed) or several (choices);
- `roll`: "expiry", "band" (also early at a moneyness band) or "delta" (also early at a delta
  band); `roll_band` and `roll_delta_band`: the bands' half-widths (moneyness, delta units), one
  value or a (low, high) range.

`describe_hedge_search` says in one line what a search space does with the hedge (for the chat's
approval prompt and the command line's summary), `describe_hedge` what hedge a strategy holds,
`describe_vol_model` how the options are priced.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, get_args

from quant.hedge_names import HEDGE_NAMES
from quant.strategy import HedgeKind

if TYPE_CHECKING:  # the CLI imports this module to parse its flags: no numba at that point
    from quant.options.vol_model import ImpliedVolModel

HEDGE_KINDS: tuple[str, ...] = get_args(HedgeKind)
"""The hedge kinds a strategy may hold ("none" first)."""

Number = float | tuple[float, float]
"""One value (fixed) or a (low, high) range to search."""


def _number(value: Number) -> Any:
    if isinstance(value, tuple):
        low, high = sorted(value)
        return low if low == high else {"low": low, "high": high}
    return value


def _choices(values: Sequence[Any]) -> Any:
    unique = list(dict.fromkeys(values))
    return unique[0] if len(unique) == 1 else {"choices": unique}


def hedge_space(
    *,
    kinds: Sequence[str] | None = None,
    strike: Number | None = None,
    lower_strike: Number | None = None,
    call_strike: Number | None = None,
    tenor_days: Sequence[int] | None = None,
    roll: str | None = None,
    roll_band: Number | None = None,
    roll_delta_band: Number | None = None,
    hedge_ratio: Number | None = None,
    budget: Number | None = None,
) -> dict[str, Any]:
    """The `search_space` entries for the settings given (those left None are left out, so the
    request keeps its own entry or `StrategyConfig`'s default). Values are not checked here: the
    request's validation names each bad one on its field (`search_space.overlay_strike`)."""
    space: dict[str, Any] = {}
    if kinds:
        space["overlay"] = _choices(kinds)
    numbers = {
        "overlay_strike": strike,
        "overlay_lower_strike": lower_strike,
        "overlay_call_strike": call_strike,
        "overlay_roll_band": roll_band,
        "overlay_roll_delta_band": roll_delta_band,
        "overlay_hedge_ratio": hedge_ratio,
        "overlay_budget": budget,
    }
    space.update({name: _number(value) for name, value in numbers.items() if value is not None})
    if tenor_days:
        space["overlay_tenor_days"] = _choices(tenor_days)
    if roll is not None:
        space["overlay_roll"] = roll
    return space


_KIND_NAMES = {"none": "no overlay", **{kind: f"{name}s" for kind, name in HEDGE_NAMES.items()}}


def _spec_text(spec: Any, percent: bool) -> str:
    def one(value: Any) -> str:
        if value is None:
            return "no cap"
        if percent and isinstance(value, int | float):
            return f"{value * 100:.4g}%"
        return str(value)

    if isinstance(spec, Mapping) and "choices" in spec:
        return " or ".join(one(v) for v in spec["choices"])
    if isinstance(spec, Mapping) and "low" in spec:
        return f"{one(spec['low'])} to {one(spec['high'])}"
    return one(spec)


def describe_hedge_search(space: Mapping[str, Any]) -> str | None:
    """One line on the hedge a search space searches or fixes ("protection: protective puts
    or collars; put strike 85% to 98%; tenor 21 or 63 days; annual budget 2%"); None when the
    space holds no hedge (`overlay` absent or fixed to "none")."""
    kinds = space.get("overlay", "none")
    listed = kinds["choices"] if isinstance(kinds, Mapping) else [kinds]
    if all(kind == "none" for kind in listed):
        return None
    parts = [" or ".join(_KIND_NAMES.get(str(k), str(k)) for k in listed)]
    labels = (
        ("overlay_strike", "put strike", True),
        ("overlay_lower_strike", "sold put strike", True),
        ("overlay_call_strike", "sold call strike", True),
        ("overlay_tenor_days", "tenor (days)", False),
        ("overlay_roll", "roll at", False),
        ("overlay_roll_band", "roll band", True),
        ("overlay_roll_delta_band", "roll delta band", False),
        ("overlay_hedge_ratio", "hedge ratio", False),
        ("overlay_budget", "annual budget", True),
    )
    for name, label, percent in labels:
        if name in space:
            parts.append(f"{label} {_spec_text(space[name], percent)}")
    return "protection: " + "; ".join(parts)


def describe_vol_model(model: ImpliedVolModel) -> str:
    """How a request prices its options, in one line ("options priced with a variance risk
    premium of 0.02, skew 0, realised vol over 42 days")."""
    return (
        f"options priced with a variance risk premium of {model.variance_risk_premium:g}, "
        f"skew {model.skew:g}, realised vol over {model.realised_window} days"
    )


def describe_hedge(config: Mapping[str, Any]) -> str | None:
    """The hedge a strategy (a `StrategyConfig` as JSON) holds, in words ("collar: put strike
    86.4%, sold call strike 110%, 21-day tenor, roll at expiry, hedge ratio 1, annual budget 2%");
    None without one."""
    kind = config.get("overlay", "none")
    if kind == "none":
        return None
    parts = [f"put strike {config['overlay_strike'] * 100:.4g}%"]
    if kind == "put_spread":
        parts.append(f"sold put strike {config['overlay_lower_strike'] * 100:.4g}%")
    if kind == "collar":
        parts.append(f"sold call strike {config['overlay_call_strike'] * 100:.4g}%")
    parts.append(f"{config['overlay_tenor_days']}-day tenor")
    if config.get("overlay_roll") == "band":
        parts.append(f"roll at expiry or a {config['overlay_roll_band'] * 100:.4g}% band")
    elif config.get("overlay_roll") == "delta":
        parts.append(f"roll at expiry or a {config['overlay_roll_delta_band']:.4g} delta band")
    else:
        parts.append("roll at expiry")
    parts.append(f"hedge ratio {config['overlay_hedge_ratio']:.4g}")
    budget = config.get("overlay_budget")
    parts.append("no budget cap" if budget is None else f"annual budget {budget * 100:.4g}%")
    return f"{HEDGE_NAMES[kind]}: " + ", ".join(parts)
