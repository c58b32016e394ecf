"""Spearman's rank correlation in numpy alone (scipy.stats, which also has it, takes about a
second to import, longer than a search's use of it): the Pearson correlation of the two
samples' ranks, tied values sharing the average of their ranks (scipy.stats.spearmanr's
convention, checked against it in the tests)."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def average_ranks(values: ArrayLike) -> np.ndarray:
    """The 1-based ranks of a 1-d sample, ascending; tied values share the average of the ranks
    they span (e.g. [10, 20, 20, 30] -> [1, 2.5, 2.5, 4])."""
    array = np.asarray(values, dtype=np.float64)
    order = np.argsort(array, kind="stable")
    ordered = array[order]
    starts_group = np.concatenate(([True], ordered[1:] != ordered[:-1]))
    group = np.cumsum(starts_group) - 1
    bounds = np.flatnonzero(np.concatenate((starts_group, [True])))
    average = (bounds[:-1] + bounds[1:] - 1) / 2.0 + 1.0
    ranks = np.empty(array.size, dtype=np.float64)
    ranks[order] = average[group]
    return ranks


def spearman(first: ArrayLike, second: ArrayLike) -> float:
    """Spearman's rank correlation of two paired 1-d samples of finite numbers, in [-1, 1]; NaN
    when either sample is constant (no ranking to correlate). Raises `ValueError` for samples
    of different lengths, fewer than two pairs or a non-finite value."""
    a = np.asarray(first, dtype=np.float64)
    b = np.asarray(second, dtype=np.float64)
    if a.ndim != 1 or a.shape != b.shape:
        raise ValueError(f"two 1-d samples of one length needed, got {a.shape} and {b.shape}")
    if a.size < 2:
        raise ValueError("a rank correlation needs at least two pairs")
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError("a rank correlation needs finite values")
    ranks_a = average_ranks(a)
    ranks_b = average_ranks(b)
    ranks_a -= ranks_a.mean()
    ranks_b -= ranks_b.mean()
    scale = float(np.sqrt(np.dot(ranks_a, ranks_a) * np.dot(ranks_b, ranks_b)))
    if scale == 0.0:
        return float("nan")
    return float(np.clip(np.dot(ranks_a, ranks_b) / scale, -1.0, 1.0))
