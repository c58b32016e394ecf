"""Extremely randomized trees (Geurts, Ernst and Wehenkel, "Extremely randomized trees",
Machine Learning 63, 2006) for several outputs at once: the learner of the strategy model.

Each tree grows on a subsample of at most `max_samples` rows drawn without replacement; at a
node it draws up to `max_features` features at random (those constant in the node do not
count), a threshold uniformly between each one's smallest and largest value in the node, and
keeps the split with the largest decrease of the summed squared error over every output
(outputs standardised first, so each weighs alike); a node of fewer than `2 x min_samples_leaf`
rows, or at `max_depth`, is a leaf, and a split may not leave a child with fewer than
`min_samples_leaf` rows. No sorting: a node's cost is linear in its rows, so a tree of n rows
grows in O(n log n) for any number of features, which is why it trains on every search where
the sorting forest of `quant.forest` would take seconds (docs/strategy-model.md).

`fit_extra_trees(X, Y, ...)` gives a `TreeEnsemble` (every tree's nodes in one set of arrays);
`predict_trees(ensemble, X)` each tree's predictions, [trees, rows, outputs], in Y's units;
`mean_trees(ensemble, X)` their mean over the trees, [rows, outputs]: each row's tree values
added in tree order and divided by the number of trees, the numbers of
`predict_trees(ensemble, X).mean(axis=0)` (whenever it has more than one value per tree) without
the [trees, rows, outputs] array (what ranking thousands of rows needs,
`quant.strategy_model.StrategyModel.mean`). The same inputs and seed give the same trees.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass

import numba
import numpy as np
from numba import prange

from quant.compiled import kernel


@dataclass(frozen=True)
class TreeEnsemble:
    """The trees' nodes, tree after tree: children (absolute node indexes, -1 at a leaf), the
    split's feature (-1 at a leaf) and threshold (a row goes left when its value is <= it),
    and every node's value [nodes, outputs] in Y's units; `roots` [trees] is where each tree
    starts."""

    left: np.ndarray
    right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray
    roots: np.ndarray

    @property
    def n_trees(self) -> int:
        """Number of trees."""
        return len(self.roots)

    @property
    def n_outputs(self) -> int:
        """Outputs each tree predicts."""
        return int(self.value.shape[1])

    @functools.cached_property
    def compact(self) -> tuple[np.ndarray, np.ndarray] | None:
        """The walk's node arrays in 32 bits, ``(left, feature)``, when every split's right
        child follows its left one (``right == left + 1``, as `fit_extra_trees` numbers them)
        and the indexes fit; None otherwise. Computed once per ensemble."""
        split = self.left >= 0
        adjacent = np.array_equal(self.right[split], self.left[split] + 1)
        if not adjacent or len(self.left) >= 2**31 or int(self.feature.max(initial=0)) >= 2**31:
            return None
        return self.left.astype(np.int32), self.feature.astype(np.int32)


@kernel()
def _next(state: np.ndarray) -> np.uint64:
    """xorshift64* step of the generator `state` (one uint64)."""
    x = state[0]
    x ^= x >> np.uint64(12)
    x ^= x << np.uint64(25)
    x ^= x >> np.uint64(27)
    state[0] = x
    return x * np.uint64(2685821657736338717)


@kernel()
def _uniform(state: np.ndarray) -> float:
    """A float in [0, 1) from the generator."""
    return float(_next(state) >> np.uint64(11)) / 9007199254740992.0


@kernel()
def _partition(
    X: np.ndarray, rows: np.ndarray, start: int, end: int, split: int, cut: float
) -> int:
    """Reorder rows[start:end] so that those with X[row, split] <= cut come first; where the
    others start."""
    i, j = start, end - 1
    while i <= j:
        if X[rows[i], split] <= cut:
            i += 1
        else:
            rows[i], rows[j] = rows[j], rows[i]
            j -= 1
    return i


@kernel()
def _grow(
    X: np.ndarray,
    Y: np.ndarray,
    rows: np.ndarray,
    state: np.ndarray,
    max_features: int,
    min_leaf: int,
    max_depth: int,
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
) -> int:
    """Grow one tree on `rows` of X [n, d], Y [n, m] (standardised) into the node arrays;
    the number of nodes."""
    n_features, n_outputs = X.shape[1], Y.shape[1]
    stack = np.empty((2 * len(rows) + 2, 4), dtype=np.int64)  # start, end, depth, node
    order = np.arange(n_features)
    sums = np.empty(n_outputs)
    left_sums = np.empty(n_outputs)
    count = 1
    stack[0, 0], stack[0, 1], stack[0, 2], stack[0, 3] = 0, len(rows), 0, 0
    top = 1
    while top > 0:
        top -= 1
        start, end, depth, node = stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3]
        size = end - start
        sums[:] = 0.0
        for i in range(start, end):
            for o in range(n_outputs):
                sums[o] += Y[rows[i], o]
        for o in range(n_outputs):
            value[node, o] = sums[o] / size
        left[node], right[node], feature[node], threshold[node] = -1, -1, -1, 0.0
        if size < 2 * min_leaf or depth >= max_depth:
            continue
        best_score, best_feature, best_threshold = -1.0, -1, 0.0
        tried, remaining = 0, n_features
        while tried < max_features and remaining > 0:
            pick = int(_next(state) % np.uint64(remaining))
            remaining -= 1
            order[pick], order[remaining] = order[remaining], order[pick]
            f = int(order[remaining])
            low, high = X[rows[start], f], X[rows[start], f]
            for i in range(start + 1, end):
                v = X[rows[i], f]
                low = min(low, v)
                high = max(high, v)
            if high - low <= 1e-12 * max(1.0, abs(low), abs(high)):
                continue  # constant in this node: not a candidate
            tried += 1
            cut = low + _uniform(state) * (high - low)
            n_left = 0
            left_sums[:] = 0.0
            for i in range(start, end):
                if X[rows[i], f] <= cut:
                    n_left += 1
                    for o in range(n_outputs):
                        left_sums[o] += Y[rows[i], o]
            n_right = size - n_left
            if n_left < min_leaf or n_right < min_leaf:
                continue
            score = 0.0
            for o in range(n_outputs):
                right_sum = sums[o] - left_sums[o]
                score += left_sums[o] * left_sums[o] / n_left + right_sum * right_sum / n_right
            if score > best_score:
                best_score, best_feature, best_threshold = score, f, cut
        if best_feature < 0:
            continue
        i = _partition(X, rows, start, end, best_feature, best_threshold)
        feature[node], threshold[node] = best_feature, best_threshold
        left[node], right[node] = count, count + 1
        stack[top, 0], stack[top, 1], stack[top, 2], stack[top, 3] = i, end, depth + 1, count + 1
        stack[top + 1, 0], stack[top + 1, 1] = start, i
        stack[top + 1, 2], stack[top + 1, 3] = depth + 1, count
        top += 2
        count += 2
    return count


def fit_extra_trees(
    X: np.ndarray,
    Y: np.ndarray,
    *,
    n_trees: int = 48,
    max_features: int | None = None,
    min_samples_leaf: int = 2,
    max_depth: int = 24,
    max_samples: int = 4096,
    output_weights: np.ndarray | None = None,
    seed: int = 0,
) -> TreeEnsemble:
    """The trees fitted to X [rows, features] and Y [rows, outputs] (see the module
    docstring). `max_features`: features tried per node (default: all, as Geurts et al.
    recommend for regression). `output_weights` [outputs]: how much each standardised
    output's squared error counts in a split (default: alike)."""
    features = np.ascontiguousarray(X, dtype=np.float64)
    targets = np.ascontiguousarray(Y, dtype=np.float64)
    if targets.ndim != 2 or features.ndim != 2 or len(features) != len(targets):
        raise ValueError(
            f"X must be [rows, features] and Y [rows, outputs] with the same rows, got "
            f"{features.shape} and {targets.shape}"
        )
    if len(features) < 2 * min_samples_leaf:
        raise ValueError(f"need at least {2 * min_samples_leaf} rows, got {len(features)}")
    centre = targets.mean(axis=0)
    scale = targets.std(axis=0)
    scale[scale <= 0] = 1.0
    if output_weights is not None:
        scale = scale / np.sqrt(np.asarray(output_weights, dtype=np.float64))
    standard = (targets - centre) / scale
    tried = features.shape[1] if max_features is None else max(1, min(max_features, X.shape[1]))
    size = min(len(features), max_samples)
    seeds = np.random.SeedSequence(seed).spawn(n_trees)
    parts: list[tuple[np.ndarray, ...]] = []
    for tree_seed in seeds:
        rows = (
            np.arange(size, dtype=np.int64)  # a draw of every row, sorted: each row once
            if size == len(features)
            else np.sort(
                np.random.default_rng(tree_seed).choice(len(features), size=size, replace=False)
            ).astype(np.int64)
        )
        state = np.array([tree_seed.generate_state(1, np.uint64)[0] | np.uint64(1)])
        capacity = 2 * size + 1
        left = np.empty(capacity, np.int64)
        right = np.empty(capacity, np.int64)
        feature = np.empty(capacity, np.int64)
        threshold = np.empty(capacity, np.float64)
        value = np.empty((capacity, standard.shape[1]), np.float64)
        count = _grow(
            features, standard, rows, state, tried, min_samples_leaf, max_depth,
            left, right, feature, threshold, value,
        )  # fmt: skip
        parts.append((left[:count], right[:count], feature[:count], threshold[:count],
                      value[:count]))  # fmt: skip
    offsets = np.cumsum([0] + [len(p[0]) for p in parts[:-1]])
    shifted = list(zip(parts, offsets, strict=True))
    return TreeEnsemble(
        left=np.concatenate([np.where(p[0] >= 0, p[0] + o, -1) for p, o in shifted]),
        right=np.concatenate([np.where(p[1] >= 0, p[1] + o, -1) for p, o in shifted]),
        feature=np.concatenate([p[2] for p in parts]),
        threshold=np.concatenate([p[3] for p in parts]),
        value=np.concatenate([p[4] for p in parts]) * scale + centre,
        roots=offsets.astype(np.int64),
    )


