"""Strategy search: brute-force optimum, TPE vs grid, constraints, convergence, reproducibility,
overfitting controls against direct computations, walk-forward without leakage, bad inputs."""

from __future__ import annotations

import itertools
import json
import math
from typing import Any, Literal

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from quant import (
    Choices,
    Constraint,
    FixedValue,
    FloatRange,
    IntRange,
    NoFeasibleTrialError,
    Objective,
    SearchSpace,
    SearchSpaceError,
    search,
    walk_forward,
)
from quant.engine import evaluate
from quant.errors import QuantError
from quant.scenarios import generate_scenarios
from quant.strategy import StrategyConfig

METRICS = ("cagr", "volatility", "sharpe", "sortino", "max_drawdown", "var_95", "cvar_95",
           "turnover", "average_weight")  # fmt: skip


@pytest.fixture(scope="module")
def scenarios() -> dict[str, np.ndarray]:
    """Two seeded scenarios of 40 paths x 160 days with volatility clustering (GARCH-like)."""
    rng = np.random.default_rng(11)
    out = {}
    for name, drift, base_vol in (("calm", 0.0005, 0.008), ("stress", -0.0003, 0.02)):
        regime = np.where(rng.random((40, 1)) < 0.5, 1.0, 2.0)
        vol = base_vol * regime * np.exp(np.cumsum(rng.normal(0, 0.05, (40, 160)), axis=1))
        out[name] = drift + vol * rng.standard_normal((40, 160))
    return out


def reference_objective(configs: list[StrategyConfig], scen: dict[str, np.ndarray],
                        weights: dict[str, float], scenario_weights: dict[str, float] | None = None,
                        safe: float = 0.02) -> np.ndarray:  # fmt: skip
    """Plain reference: per scenario, sum_m w_m * mean over paths; weighted mean over scenarios."""
    names = list(scen)
    sw = np.array(
        [1.0 if scenario_weights is None else scenario_weights.get(n, 0.0) for n in names]
    )
    sw = sw / sw.sum()
    total = np.zeros(len(configs))
    for s, name in zip(sw, names, strict=True):
        result = evaluate(configs, scen[name], safe)
        total += s * sum(w * getattr(result, m).mean(axis=1) for m, w in weights.items())
    return total


SMALL_SPACE = {
    "target_vol": FloatRange(0.05, 0.35, grid_points=4),
    "lookback": IntRange(20, 60, step=20),
    "weight_function": Choices(["inverse_vol", "sigmoid"]),
    "rebalance_every": FixedValue(5),
}


def test_grid_finds_brute_force_optimum(scenarios: dict[str, np.ndarray]) -> None:
    result = search(SMALL_SPACE, scenarios, method="grid", budget=100, batch_size=7, seed=0)
    axes: list[list[Any]] = [
        list(np.linspace(0.05, 0.35, 4)),
        [20, 40, 60],
        ["inverse_vol", "sigmoid"],
    ]
    configs = [
        StrategyConfig(target_vol=float(v), lookback=int(lb), weight_function=wf, rebalance_every=5)
        for v, lb, wf in itertools.product(*axes)
    ]
    values = reference_objective(configs, scenarios, {"sharpe": 1.0})
    assert result.n_trials == len(configs) == 24
    assert result.best_config == configs[int(np.argmax(values))]
    assert result.best_value == pytest.approx(values.max(), rel=1e-12)
    assert len(result.convergence) == math.ceil(24 / 7)


def test_weighted_objective_and_trial_metrics(scenarios: dict[str, np.ndarray]) -> None:
    objective = Objective(
        weights={"sharpe": 1.0, "max_drawdown": -0.5}, scenario_weights={"calm": 1.0, "stress": 3.0}
    )
    result = search(SMALL_SPACE, scenarios, objective=objective, method="random", budget=12,
                    batch_size=5, seed=2)  # fmt: skip
    configs = [
        StrategyConfig.model_validate({**row, "rebalance_every": 5})
        for row in result.trials[["target_vol", "lookback", "weight_function"]].to_dict("records")
    ]  # fmt: skip
    expected = reference_objective(configs, scenarios, {"sharpe": 1.0, "max_drawdown": -0.5},
                                   {"calm": 1.0, "stress": 3.0})  # fmt: skip
    np.testing.assert_allclose(result.trials["objective"], expected, rtol=1e-12)
    direct = evaluate(configs[:3], scenarios["stress"], 0.02)
    for metric in METRICS:
        np.testing.assert_allclose(
            result.trials[f"stress.{metric}"].iloc[:3],
            getattr(direct, metric).mean(axis=1),
            rtol=1e-12,
        )
    # the "min" aggregate is the worst scenario's score
    worst = search(SMALL_SPACE, scenarios, objective=Objective(aggregate="min"), method="random",
                   budget=12, batch_size=5, seed=2)  # fmt: skip
    np.testing.assert_allclose(
        worst.trials["objective"],
        np.minimum(worst.trials["calm.sharpe"], worst.trials["stress.sharpe"]),
        rtol=1e-12,
    )


