"""Risk parity within weight limits: caps and floors on each weight and limits on the total of a
group of assets (a sector, say).

Unconstrained long-only risk parity is w = y / 1'y with y the minimiser of
f(y) = ½ y'Σy - Σ_i b_i log y_i (Spinu 2013, `quant.optimizers.risk_budgeting`). A limit on the
normalised weights is a homogeneous linear constraint on y: w_i <= hi_i is y_i <= hi_i 1'y,
w_i >= lo_i is y_i >= lo_i 1'y, and a group's total within [gmin, gmax] is
gmin 1'y <= Σ_{i in g} y_i <= gmax 1'y. Minimising the same strictly convex f over the convex
cone those constraints cut (Richard and Roncalli 2019's constrained risk budgeting, with the
budget equation kept homogeneous) gives a unique y; w = y / 1'y keeps every limit, and equals
the unconstrained risk-parity portfolio whenever no limit binds (the first-order conditions are
then Spinu's). Where a limit binds, the assets it holds back carry less (or more) than their
budget of the risk, and the others share the rest as equally as the limits allow. An asset the
limits let hold nothing (a cap of 0, a group capped at 0, others' floors that take the whole
budget) has no place in the log barrier: it holds 0, and the others are the same program on their
own covariance and limits.

Solved with cvxpy and CLARABEL (an exponential-cone program) on the correlation scale, then
checked: weights sum to 1 and keep every limit to `quant.optimizers.grouped.TOLERANCE`, else
`SolverError`; limits no portfolio meets raise `ConstraintError`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from quant.errors import ConstraintError, SolverError
from quant.optimizers.bounds import Bounds, weight_bounds
from quant.optimizers.grouped import TOLERANCE, GroupLimit, cvxpy
from quant.validation import as_covariance

_OPEN = 1e-3
"""The total share the first program of `_closed_assets` spreads over the assets (each at most
`_OPEN / n`): an asset left below half of its part is checked on its own."""
_NOTHING = 1e-9
"""The largest weight an asset may reach and still count as holding nothing."""


def bounded_risk_parity(
    cov: pd.DataFrame,
    *,
    bounds: Bounds = (0.0, 1.0),
    groups: Sequence[GroupLimit] = (),
) -> pd.Series:
    """Long-only weights with risk contributions as equal as the limits allow: each weight
    within `bounds` (a pair for every asset, or per-asset pairs as `weight_bounds` reads them),
    each group's total within its limits (see the module docstring). `cov` is the covariance of
    the assets' returns (any consistent units)."""
    frame = as_covariance(cov)
    names = [str(c) for c in frame.columns]
    n = len(names)
    if n < 2:
        raise ConstraintError(f"risk parity needs at least 2 assets, got {n}")
    lo, hi = weight_bounds(bounds, names)
    if lo.sum() > 1.0 + TOLERANCE or hi.sum() < 1.0 - TOLERANCE or (lo > hi + TOLERANCE).any():
        raise ConstraintError(
            f"no fully invested portfolio keeps the weight limits: floors sum to {lo.sum():.4g}, "
            f"caps to {hi.sum():.4g}"
        )
    sigma = frame.to_numpy()
    std = np.sqrt(np.clip(np.diag(sigma), 1e-300, None))
    corr = sigma / np.outer(std, std)
    values = np.linalg.eigh((corr + corr.T) / 2.0)
    root = (values.eigenvectors * np.sqrt(np.clip(values.eigenvalues, 0.0, None))).T
    membership = np.zeros((len(groups), n))
    for row, group in enumerate(groups):
        unknown = [m for m in group.members if m not in names]
        if unknown:
            raise ConstraintError(
                f"group {group.name!r} names assets not in the covariance: {unknown}"
            )
        membership[row, [names.index(m) for m in group.members]] = 1.0
    closed = _closed_assets(lo, hi, membership, groups)
    if closed:
        return _without(frame, lo, hi, groups, closed)
    w = _solve(root, std, lo, hi, membership, groups)
    total = w.sum()
    if not np.isfinite(total) or total <= 0:
        raise SolverError("bounded risk parity found no portfolio")
    w = w / total
    worst = max(
        float(np.max(lo - w, initial=0.0)),
        float(np.max(w - hi, initial=0.0)),
        *(float(max(g.min - membership[r] @ w, membership[r] @ w - g.max, 0.0))
          for r, g in enumerate(groups)),
    )  # fmt: skip
    if worst > 10 * TOLERANCE:
        raise SolverError(f"the solved risk-parity weights miss a limit by {worst:.2g}")
    return pd.Series(
        np.clip(w, 0.0, None) / np.clip(w, 0.0, None).sum(), index=names, name="weight"
    )


