"""Labels of the assets of a bounded quadratic program (free, at a bound, pinned) and what a
labelling with no free asset leaves of the budget multiplier; shared by the active-set methods
of `quant.optimizers.active_set` and `quant.optimizers.primal_active_set`.

For a labelling, every asset held at a bound has the gradient g_i = (Σw - q)_i - ν of the
Lagrangian with the budget multiplier ν: optimal when g_i >= 0 at the lower bound and g_i <= 0 at
the upper bound (free assets have g_i = 0).
"""

from __future__ import annotations

import math

import numpy as np

FREE = 0
AT_LOWER = -1
AT_UPPER = 1
PINNED = 2


def fixed_values(labels: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """The weights the labels fix (the bound an asset is held at; 0 for free assets)."""
    values = np.where(labels == AT_UPPER, hi, lo)
    values[labels == FREE] = 0.0
    return values


def pinned_nu(h: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """A budget multiplier ν for a labelling with no free asset, given h = Σw - q: the midpoint of
    [max over the upper-bound assets of h, min over the lower-bound ones] (the only end when the
    other side is empty; 0 when both are)."""
    nu_high = float(h[lower].min()) if lower.any() else math.inf
    nu_low = float(h[upper].max()) if upper.any() else -math.inf
    if math.isinf(nu_high) and math.isinf(nu_low):
        return 0.0
    if math.isinf(nu_high):
        return nu_low
    if math.isinf(nu_low):
        return nu_high
    return 0.5 * (nu_low + nu_high)