def test_tpe_close_to_dense_grid_optimum(scenarios: dict[str, np.ndarray]) -> None:
    space = {"target_vol": FloatRange(0.02, 0.6), "lookback": IntRange(10, 100, step=10), "rebalance_every": FixedValue(5),
             "max_leverage": FixedValue(2.0)}  # fmt: skip
    dense = {**space, "target_vol": FloatRange(0.02, 0.6, grid_points=30)}
    grid = search(dense, scenarios, method="grid", budget=1000, batch_size=300)
    worst = grid.trials["objective"].min()
    tpe = search(space, scenarios, method="tpe", budget=60, batch_size=10, seed=3)
    rnd = search(space, scenarios, method="random", budget=60, batch_size=10, seed=3)
    # within 3% of the grid's objective range of the dense-grid optimum, and no worse than random
    assert tpe.best_value >= grid.best_value - 0.03 * (grid.best_value - worst)
    assert tpe.best_value >= rnd.best_value - 1e-12


def test_convergence_per_batch(scenarios: dict[str, np.ndarray]) -> None:
    result = search(SMALL_SPACE, scenarios, method="tpe", budget=23, batch_size=5, seed=1)
    conv = np.asarray(result.convergence)
    assert len(conv) == 5 == result.trials["batch"].nunique()
    assert np.all(np.diff(conv) >= 0)
    for b in range(5):
        assert conv[b] == result.trials.loc[result.trials["batch"] <= b, "objective"].max()
    assert conv[-1] == result.best_value
    assert result.n_trials == 23


@pytest.mark.parametrize("method", ["random", "tpe"])
def test_constraints_exclude_violators(
    scenarios: dict[str, np.ndarray], method: Literal["random", "tpe"]
) -> None:
    free = search(SMALL_SPACE, scenarios, method="random", budget=30, batch_size=10, seed=5)
    limit = float(free.trials["stress.max_drawdown"].median())
    constraints = [Constraint("max_drawdown", scenario="stress", max=limit),
                   Constraint("average_weight", min=0.05)]  # fmt: skip
    result = search(SMALL_SPACE, scenarios, constraints=constraints, method=method, budget=30,
                    batch_size=10, seed=5)  # fmt: skip
    t = result.trials
    ok = (
        (t["stress.max_drawdown"] <= limit)
        & (t["calm.average_weight"] >= 0.05)
        & (t["stress.average_weight"] >= 0.05)
    )
    assert (t["feasible"] == ok).all()
    assert 0 < ok.sum() < len(t)
    assert result.best_value == t.loc[ok, "objective"].max()
    best = t.iloc[result.best_trial]
    assert best["feasible"] and best["stress.max_drawdown"] <= limit
    assert (t.loc[~ok, "violation"] > 0).all() and (t.loc[ok, "violation"] == 0).all()
    conv = np.asarray(result.convergence)
    assert np.all(np.diff(conv[np.isfinite(conv)]) >= 0)


def test_no_feasible_trial(scenarios: dict[str, np.ndarray]) -> None:
    with pytest.raises(NoFeasibleTrialError, match="max_drawdown <= 1e-06") as info:
        search(SMALL_SPACE, scenarios, constraints=[Constraint("max_drawdown", max=1e-6)],
               method="random", budget=5, batch_size=5)  # fmt: skip
    assert len(info.value.trials) == 5


def test_reproducible(scenarios: dict[str, np.ndarray]) -> None:
    space = {
        **SMALL_SPACE,
        "target_vol": FloatRange(0.05, 0.35),
        "cost_bps": FloatRange(0.1, 50, log=True),
    }
    runs = [
        search(space, scenarios, method="tpe", budget=20, batch_size=10, seed=7) for _ in range(2)
    ]
    pd.testing.assert_frame_equal(runs[0].trials, runs[1].trials)
    assert runs[0].best_config == runs[1].best_config
    other = search(space, scenarios, method="tpe", budget=20, batch_size=10, seed=8)
    assert not np.allclose(other.trials["target_vol"], runs[0].trials["target_vol"])
    rnd = [
        search(space, scenarios, method="random", budget=10, batch_size=4, seed=7) for _ in range(2)
    ]
    pd.testing.assert_frame_equal(rnd[0].trials, rnd[1].trials)


