"""A random forest of regression trees, fitted exactly as scikit-learn's `RandomForestRegressor`
fits one with squared error, bootstrap samples, every feature tried at each split and no other
limit than a depth (`fit_forest`): the same trees, split for split and bit for bit, without
importing scikit-learn (whose import alone takes longer than a search's importance step).

What it reproduces (scikit-learn 1.x's forest, `DepthFirstTreeBuilder`, `BestSplitter`,
`DensePartitioner` and `MSE` criterion): each tree's seed is the forest's `RandomState` drawing
``randint(2**31 - 1)``; the bootstrap counts of a tree are the sample weights (samples drawn
zero times left out); features are float32; the features of a node are visited in the order of
the splitter's xorshift generator (`_rand_int`), constant ones remembered for the node's
descendants; a node's samples are sorted by the feature with the introsort of
`sklearn.utils._sorting` (three-way partitions; ties keep its order, which the sums follow);
sums run in the criterion's order (forward from the left, or back from the right when that is
shorter). tests/quant/test_forest.py compares the trees with scikit-learn's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from quant.compiled import kernel

RAND_R_MAX = 2147483647
"""The largest value of scikit-learn's tree generator (2**31 - 1)."""
FEATURE_THRESHOLD = np.float32(1e-7)
"""Feature values closer than this are one value (no split between them)."""
EPSILON = float(np.finfo(np.float64).eps)
"""A node whose impurity is at most this is a leaf."""
_SUM, _SQ, _WEIGHT, _LEFT_SUM, _LEFT_WEIGHT, _RIGHT_SUM, _RIGHT_WEIGHT = range(7)
"""The criterion's state in `_grow`'s float array: the node's weighted sum of y, of y squared
and its weight; the left child's sum and weight; the right child's."""


@dataclass(frozen=True)
class Tree:
    """A fitted tree as arrays over its nodes (depth-first, left child first): children
    (-1 at a leaf), the split's feature (-2 at a leaf) and threshold (a sample goes left when
    its value is <= threshold), and the node's value (its samples' weighted mean)."""

    children_left: np.ndarray
    children_right: np.ndarray
    feature: np.ndarray
    threshold: np.ndarray
    value: np.ndarray

    @property
    def node_count(self) -> int:
        """Number of nodes."""
        return len(self.value)


def fit_forest(
    X: np.ndarray, y: np.ndarray, *, n_trees: int, max_depth: int, seed: int
) -> list[Tree]:
    """The trees of ``RandomForestRegressor(n_estimators=n_trees, max_depth=max_depth,
    random_state=seed)`` fitted to `X` (samples x features) and `y` (see the module docstring)."""
    features = np.ascontiguousarray(X, dtype=np.float32)
    target = np.ascontiguousarray(y, dtype=np.float64)
    n = len(target)
    forest_state = np.random.RandomState(seed)
    seeds = [forest_state.randint(np.iinfo(np.int32).max) for _ in range(n_trees)]
    trees = []
    for tree_seed in seeds:
        weights = np.bincount(np.random.RandomState(tree_seed).randint(0, n, n), minlength=n)
        generator = int(np.random.RandomState(tree_seed).randint(0, RAND_R_MAX))
        arrays = _grow(features, target, weights.astype(np.float64), generator, max_depth)
        count = int(arrays[5])
        left, right, feature, threshold, value = (a[:count] for a in arrays[:5])
        trees.append(Tree(left, right, feature, threshold, value))
    return trees


@kernel()
def _rand_int(low: int, high: int, state: np.ndarray) -> int:
    """scikit-learn's `rand_int`: low + (xorshift of the state) % (high - low)."""
    s = state[0]
    if s == 0:
        s = 1
    s ^= (s << 13) & 0xFFFFFFFF
    s ^= s >> 17
    s ^= (s << 5) & 0xFFFFFFFF
    state[0] = s
    return low + (s % (RAND_R_MAX + 1)) % (high - low)


@kernel()
def _swap(values: np.ndarray, index: np.ndarray, i: int, j: int) -> None:
    """Swap items i and j of `values` and of `index`."""
    values[i], values[j] = values[j], values[i]
    index[i], index[j] = index[j], index[i]


@kernel()
def _heapsort(values: np.ndarray, index: np.ndarray, lo: int, n: int) -> None:
    """scikit-learn's heapsort of values[lo:lo + n] (with `index`)."""
    start, end = (n - 2) // 2, n
    while True:
        _sift_down(values, index, lo, start, end)
        if start == 0:
            break
        start -= 1
    end = n - 1
    while end > 0:
        _swap(values, index, lo, lo + end)
        _sift_down(values, index, lo, 0, end)
        end -= 1


