"""The winner's edge over the benchmarks: the search's objective scored for each benchmark as by
hand (metric weights, then the scenario-weighted mean), the best one named, and the sentence."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from graphs.optimization_edge import objective_name, winner_edge
from quant.metrics import PATH_METRICS
from quant.tuning.objective import Objective
from services.benchmark_verdict import benchmark_verdict
from services.formatting import ratio

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
        "an edge of 0.18 over the best unmanaged holding, equal-weight buy-and-hold (0.72)"
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


def test_the_objective_is_named_in_words_with_its_signs() -> None:
    assert objective_name({"sharpe": 1.0, "max_drawdown": -0.5}) == (
        "1 x Sharpe ratio - 0.5 x max drawdown (scenario-weighted mean)"
    )
    assert objective_name({"hedge_premium": -1.0}).startswith("-1 x hedge premium")


SCORES = st.dictionaries(
    st.sampled_from(["buy_and_hold", "market", "equal_weight", "risky_sleeve"]),
    st.floats(-3, 3, allow_nan=False),
    max_size=4,
)


@given(winner=st.floats(-3, 3, allow_nan=False), scores=SCORES)
def test_the_benchmark_verdict_says_first_when_the_winner_does_not_beat_a_benchmark(
    winner: float, scores: dict[str, float]
) -> None:
    """`beats` is true exactly when the winner's objective is above every benchmark's score;
    the ones it does not beat are listed highest first and the words name the best of them
    with both scores and the gap, in the formatter's two decimals."""
    verdict = benchmark_verdict({"winner": winner, "scores": scores, "objective": "x"})
    below = sorted((n for n, v in scores.items() if not winner > v), key=lambda n: -scores[n])
    assert verdict["below"] == below
    if not scores:
        assert verdict["beats"] is None
        return
    assert verdict["beats"] is (not below)
    gaps = {row["name"]: row["gap"] for row in verdict["benchmarks"]}
    assert gaps == pytest.approx({n: winner - v for n, v in scores.items()})
    if below:
        top = scores[below[0]]
        assert verdict["words"].startswith("The winner does not beat ")
        said = f"{ratio(winner)} against {ratio(top)} (a gap of {ratio(top - winner)}"
        assert said in verdict["words"]
    else:
        assert verdict["words"].startswith("The winner beats every benchmark")