def test_paired_interval_matches_direct(scenarios: dict[str, np.ndarray]) -> None:
    result = search(SMALL_SPACE, scenarios, method="grid", budget=100, batch_size=50,
                    objective=Objective(scenario_weights={"calm": 1.0, "stress": 2.0}))  # fmt: skip
    t = result.trials.sort_values(["objective", "trial"], ascending=[False, True])
    second = t[t["config_id"] != result.best_config.config_id].iloc[0]
    assert result.runner_up_config is not None
    assert result.runner_up_config.config_id == second["config_id"]
    means, ses = [], []
    for name in ("calm", "stress"):
        sh = evaluate([result.best_config, result.runner_up_config], scenarios[name], 0.02).sharpe
        d = sh[0] - sh[1]
        se = d.std(ddof=1) / math.sqrt(d.size)
        interval = result.paired_sharpe[name]  # type: ignore[index]
        assert interval.mean == pytest.approx(d.mean(), abs=1e-12)
        assert interval.lower == pytest.approx(d.mean() - 1.959963984540054 * se, abs=1e-12)
        means.append(d.mean())
        ses.append(se)
    overall = result.paired_sharpe["overall"]  # type: ignore[index]
    assert overall.mean == pytest.approx(means[0] / 3 + 2 * means[1] / 3, abs=1e-12)
    se = math.sqrt(ses[0] ** 2 / 9 + 4 * ses[1] ** 2 / 9)
    assert overall.upper == pytest.approx(overall.mean + 1.959963984540054 * se, abs=1e-12)


def test_deflated_sharpe_of_search(scenarios: dict[str, np.ndarray]) -> None:
    result = search(SMALL_SPACE, scenarios, method="random", budget=20, batch_size=10, seed=4)
    distinct = result.trials.drop_duplicates("config_id")
    per_day = (distinct["calm.sharpe"] + distinct["stress.sharpe"]).to_numpy() / 2 / math.sqrt(252)
    best = result.best_config
    sr = (result.best_metrics["calm"]["sharpe"] + result.best_metrics["stress"]["sharpe"]) / 2
    pooled = []
    for name in ("calm", "stress"):
        ev = evaluate([best], scenarios[name], 0.02)
        pooled += [ev.series(0, p)["net"].to_numpy() for p in range(40)]
    x = np.concatenate(pooled)
    c = x - x.mean()
    skew, kurt = np.mean(c**3) / np.mean(c**2) ** 1.5, np.mean(c**4) / np.mean(c**2) ** 2
    n, var, t = len(distinct), per_day.var(ddof=1), 160 - best.lookback
    gamma = 0.5772156649015329
    sr0 = math.sqrt(var) * (
        (1 - gamma) * norm.ppf(1 - 1 / n) + gamma * norm.ppf(1 - 1 / (n * math.e))
    )
    day = sr / math.sqrt(252)
    z = (day - sr0) * math.sqrt(t - 1) / math.sqrt(1 - skew * day + (kurt - 1) / 4 * day**2)
    dsr = result.deflated_sharpe
    assert dsr.n_trials == n and dsr.n_obs == t
    assert dsr.expected_max_sharpe == pytest.approx(sr0, rel=1e-9)
    assert dsr.probability == pytest.approx(float(norm.cdf(z)), abs=1e-9)


def test_scenario_set_input_and_json(scenarios: dict[str, np.ndarray]) -> None:
    history = pd.Series(np.concatenate([scenarios["calm"][i] for i in range(8)]), name="X")
    scen = generate_scenarios(history, names=("base", "bear"), n_paths=20, horizon=120, seed=1,
                              block_size=10)  # fmt: skip
    a = search(SMALL_SPACE, scen, method="random", budget=8, batch_size=4, seed=0)
    b = search(SMALL_SPACE, {n: scen.risky(n) for n in scen.names}, method="random", budget=8,
               batch_size=4, seed=0)  # fmt: skip
    pd.testing.assert_frame_equal(a.trials, b.trials)
    summary = a.to_dict()
    json.dumps(summary)
    assert summary["best_config"]["target_vol"] == a.best_config.target_vol
    assert len(summary["convergence"]) == 2


def test_walk_forward_no_leakage() -> None:
    rng = np.random.default_rng(21)
    early = rng.normal(0.0003, 0.01, 700)
    late = 0.2 + rng.normal(0.0, 0.001, 300)  # wildly different: +20% a day
    history = pd.Series(np.concatenate([early, late]),
                        index=pd.bdate_range("2010-01-01", periods=1000))  # fmt: skip
    space = {"target_vol": FloatRange(0.05, 0.3), "lookback": IntRange(20, 60, step=20)}
    result = walk_forward(space, history, split=0.7, n_paths=15, horizon=120, seed=3,
                          method="random", budget=8, batch_size=4,
                          scenario_names=("base", "high_vol"), block_size=10)  # fmt: skip
    assert result.split_index == 700 and result.n_out_of_sample == 300
    assert result.split_label == history.index[700]
    for name in result.scenarios.names:
        values = result.scenarios.paths[name]
        assert values.max() < 0.1
        assert np.isin(values, early).all()  # every simulated day is an in-sample day
    oos = evaluate([result.search.best_config, result.median_config], late, 0.02)
    np.testing.assert_allclose(result.out_of_sample["sharpe"], oos.sharpe[:, 0], rtol=1e-12)
    ins = evaluate([result.search.best_config], early, 0.02)
    assert result.in_sample.loc["best", "cagr"] == pytest.approx(float(ins.cagr[0, 0]), rel=1e-12)
    assert result.search.deflated_sharpe.n_obs == 700
    json.dumps(result.to_dict())


