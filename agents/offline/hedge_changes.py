"""An option hedge changed in a follow-up of a strategy ("and the collar?", "try a 95% put",
"what about a 6-month put spread?", "and without the hedge?"): the overlay fields the message
sets (`agents.offline.intent.changes.Change.hedge`) put into the strategy's configuration, and
what changed in words for the reply's "Changed from your previous request" line.

The other fields of the hedge are kept: "and the collar?" after a 90% put backtests a collar
with the 90% put bought and the call sold at the configuration's default strike
(`quant.strategy.StrategyConfig`); a strike or tenor said with no hedge held buys a protective
put.
"""

from __future__ import annotations

from typing import Any

from agents.offline.backtest_policies import SOLD_LEGS
from quant.hedge_names import HEDGE_NAMES
from quant.strategy import HEDGE_PARAMETERS

__all__ = ["change_hedge"]

_FIELD_WORDS = {
    "overlay_strike": ("strike {}", ".0%"),
    "overlay_call_strike": (SOLD_LEGS["overlay_call_strike"] + " {}", ".0%"),
    "overlay_tenor_days": ("tenor {} days", "d"),
    "overlay_roll": ("roll rule {}", "s"),
    "overlay_roll_delta_band": ("delta band {}", "g"),
    "overlay_budget": ("premiums capped at {} of wealth a year", ".1%"),
    "overlay_hedge_ratio": ("hedge ratio {}", "g"),
}
"""How each overlay field a follow-up sets is said, and its number's format."""


_SECOND_LEGS = {key for keys in HEDGE_PARAMETERS.values() for key in keys}
"""The fields of a hedge's second leg: a collar's call has no strike "before" a put's."""


def _kind(kind: Any) -> str:
    return "no hedge" if kind in (None, "none") else f"a {HEDGE_NAMES[str(kind)]}"


def change_hedge(
    config: dict[str, Any], fields: tuple[tuple[str, float | str], ...], held: dict[str, Any]
) -> list[str]:
    """Set the overlay `fields` in the strategy `config` (the arguments' configuration, in
    place) of the strategy `held` (the configuration as it ran: a search's winner backtested by
    its run id holds fields its arguments do not); what changed, in words ("a collar in place
    of a protective put", "strike 95% instead of 90%")."""
    said: list[str] = []
    asked = dict(fields)
    held = {**held, **config}
    kind_before = held.get("overlay", "none")
    kind = asked.pop("overlay", kind_before)
    if kind == "none" and kind_before == "none" and asked:
        kind = "put"  # "and with a 95% strike?" with no hedge held: a protective put
    if kind != kind_before:
        config["overlay"] = kind
        said.append(f"{_kind(kind)} in place of {_kind(kind_before)}")
    if kind == "none":
        return said
    for key, value in asked.items():
        words, shown = _FIELD_WORDS[key]
        before = held.get(key)
        config[key] = value
        new_leg = key in _SECOND_LEGS - set(HEDGE_PARAMETERS.get(kind_before, ()))
        if before is None or kind_before == "none" or new_leg:
            said.append(words.format(format(value, shown)))
        elif before != value:
            said.append(f"{words.format(format(value, shown))} instead of {format(before, shown)}")
    return said
