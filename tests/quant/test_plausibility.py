"""Plausibility warnings on a search winner: leverage, the edge of a search range, and an
objective driven by one scenario, each against the level it states."""

from __future__ import annotations

from typing import Any

import pytest

from quant import SearchSpace
from quant.plausibility import (
    DOMINANCE_SHARE,
    EDGE_FRACTION,
    LEVERAGE_WARNING,
    plausibility_warnings,
)
from quant.strategy import StrategyConfig

SPACE = SearchSpace(
    {
        "target_vol": {"low": 0.05, "high": 0.25},
        "risk_aversion": {"low": 1.0, "high": 9.0},
        "lookback": {"low": 21, "high": 105, "step": 21},
        "weight_function": {"choices": ["inverse_vol", "merton"]},
    }
)
CALM = {
    "bull": {"average_weight": 0.8, "sharpe": 1.0},
    "bear": {"average_weight": 0.5, "sharpe": 0.9},
}
EVEN = {"bull": 0.5, "bear": 0.5}


def codes(warnings: list[dict[str, Any]]) -> list[str]:
    return [w["code"] for w in warnings]


def test_a_winner_inside_its_ranges_with_balanced_scenarios_gets_no_warning() -> None:
    config = StrategyConfig(target_vol=0.12, lookback=63)
    assert plausibility_warnings(config, SPACE, CALM, EVEN, {"sharpe": 1.0}) == []


def test_leverage_above_the_stated_level_is_warned_with_the_scenario() -> None:
    metrics = {**CALM, "bull": {"average_weight": 1.83, "sharpe": 1.0}}
    config = StrategyConfig(target_vol=0.12, lookback=63, max_leverage=2.0)
    warnings = plausibility_warnings(config, SPACE, metrics, EVEN, {"sharpe": 1.0})
    assert codes(warnings) == ["leverage"]
    assert warnings[0] == {
        "code": "leverage",
        "scenario": "bull",
        "average_weight": 1.83,
        "level": LEVERAGE_WARNING,
    }
    at_level = {**CALM, "bull": {"average_weight": LEVERAGE_WARNING, "sharpe": 1.0}}
    assert plausibility_warnings(config, SPACE, at_level, EVEN, {"sharpe": 1.0}) == []


def test_the_edge_of_a_range_is_within_the_stated_fraction_of_its_width() -> None:
    near = 0.25 - EDGE_FRACTION * 0.20 * 0.5
    warnings = plausibility_warnings(
        StrategyConfig(target_vol=near, lookback=21), SPACE, CALM, EVEN, {"sharpe": 1.0}
    )
    assert sorted((w["parameter"], w["end"]) for w in warnings) == [
        ("lookback", "low"),
        ("target_vol", "high"),
    ]
    assert {(w["low"], w["high"]) for w in warnings} == {(0.05, 0.25), (21.0, 105.0)}
    inside = 0.25 - EDGE_FRACTION * 0.20 * 2
    warnings = plausibility_warnings(
        StrategyConfig(target_vol=inside, lookback=63), SPACE, CALM, EVEN, {"sharpe": 1.0}
    )
    assert warnings == []


def test_parameters_the_winner_does_not_use_are_never_warned_about() -> None:
    merton = StrategyConfig(weight_function="merton", target_vol=0.05, risk_aversion=5.0)
    assert "target_vol" in merton.unused_parameters()
    assert plausibility_warnings(merton, SPACE, CALM, EVEN, {"sharpe": 1.0}) == []


def test_one_scenario_driving_the_objective_is_warned_with_its_share() -> None:
    metrics = {"bull": {"sharpe": 3.0}, "bear": {"sharpe": 0.5}}
    warnings = plausibility_warnings(
        StrategyConfig(target_vol=0.12, lookback=63), SPACE, metrics, EVEN, {"sharpe": 1.0}
    )
    share = 3.0 / 3.5
    assert share > DOMINANCE_SHARE
    assert codes(warnings) == ["one_scenario"]
    assert warnings[0]["scenario"] == "bull"
    assert warnings[0]["share"] == pytest.approx(share)
    assert warnings[0]["level"] == DOMINANCE_SHARE
