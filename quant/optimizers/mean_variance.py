"""Long-only (bounded) mean-variance optimisation, solved exactly by a parametric active-set method.

Inputs: `mu`, annualised expected returns (a Series labelled by asset, or an array in the
covariance's order), and `cov`, the annualised covariance of returns (a DataFrame labelled by
asset, or an array). Weights sum to 1 and lie within `bounds = (lo, hi)`, scalars or per-asset
arrays/Series (default (0, 1): long-only, fully invested). Returns and volatilities reported here
are annualised in the units of `mu` and `cov`; volatility is sqrt(w'Σw).

Every efficient portfolio solves, for some t >= 0,

    P(t):  minimise ½ w'Σw - t μ'w   subject to  1'w = 1,  lo <= w <= hi,

(t = 0 is the minimum-volatility portfolio; t -> ∞ the maximum-return portfolio of least
variance). The solution path w(t) is piecewise affine; on each piece the return μ'w(t) is affine,
the variance quadratic and the Sharpe ratio has a closed-form stationary point, so targets are
found by a bracketed search over t that ends with a closed-form solve on the right piece (see
`quant.optimizers.active_set`). The answers are KKT points verified to about 1e-12, not the
output of an iterative solver stopped at a tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.blas import single_threaded_blas
from quant.errors import (
    ConstraintError,
    DataError,
    InfeasibleTargetError,
    InsufficientDataError,
    SolverError,
)
from quant.optimizers.active_set import ParametricQP, Segment
from quant.optimizers.bounds import Bounds, weight_bounds
from quant.optimizers.qp_problem import AT_LOWER, AT_UPPER, FREE, PINNED
from quant.validation import as_covariance, check_asset_names, check_vector, finite_number

_MAX_SEARCH_STEPS = 500

# ---------------------------------------------------------------------------------------------
# public API


@single_threaded_blas
def min_volatility(
    cov: pd.DataFrame | np.ndarray, *, bounds: Bounds = (0.0, 1.0), repair: bool = False
) -> pd.Series:
    """The minimum-volatility fully invested portfolio within the bounds.

    Parameters
    ----------
    cov:
        Annualised covariance (DataFrame labelled by asset, or array: assets ``asset_0``, ...).
    bounds:
        ``(lo, hi)``: scalars or per-asset arrays/Series; every weight satisfies lo_i <= w_i <= hi_i.
    repair:
        Passed to `quant.validation.as_covariance`: clip negative eigenvalues instead of raising.

    Returns
    -------
    pd.Series
        Weights indexed by asset, summing to 1, within the bounds.
    """
    problem = _Problem.build(None, cov, bounds, repair)
    seg = problem.min_vol_segment()
    return problem.series(problem.finish(seg, 0.0))


@single_threaded_blas
def max_sharpe(
    mu: pd.Series | np.ndarray,
    cov: pd.DataFrame | np.ndarray,
    *,
    risk_free_rate: float = 0.0,
    bounds: Bounds = (0.0, 1.0),
    repair: bool = False,
) -> pd.Series:
    """The portfolio with the largest Sharpe ratio (μ'w - risk_free_rate) / sqrt(w'Σw).

    `risk_free_rate` is annualised, like `mu`. Raises `ConstraintError` when no portfolio within
    the bounds earns more than the risk-free rate (the Sharpe ratio would be maximised by the
    least negative ratio, which is not a meaningful tangency portfolio).
    """
    return _solved(mu, cov, bounds, repair, _Problem.max_sharpe, risk_free_rate, "risk_free_rate")


@single_threaded_blas
def efficient_return(
    mu: pd.Series | np.ndarray,
    cov: pd.DataFrame | np.ndarray,
    target_return: float,
    *,
    bounds: Bounds = (0.0, 1.0),
    repair: bool = False,
) -> pd.Series:
    """The minimum-volatility portfolio whose expected return is at least `target_return`.

    A target below the minimum-volatility portfolio's return gives that portfolio (the return
    constraint is slack). A target above the largest achievable return raises
    `InfeasibleTargetError` stating the achievable range (``.achievable`` holds it).
    """
    return _solved(
        mu, cov, bounds, repair, _Problem.efficient_return, target_return, "target_return"
    )


@single_threaded_blas
def efficient_risk(
    mu: pd.Series | np.ndarray,
    cov: pd.DataFrame | np.ndarray,
    target_volatility: float,
    *,
    bounds: Bounds = (0.0, 1.0),
    repair: bool = False,
) -> pd.Series:
    """The maximum-return portfolio whose (annualised) volatility is at most `target_volatility`.

    A target below the minimum achievable volatility raises `InfeasibleTargetError` with the
    achievable range; a target above the maximum-return portfolio's volatility gives that
    portfolio.
    """
    return _solved(
        mu, cov, bounds, repair, _Problem.efficient_risk, target_volatility, "target_volatility"
    )


@single_threaded_blas
def efficient_frontier(
    mu: pd.Series | np.ndarray,
    cov: pd.DataFrame | np.ndarray,
    *,
    points: int = 20,
    bounds: Bounds = (0.0, 1.0),
    risk_free_rate: float = 0.0,
    repair: bool = False,
) -> pd.DataFrame:
    """`points` efficient portfolios with returns evenly spaced from min-volatility to max-return.

    Returns a DataFrame with one row per portfolio and the columns ``return``, ``volatility``,
    ``sharpe`` ((return - risk_free_rate) / volatility) followed by one weight column per asset.
    Each row equals `efficient_return` at that row's return.
    """
    if isinstance(points, bool) or not isinstance(points, int | np.integer) or points < 1:
        raise ConstraintError(f"points must be a positive integer, got {points!r}")
    problem = _Problem.build(mu, cov, bounds, repair)
    rf = finite_number(risk_free_rate, "risk_free_rate", ConstraintError)
    weights = problem.frontier(int(points))
    mu_arr = problem.mu
    returns = weights @ mu_arr
    variances = np.einsum("ij,jk,ik->i", weights, problem.sigma, weights)
    vols = np.sqrt(np.maximum(variances, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        sharpe = (returns - rf) / vols
    frame = pd.DataFrame(weights, columns=problem.names)
    frame.insert(0, "sharpe", sharpe)
    frame.insert(0, "volatility", vols)
    frame.insert(0, "return", returns)
    return frame


# ---------------------------------------------------------------------------------------------
# input handling


def _solved(
    mu: pd.Series | np.ndarray,
    cov: pd.DataFrame | np.ndarray,
    bounds: Bounds,
    repair: bool,
    solve: Callable[[_Problem, float], tuple[np.ndarray, Segment]],
    value: float,
    what: str,
) -> pd.Series:
    """The weights `solve` finds for the problem (mu, cov, bounds) and the finite number `value`
    (the argument named `what`: a target or the risk-free rate)."""
    problem = _Problem.build(mu, cov, bounds, repair)
    w, _ = solve(problem, finite_number(value, what, ConstraintError))
    return problem.series(w)


def _covariance(
    cov: pd.DataFrame | np.ndarray, names: Sequence[str] | None, repair: bool
) -> tuple[list[str], np.ndarray]:
    frame = as_covariance(cov, repair=repair, names=names)
    return list(frame.columns), frame.to_numpy()


# ---------------------------------------------------------------------------------------------
# the solver


@dataclass
class _Top:
    """The maximum-return portfolio of least variance and where its piece of the path starts."""

    weights: np.ndarray
    segment: Segment
    t_end: float
    ret: float
    variance: float


class _Problem:
    def __init__(
        self, names: list[str], sigma: np.ndarray, mu: np.ndarray, lo: np.ndarray, hi: np.ndarray
    ) -> None:
        self.names = names
        self.sigma = sigma
        self.mu = mu
        self.lo = lo
        self.hi = hi
        self.qp = ParametricQP(sigma, mu, lo, hi)
        self._min_vol: Segment | None = None
        self._top: _Top | None = None
        self.ret_tol = 1e-13 * max(1.0, float(np.max(np.abs(mu))))

    @classmethod
    def build(
        cls,
        mu: pd.Series | np.ndarray | None,
        cov: pd.DataFrame | np.ndarray,
        bounds: Bounds,
        repair: bool,
    ) -> _Problem:
        hint: list[str] | None = None
        if isinstance(mu, pd.Series) and not isinstance(cov, pd.DataFrame):
            hint = check_asset_names(mu.index)
        names, sigma = _covariance(cov, hint, repair)
        if len(names) < 2:
            raise InsufficientDataError(
                f"mean-variance optimisation needs at least 2 assets, got {len(names)}"
            )
        if mu is None:
            mu_arr = np.zeros(len(names))
        else:
            if isinstance(mu, pd.Series) and mu.isna().any():
                raise DataError(
                    f"expected returns are NaN for asset {mu.index[int(np.argmax(mu.isna()))]!s}"
                )
            mu_arr = check_vector(mu, names, "expected returns")
        lo, hi = weight_bounds(bounds, names)
        return cls(names, sigma, mu_arr, lo, hi)

    # -------------------------------------------------------------- building blocks
    def series(self, w: np.ndarray) -> pd.Series:
        return pd.Series(w, index=self.names, name="weight")

    def finish(self, seg: Segment, t: float) -> np.ndarray:
        """Weights at t on a segment, checked against KKT (re-solved if rounding broke them)."""
        if not self.qp.segment_is_optimal(seg, t):
            seg = self.qp.solve_segment(t, seg.labels)
        w = seg.weights(t)
        w = np.clip(w, self.lo, self.hi)
        residual = 1.0 - float(w.sum())
        if residual != 0.0:
            free = np.flatnonzero(seg.labels == FREE)
            if free.size:
                room = (self.hi - w)[free] if residual > 0 else (w - self.lo)[free]
                share = room / room.sum() if room.sum() > 0 else np.full(free.size, 1 / free.size)
                w[free] += residual * share
                w = np.clip(w, self.lo, self.hi)
        if not np.isfinite(w).all():
            raise SolverError("the mean-variance solver produced non-finite weights")
        return w

    def min_vol_segment(self) -> Segment:
        if self._min_vol is None:
            self._min_vol = self.qp.solve_segment(0.0)
        return self._min_vol

    def top(self) -> _Top:
        """The maximum-return portfolio with the least variance (the limit of P(t), t -> ∞)."""
        if self._top is not None:
            return self._top
        mu, lo, hi = self.mu, self.lo, self.hi
        w = lo.copy()
        remaining = 1.0 - float(lo.sum())
        order = np.argsort(-mu, kind="stable")
        marginal = float(mu[order[0]])
        for i in order:
            if remaining <= 0:
                break
            room = hi[i] - lo[i]
            if room <= 0:
                continue
            add = min(room, remaining)
            w[i] += add
            remaining -= add
            marginal = float(mu[i])
        group = np.flatnonzero((mu == marginal) & (hi > lo))
        above = (mu > marginal) & (hi > lo)
        fixed = np.where(above, hi, lo)
        labels = np.where(above, AT_UPPER, AT_LOWER).astype(np.int8)
        labels[hi <= lo] = PINNED
        if group.size:
            fixed[group] = 0.0
            others = np.setdiff1d(np.arange(len(mu)), group)
            budget = 1.0 - float(fixed[others].sum())
            sub_sigma = self.sigma[np.ix_(group, group)]
            q0 = -self.sigma[np.ix_(group, others)] @ fixed[others]
            sub = ParametricQP(
                sub_sigma, np.zeros(group.size), lo[group], hi[group], q0=q0, budget=budget
            )
            sub_labels = sub.solve(0.0)
            labels[group] = sub_labels
        seg = self.qp.segment(labels)
        t_end = max(seg.t_low, 0.0)
        if not math.isfinite(t_end):
            t_end = 0.0
        seg_w = self.finish(seg, t_end)
        self._top = _Top(
            weights=seg_w,
            segment=seg,
            t_end=t_end,
            ret=float(mu @ seg_w),
            variance=float(seg_w @ self.sigma @ seg_w),
        )
        return self._top

    def search(
        self,
        decide: Callable[[Segment, float, float], tuple[str, float]],
        start: Segment,
        t_left: float = 0.0,
    ) -> tuple[Segment, float]:
        """Bracketed search over t in [t_left, t_end] for the piece where `decide` says 'in'.

        `decide(segment, a, b)` looks at the segment clipped to [a, b] and answers ('in', t*),
        ('right', guess) or ('left', guess): the answer lies at larger / smaller t, with a
        guess from extending this piece's closed form.
        """
        t_end = self.top().t_end
        t_right = t_end
        seg = start
        width = t_right - t_left
        stalls = 0
        for _ in range(_MAX_SEARCH_STEPS):
            a = max(seg.t_low, 0.0)
            b = max(min(seg.t_high, t_end), a)
            verdict, value = decide(seg, a, b)
            if verdict == "in":
                return seg, min(max(value, a), b)
            if verdict == "right":
                t_left = max(t_left, b)
            else:
                t_right = min(t_right, a)
            if t_right - t_left <= 1e-15 * max(1.0, abs(t_right)):
                t = t_left if verdict == "right" else t_right
                t = max(t, 0.0)
                if seg.contains(t):
                    return seg, t
                seg = self.qp.solve_segment(t, seg.labels)
                return seg, t
            new_width = t_right - t_left
            stalls = stalls + 1 if new_width > 0.5 * width else 0
            width = new_width
            if math.isfinite(value) and t_left < value < t_right and stalls < 3:
                t_next = value
            else:
                t_next = 0.5 * (t_left + t_right)
                stalls = 0
            seg = self.qp.solve_segment(t_next, seg.labels)
        raise SolverError("the mean-variance path search did not converge")

    # -------------------------------------------------------------- problems
    def efficient_return(
        self, target: float, start: Segment | None = None, t_left: float = 0.0
    ) -> tuple[np.ndarray, Segment]:
        seg0 = self.min_vol_segment()
        top = self.top()
        r_min = seg0.ret(0.0)
        if target > top.ret + self.ret_tol:
            raise InfeasibleTargetError(
                f"target return {target:.2%} is above the largest achievable return "
                f"{top.ret:.2%}; efficient returns range from {r_min:.2%} to {top.ret:.2%}",
                achievable=(r_min, top.ret),
            )
        if target <= r_min + self.ret_tol:
            return self.finish(seg0, 0.0), seg0
        if target >= top.ret - self.ret_tol:
            return top.weights.copy(), top.segment
        tol = self.ret_tol

        def decide(seg: Segment, a: float, b: float) -> tuple[str, float]:
            guess = (target - seg.alpha) / seg.beta if seg.beta > 0 else math.nan
            if target < seg.ret(a) - tol:
                return "left", guess
            if target > seg.ret(b) + tol:
                return "right", guess
            return "in", guess if math.isfinite(guess) else a

        seg, t = self.search(decide, start if start is not None else seg0, t_left)
        return self.finish(seg, t), seg

    def efficient_risk(self, target: float) -> tuple[np.ndarray, Segment]:
        seg0 = self.min_vol_segment()
        top = self.top()
        v_min = max(seg0.variance(0.0), 0.0)
        vol_min, vol_max = math.sqrt(v_min), math.sqrt(max(top.variance, 0.0))
        if target < vol_min * (1 - 1e-12):
            raise InfeasibleTargetError(
                f"target volatility {target:.2%} is below the minimum achievable volatility "
                f"{vol_min:.2%}; efficient volatilities range from {vol_min:.2%} to {vol_max:.2%}",
                achievable=(vol_min, vol_max),
            )
        if target <= vol_min:
            return self.finish(seg0, 0.0), seg0
        if target >= vol_max:
            return top.weights.copy(), top.segment
        v_target = target * target
        tol = 1e-13 * max(v_target, 1e-300)

        def decide(seg: Segment, a: float, b: float) -> tuple[str, float]:
            guess = _quadratic_root(seg, v_target)
            if v_target < seg.variance(a) - tol:
                return "left", guess
            if v_target > seg.variance(b) + tol:
                return "right", guess
            return "in", guess if math.isfinite(guess) else a

        seg, t = self.search(decide, seg0)
        return self.finish(seg, t), seg

    def max_sharpe(self, rf: float) -> tuple[np.ndarray, Segment]:
        top = self.top()
        if top.ret <= rf:
            raise ConstraintError(
                f"no portfolio within the bounds earns more than the risk-free rate: the largest "
                f"achievable expected return is {top.ret:.6g} (largest asset expected return "
                f"{float(np.max(self.mu)):.6g}) and the risk-free rate is {rf:.6g}"
            )
        seg0 = self.min_vol_segment()
        t_end = top.t_end

        # Tangency: the maximiser solves P(t) with t = σ²/(μ'w - rf) (so Sharpe increases along
        # the path while σ²/(μ'w - rf) > t and decreases after). On a piece, with excess return
        # α' + βt and variance γ + 2δt + εt², the sign of σ²/(μ'w - rf) - t is that of
        # h(t) = γ + (2δ - α')t + (ε - β)t²  (where the excess return is positive; ε = β and
        # δ = 0 in exact arithmetic). A piece on which w is constant (a corner of the frontier)
        # is handled by the same test, which a derivative test along t could not do.
        def excess(seg: Segment, t: float) -> float:
            return seg.alpha - rf + seg.beta * t

        def h(seg: Segment, t: float) -> tuple[float, float]:
            alpha = seg.alpha - rf
            lin = 2.0 * seg.delta - alpha
            quad = seg.epsilon - seg.beta
            value = seg.gamma + lin * t + quad * t * t
            tol = 1e-12 * (abs(seg.gamma) + abs(lin * t) + abs(quad * t * t) + abs(alpha * t))
            return value, tol

        def root(seg: Segment) -> float:
            alpha = seg.alpha - rf
            lin = 2.0 * seg.delta - alpha
            quad = seg.epsilon - seg.beta
            if lin >= 0:
                return math.nan
            linear = -seg.gamma / lin
            if abs(quad * linear) <= 1e-10 * abs(lin):
                return linear
            disc = lin * lin - 4.0 * quad * seg.gamma
            if disc < 0:
                return linear
            # The root that tends to the linear one as quad -> 0 (lin < 0: no cancellation).
            return 2.0 * seg.gamma / (-lin + math.sqrt(disc))

        def decide(seg: Segment, a: float, b: float) -> tuple[str, float]:
            guess = root(seg)
            h_b, tol_b = h(seg, b)
            if excess(seg, b) <= 0.0 or h_b >= -tol_b:
                return ("in", b) if b >= t_end else ("right", guess)
            h_a, tol_a = h(seg, a)
            if excess(seg, a) > 0.0 and h_a <= tol_a:
                return ("in", a) if a <= 0.0 else ("left", guess)
            return "in", guess if math.isfinite(guess) else 0.5 * (a + b)

        if t_end <= 0.0:
            return top.weights.copy(), top.segment
        seg, t = self.search(decide, seg0)
        if t >= t_end:
            return top.weights.copy(), top.segment
        return self.finish(seg, t), seg

    def frontier(self, points: int) -> np.ndarray:
        seg0 = self.min_vol_segment()
        top = self.top()
        r_min, r_max = seg0.ret(0.0), top.ret
        out = np.empty((points, len(self.names)))
        w0 = self.finish(seg0, 0.0)
        if points == 1:
            out[0] = w0
            return out
        targets = np.linspace(r_min, r_max, points)
        seg, t_left = seg0, 0.0
        for k, target in enumerate(targets):
            if k == 0 or target <= r_min + self.ret_tol:
                out[k] = w0
            elif k == points - 1 or target >= r_max - self.ret_tol:
                out[k] = top.weights
            else:
                w, seg = self.efficient_return(float(target), start=seg, t_left=t_left)
                t_left = max(t_left, seg.t_low, 0.0)
                out[k] = w
        return out


def _quadratic_root(seg: Segment, v_target: float) -> float:
    """The largest t with γ + 2δt + εt² = v_target (nan if none)."""
    eps, delta, gamma = seg.epsilon, seg.delta, seg.gamma - v_target
    if abs(eps) <= 1e-300:
        return -gamma / (2 * delta) if delta != 0 else math.nan
    disc = delta * delta - eps * gamma
    if disc < 0:
        return math.nan
    return (-delta + math.sqrt(disc)) / eps


__all__ = [
    "efficient_frontier",
    "efficient_return",
    "efficient_risk",
    "max_sharpe",
    "min_volatility",
]
