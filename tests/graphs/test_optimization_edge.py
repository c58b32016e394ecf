"""The winner's edge over the benchmarks: the search's objective scored for each benchmark as by
hand (metric weights, then the scenario-weighted mean), the best one named, and the sentence."""

from __future__ import annotations

import pytest

from graphs.optimization_edge import winner_edge
from quant.metrics import PATH_METRICS
from quant.tuning.objective import Objective

NAMED = {
    "buy_and_hold": {
        "bull": {"sharpe": 1.2, "max_drawdown": 0.10},
        "bear": {"sharpe": -0.4, "max_drawdown": 0.30},
    },
    "market": {
        "bull": {"sharpe": 1.0, "max_drawdown": 0.12},
        "bear": {"sharpe": -0.6, "max_drawdown": 0.35},
    },
    "equal_weight": {"bull": {"sharpe": 1.1, "max_drawdown": 0.1}},  # a scenario missing
}
MEANS = {  # as the benchmarks report them: every path metric
    name: {s: dict.fromkeys(PATH_METRICS, 0.0) | m for s, m in scenarios.items()}
    for name, scenarios in NAMED.items()
}
OBJECTIVE = Objective(
    weights={"sharpe": 1.0, "max_drawdown": -0.5}, scenario_weights={"bull": 3, "bear": 1}
)


def _by_hand(name: str) -> float:
    score = {s: m["sharpe"] - 0.5 * m["max_drawdown"] for s, m in NAMED[name].items()}
    return 0.75 * score["bull"] + 0.25 * score["bear"]


def test_each_benchmark_is_scored_by_the_searchs_objective_and_the_best_is_named() -> None:
    edge = winner_edge(OBJECTIVE, ["bull", "bear"], 0.9, MEANS, safe_rate=0.02)
    assert edge["scores"] == pytest.approx(
        {"buy_and_hold": _by_hand("buy_and_hold"), "market": _by_hand("market")}, rel=1e-12
    )  # a benchmark without every scenario is not scored
    assert edge["over"] == "buy_and_hold"
    assert edge["difference"] == pytest.approx(0.9 - _by_hand("buy_and_hold"), rel=1e-12)
    assert edge["small"] is False and edge["safe_rate"] == 0.02
    assert (
        "an edge of 0.175 over the best unmanaged holding, equal-weight buy-and-hold"
        in (edge["words"])
    )
    assert "in excess of the 2.00% safe rate" in edge["words"]


def test_a_small_edge_and_no_edge_are_said_so() -> None:
    held = _by_hand("buy_and_hold")
    small = winner_edge(OBJECTIVE, ["bull", "bear"], held + 0.01, MEANS, safe_rate=0.0)
    assert small["small"] is True and "small: the managed strategy adds little" in small["words"]
    behind = winner_edge(OBJECTIVE, ["bull", "bear"], held - 0.2, MEANS, safe_rate=0.0)
    assert "equal-weight buy-and-hold scores higher" in behind["words"]
    assert "no edge" in behind["words"] and behind["difference"] < 0
    none = winner_edge(OBJECTIVE, ["bull", "bear"], 1.0, {}, safe_rate=0.0)
    assert none["over"] is None and none["words"] is None