@pytest.mark.parametrize(
    ("space", "kwargs", "match"),
    [
        ({}, {}, "empty"),
        ({"target_vool": FloatRange(0.1, 0.2)}, {}, "target_vool.*valid fields: target_vol"),
        ({"target_vol": FloatRange(0.3, 0.1)}, {}, r"target_vol: low \(0.3\) must be < high \(0.1\)"),
        ({"lookback": IntRange(20, 250, step=21)}, {}, "lookback: high"),
        ({"cost_bps": FloatRange(0.0, 10.0, log=True)}, {}, "cost_bps: a log-scale range needs low > 0"),
        ({"weight_function": Choices(["inverse_vol", "kelly"])}, {}, "weight_function"),
        ({"target_vol": FloatRange(-0.1, 0.2)}, {}, "target_vol: value -0.1"),
        ({"target_vol": FloatRange(0.1, 0.2)}, {"budget": 0}, "budget must be a positive integer, got 0"),
        ({"target_vol": FloatRange(0.1, 0.2)}, {"batch_size": -1}, "batch_size.*-1"),
        ({"target_vol": FloatRange(0.1, 0.2)}, {"method": "anneal"}, "method.*anneal"),
        ({"lookback": IntRange(20, 200)}, {}, "lookback: the largest lookback in the space \\(200\\)"),
        ({"target_vol": FloatRange(0.1, 0.2)}, {"constraints": [Constraint("cvar_95", scenario="crash", max=0.1)]},
         "unknown scenario 'crash'"),
        ({"target_vol": FloatRange(0.1, 0.2)}, {"objective": "alpha"}, "unknown metric 'alpha'"),
    ],
)  # fmt: skip
def test_bad_inputs(
    scenarios: dict[str, np.ndarray], space: dict, kwargs: dict, match: str
) -> None:
    with pytest.raises(SearchSpaceError, match=match):
        search(space, scenarios, **kwargs)


def test_space_sampling_and_grid() -> None:
    space = SearchSpace({"target_vol": FloatRange(0.01, 1.0, log=True), "lookback": IntRange(21, 252, step=21),
                         "weight_function": ["inverse_vol", "merton"], "cost_bps": 5.0})  # fmt: skip
    draws = space.sample(np.random.default_rng(0), 4000)
    vols = np.array([d["target_vol"] for d in draws])
    assert vols.min() >= 0.01 and vols.max() <= 1.0
    assert np.median(vols) == pytest.approx(0.1, rel=0.1)  # log-uniform: median = geometric mean
    lookbacks = {d["lookback"] for d in draws}
    assert lookbacks == set(range(21, 253, 21))
    assert space.fixed == {"cost_bps": 5.0}
    assert space.grid_size() == 5 * 12 * 2
    with pytest.raises(QuantError):
        Constraint("sharpe")


def test_optimizer_sleeve_needs_asset_paths(scenarios: dict[str, np.ndarray]) -> None:
    with pytest.raises(SearchSpaceError, match="sleeve: 'hrp' needs multi-asset scenarios"):
        search({"sleeve": Choices(["single", "hrp"])}, scenarios, method="grid", budget=4)


def test_a_partial_space_holds_every_field_it_leaves_out_at_its_default() -> None:
    """A space naming one field searches it and holds every other field at the StrategyConfig
    default (cost_bps 0.0 included); an overlay's own settings are held only when an overlay
    can be held."""
    space = SearchSpace({"target_vol": FloatRange(0.05, 0.2)})
    defaults = StrategyConfig()
    left_out = [name for name in StrategyConfig.model_fields if not name.startswith("overlay_")]
    assert space.defaults == {n: getattr(defaults, n) for n in left_out if n != "target_vol"}
    assert space.config({"target_vol": 0.1}).cost_bps == space.defaults["cost_bps"] == 0.0
    hedged = SearchSpace({"target_vol": 0.1, "overlay": Choices(["none", "put"]), "lookback": 63})
    assert hedged.defaults["overlay_strike"] == defaults.overlay_strike