@kernel(parallel=True)
def _predict(
    left: np.ndarray,
    right: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    roots: np.ndarray,
    X: np.ndarray,
    out: np.ndarray,
) -> None:
    """Each tree's value for each row of X into out [trees, rows, outputs]; the trees are
    shared among the threads (each tree's nodes stay in its thread's cache over the rows)."""
    for t in prange(len(roots)):
        for r in range(X.shape[0]):
            node = roots[t]
            while left[node] >= 0:
                node = left[node] if X[r, feature[node]] <= threshold[node] else right[node]
            out[t, r, :] = value[node, :]


_BLOCK = 1024
"""Rows `_mean_rows` takes through every tree before the next rows: a tree's nodes stay in the
cache while they walk it."""


@kernel()
def _mean_rows(
    left: np.ndarray,
    feature: np.ndarray,
    threshold: np.ndarray,
    value: np.ndarray,
    roots: np.ndarray,
    X: np.ndarray,
    start: int,
    end: int,
    out: np.ndarray,
) -> None:
    """The trees' mean value for rows start:end of X into out [rows, outputs], a node's right
    child at left + 1. Per row, the trees' values are added in tree order from the first one's,
    then divided by the number of trees: the operations, in the same order, of numpy's
    ``predict_trees(...).mean(axis=0)`` when a tree gives more than one value (numpy then adds
    the trees' slices one after the other; a single column it would sum pairwise). Rows go
    `_BLOCK` at a time through one tree after the other, four in step (independent walks overlap
    their memory reads); a row goes right unless its value is <= the threshold (a NaN goes
    right, as in `_predict`)."""
    n_trees, n_outputs = len(roots), value.shape[1]
    for block in range(start, end, _BLOCK):
        stop = min(block + _BLOCK, end)
        for t in range(n_trees):
            root = roots[t]
            r = block
            while r < stop:
                lanes = min(4, stop - r)
                n0 = n1 = n2 = n3 = root
                while True:
                    l0, l1 = left[n0], left[n1] if lanes > 1 else -1
                    l2, l3 = left[n2] if lanes > 2 else -1, left[n3] if lanes > 3 else -1
                    if l0 < 0 and l1 < 0 and l2 < 0 and l3 < 0:
                        break
                    if l0 >= 0:
                        n0 = l0 + (0 if X[r, feature[n0]] <= threshold[n0] else 1)
                    if l1 >= 0:
                        n1 = l1 + (0 if X[r + 1, feature[n1]] <= threshold[n1] else 1)
                    if l2 >= 0:
                        n2 = l2 + (0 if X[r + 2, feature[n2]] <= threshold[n2] else 1)
                    if l3 >= 0:
                        n3 = l3 + (0 if X[r + 3, feature[n3]] <= threshold[n3] else 1)
                for lane in range(lanes):
                    node = (n0, n1, n2, n3)[lane]
                    for o in range(n_outputs):
                        if t == 0:
                            out[r + lane, o] = value[node, o]
                        else:
                            out[r + lane, o] += value[node, o]
                r += lanes
        for r in range(block, stop):
            for o in range(n_outputs):
                out[r, o] = out[r, o] / n_trees


