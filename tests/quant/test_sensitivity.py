"""One-at-a-time sensitivity curves and parameter importance."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from quant import Choices, Constraint, FixedValue, FloatRange, IntRange, search
from quant.engine import evaluate
from quant.errors import QuantError
from quant.sensitivity import one_at_a_time, parameter_importance
from quant.strategy import StrategyConfig


@pytest.fixture(scope="module")
def scenarios() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(31)
    vol = 0.012 * np.exp(np.cumsum(rng.normal(0, 0.06, (30, 150)), axis=1))
    return {
        "up": 0.0006 + vol * rng.standard_normal((30, 150)),
        "down": -0.0004 + 1.5 * vol * rng.standard_normal((30, 150)),
    }


SPACE = {
    "target_vol": FloatRange(0.03, 0.5),
    "lookback": IntRange(20, 80, step=10),
    "risk_aversion": FloatRange(
        0.5, 10.0, log=True
    ),  # irrelevant: the weight function is not merton
    "weight_function": Choices(["inverse_vol", "sigmoid"]),
    "rebalance_every": FixedValue(5),
}


def mean_sharpe(config: StrategyConfig, scen: dict[str, np.ndarray]) -> float:
    return float(
        np.mean([evaluate([config], paths, 0.02).sharpe.mean() for paths in scen.values()])
    )


def test_curves_pass_through_best(scenarios: dict[str, np.ndarray]) -> None:
    result = search(SPACE, scenarios, method="random", budget=20, batch_size=10, seed=1)
    curves = one_at_a_time(result.best_config, SPACE, scenarios, points=5)
    assert set(curves) == {"target_vol", "lookback", "risk_aversion", "weight_function"}
    assert curves.best_value == pytest.approx(result.best_value, rel=1e-12)
    for name, frame in curves.items():
        at_best = frame[frame["is_best"]]
        assert len(at_best) == 1, name
        assert at_best["value"].iloc[0] == getattr(result.best_config, name)
        assert at_best["objective"].iloc[0] == pytest.approx(result.best_value, rel=1e-12)
    assert list(curves["weight_function"]["value"]) == ["inverse_vol", "sigmoid"]
    vols = curves["target_vol"]["value"].to_numpy()
    assert vols[0] == 0.03 and vols[-1] == 0.5 and np.all(np.diff(vols) > 0)
    # a point on the curve against a direct evaluation
    row = curves["lookback"].iloc[0]
    config = result.best_config.model_copy(update={"lookback": int(row["value"])})
    assert row["objective"] == pytest.approx(mean_sharpe(config, scenarios), rel=1e-12)
    json.dumps(curves.to_dict())


def test_irrelevant_parameter_is_flat_and_unimportant(scenarios: dict[str, np.ndarray]) -> None:
    best = StrategyConfig(
        target_vol=0.15, lookback=40, rebalance_every=5, weight_function="inverse_vol"
    )
    curves = one_at_a_time(best, SPACE, scenarios, points=6)
    assert np.ptp(curves["risk_aversion"]["objective"]) == 0.0
    spread = curves.spread()
    assert spread["target_vol"] > spread["risk_aversion"] == 0.0

    space = {k: v for k, v in SPACE.items() if k != "weight_function"}
    result = search(space, scenarios, method="random", budget=40, batch_size=20, seed=2)
    importance = parameter_importance(result)
    assert importance.sum() == pytest.approx(1.0)
    assert importance["target_vol"] > importance["risk_aversion"]
    assert importance.index[-1] == "risk_aversion"
    assert importance.equals(parameter_importance(result))  # seeded, deterministic


def test_constraint_feasibility_flag(scenarios: dict[str, np.ndarray]) -> None:
    best = StrategyConfig(target_vol=0.1, lookback=40, rebalance_every=5)
    curves = one_at_a_time(best, {"target_vol": FloatRange(0.03, 0.5)}, scenarios, points=7,
                           constraints=[Constraint("average_weight", max=0.6)])  # fmt: skip
    frame = curves["target_vol"]
    for value, feasible in zip(frame["value"], frame["feasible"], strict=True):
        config = best.model_copy(update={"target_vol": float(value)})
        weights = [evaluate([config], p, 0.02).average_weight.mean() for p in scenarios.values()]
        assert feasible == (max(weights) <= 0.6)
    assert frame["feasible"].any() and not frame["feasible"].all()


@pytest.mark.parametrize("statistic", ["p95", "median", "worst"])
def test_a_limit_on_a_statistic_of_the_paths_is_checked_on_that_statistic(
    scenarios: dict[str, np.ndarray], statistic: str
) -> None:
    """A risk limit's default statistic is a quantile of the paths ("max drawdown <= 15% in 95%
    of paths"); the curves marked every point infeasible under one (the statistic was never
    computed), the winner's own included. Reference: numpy's quantile of the per-path maximum
    drawdowns of a direct evaluation."""
    best = StrategyConfig(target_vol=0.1, lookback=40, rebalance_every=5)
    quantile = {"p95": 0.95, "median": 0.5, "worst": 1.0}[statistic]
    drawdowns = {  # the statistic in the worse scenario, per target
        v: max(float(np.quantile(evaluate([best.model_copy(update={"target_vol": v})], p, 0.02)
                                 .max_drawdown[0], quantile)) for p in scenarios.values())
        for v in (0.03, 0.5)
    }  # fmt: skip
    limit = float(np.mean(list(drawdowns.values())))  # between the two ends of the range
    constraint = Constraint("max_drawdown", max=limit, statistic=statistic)
    curves = one_at_a_time(best, {"target_vol": FloatRange(0.03, 0.5)}, scenarios, points=7,
                           constraints=[constraint])  # fmt: skip
    frame = curves["target_vol"]
    for value, feasible in zip(frame["value"], frame["feasible"], strict=True):
        config = best.model_copy(update={"target_vol": float(value)})
        worst = max(
            float(np.quantile(evaluate([config], p, 0.02).max_drawdown[0], quantile))
            for p in scenarios.values()
        )
        assert feasible == (worst <= limit), (value, worst, limit)
    assert frame["feasible"].any() and not frame["feasible"].all()


def test_bad_points(scenarios: dict[str, np.ndarray]) -> None:
    with pytest.raises(QuantError, match="points"):
        one_at_a_time(StrategyConfig(), SPACE, scenarios, points=1)


def test_importance_is_the_same_when_objectives_differ_in_their_last_bits(
    scenarios: dict[str, np.ndarray],
) -> None:
    # another CPU's vector instructions round the same sums differently in the last bits;
    # the importance (which the explanation cites) must not move with them
    space = {k: v for k, v in SPACE.items() if k != "weight_function"}
    result = search(space, scenarios, method="random", budget=40, batch_size=20, seed=2)
    baseline = parameter_importance(result)
    for ulps in (1, -1, 3):
        trials = result.trials.copy()
        objective = trials["objective"].to_numpy(dtype=float)
        trials["objective"] = objective + ulps * np.spacing(objective)
        moved = dataclasses.replace(result, trials=trials)
        assert parameter_importance(moved).equals(baseline), ulps
