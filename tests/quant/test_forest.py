"""`quant.forest` fits the trees scikit-learn's `RandomForestRegressor` fits, bit for bit: the
same structure, features, thresholds and leaf values, on data with ties, constant and one-hot
columns, repeated targets and a depth limit."""

from __future__ import annotations

import numpy as np
import pytest

from quant.forest import fit_forest


def assert_same_trees(X: np.ndarray, y: np.ndarray, seed: int, n_trees: int, depth: int) -> None:
    from sklearn.ensemble import RandomForestRegressor  # imported here, not at collection

    theirs = RandomForestRegressor(n_estimators=n_trees, max_depth=depth, random_state=seed)
    theirs.fit(X, y)
    ours = fit_forest(X, y, n_trees=n_trees, max_depth=depth, seed=seed)
    assert len(ours) == n_trees
    for estimator, tree in zip(theirs.estimators_, ours, strict=True):
        fitted = estimator.tree_
        assert tree.node_count == fitted.node_count
        for name in ("children_left", "children_right", "feature", "threshold"):
            np.testing.assert_array_equal(getattr(tree, name), getattr(fitted, name), name)
        np.testing.assert_array_equal(tree.value, fitted.value.reshape(fitted.node_count, -1)[:, 0])


@pytest.mark.parametrize("case", range(24))
def test_the_trees_of_scikit_learns_forest(case: int) -> None:
    rng = np.random.default_rng(case)
    n, k = int(rng.integers(2, 300)), int(rng.integers(1, 9))
    X = rng.normal(size=(n, k))
    y = rng.normal(size=n)
    if case % 3 == 0:  # ties and a one-hot column
        X = np.round(X, 1)
        X[:, 0] = rng.integers(0, 2, n)
    if case % 4 == 0:
        X[:, -1] = 0.25  # a constant column
        y = np.round(y, 1)
    depth = 64 if case % 5 else 3
    assert_same_trees(X, y, seed=int(rng.integers(0, 2**31 - 1)), n_trees=6, depth=depth)


def test_a_search_shaped_forest() -> None:
    """200 trials of numeric and one-hot columns, 64 trees of depth 64 (the importance's)."""
    rng = np.random.default_rng(7)
    onehot = np.eye(3)[rng.integers(0, 3, 200)]
    X = np.hstack([rng.uniform(0.05, 0.4, (200, 1)), rng.integers(21, 127, (200, 1)), onehot])
    y = np.round(np.sin(10 * X[:, 0]) + X[:, 2] + rng.normal(0, 0.1, 200), 10)
    assert_same_trees(X, y, seed=0, n_trees=64, depth=64)


@pytest.mark.parametrize("kind", ["random", "ties", "sorted", "reversed", "organ_pipe", "small"])
def test_the_sort_of_scikit_learn(kind: str) -> None:
    """The introsort of a node's samples orders them (ties included) as scikit-learn's does, down
    to its heapsort (patterns that defeat the median of three) and its insertion sort."""
    from sklearn.utils._sorting import _py_simultaneous_sort

    from quant.forest import _sort

    rng = np.random.default_rng(3)
    n = 15 if kind == "small" else 2000
    values = rng.normal(size=n)
    if kind == "ties":
        values = np.round(values, 0)
    elif kind == "sorted":
        values = np.sort(values)
    elif kind == "reversed":
        values = -np.sort(values)
    elif kind == "organ_pipe":
        values = np.concatenate([np.arange(n // 2), np.arange(n // 2)[::-1]]).astype(float)
    theirs, ours = values.astype(np.float32), values.astype(np.float32)
    their_index, our_index = np.arange(n, dtype=np.intp), np.arange(n, dtype=np.intp)
    _py_simultaneous_sort(theirs, their_index, n, use_three_way_partition=True)
    _sort(ours, our_index, 0, n)
    np.testing.assert_array_equal(our_index, their_index)
    np.testing.assert_array_equal(ours, theirs)
