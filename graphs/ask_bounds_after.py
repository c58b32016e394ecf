"""The ask accounting's reading of a risk limit whose bound is said after its number
("volatility at 12% max", "drawdown of 20% tops", "CVaR at 3% or less"): the limit of that
measure, not a cap on every weight ("12% max" alone is one), read before the weight limits
(`graphs.ask_items`). Written apart from the offline model's reading
(`agents/offline/intent/numbers.read_risk_limits`; docs/architecture.md: two independent
readers)."""

from __future__ import annotations

import re

from graphs.ask_patterns import PCT, Reading
from settings import patterns

_AFTER = (
    r"\s*(?:max(?:imum)?|at\s+(?:the\s+)?most|tops|or\s+(?:less|lower|below|under|better)"
    r"|ceiling|cap|limit)\b"
)
_MEASURES: tuple[tuple[str, str], ...] = (
    (r"(?<!target\s)(?<!target-)\b(?:vol|volatility)", "vol_limit"),
    (r"\b(?:max(?:imum)?\s+)?(?:draw[- ]?downs?|dd)", "drawdown_limit"),
    (r"\b(?:cvar|expected shortfall|es)", "cvar_limit"),
    (r"\b(?:var|value at risk)", "var_limit"),
)
BOUNDS_AFTER: list[tuple[re.Pattern[str], Reading]] = [
    (patterns.compile(rf"{measure}\s+(?:(?:is|at|of|=|:)\s+)?{PCT}{_AFTER}"), (kind,))
    for measure, kind in _MEASURES
]
"""Each measure's limit with its bound after the number."""

__all__ = ["BOUNDS_AFTER"]
