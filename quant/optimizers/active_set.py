"""Exact active-set engine for the parametric long-only mean-variance QP.

For a parameter t >= 0 the engine solves

    P(t):  minimise ½ w'Σw - (q0 + t μ)'w   subject to  1'w = budget,  lo <= w <= hi,

which is the whole mean-variance family: t = 0 (with q0 = 0) is the minimum-variance portfolio and
every efficient portfolio is the solution of P(t) for some t (t is the multiplier of the return
constraint). Each asset carries a label: free (between its bounds), at its lower bound, at its
upper bound, or pinned (lo == hi). For a fixed labelling the KKT system

    Σ_FF w_F + Σ_FB w_B - q0_F - t μ_F - ν 1 = 0,   1'w_F = budget - 1'w_B

is solved with one Cholesky factorisation of Σ_FF (bordered LU, then least squares, when Σ_FF is
singular); its solution is affine in t: w(t) = a + t b, ν(t) = ν0 + t ν1, and so are the gradients
g(t) = Σw - q0 - tμ - ν of the assets held at a bound. The labelling is optimal for every t in an
interval (a *segment*) found by ratio tests: free weights stay within their bounds, assets at the
lower bound keep g >= 0 and assets at the upper bound keep g <= 0.

`ParametricQP.solve` finds an optimal labelling at one t by block principal pivoting (a
primal-dual active-set / semi-smooth Newton iteration with Júdice-Pires safeguards: full exchanges
while the number of KKT violations falls, Murty's single least-index pivot otherwise) and accepts
it only when the KKT conditions hold (bounds to 1e-11, gradient signs to 1e-11 of the problem's
scale) on a regular KKT system. If the pivoting does not converge, or ends on a singular face (a
singular covariance, e.g. fewer observations than assets), the primal active-set method of
`quant.optimizers.primal_active_set` takes over and ends on a regular face, which is then
verified and polished the same way. `ParametricQP.segment` turns a labelling into its affine
solution and its segment of optimality. The problem and its labels are those of `quant.optimizers.qp_problem`.
Everything here works on numpy arrays.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.linalg import LinAlgError, cho_factor, cho_solve, lu_factor, lu_solve

from quant.errors import SolverError
from quant.optimizers.primal_active_set import primal_labels, restart_points
from quant.optimizers.qp_problem import (
    AT_LOWER,
    AT_UPPER,
    FREE,
    BoundedQP,
    fixed_values,
    pinned_nu,
)

_COND_LIMIT = 1e-10  # smallest allowed (min/max Cholesky diagonal)^2


@dataclass
class Segment:
    """An optimal labelling, its affine solution w(t) = a + t b, and its interval of optimality."""

    labels: np.ndarray
    a: np.ndarray
    b: np.ndarray
    nu0: float
    nu1: float
    t_low: float
    t_high: float
    alpha: float  # μ'a
    beta: float  # μ'b
    gamma: float  # a'Σa
    delta: float  # a'Σb
    epsilon: float  # b'Σb
    g0: np.ndarray  # gradient g(t) = g0 + t g1 (zero on free assets)
    g1: np.ndarray

    def weights(self, t: float) -> np.ndarray:
        """The weights at parameter t (valid for t in [t_low, t_high])."""
        return self.a + t * self.b

    def ret(self, t: float) -> float:
        """μ'w(t)."""
        return self.alpha + self.beta * t

    def variance(self, t: float) -> float:
        """w(t)'Σw(t)."""
        return self.gamma + 2.0 * self.delta * t + self.epsilon * t * t

    def contains(self, t: float) -> bool:
        """Whether t lies in the closed segment."""
        return self.t_low <= t <= self.t_high


@dataclass
class _Affine:
    a: np.ndarray
    b: np.ndarray
    nu0: float
    nu1: float
    sigma_a: np.ndarray
    sigma_b: np.ndarray
    ok: bool


