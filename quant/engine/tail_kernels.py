"""Compiled 95 % tail statistics of the allocation engine: the 5 % quantile of a path's daily net
returns (numpy's default linear interpolation) and the mean of the returns at or below it, exact
whatever the distribution, in about the time of the day loop itself (docs/engine.md,
"Implementation")."""

from __future__ import annotations

import math

import numpy as np

from quant.compiled import kernel

VAR_LEVEL = 0.05
TAIL_Z = 1.3
"""First threshold mean - z std for the candidates of the 5 % quantile (about 10 % of normal
data)."""
TAIL_SAMPLE = 256
"""Second threshold: the `TAIL_SAMPLE_SHARE` quantile of about this many evenly spaced values."""
TAIL_SAMPLE_SHARE = 0.1
SMALL_SELECT = 12
"""Below this many values `kth_smallest` finishes with an insertion sort."""


@kernel()
def kth_smallest(values: np.ndarray, m: int, k: int, work: np.ndarray) -> float:
    """The k-th smallest (0-based) of ``values[:m]`` (left unchanged); ``work``: 2 m scratch.

    Quickselect with out-of-place three-way partitions between the two halves of ``work``: a
    pass writes the values below the pivot (median of three) to the front and those above it to
    the back of the other half, without branches (a branchy in-place partition mispredicts about
    every second comparison on random data).
    """
    if work.shape[0] < 2 * m or values.shape[0] < m or not 0 <= k < m:
        raise ValueError("kth_smallest: needs 0 <= k < m <= len(values), len(work) >= 2 m")
    for i in range(m):
        work[i] = values[i]
    base = 0  # the live values are work[base : base + size], in half `half`
    size = m
    half = 0
    while size > SMALL_SELECT:
        x = work[base]
        y = work[base + size // 2]
        zz = work[base + size - 1]
        pivot = max(min(x, y), min(max(x, y), zz))
        out = m if half == 0 else 0
        n_lt = 0
        n_gt = 0
        for i in range(base, base + size):
            v = work[i]
            work[out + n_lt] = v
            work[out + size - 1 - n_gt] = v
            n_lt += 1 if v < pivot else 0
            n_gt += 1 if v > pivot else 0
        if k < n_lt:
            base = out
            size = n_lt
        elif k >= size - n_gt:
            k -= size - n_gt
            base = out + size - n_gt
            size = n_gt
        else:
            return pivot
        half = 1 - half
    for i in range(base + 1, base + size):  # insertion sort of the few left
        v = work[i]
        j = i - 1
        while j >= base and work[j] > v:
            work[j + 1] = work[j]
            j -= 1
        work[j + 1] = v
    return work[base + k]


@kernel()
def quantile_of_candidates(
    cand: np.ndarray, m: int, n: int, work: np.ndarray
) -> tuple[float, float]:
    """(5 % quantile, mean of the values at or below it) of n values whose lo + 2 smallest
    (lo = floor(0.05 (n - 1))) are among ``cand[:m]``, every one of which is below each value
    left out. numpy's linear interpolation between the order statistics lo and lo + 1.
    ``work``: 2 m scratch."""
    vi = (n - 1) * VAR_LEVEL
    lo = math.floor(vi)
    a = kth_smallest(cand, m, lo, work)
    # b, the next order statistic: a again if a is repeated, else the least value above a
    at_most_a = 0
    above = np.inf
    for i in range(m):  # branch-free (selects), so it vectorises
        x = cand[i]
        at_most_a += 1 if x <= a else 0
        y = x if x > a else np.inf
        above = y if y < above else above
    b = a if at_most_a >= lo + 2 else above
    gamma = vi - lo
    diff = b - a
    q = b - diff * (1.0 - gamma) if gamma >= 0.5 else a + diff * gamma
    tail = 0.0
    count = 0
    for i in range(m):
        x = cand[i]
        tail += x if x <= q else 0.0
        count += 1 if x <= q else 0
    return q, tail / count


@kernel()
def tail_quantile(
    values: np.ndarray, start: int, stride: int, n: int, mean: float, std: float, cand: np.ndarray
) -> tuple[float, float]:
    """(5 % quantile, mean of the values at or below it) of ``values[start + i * stride]``, i < n.

    The quantile is numpy's default (linear interpolation between the order statistics lo and
    lo + 1, lo = floor(0.05 (n - 1))). ``cand``: 3 n scratch. Only the values below a threshold
    are copied to ``cand`` and searched for the quantile: first mean - `TAIL_Z` std; if fewer
    than lo + 2 values fall below it (heavy tails), a high quantile of a sample of the values;
    finally all values, so the result is exact whatever the distribution. Constant values
    (``std`` 0) are recognised in one pass.
    """
    if cand.shape[0] < 3 * n:
        raise ValueError("tail_quantile: cand must hold 3 n values")
    if std == 0.0:  # e.g. a lane that never leaves the safe asset: maybe all values equal
        low = values[start]
        high = low
        for i in range(n):
            x = values[start + i * stride]
            low = x if x < low else low
            high = x if x > high else high
        if low == high:
            return low, low
    size = math.floor((n - 1) * VAR_LEVEL) + 2
    attempt = 0 if 4 * size < n else 2
    while True:
        if attempt == 0:
            thr = mean - TAIL_Z * std
        elif attempt == 1:  # heavy tails or mixtures: a threshold from a sample of the values
            step = max(1, n // TAIL_SAMPLE)
            ns = n // step
            for i in range(ns):
                cand[i] = values[start + i * step * stride]
            rank = min(ns - 1, math.ceil(TAIL_SAMPLE_SHARE * ns) + 2)
            thr = kth_smallest(cand, ns, rank, cand[n:])
        else:
            thr = np.inf
        m = 0
        for i in range(n):
            x = values[start + i * stride]
            cand[m] = x
            m += 1 if x < thr else 0
        if m >= size:
            break
        attempt += 1
    return quantile_of_candidates(cand, m, n, cand[n:])
