"""The name a follow-up drops by a criterion ("drop the most volatile one", "remove the smallest
position"): chosen from the stocks' statistics or the portfolio's weights, with why in words."""

from __future__ import annotations

from typing import Any

from agents.offline.intent.changes import Criterion

__all__ = ["pick_by_criterion"]

_MEASURE_WORDS = {
    "volatility": ("annualised volatility", lambda a: a["volatility"]),
    "return": ("total return", lambda a: a["cumulative_return"]),
    "beta": ("beta to the S&P 500 index", lambda a: a["beta"]),
    "drawdown": ("maximum drawdown", lambda a: a["max_drawdown"]["depth"]),
}
"""Each measure a name is dropped by: its words and how to read it from a stock's statistics."""


def pick_by_criterion(
    criterion: Criterion, names: list[str], weights: dict[str, float], stats: Any
) -> tuple[str, str] | str:
    """The name the criterion drops and why, in words; or why none can be chosen."""
    if criterion.measure == "weight":
        held = weights or {}
        if not held:
            return "the portfolio's weights are not known here, so no position can be chosen"
        pick = (max if criterion.highest else min)(held, key=lambda t: held[t])
        return pick, f"{criterion.words} ({pick} {held[pick]:.1%} of the portfolio)"
    words, value = _MEASURE_WORDS[criterion.measure]
    assets = (stats or {}).get("assets") or {}
    known = {t: value(assets[t]) for t in names if t in assets and value(assets[t]) is not None}
    if not known:
        return f"the {words} of {', '.join(names)} could not be measured"
    pick = (max if criterion.highest else min)(known, key=lambda t: known[t])
    shown = f"{known[pick]:.2f}" if criterion.measure == "beta" else f"{known[pick]:.1%}"
    window = stats.get("window") or {}
    return pick, (
        f"{criterion.words} of {', '.join(names)} by {words} ({pick} {shown}, from "
        f"{window.get('start')} to {window.get('end')})"
    )