def mean_trees(ensemble: TreeEnsemble, X: np.ndarray) -> np.ndarray:
    """The trees' mean prediction for each row of X, [rows, outputs]: each row's tree values
    added in tree order, divided by the number of trees (`_mean_rows`), bit for bit the numbers
    of ``predict_trees(ensemble, X).mean(axis=0)`` whenever that has more than one value per
    tree, at a fraction of its time and memory (an ensemble whose right children do not follow
    their left ones, `TreeEnsemble.compact` None, takes that path). The rows are shared among
    numba's threads (`numba.get_num_threads`), each walking its own rows through every tree
    (`_mean_rows`); a row's value does not depend on the sharing."""
    rows = np.ascontiguousarray(X, dtype=np.float64)
    compact = ensemble.compact
    if compact is None or ensemble.n_trees == 0:
        return predict_trees(ensemble, rows).mean(axis=0)
    left, feature = compact
    out = np.empty((len(rows), ensemble.n_outputs))
    value = np.ascontiguousarray(ensemble.value, dtype=np.float64)

    def walk(start: int, end: int) -> None:
        _mean_rows(left, feature, ensemble.threshold, value, ensemble.roots, rows, start, end, out)

    shares = max(1, min(numba.get_num_threads(), len(rows) // _BLOCK))
    bounds = [len(rows) * i // shares for i in range(shares + 1)]
    helpers = [
        threading.Thread(target=walk, args=(bounds[i], bounds[i + 1]), name="mean-trees")
        for i in range(1, shares)
    ]
    for helper in helpers:
        helper.start()
    walk(bounds[0], bounds[1])
    for helper in helpers:
        helper.join()
    return out


def warm_up() -> None:
    """Compile (or load from the cache) the kernels: a tiny ensemble grown and applied."""
    rng = np.random.default_rng(0)
    X, Y = rng.normal(size=(16, 3)), rng.normal(size=(16, 2))
    ensemble = fit_extra_trees(X, Y, n_trees=1)
    predict_trees(ensemble, X[:2])
    mean_trees(ensemble, X[:2])


def predict_trees(ensemble: TreeEnsemble, X: np.ndarray) -> np.ndarray:
    """Each tree's prediction for each row of X: [trees, rows, outputs]."""
    rows = np.ascontiguousarray(X, dtype=np.float64)
    out = np.empty((ensemble.n_trees, len(rows), ensemble.n_outputs))
    _predict(
        ensemble.left, ensemble.right, ensemble.feature, ensemble.threshold, ensemble.value,
        ensemble.roots, rows, out,
    )  # fmt: skip
    return out
