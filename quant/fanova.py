"""Functional ANOVA of a search's objective: how much of its variance each parameter explains
alone (Hutter, Hoos and Leyton-Brown, "An Efficient Approach for Assessing Hyperparameter
Importance", ICML 2014), on a random forest fitted to the trials.

The trials' parameters are encoded as Optuna's fANOVA encodes them (raw values of numeric
parameters within their [low, high] bounds; a categorical parameter one-hot, each column within
[0, 1]), and a random forest (64 trees, depth 64, bootstrap, seeded) is fitted to the objective:
`quant.forest`, the trees scikit-learn's `RandomForestRegressor` fits, bit for bit, without
importing it. Each tree is a piecewise-constant function over the box of the bounds; for a
parameter p (its columns), its marginal m_p(x) is the tree averaged uniformly over every
other column, and its importance in that tree is Var_x(m_p) / Var(tree), both over the uniform
distribution on the box. A parameter's importance is the mean of that fraction over the trees
with a positive variance. This is the quantity `optuna.importance.FanovaImportanceEvaluator`
computes (tested equal to 1e-9 on the same trials and seed), computed here from each tree's leaf
boxes with array operations instead of a traversal per evaluation point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from quant.forest import Tree, fit_forest

N_TREES = 64
MAX_DEPTH = 64


@dataclass(frozen=True)
class EncodedSpace:
    """Trials encoded for the forest: `X` (trials x columns), the columns' `bounds` (columns x
    2: low, high) and each parameter's columns (`columns[name]`)."""

    X: np.ndarray
    bounds: np.ndarray
    columns: dict[str, np.ndarray]


def encode(
    values: Mapping[str, Sequence[object]],
    ranges: Mapping[str, tuple[float, float] | Sequence[object]],
) -> EncodedSpace:
    """Encode the trials' parameter `values` (name -> one value per trial) given each
    parameter's range: a (low, high) pair of numbers, or a list of choices (one-hot); columns
    in the order of `ranges` (Optuna's fANOVA orders parameters by name, and the forest's ties
    follow the column order)."""
    blocks, bounds, columns = [], [], {}
    width = 0
    for name, spec in ranges.items():
        column = list(values[name])
        if isinstance(spec, tuple):
            blocks.append(np.asarray(column, dtype=np.float64)[:, None])
            bounds.append([float(spec[0]), float(spec[1])])
            columns[name] = np.array([width])
            width += 1
            continue
        choices = list(spec)
        onehot = np.zeros((len(column), len(choices)))
        onehot[np.arange(len(column)), [choices.index(v) for v in column]] = 1.0
        blocks.append(onehot)
        bounds += [[0.0, 1.0]] * len(choices)
        columns[name] = np.arange(width, width + len(choices))
        width += len(choices)
    return EncodedSpace(np.hstack(blocks), np.asarray(bounds, dtype=np.float64), columns)


def fanova_importance(space: EncodedSpace, objective: np.ndarray, *, seed: int) -> dict[str, float]:
    """Each parameter's importance (see the module docstring), not normalised."""
    trees = fit_forest(
        space.X, np.asarray(objective, dtype=np.float64), n_trees=N_TREES, max_depth=MAX_DEPTH,
        seed=seed,
    )  # fmt: skip
    fractions: dict[str, list[float]] = {name: [] for name in space.columns}
    for tree in trees:
        lower, upper, value = _leaf_boxes(tree, space.bounds)
        volume = np.prod(upper - lower, axis=1)
        mean = np.average(value, weights=volume)
        variance = float(np.average((value - mean) ** 2, weights=volume))
        if variance <= 0.0:
            continue
        for name, columns in space.columns.items():
            marginal = _marginal_variance(lower, upper, value, space.bounds, columns)
            fractions[name].append(max(marginal, 0.0) / variance)
    return {name: float(np.mean(f)) if f else 0.0 for name, f in fractions.items()}


def _leaf_boxes(tree: Tree, bounds: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leaves of a fitted tree as boxes inside `bounds`: lower and upper corners (leaves x
    columns) and the leaf values; the boxes are narrowed a level at a time (a left child keeps
    x <= threshold, a right child x > threshold)."""
    left, right = tree.children_left, tree.children_right
    feature, threshold, values = tree.feature, tree.threshold, tree.value
    count = tree.node_count
    lower = np.tile(bounds[:, 0], (count, 1))
    upper = np.tile(bounds[:, 1], (count, 1))
    level = np.array([0])
    while level.size:
        parents = level[feature[level] >= 0]
        split, cut = feature[parents], threshold[parents]
        children = []
        for child, narrowed, side in (
            (left[parents], upper, np.minimum),
            (right[parents], lower, np.maximum),
        ):
            lower[child], upper[child] = lower[parents], upper[parents]
            narrowed[child, split] = side(narrowed[parents, split], cut)
            children.append(child)
        level = np.concatenate(children)
    leaves = feature < 0
    return lower[leaves], upper[leaves], values[leaves]


def _marginal_variance(
    lower: np.ndarray,
    upper: np.ndarray,
    value: np.ndarray,
    bounds: np.ndarray,
    columns: np.ndarray,
) -> float:
    """The variance, over the uniform distribution on the `columns`' bounds, of the tree
    averaged over every other column: constant on each cell the leaves' edges cut those columns
    into, weighted by the cell's size."""
    others = np.setdiff1d(np.arange(bounds.shape[0]), columns)
    share = np.prod(
        (upper[:, others] - lower[:, others]) / (bounds[others, 1] - bounds[others, 0]), axis=1
    )  # the leaf's share of the other columns' box
    weighted = value * share
    if len(columns) == 1:  # each leaf covers a run of cells: add it where the run starts
        column = columns[0]
        edges = np.unique(np.concatenate([bounds[column], lower[:, column], upper[:, column]]))
        steps = np.zeros(len(edges))
        np.add.at(steps, np.searchsorted(edges, lower[:, column]), weighted)
        np.add.at(steps, np.searchsorted(edges, upper[:, column]), -weighted)
        marginal, sizes = np.cumsum(steps)[:-1], np.diff(edges)
    else:
        grids = []
        for column in columns:
            edges = np.unique(np.concatenate([bounds[column], lower[:, column], upper[:, column]]))
            grids.append(((edges[1:] + edges[:-1]) / 2, np.diff(edges)))
        mesh = np.meshgrid(*[g[0] for g in grids], indexing="ij")
        midpoints = np.stack(mesh, -1).reshape(-1, len(columns))
        cell_sizes = np.meshgrid(*[g[1] for g in grids], indexing="ij")
        sizes = np.prod(np.stack(cell_sizes, -1), -1).reshape(-1)
        inside = np.all(
            (midpoints[:, None, :] > lower[None, :, columns])
            & (midpoints[:, None, :] <= upper[None, :, columns]),
            axis=2,
        )  # cells x leaves
        marginal = inside @ weighted
    mean = np.average(marginal, weights=sizes)
    return float(np.average((marginal - mean) ** 2, weights=sizes))