@kernel()
def _sift_down(values: np.ndarray, index: np.ndarray, lo: int, start: int, end: int) -> None:
    """Restore the heap order of values[lo + start:lo + end], moving its largest item first."""
    root = start
    while True:
        child = root * 2 + 1
        top = root
        if child < end and values[lo + top] < values[lo + child]:
            top = child
        if child + 1 < end and values[lo + top] < values[lo + child + 1]:
            top = child + 1
        if top == root:
            break
        _swap(values, index, lo + root, lo + top)
        root = top


@kernel()
def _median3(values: np.ndarray, lo: int, n: int) -> float:
    """The median of the first, middle and last of values[lo:lo + n] (Bentley and McIlroy)."""
    a, b, c = values[lo], values[lo + n // 2], values[lo + n - 1]
    if a < b:
        if b < c:
            return b
        return c if a < c else a
    if b < c:
        return a if a < c else c
    return b


@kernel()
def _insertion_sort(values: np.ndarray, index: np.ndarray, lo: int, n: int) -> None:
    """Insertion sort of values[lo:lo + n] (with `index`)."""
    for i in range(1, n):
        value, position = values[lo + i], index[lo + i]
        j = i
        while j > 0 and values[lo + j - 1] > value:
            values[lo + j] = values[lo + j - 1]
            index[lo + j] = index[lo + j - 1]
            j -= 1
        values[lo + j] = value
        index[lo + j] = position


@kernel()
def _sort(values: np.ndarray, index: np.ndarray, lo: int, n: int) -> None:
    """scikit-learn's `simultaneous_sort(..., use_three_way_partition=True)` of
    values[lo:lo + n] with `index`: introsort with median-of-three pivots and three-way
    partitions, heapsort past depth 2 log2(n), insertion sort at 15 or fewer. Its recursion
    is a stack here: the parts are disjoint, so the order they are sorted in changes nothing."""
    if n == 0:
        return
    stack = np.empty((2 * n + 2, 3), dtype=np.int64)
    stack[0, 0], stack[0, 1], stack[0, 2] = lo, n, 2 * int(np.log2(n))
    top = 1
    while top:
        top -= 1
        lo, n, depth = stack[top, 0], stack[top, 1], stack[top, 2]
        while n > 15:
            if depth <= 0:
                _heapsort(values, index, lo, n)
                n = 0
                break
            depth -= 1
            pivot = _median3(values, lo, n)
            i = left = 0
            right = n
            while i < right:
                if values[lo + i] < pivot:
                    _swap(values, index, lo + i, lo + left)
                    i += 1
                    left += 1
                elif values[lo + i] > pivot:
                    right -= 1
                    _swap(values, index, lo + i, lo + right)
                else:
                    i += 1
            stack[top, 0], stack[top, 1], stack[top, 2] = lo, left, depth
            top += 1
            lo, n = lo + right, n - right
        _insertion_sort(values, index, lo, n)


@kernel()
def _node_reset(
    crit: np.ndarray, y: np.ndarray, w: np.ndarray, samples: np.ndarray, start: int, end: int
) -> None:
    """The criterion's `init` on samples[start:end], then `reset` (pos = start)."""
    total = square = weight = 0.0
    for p in range(start, end):
        i = samples[p]
        w_y = w[i] * y[i]
        total += w_y
        square += w_y * y[i]
        weight += w[i]
    crit[_SUM], crit[_SQ], crit[_WEIGHT] = total, square, weight
    _reset(crit)


@kernel()
def _reset(crit: np.ndarray) -> None:
    """The criterion's `reset`: every sample in the right child."""
    crit[_LEFT_SUM], crit[_LEFT_WEIGHT] = 0.0, 0.0
    crit[_RIGHT_SUM], crit[_RIGHT_WEIGHT] = crit[_SUM], crit[_WEIGHT]


@kernel()
def _update(
    crit: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    samples: np.ndarray,
    end: int,
    pos: int,
    new_pos: int,
) -> None:
    """The criterion's `update`: samples[pos:new_pos] move to the left child, summed forward,
    or (when the rest is shorter) the left child is everything less samples[new_pos:end]."""
    if new_pos - pos <= end - new_pos:
        for p in range(pos, new_pos):
            i = samples[p]
            crit[_LEFT_SUM] += w[i] * y[i]
            crit[_LEFT_WEIGHT] += w[i]
    else:
        crit[_LEFT_SUM], crit[_LEFT_WEIGHT] = crit[_SUM], crit[_WEIGHT]
        for p in range(end - 1, new_pos - 1, -1):
            i = samples[p]
            crit[_LEFT_SUM] -= w[i] * y[i]
            crit[_LEFT_WEIGHT] -= w[i]
    crit[_RIGHT_WEIGHT] = crit[_WEIGHT] - crit[_LEFT_WEIGHT]
    crit[_RIGHT_SUM] = crit[_SUM] - crit[_LEFT_SUM]


@kernel()
def _children_impurity(
    crit: np.ndarray, y: np.ndarray, w: np.ndarray, samples: np.ndarray, start: int, pos: int
) -> tuple[float, float]:
    """The criterion's `children_impurity`: the left and right children's weighted variances
    of y at the split position `pos` (after `_update` to it)."""
    square = 0.0
    for p in range(start, pos):
        i = samples[p]
        square += w[i] * y[i] * y[i]
    left = square / crit[_LEFT_WEIGHT] - (crit[_LEFT_SUM] / crit[_LEFT_WEIGHT]) ** 2.0
    right = (crit[_SQ] - square) / crit[_RIGHT_WEIGHT] - (
        crit[_RIGHT_SUM] / crit[_RIGHT_WEIGHT]
    ) ** 2.0
    return left, right


@kernel()
def _scan(
    crit: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    samples: np.ndarray,
    fv: np.ndarray,
    start: int,
    end: int,
    best: float,
) -> tuple[float, int, float]:
    """The best split of samples[start:end] sorted by one feature (values `fv`) whose proxy
    improvement beats `best`: (proxy, position, threshold); position -1 if none does."""
    _reset(crit)
    found, position, threshold = best, -1, 0.0
    pos = p = start
    while p < end:
        p += 1
        while p < end and fv[p] <= fv[p - 1] + FEATURE_THRESHOLD:
            p += 1
        previous = p - 1
        if p == end:
            continue
        _update(crit, y, w, samples, end, pos, p)
        pos = p
        if crit[_LEFT_WEIGHT] < 0.0 or crit[_RIGHT_WEIGHT] < 0.0:
            continue
        proxy = (
            crit[_LEFT_SUM] * crit[_LEFT_SUM] / crit[_LEFT_WEIGHT]
            + crit[_RIGHT_SUM] * crit[_RIGHT_SUM] / crit[_RIGHT_WEIGHT]
        )
        if proxy > found:
            found, position = proxy, p
            threshold = np.float64(fv[previous]) / 2.0 + np.float64(fv[p]) / 2.0
    return found, position, threshold


@kernel()
def _node_split(
    X: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    samples: np.ndarray,
    fv: np.ndarray,
    features: np.ndarray,
    constant: np.ndarray,
    state: np.ndarray,
    crit: np.ndarray,
    start: int,
    end: int,
    n_known: int,
) -> tuple[int, int, float, int]:
    """`BestSplitter.node_split` on samples[start:end] (every feature tried, in the generator's
    order; `n_known` constant ones first): (position, feature, threshold, constant features
    now known); position `end` when no split is found. Samples are left partitioned."""
    n_features = len(features)
    best, best_pos, best_feature, best_threshold = -np.inf, end, 0, 0.0
    f_i, visited, found_constants, drawn_constants = n_features, 0, 0, 0
    total_constants = n_known
    while f_i > total_constants and (
        visited < n_features or visited <= found_constants + drawn_constants
    ):
        visited += 1
        f_j = _rand_int(drawn_constants, f_i - found_constants, state)
        if f_j < n_known:
            features[drawn_constants], features[f_j] = features[f_j], features[drawn_constants]
            drawn_constants += 1
            continue
        f_j += found_constants
        feature = features[f_j]
        for p in range(start, end):
            fv[p] = X[samples[p], feature]
        _sort(fv, samples, start, end - start)
        if fv[end - 1] <= fv[start] + FEATURE_THRESHOLD:
            features[f_j], features[total_constants] = features[total_constants], features[f_j]
            found_constants += 1
            total_constants += 1
            continue
        f_i -= 1
        features[f_i], features[f_j] = features[f_j], features[f_i]
        proxy, position, threshold = _scan(crit, y, w, samples, fv, start, end, best)
        if position >= 0:
            best, best_pos, best_feature, best_threshold = proxy, position, feature, threshold
    if best_pos < end:
        low, high = start, end
        while low < high:
            if np.float64(X[samples[low], best_feature]) <= best_threshold:
                low += 1
            else:
                high -= 1
                samples[low], samples[high] = samples[high], samples[low]
    features[:n_known] = constant[:n_known]
    constant[n_known:total_constants] = features[n_known:total_constants]
    return best_pos, best_feature, best_threshold, total_constants


@kernel()
def _grow(
    X: np.ndarray, y: np.ndarray, w: np.ndarray, generator: int, max_depth: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    """`DepthFirstTreeBuilder.build` with the splitter of `_node_split` (min_samples_split 2,
    min_samples_leaf 1, no weight or impurity-decrease limit): left, right, feature,
    threshold, value and the node count."""
    samples = np.flatnonzero(w != 0.0)
    n_samples = len(samples)
    total_weight = 0.0
    for i in range(len(w)):
        total_weight += w[i]
    features = np.arange(X.shape[1])
    constant = np.empty(X.shape[1], dtype=np.int64)
    fv = np.empty(len(w), dtype=np.float32)
    state = np.array([generator], dtype=np.int64)
    crit = np.zeros(7)
    capacity = 2 * n_samples + 1
    left = np.full(capacity, -1, dtype=np.int64)
    right = np.full(capacity, -1, dtype=np.int64)
    feature = np.full(capacity, -2, dtype=np.int64)
    threshold = np.full(capacity, -2.0)
    value = np.zeros(capacity)
    records = np.empty(
        (capacity, 6), dtype=np.int64
    )  # start, end, depth, parent, is_left, n_constant
    impurities = np.empty(capacity)
    _push(records, impurities, 0, 0, n_samples, 0, -1, 0, 0, np.inf)
    top, count = 1, 0
    while top:
        top -= 1
        start, end, depth, parent = (
            records[top, 0],
            records[top, 1],
            records[top, 2],
            records[top, 3],
        )
        is_left, n_constant, impurity = records[top, 4], records[top, 5], impurities[top]
        pos, split, cut, improvement = end, 0, 0.0, -np.inf
        impurity_left = impurity_right = np.inf
        _node_reset(crit, y, w, samples, start, end)
        leaf = depth >= max_depth or end - start < 2 or crit[_WEIGHT] < 0.0
        if count == 0:
            impurity = crit[_SQ] / crit[_WEIGHT] - (crit[_SUM] / crit[_WEIGHT]) ** 2.0
        leaf = leaf or impurity <= EPSILON
        if not leaf:
            pos, split, cut, n_constant = _node_split(
                X, y, w, samples, fv, features, constant, state, crit, start, end, n_constant
            )
            if pos < end:
                impurity_left, impurity_right, improvement = _children(
                    crit, y, w, samples, start, end, pos, impurity, total_weight
                )
            leaf = pos >= end or improvement + EPSILON < 0.0
        node = count
        count += 1
        if parent >= 0:
            if is_left:
                left[parent] = node
            else:
                right[parent] = node
        value[node] = crit[_SUM] / crit[_WEIGHT]
        if not leaf:
            feature[node], threshold[node] = split, cut
            _push(records, impurities, top, pos, end, depth + 1, node, 0, n_constant, impurity_right)  # fmt: skip
            _push(records, impurities, top + 1, start, pos, depth + 1, node, 1, n_constant, impurity_left)  # fmt: skip
            top += 2
    return left, right, feature, threshold, value, count


@kernel()
def _push(
    records: np.ndarray,
    impurities: np.ndarray,
    at: int,
    start: int,
    end: int,
    depth: int,
    parent: int,
    is_left: int,
    n_constant: int,
    impurity: float,
) -> None:
    """Write a node to grow at `at` of `_grow`'s stack."""
    records[at, 0], records[at, 1], records[at, 2] = start, end, depth
    records[at, 3], records[at, 4], records[at, 5] = parent, is_left, n_constant
    impurities[at] = impurity


@kernel()
def _children(
    crit: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    samples: np.ndarray,
    start: int,
    end: int,
    pos: int,
    impurity: float,
    total_weight: float,
) -> tuple[float, float, float]:
    """The children's impurities of the split of samples[start:end] at `pos` and its
    improvement (the criterion's `impurity_improvement`), summed as scikit-learn does."""
    _reset(crit)
    _update(crit, y, w, samples, end, start, pos)
    impurity_left, impurity_right = _children_impurity(crit, y, w, samples, start, pos)
    improvement = (crit[_WEIGHT] / total_weight) * (
        impurity
        - (crit[_RIGHT_WEIGHT] / crit[_WEIGHT] * impurity_right)
        - (crit[_LEFT_WEIGHT] / crit[_WEIGHT] * impurity_left)
    )
    return impurity_left, impurity_right, improvement
