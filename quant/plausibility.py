"""Warnings for results that are numerically right but may not mean what they seem.

`plausibility_warnings` checks a search winner for:

- **leverage**: an average risky weight above `LEVERAGE_WARNING` (1.0 = 100% of wealth) in any
  scenario: the result leans on borrowing;
- **search edge**: a searched numeric parameter the winner uses within `EDGE_FRACTION` (2%) of
  its range's width from an end: the best value may lie outside the range searched;
- **one scenario**: one scenario contributing more than `DOMINANCE_SHARE` (60%) of the absolute
  weighted objective: the ranking reflects that scenario more than the mix.

Each warning is a dict with its ``code`` and the numbers it rests on, no words (the words are
`services.formatting.plausibility_words`'s):

- ``{"code": "leverage", "scenario", "average_weight", "level"}``;
- ``{"code": "search_edge", "parameter", "value", "end": "low" | "high", "low", "high"}``;
- ``{"code": "one_scenario", "scenario", "share", "level"}``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from quant.strategy import StrategyConfig
from quant.tuning.space import FloatRange, IntRange, SearchSpace

LEVERAGE_WARNING = 1.0
"""Average risky weight (fraction of wealth) above which a result is said to use leverage."""

EDGE_FRACTION = 0.02
"""Distance from a range's end, as a fraction of its width, that counts as its edge."""

DOMINANCE_SHARE = 0.6
"""Share of the absolute weighted objective above which one scenario is said to drive it."""


def plausibility_warnings(
    config: StrategyConfig,
    space: SearchSpace,
    scenario_metrics: Mapping[str, Mapping[str, float]],
    scenario_weights: Mapping[str, float],
    objective_weights: Mapping[str, float],
) -> list[dict[str, Any]]:
    """Warnings about a winner (see the module docstring).

    `scenario_metrics` holds the winner's path means per scenario (``average_weight`` and the
    objective's metrics); `scenario_weights` and `objective_weights` define the objective as
    ``sum_s w_s * sum_m a_m * metric[s][m]``.
    """
    warnings: list[dict[str, Any]] = []
    for scenario, metrics in scenario_metrics.items():
        exposure = metrics.get("average_weight")
        if exposure is not None and exposure > LEVERAGE_WARNING:
            warnings.append(
                {
                    "code": "leverage",
                    "scenario": scenario,
                    "average_weight": float(exposure),
                    "level": LEVERAGE_WARNING,
                }
            )
    unused = config.unused_parameters()
    for name, dimension in space.searched.items():
        if name in unused or not isinstance(dimension, FloatRange | IntRange):
            continue
        value = float(getattr(config, name))
        width = float(dimension.high) - float(dimension.low)
        for end, label in ((dimension.low, "low"), (dimension.high, "high")):
            if abs(value - float(end)) <= EDGE_FRACTION * width:
                warnings.append(
                    {
                        "code": "search_edge",
                        "parameter": name,
                        "value": value,
                        "end": label,
                        "low": float(dimension.low),
                        "high": float(dimension.high),
                    }
                )
    contributions = {
        scenario: scenario_weights.get(scenario, 0.0)
        * sum(a * scenario_metrics[scenario].get(m, 0.0) for m, a in objective_weights.items())
        for scenario in scenario_metrics
    }
    total = sum(abs(c) for c in contributions.values())
    if total > 0 and sum(1 for c in contributions.values() if c) > 1:
        scenario, largest = max(contributions.items(), key=lambda kv: abs(kv[1]))
        share = abs(largest) / total
        if share > DOMINANCE_SHARE:
            warnings.append(
                {
                    "code": "one_scenario",
                    "scenario": scenario,
                    "share": share,
                    "level": DOMINANCE_SHARE,
                }
            )
    return warnings


__all__ = ["DOMINANCE_SHARE", "EDGE_FRACTION", "LEVERAGE_WARNING", "plausibility_warnings"]
