"""A warm start's plan is the plain computation's: the model's estimates of every metric from
every tree walked in plain Python, the objective computed from them, the candidates ranked by
it. The planning walks only the ensembles of the metrics the objective weighs, rows four in
step through compiled trees (`quant.extra_trees.mean_trees`), and builds the rows with numpy;
none of it may change a configuration chosen, an estimate, a probe or a word of the plan."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quant.strategy_model as strategy_model
import services.warm_starts as warm_starts
from quant import Objective, SearchSpace
from quant.extra_trees import TreeEnsemble, fit_extra_trees
from quant.metrics import METRICS as ENGINE_METRICS
from quant.regime_names import REGIME_NAMES
from quant.strategy_model import (
    FEATURES,
    METHODS,
    METRICS,
    SCENARIO_FEATURES,
    TREE_GROUPS,
    UNIVERSE_FEATURES,
    StrategyModel,
    config_features,
)
from services.strategy_model import OwnerModel, Search, search_record
from services.warm_starts import plan_warm_start
from store import StrategyModelVersion

SPACE = {
    "cost_bps": 5.0,
    "lookback": {"low": 21, "high": 126, "step": 21},
    "max_leverage": {"low": 1.0, "high": 2.0},
    "rebalance_every": {"low": 5, "high": 63, "step": 1},
    "risk_aversion": {"low": 1.0, "high": 10.0, "log": True},
    "steepness": {"low": 2.0, "high": 20.0},
    "target_vol": {"low": 0.05, "high": 0.25},
    "weight_function": {"choices": ["inverse_vol", "sigmoid", "merton"]},
}


def _context(rng: np.random.Generator, scenarios: Sequence[str]) -> dict[str, Any]:
    return {
        "assets": ["AAA", "BBB", "CCC"],
        "universe": {name: float(rng.uniform(0.1, 3)) for name in UNIVERSE_FEATURES},
        "scenarios": {
            name: {k: float(rng.uniform(-0.5, 1)) for k in SCENARIO_FEATURES} for name in scenarios
        },
        "horizon": 252,
        "scenario_method": "block_bootstrap",
        "safe_rate": 0.02,
    }


def _search(
    run_id: str, seed: int, context: Mapping[str, Any], trials: list[dict[str, Any]]
) -> Search:
    return Search(
        run_id=run_id,
        request={
            "universe": list(context["assets"]),
            "start": "2015-01-02",
            "end": "2024-12-31",
            "scenarios": list(context["scenarios"]),
            "n_paths": 64,
            "seed": seed,
            "objective": {"sharpe": 1.0},
        },
        search_space=SPACE,
        scenario_weights=None,
        context=context,
        trials=trials,
    )


def _model(
    rng: np.random.Generator, context: Mapping[str, Any], trees: int, seed: int
) -> StrategyModel:
    """Trees of every metric group grown on earlier trials of this space in this context (so
    they split on the candidates' features and leave ties among them)."""
    space = SearchSpace(dict(SPACE))
    scenarios = list(context["scenarios"])
    configs = [space.config(p) for p in space.sample(rng, 40)]
    X = warm_starts.feature_rows(configs, context, scenarios)
    Y = rng.normal(size=(len(X), len(METRICS))) + X[:, : len(METRICS)]
    ensembles = tuple(
        fit_extra_trees(
            X,
            Y[:, [METRICS.index(m) for m in group]],
            n_trees=trees,
            min_samples_leaf=3,
            seed=seed + g,
        )
        for g, group in enumerate(TREE_GROUPS)
    )
    return StrategyModel(
        ensembles=ensembles,
        interval_scale=np.ones(len(METRICS)),
        interval_floor=np.zeros(len(METRICS)),
        accuracy={},
        coverage=0.9,
        n_train=len(X),
        n_held_out=0,
    )


def _plain_rows(
    configs: Sequence[Any], context: Mapping[str, Any], scenarios: Sequence[str]
) -> np.ndarray:
    """The rows as lists of floats, each configuration's features then each scenario's."""
    universe = [float(context["universe"][k]) for k in UNIVERSE_FEATURES]
    rows = []
    for config in configs:
        for name in scenarios:
            regime = context["scenarios"][name]
            rows.append(
                config_features(config)
                + universe
                + [float(regime[k]) for k in SCENARIO_FEATURES]
                + [
                    float(REGIME_NAMES.index(name)),
                    float(context["horizon"]),
                    float(METHODS.index(context["scenario_method"])),
                    float(context["safe_rate"]),
                ]
            )
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURES))


def _walk(ensemble: TreeEnsemble, row: np.ndarray, root: int) -> np.ndarray:
    node = root
    while ensemble.left[node] >= 0:
        go_left = row[ensemble.feature[node]] <= ensemble.threshold[node]
        node = int(ensemble.left[node] if go_left else ensemble.right[node])
    return np.asarray(ensemble.value[node])


