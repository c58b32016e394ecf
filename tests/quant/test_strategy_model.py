"""The strategy model's numerics: extremely randomized trees that learn a function and stay
within what they saw, the same trees from the same seed, an interval that holds new values as
often as it says, and a model that reads back exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from quant.extra_trees import TreeEnsemble, fit_extra_trees, mean_trees, predict_trees
from quant.strategy import StrategyConfig
from quant.strategy_model import (
    CONFIG_FEATURES,
    FEATURES,
    METRICS,
    TREE_GROUPS,
    StrategyModel,
    config_features,
    feature_rows,
    fit_strategy_model,
    from_json_array,
    json_array,
    pack_arrays,
    search_context,
    unpack_arrays,
)


def _smooth(X: np.ndarray, rng: np.random.Generator, noise: float) -> np.ndarray:
    """Two outputs of the first three features, with noise."""
    first = np.sin(3 * X[:, 0]) + X[:, 1] ** 2
    second = 2 * X[:, 2] - X[:, 0] * X[:, 1]
    clean = np.stack([first, second], axis=1)
    return clean + noise * rng.normal(size=clean.shape)


def test_the_trees_learn_a_smooth_function_of_some_of_many_features() -> None:
    rng = np.random.default_rng(1)
    X = rng.uniform(-1, 1, size=(3000, 12))
    Y = _smooth(X, rng, 0.05)
    ensemble = fit_extra_trees(X[:2400], Y[:2400], n_trees=32, seed=3)
    estimate = predict_trees(ensemble, X[2400:]).mean(axis=0)
    truth = _smooth(X[2400:], np.random.default_rng(0), 0.0)
    r2 = 1 - ((estimate - truth) ** 2).sum(axis=0) / ((truth - truth.mean(axis=0)) ** 2).sum(axis=0)
    assert (r2 > 0.9).all(), r2


@settings(max_examples=30, deadline=None)
@given(
    data=arrays(
        np.float64,
        st.tuples(st.integers(4, 60), st.integers(1, 5)),
        elements=st.floats(-1e6, 1e6, allow_nan=False),
    ),
    outputs=st.integers(1, 3),
    leaf=st.integers(1, 2),
    seed=st.integers(0, 2**32 - 1),
)
def test_every_estimate_lies_within_the_targets_seen_and_the_seed_fixes_the_trees(
    data: np.ndarray, outputs: int, leaf: int, seed: int
) -> None:
    rng = np.random.default_rng(seed)
    Y = rng.normal(size=(len(data), outputs)) * rng.uniform(0.1, 100)
    first = fit_extra_trees(data, Y, n_trees=4, min_samples_leaf=leaf, max_samples=32, seed=seed)
    again = fit_extra_trees(data, Y, n_trees=4, min_samples_leaf=leaf, max_samples=32, seed=seed)
    for name in ("left", "right", "feature", "threshold", "value", "roots"):
        assert np.array_equal(getattr(first, name), getattr(again, name))
    probe = np.concatenate([data, rng.normal(size=data.shape) * 1e6])
    trees = predict_trees(first, probe)
    assert trees.shape == (4, len(probe), outputs)
    tolerance = 1e-9 * (1 + np.abs(Y).max())
    assert (trees >= Y.min(axis=0) - tolerance).all()
    assert (trees <= Y.max(axis=0) + tolerance).all()


def test_the_interval_holds_new_values_as_often_as_it_says() -> None:
    rng = np.random.default_rng(7)
    n, features = 6000, len(FEATURES)
    X = rng.uniform(0, 1, size=(n, features))
    signal = np.stack([np.sin(4 * X[:, i]) + X[:, i + 1] for i in range(len(METRICS))], axis=1)
    Y = signal + rng.normal(scale=0.2 + 0.3 * X[:, :1], size=signal.shape)  # uneven noise
    held_out = np.zeros(n, dtype=bool)
    held_out[3000:4500] = True
    model = fit_strategy_model(X[:4500], Y[:4500], held_out[:4500], coverage=0.9, seed=1)
    assert model.n_train == 3000 and model.n_held_out == 1500
    estimate = model.predict(X[4500:])
    inside = (Y[4500:] >= estimate.low) & (Y[4500:] <= estimate.high)
    assert np.all(np.abs(inside.mean(axis=0) - 0.9) < 0.035), inside.mean(axis=0)
    for metric in METRICS:
        assert model.accuracy[metric]["r2"] is not None and model.accuracy[metric]["r2"] > 0.5


def test_a_model_reads_back_exactly() -> None:
    rng = np.random.default_rng(2)
    X = rng.uniform(size=(400, len(FEATURES)))
    Y = rng.normal(size=(400, len(METRICS)))
    model = fit_strategy_model(X, Y, np.arange(400) % 5 == 0, seed=4)
    read = StrategyModel.from_arrays(unpack_arrays(pack_arrays(model.arrays())))
    first, second = model.predict(X[:50]), read.predict(X[:50])
    for part in ("value", "low", "high"):
        assert np.array_equal(getattr(first, part), getattr(second, part))
    assert read.accuracy == model.accuracy and read.learner == model.learner


def test_a_version_stored_before_the_metric_groups_reads_back() -> None:
    """A version of one ensemble of every metric, its arrays unnumbered and no `groups` in its
    metadata (as the first versions were stored), estimates with that ensemble."""
    rng = np.random.default_rng(3)
    X = rng.uniform(size=(300, len(FEATURES)))
    Y = rng.normal(size=(300, len(METRICS)))
    model = fit_strategy_model(X, Y, np.arange(300) % 5 == 0, seed=2)
    single = fit_extra_trees(X, Y, n_trees=8, seed=5)
    arrays = {k: v for k, v in model.arrays().items() if not k[-1].isdigit()}
    meta = from_json_array(arrays["meta"])
    del meta["groups"]
    arrays["meta"] = json_array(meta)
    for part in ("left", "right", "feature", "threshold", "value", "roots"):
        arrays[part] = getattr(single, part)
    old = StrategyModel.from_arrays(unpack_arrays(pack_arrays(arrays)))
    assert old.groups == (METRICS,)
    assert np.array_equal(old.predict(X[:20]).value, predict_trees(single, X[:20]).mean(axis=0))


def _walked(ensemble: Any, X: np.ndarray) -> np.ndarray:
    """Each tree's value for each row of X, [trees, rows, outputs], found by walking each tree
    from its root in plain Python (the reference of the compiled, threaded walk)."""
    out = np.empty((len(ensemble.roots), len(X), ensemble.value.shape[1]))
    for t, root in enumerate(ensemble.roots):
        for r, row in enumerate(X):
            node = int(root)
            while ensemble.left[node] >= 0:
                go_left = row[ensemble.feature[node]] <= ensemble.threshold[node]
                node = int(ensemble.left[node] if go_left else ensemble.right[node])
            out[t, r] = ensemble.value[node]
    return out


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**16), rows=st.integers(1, 60), trees=st.integers(1, 9))
def test_the_walk_and_the_estimates_are_those_of_a_plain_walk(
    seed: int, rows: int, trees: int
) -> None:
    """`predict_trees` (compiled, its trees shared among threads) gives exactly the values of a
    plain walk down each tree, and `mean` exactly `predict`'s estimates."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(120, len(FEATURES)))
    Y = rng.normal(size=(120, len(METRICS)))
    ensemble = fit_extra_trees(X, Y[:, :2], n_trees=trees, seed=seed)
    probe = rng.uniform(-0.2, 1.2, size=(rows, len(FEATURES)))  # outside what was seen, too
    assert np.array_equal(predict_trees(ensemble, probe), _walked(ensemble, probe))
    model = fit_strategy_model(X, Y, np.arange(120) % 5 == 0, seed=seed)
    assert np.array_equal(model.mean(probe), model.predict(probe).value)
    some = [METRICS[i] for i in rng.permutation(len(METRICS))[: rng.integers(1, len(METRICS))]]
    assert np.array_equal(
        model.mean(probe, some), model.predict(probe).value[:, [METRICS.index(m) for m in some]]
    )


