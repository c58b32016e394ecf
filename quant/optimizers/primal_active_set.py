"""The primal active-set method for a `BoundedQP`: the fallback of `ParametricQP.solve` when
block principal pivoting does not converge or ends on a singular face (a singular covariance,
e.g. fewer observations than assets).

From a feasible point (CLARABEL's approximate solution via cvxpy, else an interior point) it keeps
the weights feasible and, on the free set, takes the Newton step of the equality-constrained
subproblem, or, when the reduced Hessian is singular, moves along a zero-curvature direction
(downhill, or either way when flat) to the nearest bound; an asset held at a bound whose gradient
has the wrong sign is released. It ends on a labelling whose KKT system is regular, which the
pivoting then verifies and polishes exactly.
"""

from __future__ import annotations

import math

import numpy as np

from quant.optimizers.qp_problem import (
    AT_LOWER,
    AT_UPPER,
    FREE,
    PINNED,
    BoundedQP,
    fixed_values,
    pinned_nu,
)


def restart_points(qp: BoundedQP, t: float) -> list[np.ndarray]:
    """Feasible starting points for P(t), best first: CLARABEL's solution (when it solves), then
    a point inside the bounds."""
    guess = conic_guess(qp, t)
    return ([] if guess is None else [guess]) + [interior_point(qp)]


def interior_point(qp: BoundedQP) -> np.ndarray:
    """Weights within the bounds summing to the budget: the lower bounds plus the rest of the
    budget in proportion to each asset's room (the lower bounds if there is no room)."""
    width = np.maximum(qp.hi - qp.lo, 0.0)
    total = float(width.sum())
    if total <= 0:
        return qp.lo.copy()
    return qp.lo + (qp.budget - float(qp.lo.sum())) * width / total


def conic_guess(qp: BoundedQP, t: float) -> np.ndarray | None:
    """Approximate solution of P(t) from CLARABEL, used only to restart the pivoting."""
    try:
        import cvxpy as cp
    except ImportError:  # pragma: no cover - cvxpy is a dependency
        return None
    w = cp.Variable(qp.n)
    q = qp.q0 + t * qp.mu
    objective = cp.Minimize(0.5 * cp.quad_form(w, cp.psd_wrap(qp.sigma)) - q @ w)
    constraints = [cp.sum(w) == qp.budget, w >= qp.lo, w <= qp.hi]
    problem = cp.Problem(objective, constraints)
    try:
        problem.solve(solver=cp.CLARABEL)
    except cp.error.SolverError:
        return None
    if w.value is None:
        return None
    return np.asarray(w.value, dtype=float)


