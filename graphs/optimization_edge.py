"""The winner's edge over holding the stocks: the search's objective scored for the winner and
for each benchmark on the same paths (`quant.benchmark_strategies`), and a sentence that says
how large the edge over the best of them is.

The objective is the search's own (`objective_of`: metric weights over the scenario weights),
computed from the benchmarks' path means exactly as a trial's; Sharpe ratios are excess returns
over the request's safe rate, which the result states. An edge is "small" when it is under
`SMALL_EDGE` of the benchmark's score in size (or under 0.01 when that score is near 0).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from quant.tuning.objective import Objective

SMALL_EDGE = 0.05
"""An edge under this share of the benchmark's objective is called small."""

BENCHMARK_LABELS = {
    "risky_sleeve": "100% in the risky sleeve",
    "buy_and_hold": "equal-weight buy-and-hold",
    "equal_weight": "equal weights, rebalanced daily",
    "market": "the market index",
}
"""The benchmarks' names for people (`quant.benchmark_strategies` keys)."""


def objective_name(weights: Mapping[str, float]) -> str:
    """The objective as a user reads it, e.g. "1 x sharpe (scenario-weighted mean)"."""
    return " + ".join(f"{w:g} x {m}" for m, w in weights.items()) + " (scenario-weighted mean)"


def winner_edge(
    objective: Objective,
    scenarios: Sequence[str],
    winner: float,
    benchmarks: Mapping[str, Mapping[str, Mapping[str, float]]],
    *,
    safe_rate: float,
) -> dict[str, Any]:
    """The result's `edge`: the objective's name, the `safe_rate` its Sharpe ratios are measured
    against, each benchmark's `scores` beside the `winner`'s, the best benchmark (`over`), the
    `difference`, whether it is `small`, and the sentence (`words`)."""
    scores: dict[str, float] = {}
    for name, means in benchmarks.items():
        if not all(s in means for s in scenarios):
            continue
        arrays = {s: {m: np.array([v]) for m, v in means[s].items()} for s in scenarios}
        scores[name] = float(objective.values(arrays, scenarios)[0])
    described = objective_name(objective.weights)
    edge: dict[str, Any] = {
        "objective": described,
        "safe_rate": safe_rate,
        "winner": winner,
        "scores": scores,
    }
    if not scores:
        return edge | {"over": None, "difference": None, "small": None, "words": None}
    best = max(scores, key=lambda name: scores[name])
    difference = winner - scores[best]
    small = abs(difference) < max(SMALL_EDGE * abs(scores[best]), 0.01)
    return edge | {
        "over": best,
        "difference": difference,
        "small": small,
        "words": _words(described, winner, best, scores[best], difference, small, safe_rate),
    }


def _words(
    objective: str,
    winner: float,
    best: str,
    score: float,
    difference: float,
    small: bool,
    safe_rate: float,
) -> str:
    held = BENCHMARK_LABELS.get(best, best)
    if difference < 0:
        verdict = f"{held} scores higher ({score:.3f}): the search found no edge over it"
    elif small:
        verdict = (
            f"an edge of {difference:.3f} over {held} ({score:.3f}), small: the managed "
            "strategy adds little over holding the stocks on these paths"
        )
    else:
        verdict = (
            f"an edge of {difference:.3f} over the best unmanaged holding, {held} ({score:.3f})"
        )
    return (
        f"On the same simulated paths the winner scores {winner:.3f} on the objective "
        f"({objective}; Sharpe ratios in excess of the {safe_rate:.2%} safe rate): {verdict}."
    )