def _plain_objective(
    model: OwnerModel,
    space: SearchSpace,
    candidates: Sequence[Mapping[str, Any]],
    context: Mapping[str, Any],
    objective: Objective,
) -> np.ndarray | None:
    """The objective of each candidate from every tree of every metric group, walked in plain
    Python ([trees, rows, metrics], averaged over the trees by numpy)."""
    if not set(objective.weights) <= set(METRICS) or not candidates:
        return None
    scenarios = list(context["scenarios"])
    rows = _plain_rows([space.config(p) for p in candidates], context, scenarios)
    ensembles = model.model.ensembles
    trees = np.empty((ensembles[0].n_trees, len(rows), len(METRICS)))
    for ensemble, group in zip(ensembles, model.model.groups, strict=True):
        columns = [METRICS.index(name) for name in group]
        for t, root in enumerate(ensemble.roots):
            for r, row in enumerate(rows):
                trees[t, r, columns] = _walk(ensemble, row, int(root))
    value = trees.mean(axis=0).reshape(len(candidates), len(scenarios), len(METRICS))
    zeros = np.zeros(len(candidates))
    means = {
        s: {ENGINE_METRICS[0]: zeros} | {m: value[:, i, j] for j, m in enumerate(METRICS)}
        for i, s in enumerate(scenarios)
    }
    return objective.values(means, scenarios)


@settings(max_examples=12, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    n_scenarios=st.integers(1, 3),
    candidates=st.sampled_from([1, 5, 40, 300]),
    trees=st.integers(1, 4),
    weights=st.dictionaries(
        st.sampled_from([*METRICS, "turnover"]), st.floats(-2, 2, allow_nan=False), min_size=1
    ),
    aggregate=st.sampled_from(["mean", "min"]),
    weighted=st.booleans(),
    batch_size=st.integers(1, 40),
)
def test_the_plan_is_that_of_every_tree_walked_in_plain_python(
    seed: int,
    n_scenarios: int,
    candidates: int,
    trees: int,
    weights: dict[str, float],
    aggregate: str,
    weighted: bool,
    batch_size: int,
) -> None:
    rng = np.random.default_rng(seed)
    scenarios = list(REGIME_NAMES[:n_scenarios])
    context = _context(rng, scenarios)
    space = SearchSpace(dict(SPACE))
    earlier = []
    for i in range(3):
        trials = [
            {
                **p,
                "trial": t,
                "objective": float(rng.normal()),
                "feasible": True,
                "config_id": space.config(p).config_id,
            }
            for t, p in enumerate(space.sample(rng, 6))
        ]
        earlier.append(search_record(_search(f"run-{i}", i, context, trials)))
    model = OwnerModel(
        version=StrategyModelVersion("alice", 3, 1, "digest", datetime(2026, 1, 1, tzinfo=UTC)),
        model=_model(rng, context, trees, seed),
        X=np.empty((0, len(FEATURES))),
        Y=np.empty((0, len(METRICS))),
        search=np.empty(0, dtype=np.int64),
        group=np.empty(0, dtype=np.int64),
        searches=earlier,
    )
    scenario_weights = (
        {name: float(w) for name, w in zip(scenarios, rng.uniform(0, 1, n_scenarios), strict=True)}
        if weighted
        else None
    )
    if scenario_weights is not None and sum(scenario_weights.values()) <= 0:
        scenario_weights = None
    objective = Objective(
        weights=weights,
        scenario_weights=scenario_weights,
        aggregate=aggregate,  # type: ignore[arg-type]
    )
    search = _search("new", 99, context, [])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(warm_starts, "CANDIDATES", candidates)
        plan = plan_warm_start(model, search, objective, batch_size=batch_size)
        patch.setattr(warm_starts, "_predicted_objective", _plain_objective)
        plain = plan_warm_start(model, search, objective, batch_size=batch_size)
    assert plan["configs"], plan["note"]
    assert plan == plain
    for mine, theirs in zip(plan["predicted"], plain["predicted"], strict=True):
        assert (mine is None and theirs is None) or (
            mine is not None
            and theirs is not None
            and math.copysign(1, mine) == math.copysign(1, theirs)
        )


def test_the_plan_walks_only_the_trees_of_the_metrics_the_objective_weighs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A Sharpe objective walks the Sharpe trees alone; CAGR with drawdown walks two groups."""
    rng = np.random.default_rng(5)
    scenarios = list(REGIME_NAMES[:2])
    context = _context(rng, scenarios)
    walked: list[int] = []
    original = strategy_model.mean_trees

    def counting(ensemble: TreeEnsemble, X: np.ndarray) -> np.ndarray:
        walked.append(ensemble.n_outputs)
        return original(ensemble, X)

    monkeypatch.setattr(strategy_model, "mean_trees", counting)
    monkeypatch.setattr(warm_starts, "CANDIDATES", 30)
    space = SearchSpace(dict(SPACE))
    trials = [
        {**p, "trial": t, "objective": 1.0, "feasible": True,
         "config_id": space.config(p).config_id}
        for t, p in enumerate(space.sample(rng, 3))
    ]  # fmt: skip
    model = OwnerModel(
        version=StrategyModelVersion("alice", 1, 1, "digest", datetime(2026, 1, 1, tzinfo=UTC)),
        model=_model(rng, context, 2, 0),
        X=np.empty((0, len(FEATURES))),
        Y=np.empty((0, len(METRICS))),
        search=np.empty(0, dtype=np.int64),
        group=np.empty(0, dtype=np.int64),
        searches=[search_record(_search("run-0", 0, context, trials))],
    )
    search = _search("new", 1, context, [])
    plan_warm_start(model, search, Objective(weights={"sharpe": 1.0}), batch_size=24)
    assert walked == [1]
    walked.clear()
    both = Objective(weights={"cagr": 1.0, "max_drawdown": -0.5})
    plan_warm_start(model, search, both, batch_size=24)
    assert walked == [1, 3]
