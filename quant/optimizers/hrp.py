"""Hierarchical Risk Parity (Lopez de Prado, 2016): long-only weights from a cluster tree.

Algorithm, as computed by `hrp`:

1. Sample covariance C and Pearson correlation rho of the period returns (ddof=1). Annualising
   scales C by a constant and leaves the weights unchanged, so per-period moments are used.
2. Distance d_ij = sqrt(clip((1 - rho_ij) / 2, 0, 1)), in [0, 1].
3. Agglomerative clustering of the condensed distance with
   `scipy.cluster.hierarchy.linkage(method=linkage, optimal_ordering=optimal_ordering)`; the
   assets are put in the tree's left-to-right leaf order (`leaves_list`), so each cluster of the
   bisection below is a contiguous block of the reordered covariance.
4. Recursive bisection: start with weight 1 on every asset; split each block of the ordered list
   at len // 2 into a left half L and a right half R. The variance of a half is v = w' C w with
   w the inverse-variance weights of that half (1 / diag C, normalised to sum 1). The left half's
   weights are multiplied by alpha = 1 - v_L / (v_L + v_R), the right half's by 1 - alpha.
   Repeat until every block is a single asset.
5. Bounds (optional, `bounds = (lo, hi)`, scalars or per asset): at each split of a block of
   weight W, alpha is clipped so that each half's weight lies within the sums of its assets'
   bounds, W alpha in [sum lo_L, sum hi_L] and W (1 - alpha) in [sum lo_R, sum hi_R] (clipped
   first for the left half, then for the right: the order in which skfolio's
   `HierarchicalRiskParity(min_weights, max_weights)` applies them, whose weights ours equal).
   When the bounds admit a fully invested portfolio (sum lo <= 1 <= sum hi) every weight ends
   within its bounds; otherwise `ConstraintError` says why.

The weights are non-negative and sum to 1. With the defaults (single linkage, no optimal leaf
ordering) they equal PyPortfolioOpt's `HRPOpt(returns).optimize("single")`; with
`optimal_ordering=True` they equal Riskfolio-Lib's HRP with Pearson codependence, variance risk
measure, single linkage and `leaf_order=True`.

Column order: scipy lists the two leaves of a merge of two single assets by column index, and a
len // 2 cut can fall between them, so on data without a clear nested structure permuting the
columns can change the weights (the same holds for the peers, whose weights ours equal for every
column order). On data whose tree splits exactly at len // 2 the weights are permuted with the
columns.

Scale: the weights do not depend on the scale of the returns; returns with max |r| outside
[1e-100, 1e100] are divided by max |r| first so that no product overflows or underflows.

Degenerate halves: v is clipped at 0 (rounding on perfectly hedged blocks); when both halves
have v = 0 they share their block's weight equally, so the weights are never NaN.

Implementation: the covariance is one centred matrix product (BLAS held to one thread for it);
the covariance is reordered once; the bisection runs level by level, all blocks of one level at
once (the blocks of a level differ in size by at most one, so they are padded to a common size
with zero weights).
"""

from __future__ import annotations

from typing import Literal, get_args

import numpy as np
import pandas as pd
from scipy.cluster.hierarchy import leaves_list
from scipy.cluster.hierarchy import linkage as scipy_linkage
from scipy.spatial.distance import squareform

from quant.blas import one_blas_thread
from quant.errors import ConstraintError, DataError, InsufficientDataError
from quant.optimizers.bounds import Bounds, weight_bounds
from quant.validation import as_returns_frame

_SAFE_SCALE = (1e-100, 1e100)
"""Range of max |return| used as given; returns outside it are rescaled first."""

LinkageMethod = Literal["single", "complete", "average", "ward"]
LINKAGE_METHODS: tuple[str, ...] = get_args(LinkageMethod)
"""Linkage methods accepted by `hierarchical_risk_parity`."""