def test_a_metric_the_model_does_not_estimate_is_refused() -> None:
    rng = np.random.default_rng(0)
    X, Y = rng.uniform(size=(40, len(FEATURES))), rng.normal(size=(40, len(METRICS)))
    model = fit_strategy_model(X, Y, np.arange(40) % 5 == 0)
    with pytest.raises(ValueError, match="turnover"):
        model.mean(X, ["sharpe", "turnover"])


def _walked_together(ensemble: TreeEnsemble, X: np.ndarray) -> np.ndarray:
    """`_walked`, every row at once down each tree (numpy over the rows): [trees, rows,
    outputs]."""
    out = np.empty((len(ensemble.roots), len(X), ensemble.value.shape[1]))
    rows = np.arange(len(X))
    for t, root in enumerate(ensemble.roots):
        node = np.full(len(X), root)
        inner = ensemble.left[node] >= 0
        while inner.any():
            at = node[inner]
            go_left = X[rows[inner], ensemble.feature[at]] <= ensemble.threshold[at]
            node[inner] = np.where(go_left, ensemble.left[at], ensemble.right[at])
            inner = ensemble.left[node] >= 0
        out[t] = ensemble.value[node]
    return out


def _renumbered(ensemble: TreeEnsemble, rng: np.random.Generator) -> TreeEnsemble:
    """The same trees, their nodes in a random order (a right child no longer after its left)."""
    new = rng.permutation(len(ensemble.left))
    at = np.argsort(new)  # the old node at each new index

    def child(old: np.ndarray) -> np.ndarray:
        return np.where(old[at] >= 0, new[np.maximum(old[at], 0)], -1)

    return TreeEnsemble(
        left=child(ensemble.left),
        right=child(ensemble.right),
        feature=ensemble.feature[at],
        threshold=ensemble.threshold[at],
        value=ensemble.value[at],
        roots=new[ensemble.roots],
    )


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**16),
    rows=st.one_of(st.integers(0, 9), st.integers(1000, 2600)),
    trees=st.integers(1, 7),
    outputs=st.integers(1, 3),
    nans=st.integers(0, 20),
)
def test_the_mean_of_the_trees_is_the_plain_sum_in_tree_order_over_their_number(
    seed: int, rows: int, trees: int, outputs: int, nans: int
) -> None:
    """`mean_trees` (rows walked four in step, a thousand at a time, shared among threads) gives
    exactly each row's tree values added in tree order and divided by the number of trees, as a
    plain walk finds them, which is numpy's mean of `predict_trees` over the trees (with more
    than one value per tree: numpy sums a single column pairwise); a NaN goes right; trees whose
    right children do not follow their left ones give the same."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(150, 6))
    ensemble = fit_extra_trees(X, rng.normal(size=(150, outputs)), n_trees=trees, seed=seed)
    probe = rng.uniform(-0.2, 1.2, size=(rows, 6))
    if rows:
        probe[rng.integers(0, rows, nans), rng.integers(0, 6, nans)] = np.nan
    walked = _walked_together(ensemble, probe)
    if rows <= 9:
        assert np.array_equal(walked, _walked(ensemble, probe))
    total = walked[0].copy()
    for tree in walked[1:]:
        total += tree
    expected = total / trees
    got = mean_trees(ensemble, probe)
    assert got.shape == (rows, outputs)
    assert np.array_equal(got, expected) and np.array_equal(np.signbit(got), np.signbit(expected))
    if rows * outputs > 1:
        assert np.array_equal(got, predict_trees(ensemble, probe).mean(axis=0))
    renumbered = _renumbered(ensemble, rng)
    assert renumbered.compact is None
    assert np.array_equal(mean_trees(renumbered, probe), got)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**16), scale=st.floats(0.01, 100))
def test_each_metric_group_learns_from_its_own_targets_alone(seed: int, scale: float) -> None:
    """Sharpe and CAGR have trees of their own: the risk metrics' targets, however different,
    change neither estimate; the risk metrics share theirs."""
    rng = np.random.default_rng(seed)
    X = rng.uniform(size=(200, len(FEATURES)))
    Y = rng.normal(size=(200, len(METRICS)))
    other = Y.copy()
    risk = [METRICS.index(name) for name in TREE_GROUPS[-1]]
    other[:, risk] = scale * rng.normal(size=(200, len(risk)))
    held_out = np.arange(200) % 5 == 0
    first = fit_strategy_model(X, Y, held_out, seed=seed).predict(X).value
    second = fit_strategy_model(X, other, held_out, seed=seed).predict(X).value
    kept = [METRICS.index("sharpe"), METRICS.index("cagr")]
    assert np.array_equal(first[:, kept], second[:, kept])
    assert not np.allclose(first[:, risk], second[:, risk])


def test_the_features_of_a_search_describe_its_universe_window_and_scenarios() -> None:
    from quant.data import sp500_index_returns, sp500_returns

    returns = sp500_returns().loc["2010":"2014", ["AAPL", "KO", "XOM"]]
    market = sp500_index_returns().reindex(returns.index)
    context = search_context(
        returns,
        market,
        ["bull", "bear"],
        horizon=189,
        scenario_method="gbm",
        safe_rate=0.03,
    )
    universe = context["universe"]
    assert universe["n_assets"] == 3
    assert abs(universe["window_years"] - len(returns) / 252) < 1e-12
    equal = returns.mean(axis=1)
    assert abs(universe["window_volatility"] - equal.std() * np.sqrt(252)) < 1e-12
    bull, bear = context["scenarios"]["bull"], context["scenarios"]["bear"]
    assert bull["regime_return"] > universe["window_return"] > bear["regime_return"]
    rows = feature_rows(
        [StrategyConfig(target_vol=0.1), StrategyConfig(weight_function="merton")],
        context,
        ["bull", "bear"],
    )
    assert rows.shape == (4, len(FEATURES))
    frame = pd.DataFrame(rows, columns=list(FEATURES))
    assert list(frame["scenario"]) == [0.0, 1.0, 0.0, 1.0]  # each config's scenarios in order
    assert list(frame["weight_function"]) == [0.0, 0.0, 2.0, 2.0]
    assert (frame["horizon"] == 189).all() and (frame["scenario_method"] == 1).all()
    assert len(CONFIG_FEATURES) == len(StrategyConfig.model_fields)


@settings(max_examples=60, deadline=None)
@given(
    weight_function=st.sampled_from(["inverse_vol", "sigmoid", "merton"]),
    overlay=st.sampled_from(["none", "put", "put_spread", "collar"]),
    target_vol=st.floats(0.01, 0.5),
    risk_aversion=st.floats(0.5, 20.0),
    steepness=st.floats(0.5, 30.0),
    strike=st.floats(0.85, 0.99),
    hedge_ratio=st.floats(0.1, 2.0),
)
def test_configurations_that_differ_only_in_fields_they_do_not_read_have_the_same_features(
    weight_function: str,
    overlay: str,
    target_vol: float,
    risk_aversion: float,
    steepness: float,
    strike: float,
    hedge_ratio: float,
) -> None:
    base = StrategyConfig(weight_function=weight_function, overlay=overlay)
    changed = base.model_copy(
        update={
            "target_vol": target_vol,
            "risk_aversion": risk_aversion,
            "steepness": steepness,
            "overlay_strike": strike,
            "overlay_hedge_ratio": hedge_ratio,
        }
    )
    unused = base.unused_parameters()
    first = dict(zip(CONFIG_FEATURES, config_features(base), strict=True))
    second = dict(zip(CONFIG_FEATURES, config_features(changed), strict=True))
    for name in CONFIG_FEATURES:
        if name in unused:  # at its default in both
            assert (
                first[name]
                == second[name]
                == config_features(StrategyConfig())[CONFIG_FEATURES.index(name)]
            )
        elif getattr(base, name) != getattr(changed, name):  # a field it reads tells them apart
            assert first[name] != second[name]
    assert ("target_vol" in unused) == (weight_function == "merton")