def _feasible_start(qp: BoundedQP, guess: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Project a guess onto the constraints (clip, then spread the budget gap) and label it."""
    lo, hi = qp.lo, qp.hi
    w = np.clip(np.asarray(guess, dtype=float), lo, hi)
    for _ in range(3):
        gap = qp.budget - float(w.sum())
        if gap == 0.0:
            break
        room = hi - w if gap > 0 else w - lo
        total = float(room.sum())
        if total <= 0:
            break
        w = np.clip(w + gap * room / total, lo, hi)
    width = np.maximum(hi - lo, 0.0)
    labels = np.zeros(qp.n, dtype=np.int8)
    near = 1e-9 * width
    at_lo = w <= lo + near
    at_hi = (w >= hi - near) & ~at_lo
    labels[at_lo] = AT_LOWER
    labels[at_hi] = AT_UPPER
    labels[qp.pinned] = PINNED
    fixed = labels != FREE
    w[fixed] = fixed_values(labels, lo, hi)[fixed]
    gap = qp.budget - float(w.sum())
    free = np.flatnonzero(~fixed)
    if gap != 0.0 and free.size:
        room = hi[free] - w[free] if gap > 0 else w[free] - lo[free]
        if float(room.sum()) > abs(gap):
            w[free] += gap * room / float(room.sum())
        else:
            labels = np.zeros(qp.n, dtype=np.int8)
            labels[qp.pinned] = PINNED
    return w, labels


def _release_wrong_sign(
    labels: np.ndarray, held: np.ndarray, g: np.ndarray, nu: float, g_tol: float
) -> np.ndarray | None:
    """The labels with the asset held at a bound (among ``held``) whose gradient g - ν has the
    most wrong sign set free; None when every sign is right within ``g_tol`` (optimal)."""
    wrong = np.where(labels[held] == AT_LOWER, nu - g[held], g[held] - nu)
    k = int(np.argmax(wrong))
    if wrong[k] <= g_tol:
        return None
    labels = labels.copy()
    labels[held[k]] = FREE
    return labels


def _free_step(qp: BoundedQP, free: np.ndarray, g: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """On the free set: (the Newton step of the equality-constrained subproblem and its budget
    multiplier, False), or (a zero-curvature direction, downhill when not flat, nan, True) when
    the reduced KKT matrix is singular."""
    m = free.size
    kkt = np.zeros((m + 1, m + 1))
    kkt[:m, :m] = qp.sigma[np.ix_(free, free)]
    kkt[:m, m] = -1.0
    kkt[m, :m] = -1.0
    values, vectors = np.linalg.eigh(kkt)
    big = float(np.max(np.abs(values)))
    null = np.abs(values) <= 1e-10 * big
    if null.any():
        d = vectors[:m, int(np.flatnonzero(null)[0])]
        return (-d if float(g[free] @ d) > 0 else d), math.nan, True
    rhs = np.zeros(m + 1)
    rhs[:m] = -g[free]
    sol = vectors @ ((1.0 / values) * (vectors.T @ rhs))
    return sol[:m], float(sol[m]), False


def primal_labels(qp: BoundedQP, t: float, guess: np.ndarray) -> np.ndarray | None:
    """An optimal labelling of P(t) (on a regular KKT system) by the primal active-set method
    from `guess` projected onto the constraints; None when it does not converge."""
    w, labels = _feasible_start(qp, guess)
    q = qp.q0 + t * qp.mu
    _, g_tol = qp.tolerances(t)
    step_tol = 1e-15 * qp.weight_scale
    for _ in range(20 * qp.n + 100):
        free = np.flatnonzero(labels == FREE)
        g = qp.sigma @ w - q
        held = np.flatnonzero((labels == AT_LOWER) | (labels == AT_UPPER))
        if free.size == 0:
            if held.size == 0:
                return None
            nu = pinned_nu(g, labels == AT_LOWER, labels == AT_UPPER)
            released = _release_wrong_sign(labels, held, g, nu, g_tol)
            if released is None:
                return labels
            labels = released
            continue
        step, nu, flat = _free_step(qp, free, g)
        if flat:
            alpha, block = _ratio(qp, w, free, step, math.inf)
            if block < 0:
                return None
            w[free] += alpha * step
            labels = _block(qp, w, labels, block)
            continue
        if float(np.max(np.abs(step))) > step_tol:
            alpha, block = _ratio(qp, w, free, step, 1.0)
            w[free] += alpha * step
            if block >= 0:
                labels = _block(qp, w, labels, block)
                continue
            g = qp.sigma @ w - q
        if held.size == 0:
            return labels
        released = _release_wrong_sign(labels, held, g, nu, g_tol)
        if released is None:
            return labels
        labels = released
    return None


def _ratio(
    qp: BoundedQP, w: np.ndarray, free: np.ndarray, d: np.ndarray, cap: float
) -> tuple[float, int]:
    """Largest step along d (on the free set) keeping bounds, and the blocking asset (-1: none)."""
    wf = w[free]
    with np.errstate(divide="ignore", invalid="ignore"):
        up = np.where(d > 0, (qp.hi[free] - wf) / d, math.inf)
        down = np.where(d < 0, (qp.lo[free] - wf) / d, math.inf)
    steps = np.maximum(np.minimum(up, down), 0.0)
    k = int(np.argmin(steps))
    if steps[k] < cap:
        return float(steps[k]), int(free[k])
    return cap, -1


def _block(qp: BoundedQP, w: np.ndarray, labels: np.ndarray, asset: int) -> np.ndarray:
    """The labels with `asset` held at its nearer bound (and ``w`` set to it)."""
    labels = labels.copy()
    if abs(w[asset] - qp.hi[asset]) < abs(w[asset] - qp.lo[asset]):
        labels[asset] = AT_UPPER
        w[asset] = qp.hi[asset]
    else:
        labels[asset] = AT_LOWER
        w[asset] = qp.lo[asset]
    return labels