def hierarchical_risk_parity(
    returns: pd.DataFrame,
    *,
    linkage: LinkageMethod = "single",
    optimal_ordering: bool = False,
    bounds: Bounds = (0.0, 1.0),
) -> pd.Series:
    """Hierarchical Risk Parity weights of the assets in `returns`.

    Parameters
    ----------
    returns:
        Period (daily) simple returns, rows periods and columns assets; at least 2 assets and
        2 observations, finite values, unique asset names, no asset with zero variance.
    linkage:
        scipy linkage method used to build the cluster tree: "single" (the original HRP and
        PyPortfolioOpt's default), "complete", "average" or "ward".
    optimal_ordering:
        Passed to `scipy.cluster.hierarchy.linkage`: reorder the tree's leaves so that adjacent
        leaves are as close as possible (Riskfolio-Lib's default `leaf_order=True`).
    bounds:
        (lo, hi): each asset's smallest and largest weight, scalars or per asset (a Series by
        asset name, or an array in column order); see step 5 of the module docstring.

    Returns
    -------
    pd.Series
        Weights indexed by asset name in the column order of `returns`; each >= 0, sum 1.

    Raises
    ------
    DataError
        NaN or infinite returns, duplicate asset names, or an asset whose returns are constant
        (zero variance), named in the message.
    InsufficientDataError
        Fewer than 2 assets or fewer than 2 observations.
    ConstraintError
        An unknown `linkage` (the message lists the allowed methods), or bounds that are
        negative, cross, or admit no fully invested portfolio.
    """
    if linkage not in LINKAGE_METHODS:
        raise ConstraintError(
            f"unknown HRP linkage {linkage!r}: use one of {', '.join(map(repr, LINKAGE_METHODS))}"
        )
    frame = as_returns_frame(returns, min_obs=2)
    names = frame.columns
    n_assets = len(names)
    if n_assets < 2:
        raise InsufficientDataError(f"HRP needs at least 2 assets, got {n_assets}")
    cov = _checked_covariance(frame.to_numpy(dtype=float), names)
    std = np.sqrt(np.diag(cov))
    # Condensed (upper-triangle) correlations, then distances on those n(n-1)/2 entries only.
    corr = squareform(cov / np.outer(std, std), checks=False)
    distance = np.sqrt(np.clip((1.0 - corr) / 2.0, 0.0, 1.0))
    tree = scipy_linkage(distance, method=linkage, optimal_ordering=optimal_ordering)
    order = leaves_list(tree)

    lower, upper = weight_bounds(bounds, [str(n) for n in names])
    if np.any(lower < 0.0):
        raise ConstraintError("HRP is long-only: lower bounds must be >= 0")
    ordered_weights = _bisection_weights(cov[np.ix_(order, order)], lower[order], upper[order])
    weights = np.empty(n_assets)
    weights[order] = ordered_weights
    if not np.isfinite(weights).all():  # pragma: no cover - defensive: the steps above are finite
        raise DataError("HRP produced non-finite weights: check the returns for extreme values")
    return pd.Series(weights, index=list(names), name="weight")


def _checked_covariance(values: np.ndarray, names: pd.Index) -> np.ndarray:
    """Per-period sample covariance of the returns ``values`` (rows periods), rescaled when
    their size would overflow or underflow its products (the weights do not depend on the
    scale); `DataError` naming an asset whose variance is zero (constant returns, or returns
    too small next to the others') or whose covariance is not finite."""
    high, low = values.max(axis=0), values.min(axis=0)
    constant = high == low
    if constant.any():
        asset = names[int(np.argmax(constant))]
        raise DataError(
            f"asset {asset} has zero variance (constant returns): HRP needs every variance > 0"
        )
    scale = max(float(high.max()), -float(low.min()))
    if not _SAFE_SCALE[0] <= scale <= _SAFE_SCALE[1]:
        values = values / scale
    cov = _sample_covariance(values)
    bad = ~(np.diag(cov) > 0.0)
    if bad.any():  # variance 0 after rounding: returns too small relative to the other assets'
        asset = names[int(np.argmax(bad))]
        raise DataError(
            f"asset {asset} has zero variance (its returns vary by less than 1e-150 of the "
            "largest return): HRP needs every variance > 0"
        )
    if not np.isfinite(cov).all():  # pragma: no cover - the rescaling above prevents overflow
        row = int(np.argwhere(~np.isfinite(cov))[0][0])
        raise DataError(f"covariance of asset {names[row]} is not finite: returns are too large")
    return cov


