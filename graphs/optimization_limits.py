"""Each risk limit of a request checked on a trial: the stated statistic of its simulated
paths in every scenario the limit applies to, with the sentence a person reads ("max drawdown
≤ 25.00% in 95% of bear paths: 23.10%"). Shared by the result, the explanation and the chat's
answer."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from quant.limits import Limit, statistic_words
from services.formatting import limit_sentence


def limit_checks(
    metrics: dict[str, dict[str, float]], limits: Mapping[str, Limit], where: list[str]
) -> list[dict[str, Any]]:
    """Each risk limit checked on a trial's stated statistic of the paths (`metrics`: scenario
    -> key -> value, keys as `Limit.key`) in the scenarios it applies to (`where`): the metric,
    its limit, the statistic and its words, the value in each of those scenarios (None when not
    measured: a trial stored before the statistic was kept; it does not meet the limit), the
    worst of them, whether every one is within the limit, the sentence of the worst (`words`)
    and `per_scenario`: each scenario's value, whether it meets the limit and its sentence
    ("max drawdown ≤ 25.00% in 95% of bear paths: 23.10%")."""
    checks = []
    for metric, limit in limits.items():
        key = limit.key(metric)
        values = {s: _finite(metrics.get(s, {}).get(key)) for s in where}
        worst = _worst(values)
        per_scenario = [
            {
                "scenario": s,
                "value": v,
                "met": v is not None and v <= limit.limit,
                "words": limit_sentence(metric, limit.limit, limit.statistic, s, v)
                + ("" if v is not None else ": not measured"),
            }
            for s, v in values.items()
        ]
        checks.append(
            {
                "metric": metric,
                "limit": limit.limit,
                "statistic": limit.statistic,
                "checked": statistic_words(limit.statistic),
                "values": values,
                "worst_scenario": worst,
                "met": all(row["met"] for row in per_scenario),
                "words": next((r["words"] for r in per_scenario if r["scenario"] == worst), None),
                "per_scenario": per_scenario,
            }
        )
    return checks


def _finite(value: Any) -> float | None:
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _worst(values: Mapping[str, float | None]) -> str | None:
    """The scenario of the largest loss (the first one not measured, when one is not)."""
    for name, value in values.items():
        if value is None:
            return name
    return max(values, key=lambda s: values[s] or 0.0) if values else None