class ParametricQP(BoundedQP):
    """The problem P(t) (`BoundedQP`) solved for an optimal labelling at any t, and the segment
    of t on which a labelling stays optimal."""

    # ------------------------------------------------------------------ KKT on a labelling
    def _affine(self, labels: np.ndarray) -> _Affine:
        """Solve the equality-constrained KKT system on the free set, as affine functions of t."""
        free = np.flatnonzero(labels == FREE)
        a = fixed_values(labels, self.lo, self.hi)
        b = np.zeros(self.n)
        if free.size == 0:
            sigma_a = self.sigma @ a
            return _Affine(a, b, math.nan, math.nan, sigma_a, np.zeros(self.n), False)
        rows = self.sigma[free]
        c = rows @ a
        s = self.budget - float(a.sum())
        s_ff = rows[:, free]
        q_f = self.q0[free] - c
        mu_f = self.mu[free]
        solved = False
        regular = True
        try:
            factor = cho_factor(s_ff, lower=False, check_finite=False)
            diag = np.abs(np.diag(factor[0]))
            if diag.min() ** 2 > _COND_LIMIT * diag.max() ** 2:
                x = cho_solve(
                    factor, np.column_stack([np.ones(free.size), q_f, mu_f]), check_finite=False
                )
                d = float(x[:, 0].sum())
                if d > 0 and math.isfinite(d):
                    nu0 = (s - float(x[:, 1].sum())) / d
                    nu1 = -float(x[:, 2].sum()) / d
                    a_f = x[:, 1] + nu0 * x[:, 0]
                    b_f = x[:, 2] + nu1 * x[:, 0]
                    solved = True
        except LinAlgError:
            solved = False
        if not solved:
            m = free.size
            kkt = np.zeros((m + 1, m + 1))
            kkt[:m, :m] = s_ff
            kkt[:m, m] = -1.0
            kkt[m, :m] = -1.0
            rhs = np.zeros((m + 1, 2))
            rhs[:m, 0] = q_f
            rhs[m, 0] = -s
            rhs[:m, 1] = mu_f
            sol = None
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("error")
                    lu = lu_factor(kkt, check_finite=False)
                    udiag = np.abs(np.diag(lu[0]))
                    if udiag.min() > 1e-13 * max(udiag.max(), 1e-300):
                        sol = lu_solve(lu, rhs, check_finite=False)
            except (LinAlgError, Warning):
                sol = None
            if sol is None:
                regular = False
                sol = np.linalg.lstsq(kkt, rhs, rcond=1e-13)[0]
            a_f, nu0 = sol[:m, 0], float(sol[m, 0])
            b_f, nu1 = sol[:m, 1], float(sol[m, 1])
        a[free] = a_f
        b[free] = b_f
        both = self.sigma @ np.column_stack([a, b])
        return _Affine(a, b, nu0, nu1, both[:, 0], both[:, 1], regular)

    # ------------------------------------------------------------------ one t
    def solve(self, t: float, labels: np.ndarray | None = None) -> np.ndarray:
        """An optimal labelling of P(t), verified against the KKT conditions.

        Block principal pivoting from `labels` (all free when None); CLARABEL-guided restart if it
        does not converge. Raises `SolverError` when neither reaches a verified KKT point.
        """
        return self._solve(t, labels)[0]

    def _solve(self, t: float, labels: np.ndarray | None) -> tuple[np.ndarray, _Affine | None]:
        start = self.initial_labels() if labels is None else labels.copy()
        result = self._pivot(t, start)
        if result is not None:
            return result
        for point in restart_points(self, t):
            found = primal_labels(self, t, point)
            if found is not None:
                result = self._pivot(t, found)
                if result is not None:
                    return result
        raise SolverError(
            f"the active-set QP solver did not converge at t={t:.6g} ({self.n} assets)"
        )

    def _violations(self, t: float, labels: np.ndarray, aff: _Affine) -> tuple[np.ndarray, ...]:
        w_tol, g_tol = self.tolerances(t)
        w = aff.a + t * aff.b
        free = labels == FREE
        below = free & (w < self.lo - w_tol)
        above = free & (w > self.hi + w_tol)
        g = aff.sigma_a + t * aff.sigma_b - self.q0 - t * self.mu - (aff.nu0 + t * aff.nu1)
        lower_bad = (labels == AT_LOWER) & (g < -g_tol)
        upper_bad = (labels == AT_UPPER) & (g > g_tol)
        return below, above, lower_bad, upper_bad

    def _empty_free_set(self, t: float, labels: np.ndarray) -> tuple[np.ndarray, bool]:
        """Handle a labelling with no free asset: fix the budget or check the dual signs."""
        w = fixed_values(labels, self.lo, self.hi)
        w_tol, g_tol = self.tolerances(t)
        h = self.sigma @ w - self.q0 - t * self.mu
        gap = self.budget - float(w.sum())
        new = labels.copy()
        if abs(gap) <= w_tol * max(1, self.n):
            lower = labels == AT_LOWER
            upper = labels == AT_UPPER
            nu_high = float(h[lower].min()) if lower.any() else math.inf
            nu_low = float(h[upper].max()) if upper.any() else -math.inf
            if nu_low <= nu_high + g_tol:
                return labels, True
            # Free the asset whose sign is most violated.
            candidates = np.flatnonzero(lower | upper)
            score = np.where(lower[candidates], nu_low - h[candidates], h[candidates] - nu_high)
            new[candidates[int(np.argmax(score))]] = FREE
            return new, False
        movable = labels == (AT_LOWER if gap > 0 else AT_UPPER)
        idx = np.flatnonzero(movable)
        if idx.size == 0:
            return new, False
        pick = idx[int(np.argmin(h[idx]))] if gap > 0 else idx[int(np.argmax(h[idx]))]
        new[pick] = FREE
        return new, False

    def _pivot(self, t: float, labels: np.ndarray) -> tuple[np.ndarray, _Affine | None] | None:
        best = self.n + 2
        tries = 3
        max_iter = 50 + 3 * self.n
        for _ in range(max_iter):
            if not (labels == FREE).any():
                labels, done = self._empty_free_set(t, labels)
                if done:
                    return labels, None
                continue
            aff = self._affine(labels)
            if not (np.isfinite(aff.a).all() and np.isfinite(aff.b).all()):
                return None
            below, above, lower_bad, upper_bad = self._violations(t, labels, aff)
            bad = below | above | lower_bad | upper_bad
            count = int(bad.sum())
            if count == 0:
                # A singular face (least-squares iterate) is never accepted as optimal.
                return (labels, aff) if aff.ok else None
            if count < best:
                best, tries = count, 3
                full = True
            elif tries > 0:
                tries -= 1
                full = True
            else:
                full = False
            if not full:
                keep = np.zeros(self.n, dtype=bool)
                keep[int(np.flatnonzero(bad)[-1])] = True
                below, above, lower_bad, upper_bad = (
                    below & keep,
                    above & keep,
                    lower_bad & keep,
                    upper_bad & keep,
                )
            labels = labels.copy()
            labels[below] = AT_LOWER
            labels[above] = AT_UPPER
            labels[lower_bad | upper_bad] = FREE
        return None

    # ------------------------------------------------------------------ segments
    def segment(
        self, labels: np.ndarray, t_ref: float | None = None, aff: _Affine | None = None
    ) -> Segment:
        """The affine solution of a labelling and the interval of t where it is optimal.

        `t_ref`, a parameter at which the labelling is known to be optimal, is kept inside the
        interval despite rounding.
        """
        if not (labels == FREE).any():
            w = fixed_values(labels, self.lo, self.hi)
            h = self.sigma @ w - self.q0
            lower = labels == AT_LOWER
            upper = labels == AT_UPPER
            # g_i(t) = h_i - t μ_i - ν with ν free in an interval: the labelling stays optimal
            # while max_U (h - tμ) <= min_L (h - tμ).
            t0 = 0.0 if t_ref is None else t_ref
            zero = np.zeros(self.n)
            nu = pinned_nu(h - t0 * self.mu, lower, upper)
            low, high = _interval_no_free(h, self.mu, lower, upper)
            if t_ref is not None:
                low, high = min(low, t_ref), max(high, t_ref)
            sigma_w = self.sigma @ w
            return Segment(
                labels, w, zero, nu, 0.0, low, high,
                float(self.mu @ w), 0.0, float(w @ sigma_w), 0.0, 0.0,
                sigma_w - self.q0 - nu, -self.mu.copy(),
            )  # fmt: skip
        if aff is None:
            aff = self._affine(labels)
        a, b = aff.a, aff.b
        free = labels == FREE
        low, high = -math.inf, math.inf
        b_f = b[free]
        a_f = a[free]
        tiny = 1e-14 * self.weight_scale
        pos = b_f > tiny
        neg = b_f < -tiny
        if pos.any():
            high = min(high, float(np.min((self.hi[free][pos] - a_f[pos]) / b_f[pos])))
            low = max(low, float(np.max((self.lo[free][pos] - a_f[pos]) / b_f[pos])))
        if neg.any():
            high = min(high, float(np.min((self.lo[free][neg] - a_f[neg]) / b_f[neg])))
            low = max(low, float(np.max((self.hi[free][neg] - a_f[neg]) / b_f[neg])))
        ga = aff.sigma_a - self.q0 - aff.nu0
        gb = aff.sigma_b - self.mu - aff.nu1
        g_tiny = 1e-14 * (self.sigma_scale * self.weight_scale + self.mu_scale + self.q0_scale)
        lower = labels == AT_LOWER
        upper = labels == AT_UPPER
        # lower: ga + t gb >= 0; upper: ga + t gb <= 0.
        for mask, sign in ((lower, 1.0), (upper, -1.0)):
            if not mask.any():
                continue
            gam = sign * ga[mask]
            gbm = sign * gb[mask]
            dec = gbm < -g_tiny
            inc = gbm > g_tiny
            if dec.any():
                high = min(high, float(np.min(-gam[dec] / gbm[dec])))
            if inc.any():
                low = max(low, float(np.max(-gam[inc] / gbm[inc])))
        if t_ref is not None:
            low = min(low, t_ref)
            high = max(high, t_ref)
        return Segment(
            labels=labels,
            a=a,
            b=b,
            nu0=aff.nu0,
            nu1=aff.nu1,
            t_low=low,
            t_high=high,
            alpha=float(self.mu @ a),
            beta=float(self.mu @ b),
            gamma=float(a @ aff.sigma_a),
            delta=float(a @ aff.sigma_b),
            epsilon=float(b @ aff.sigma_b),
            g0=ga,
            g1=gb,
        )

    def solve_segment(self, t: float, labels: np.ndarray | None = None) -> Segment:
        """The segment containing t, from a verified optimal labelling at t."""
        found, aff = self._solve(t, labels)
        return self.segment(found, t_ref=t, aff=aff)

    def segment_is_optimal(self, seg: Segment, t: float) -> bool:
        """Whether a segment's labelling satisfies the KKT conditions of P(t) within tolerance."""
        if not (seg.labels == FREE).any():
            return self.is_optimal(t, seg.labels)
        w_tol, g_tol = self.tolerances(t)
        w = seg.a + t * seg.b
        g = seg.g0 + t * seg.g1
        labels = seg.labels
        free = labels == FREE
        return not (
            (free & ((w < self.lo - w_tol) | (w > self.hi + w_tol))).any()
            or ((labels == AT_LOWER) & (g < -g_tol)).any()
            or ((labels == AT_UPPER) & (g > g_tol)).any()
        )

    def is_optimal(self, t: float, labels: np.ndarray) -> bool:
        """Whether the labelling satisfies the KKT conditions of P(t) within tolerance."""
        if not (labels == FREE).any():
            _, done = self._empty_free_set(t, labels)
            return done
        aff = self._affine(labels)
        return not any(v.any() for v in self._violations(t, labels, aff))


def _interval_no_free(
    h: np.ndarray, mu: np.ndarray, lower: np.ndarray, upper: np.ndarray
) -> tuple[float, float]:
    """Interval of t where max_U(h - tμ) <= min_L(h - tμ) (labelling with no asset free)."""
    if not lower.any() or not upper.any():
        return -math.inf, math.inf
    hl, ml = h[lower], mu[lower]
    hu, mu_u = h[upper], mu[upper]
    # Need hu_j - t mu_j <= hl_i - t ml_i for all pairs: (hl_i - hu_j) + t (mu_j - ml_i) >= 0.
    const = hl[:, None] - hu[None, :]
    slope = mu_u[None, :] - ml[:, None]
    low, high = -math.inf, math.inf
    dec = slope < 0
    inc = slope > 0
    if dec.any():
        high = float(np.min(-const[dec] / slope[dec]))
    if inc.any():
        low = float(np.max(-const[inc] / slope[inc]))
    return low, high
