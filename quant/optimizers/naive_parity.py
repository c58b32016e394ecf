"""Long-only inverse-volatility weights: each asset's weight proportional to 1 / σ_i, its
volatility (the square root of the covariance's diagonal), normalised to sum 1; the naive risk
parity that ignores correlations.

Within bounds lo_i ≤ w_i ≤ hi_i the weights are the capped proportional allocation
w_i = clip(t / σ_i, lo_i, hi_i) with the one scale t at which they sum to 1: an asset at neither
bound keeps the 1 / σ proportion to every other such asset, and the weight a cap takes off is
spread over those assets in that proportion (a floor likewise takes it from them).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from quant.errors import CovarianceError
from quant.optimizers.bounds import Bounds, weight_bounds
from quant.validation import as_covariance

_SCALE_ITERATIONS = 200
"""Bisection steps on the scale t (each halves its bracket: 200 reach double precision)."""


def inverse_volatility(cov: pd.DataFrame | np.ndarray, *, bounds: Bounds = (0.0, 1.0)) -> pd.Series:
    """Long-only inverse-volatility weights of the covariance's assets (see the module docstring).

    Parameters
    ----------
    cov:
        Covariance matrix of asset returns (any consistent units); a DataFrame labelled by asset,
        or an array (assets named ``asset_0``, ...), validated by `quant.validation.as_covariance`.
    bounds:
        Each weight's (lower, upper) bound, scalars or per asset (`quant.optimizers.bounds`).

    Returns
    -------
    pd.Series
        Weights indexed by asset name, summing to 1, each within its bounds.

    Raises
    ------
    CovarianceError
        Invalid covariance, or an asset with zero variance (named: its inverse is infinite).
    ConstraintError
        Bounds that are invalid or cannot sum to 1.
    """
    frame = as_covariance(cov)
    names = [str(n) for n in frame.columns]
    variances = np.diag(frame.to_numpy(dtype=float))
    flat = np.flatnonzero(variances <= 0.0)
    if flat.size:
        raise CovarianceError(
            f"asset {names[int(flat[0])]} has zero variance: its inverse volatility is infinite"
        )
    inverse = 1.0 / np.sqrt(variances)
    lo, hi = weight_bounds(bounds, names)
    weights = _capped_proportional(inverse / inverse.sum(), lo, hi)
    return pd.Series(weights, index=frame.columns, name="weight")


def _capped_proportional(target: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """clip(t * target, lo, hi) at the scale t where it sums to 1 (bounds that admit a sum of
    1, `weight_bounds`); `target` is positive and sums to 1, so t = 1 when nothing binds."""
    clipped = np.clip(target, lo, hi)
    if abs(clipped.sum() - 1.0) <= 1e-15:
        return clipped
    low, high = 0.0, 1.0
    while np.clip(high * target, lo, hi).sum() < 1.0 and high < 1e300:
        high *= 2.0
    for _ in range(_SCALE_ITERATIONS):  # the sum rises with t: bisect to the sum of 1
        mid = 0.5 * (low + high)
        if np.clip(mid * target, lo, hi).sum() < 1.0:
            low = mid
        else:
            high = mid
    weights = np.clip(high * target, lo, hi)
    free = (weights > lo) & (weights < hi)
    if free.any():  # the rounding left over goes to the assets at neither bound
        weights[free] += (1.0 - weights.sum()) * target[free] / target[free].sum()
    return weights