def _sample_covariance(values: np.ndarray) -> np.ndarray:
    """Per-period sample covariance (ddof=1) from one centred matrix product.

    numpy evaluates `X.T @ X` with a symmetric rank-k update, so the result is exactly symmetric.
    """
    centered = values - values.mean(axis=0)
    # Overflow is impossible after the caller's rescaling; the caller checks finiteness anyway.
    with one_blas_thread(), np.errstate(over="ignore", invalid="ignore"):
        cov = centered.T @ centered
    cov /= values.shape[0] - 1
    return np.asarray(cov)


def _bisection_weights(
    cov: np.ndarray, lower: np.ndarray | None = None, upper: np.ndarray | None = None
) -> np.ndarray:
    """Recursive-bisection weights for a covariance already in the tree's leaf order, each
    within [lower, upper] (in the same order; none: unbounded; see step 5 of the module
    docstring).

    Every cluster is a contiguous block [start, stop) of `cov`; all blocks of one level of the
    bisection are split at once.
    """
    n = cov.shape[0]
    variance = np.diag(cov).copy()
    # Inverse variances scaled to (0, 1] (the normalisation in each block cancels the scale), so
    # their sums cannot overflow however small a variance is.
    inv_var = variance.min() / variance
    weights = np.ones(n)
    lower = np.zeros(n) if lower is None else lower
    upper = np.ones(n) if upper is None else upper
    low_sums = np.concatenate(([0.0], np.cumsum(lower)))  # sums of the bounds over [a, b)
    high_sums = np.concatenate(([0.0], np.cumsum(upper)))
    bounded = bool(np.any(lower > 0.0) or np.any(upper < 1.0))
    starts = np.array([0])
    stops = np.array([n])
    while starts.size:
        mids = starts + (stops - starts) // 2
        # The two halves of every block: left halves first, then right halves.
        lo = np.concatenate((starts, mids))
        hi = np.concatenate((mids, stops))
        # Clipped at 0: rounding can leave a tiny negative variance for a perfectly hedged block.
        variances = np.maximum(_block_ivp_variances(cov, variance, inv_var, lo, hi), 0.0)
        k = starts.size
        v_left = variances[:k]
        total = v_left + variances[k:]
        positive = total > 0.0
        # Two riskless halves (both variances 0) share their block's weight equally.
        alpha = np.where(positive, 1.0 - v_left / np.where(positive, total, 1.0), 0.5)
        if bounded:
            # every asset of a block holds the block's weight; a block of assets capped at 0
            # holds none, and either split of nothing is nothing (1: no 0/0)
            block = np.where(weights[starts] > 0.0, weights[starts], 1.0)
            left = (low_sums[mids] - low_sums[starts], high_sums[mids] - high_sums[starts])
            right = (low_sums[stops] - low_sums[mids], high_sums[stops] - high_sums[mids])
            alpha = np.minimum(left[1] / block, np.maximum(left[0] / block, alpha))
            alpha = 1.0 - np.minimum(right[1] / block, np.maximum(right[0] / block, 1.0 - alpha))
        sizes = hi - lo
        factors = np.repeat(np.concatenate((alpha, 1.0 - alpha)), sizes)
        # Positions covered by the blocks, block after block: a ramp restarted at each block's lo.
        first = np.cumsum(sizes) - sizes
        positions = np.arange(int(sizes.sum())) + np.repeat(lo - first, sizes)
        weights[positions] *= factors
        split = sizes > 1
        starts = lo[split]
        stops = hi[split]
    return weights


def _block_ivp_variances(
    cov: np.ndarray, variance: np.ndarray, inv_var: np.ndarray, lo: np.ndarray, hi: np.ndarray
) -> np.ndarray:
    """Variance w' C w of each block [lo, hi) under its inverse-variance weights w."""
    sizes = hi - lo
    width = int(sizes.max())
    if width == 1:
        return np.asarray(variance[lo])
    offsets = np.arange(width)
    valid = offsets[None, :] < sizes[:, None]
    index = np.where(valid, lo[:, None] + offsets[None, :], 0)
    w = np.where(valid, inv_var[index], 0.0)
    w /= w.sum(axis=1, keepdims=True)
    blocks = cov[index[:, :, None], index[:, None, :]]
    cw = np.matmul(blocks, w[:, :, None])[:, :, 0]
    return np.asarray(np.einsum("ki,ki->k", w, cw))
