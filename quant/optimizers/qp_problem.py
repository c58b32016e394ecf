"""The bounded quadratic program of the mean-variance family and the labels of its assets, shared
by the active-set methods of `quant.optimizers.active_set` and `quant.optimizers.primal_active_set`.

    P(t):  minimise ½ w'Σw - (q0 + t μ)'w   subject to  1'w = budget,  lo <= w <= hi.

`BoundedQP` holds one problem's data and the scales its KKT checks are relative to. A labelling
says which assets are free, at their lower or upper bound, or pinned (lo == hi); every asset held
at a bound has the gradient g_i = (Σw - q)_i - ν of the Lagrangian with the budget multiplier ν,
and the labelling is optimal when g_i >= 0 at the lower bound and g_i <= 0 at the upper bound
(free assets have g_i = 0).
"""

from __future__ import annotations

import math

import numpy as np

FREE = 0
AT_LOWER = -1
AT_UPPER = 1
PINNED = 2

_WEIGHT_TOL = 1e-11
_GRADIENT_TOL = 1e-11


class BoundedQP:
    """The problem P(t) for one covariance ``sigma``, expected-return vector ``mu``, bounds
    ``lo``, ``hi``, linear term ``q0`` (default 0) and ``budget`` (default 1)."""

    def __init__(
        self,
        sigma: np.ndarray,
        mu: np.ndarray,
        lo: np.ndarray,
        hi: np.ndarray,
        *,
        q0: np.ndarray | None = None,
        budget: float = 1.0,
    ) -> None:
        self.sigma = np.ascontiguousarray(sigma, dtype=float)
        self.mu = np.asarray(mu, dtype=float)
        self.lo = np.asarray(lo, dtype=float)
        self.hi = np.asarray(hi, dtype=float)
        self.n = self.sigma.shape[0]
        self.q0 = np.zeros(self.n) if q0 is None else np.asarray(q0, dtype=float)
        self.budget = float(budget)
        self.pinned = self.hi <= self.lo
        diag_scale = float(np.max(np.abs(np.diag(self.sigma)))) if self.n else 1.0
        self.sigma_scale = max(diag_scale, 1e-300)
        self.mu_scale = float(np.max(np.abs(self.mu))) if self.n else 0.0
        self.q0_scale = float(np.max(np.abs(self.q0))) if self.n else 0.0
        self.weight_scale = max(1.0, float(np.max(np.abs(self.lo))), float(np.max(np.abs(self.hi))))

    def initial_labels(self) -> np.ndarray:
        """Every asset free except the pinned ones."""
        labels = np.zeros(self.n, dtype=np.int8)
        labels[self.pinned] = PINNED
        return labels

    def tolerances(self, t: float) -> tuple[float, float]:
        """(weights, gradients): how far the KKT checks at t let weights leave their bounds and
        gradients have the wrong sign, 1e-11 of the weights' and of the gradient's scale."""
        g_scale = self.sigma_scale * self.weight_scale + self.q0_scale + abs(t) * self.mu_scale
        return _WEIGHT_TOL * self.weight_scale, _GRADIENT_TOL * g_scale


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