def _without(
    frame: pd.DataFrame,
    lo: np.ndarray,
    hi: np.ndarray,
    groups: Sequence[GroupLimit],
    closed: set[int],
) -> pd.Series:
    """The weights when the limits let the assets `closed` (positions) hold nothing: 0 for them,
    risk parity within the limits among the others (the whole budget to one left alone). The
    limits are known feasible (`_closed_assets`)."""
    names = [str(c) for c in frame.columns]
    kept = [i for i in range(len(names)) if i not in closed]
    weights = np.zeros(len(names))
    if len(kept) == 1:
        weights[kept] = 1.0
    else:
        held = {names[i] for i in kept}
        narrowed = [
            GroupLimit(g.name, tuple(m for m in g.members if m in held), g.min, g.max)
            for g in groups
            if any(m in held for m in g.members)
        ]
        sub = frame.iloc[kept, kept]
        weights[kept] = bounded_risk_parity(
            sub, bounds=(lo[kept], hi[kept]), groups=narrowed
        ).to_numpy()
    return pd.Series(weights, index=names, name="weight")


def _closed_assets(
    lo: np.ndarray, hi: np.ndarray, membership: np.ndarray, groups: Sequence[GroupLimit]
) -> set[int]:
    """The positions of the assets that no fully invested weights within the limits let hold
    anything (a cap of 0, a group capped at 0, others' floors that take the whole budget);
    `ConstraintError` when no such weights exist. Linear programs: one that gives every asset
    it can the least share `_OPEN` (assets left at 0 are suspects), then one per suspect that
    maximises its weight."""
    from scipy.optimize import linprog

    n = len(lo)
    rows = np.array([*membership, *(-membership)]).reshape(-1, n)
    bounds_up = np.array([*(g.max for g in groups), *(-g.min for g in groups)])
    limits = list(zip(lo, hi, strict=True))
    share = _OPEN / n
    # variables: the weights w, then s_i <= w_i, s_i <= share; maximise the sum of the s
    found = linprog(
        np.concatenate((np.zeros(n), -np.ones(n))),
        A_ub=np.vstack(
            (np.hstack((rows, np.zeros_like(rows))), np.hstack((-np.eye(n), np.eye(n))))
        ),
        b_ub=np.concatenate((bounds_up, np.zeros(n))),
        A_eq=np.concatenate((np.ones(n), np.zeros(n)))[None, :],
        b_eq=[1.0],
        bounds=limits + [(0.0, share)] * n,
        method="highs",
    )
    if found.status == 2:
        named = ", ".join(g.name for g in groups)
        raise ConstraintError(
            "no fully invested portfolio keeps the weight limits"
            + (f" and the limits on {named}" if named else "")
        )
    if found.status != 0:
        return set()  # the program below decides
    suspects = [i for i in range(n) if found.x[n + i] < share / 2 and lo[i] <= 0.0]
    closed = set()
    for i in suspects:
        most = linprog(
            -np.eye(n)[i],
            A_ub=rows if len(rows) else None,
            b_ub=bounds_up if len(rows) else None,
            A_eq=np.ones((1, n)),
            b_eq=[1.0],
            bounds=limits,
            method="highs",
        )
        if most.status == 0 and -most.fun <= _NOTHING:
            closed.add(i)
    return closed


def _solve(
    root: np.ndarray,
    std: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    membership: np.ndarray,
    groups: Sequence[GroupLimit],
) -> np.ndarray:
    """The weights (unnormalised) of the homogeneous program, in units of y = σ ⊙ x."""
    cp = cvxpy()
    n = len(std)
    y = cp.Variable(n)
    x = cp.multiply(1.0 / std, y)  # the weights, up to scale
    scale = cp.sum(x)
    budget = np.full(n, 1.0 / n)
    constraints = [y >= 1e-12, x <= cp.multiply(hi, scale), x >= cp.multiply(lo, scale)]
    for row, group in enumerate(groups):
        held = membership[row] @ x
        constraints += [held <= group.max * scale, held >= group.min * scale]
    objective = cp.Minimize(0.5 * cp.sum_squares(root @ y) - budget @ cp.log(y))
    problem = cp.Problem(objective, constraints)
    try:
        problem.solve(solver=cp.CLARABEL)
    except cp.error.SolverError as exc:
        raise SolverError(f"bounded risk parity could not be solved: {exc}") from exc
    if problem.status in ("infeasible", "infeasible_inaccurate"):
        names = ", ".join(g.name for g in groups) or "the weight limits"
        raise ConstraintError(f"no fully invested portfolio keeps the limits ({names})")
    if y.value is None or problem.status not in ("optimal", "optimal_inaccurate"):
        raise SolverError(f"bounded risk parity ended {problem.status}")
    return np.asarray(y.value, dtype=float) / std


__all__ = ["bounded_risk_parity"]
