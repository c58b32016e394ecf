"""Long-only risk parity (equal or budgeted risk contributions) by Spinu's damped Newton method.

The risk contribution of asset i to a portfolio w with covariance Σ is
RC_i = w_i (Σw)_i / (w'Σw); contributions sum to 1. Risk parity asks RC_i = b_i for given budgets
b (equal budgets 1/N by default). Following Spinu (2013), the long-only solution is w = x / sum(x)
where x is the unique minimiser of the strictly convex, self-concordant function

    f(x) = ½ x'Σx - Σ_i b_i log x_i,    x > 0,

whose first-order condition x_i (Σx)_i = b_i is exactly the budget equation (and x'Σx = sum(b)).
The problem is solved on the correlation scale (y = σ ⊙ x, Σ replaced by the correlation matrix)
so the Newton systems are well conditioned whatever the assets' volatilities.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.linalg import LinAlgError, cho_factor, cho_solve

from quant.blas import single_threaded_blas
from quant.errors import ConstraintError, CovarianceError, InsufficientDataError, SolverError
from quant.validation import as_covariance, check_vector

REQUIRED_ACCURACY = 1e-9
"""Largest relative budget error max_i |RC_i - b_i| / b_i accepted from the solver."""

_TARGET_ACCURACY = 1e-13
_DAMPING_THRESHOLD = 0.15
_MAX_ITERATIONS = 200


@single_threaded_blas
def risk_parity(
    cov: pd.DataFrame | np.ndarray,
    *,
    budgets: pd.Series | np.ndarray | None = None,
    repair: bool = False,
) -> pd.Series:
    """Long-only risk-parity weights: each asset's share of portfolio variance equals its budget.

    Parameters
    ----------
    cov:
        Covariance matrix of asset returns (any consistent units, e.g. annualised); a DataFrame
        labelled by asset, or an array (assets named ``asset_0``, ``asset_1``, ...). Validated by
        `quant.validation.as_covariance` (square, finite, symmetric, positive semi-definite).
    budgets:
        Risk budgets, positive and finite, a Series aligned by asset name or an array in the
        covariance's order; normalised to sum 1. ``None`` means equal budgets 1/N.
    repair:
        Passed to `as_covariance`: clip negative eigenvalues of a non-PSD matrix instead of raising.

    Returns
    -------
    pd.Series
        Weights indexed by asset name, all strictly positive, summing to 1, with relative risk
        contributions w_i (Σw)_i / (w'Σw) equal to the budgets to within 1e-9 relative.

    Raises
    ------
    InsufficientDataError
        Fewer than two assets.
    CovarianceError
        Invalid covariance, or an asset with zero variance (named).
    ConstraintError
        A zero or negative budget (the asset is named).
    DataError
        Budgets with missing, unknown or non-finite entries.
    SolverError
        The Newton iteration could not reach 1e-9 relative accuracy (e.g. a singular covariance
        whose null space meets the positive orthant, where no solution exists).
    """
    frame = as_covariance(cov, repair=repair)
    names = [str(c) for c in frame.columns]
    n_assets = len(names)
    if n_assets < 2:
        raise InsufficientDataError(f"risk parity needs at least 2 assets, got {n_assets}")
    sigma = frame.to_numpy()
    variances = np.diag(sigma).copy()
    scale = max(float(variances.max()), 1e-300)
    zero = variances <= 1e-14 * scale
    if zero.any():
        asset = names[int(np.argmax(zero))]
        raise CovarianceError(
            f"asset {asset} has zero variance: its risk contribution cannot equal a positive budget"
        )

    b = _budget_shares(budgets, names)
    std = np.sqrt(variances)
    corr = sigma / np.outer(std, std)
    corr = (corr + corr.T) / 2.0
    np.fill_diagonal(corr, 1.0)
    with np.errstate(all="ignore"):
        y = _spinu_newton(corr, b)
        x = y / std
        weights = x / x.sum()

    error = _budget_error(sigma, weights, b)
    if not error <= REQUIRED_ACCURACY:
        raise SolverError(
            f"risk parity did not converge: largest relative risk-budget error {error:.3g} "
            f"exceeds {REQUIRED_ACCURACY:g} (is the covariance singular?)"
        )
    return pd.Series(weights, index=names, name="weight")


def _budget_shares(budgets: pd.Series | np.ndarray | None, names: list[str]) -> np.ndarray:
    """The risk budgets as shares summing to 1 (equal shares for None); `ConstraintError` naming
    an asset whose budget is not positive."""
    if budgets is None:
        return np.full(len(names), 1.0 / len(names))
    raw = check_vector(budgets, names, "budgets")
    bad = raw <= 0.0
    if bad.any():
        i = int(np.argmax(bad))
        raise ConstraintError(f"budget for asset {names[i]} must be positive, got {raw[i]:g}")
    return np.asarray(raw / raw.sum())


def _budget_error(sigma: np.ndarray, weights: np.ndarray, budgets: np.ndarray) -> float:
    """max_i |RC_i - b_i| / b_i with RC_i = w_i (Σw)_i / (w'Σw)."""
    marginal = sigma @ weights
    variance = float(weights @ marginal)
    if not variance > 0.0 or not np.all(np.isfinite(weights)):
        return float("inf")
    contributions = weights * marginal / variance
    return float(np.max(np.abs(contributions - budgets) / budgets))


def _spinu_newton(corr: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Minimise ½ y'Cy - Σ b_i log y_i over y > 0 by damped Newton; return the best iterate.

    Starts from y ∝ b (x ∝ b/σ on the original scale) with y'Cy = 1, refined by `_warm_start`.
    Damped steps y - Δ/(1+λ) (λ the Newton decrement) stay inside the domain for self-concordant
    functions and make steady progress; once λ <= 0.15 the iteration is in the region of quadratic
    convergence and takes full steps.
    """
    y = b.copy()
    start_variance = float(y @ corr @ y)
    if not start_variance > 0.0:
        raise SolverError(
            "no risk-parity portfolio exists: a long-only portfolio has zero variance "
            "(the covariance is singular)"
        )
    y /= np.sqrt(start_variance)
    y = _warm_start(corr, b, y)
    best = y
    best_error = float("inf")
    stalled = 0
    for _ in range(_MAX_ITERATIONS):
        cy = corr @ y
        error = float(np.max(np.abs(y * cy - b) / b))
        if error < best_error:
            if error > 0.5 * best_error:
                stalled += 1
            else:
                stalled = 0
            best, best_error = y, error
        else:
            stalled += 1
        if best_error < _TARGET_ACCURACY or (stalled >= 3 and best_error < REQUIRED_ACCURACY):
            break
        gradient = cy - b / y
        hessian = corr.copy()
        hessian.flat[:: len(y) + 1] += b / (y * y)
        try:
            factor = cho_factor(hessian, lower=True, overwrite_a=True, check_finite=False)
            step = cho_solve(factor, gradient, check_finite=False)
        except (LinAlgError, ValueError):
            break
        slope = float(gradient @ step)
        decrement = float(np.sqrt(max(slope, 0.0)))
        if not np.isfinite(decrement):
            break
        # damped step, then backtracking: the barrier weights b_i < 1 make the objective not
        # self-concordant, so a damped step can still leave y > 0 or fail to decrease it
        # (sufficient decrease is only asked while damped: near the optimum the objective's
        # changes are below its rounding error, and full Newton steps converge quadratically)
        damped = decrement > _DAMPING_THRESHOLD
        t = 1.0 / (1.0 + decrement) if damped else 1.0
        value = _objective(y, cy, b) if damped else 0.0
        candidate = y - t * step
        while t > 1e-12:
            inside = bool((candidate > 0.0).all() and np.isfinite(candidate).all())
            if inside and (
                not damped or _objective(candidate, corr @ candidate, b) <= value - 0.25 * t * slope
            ):
                break
            t *= 0.5
            candidate = y - t * step
        else:
            break
        y = candidate
    return best


def _objective(y: np.ndarray, cy: np.ndarray, b: np.ndarray) -> float:
    """½ y'Cy - Σ b_i log y_i (y > 0), the function `_spinu_newton` minimises."""
    return float(0.5 * (y @ cy) - b @ np.log(y))


_WARM_SWEEPS = 40
_WARM_TARGET = 1e-6


def _warm_start(corr: np.ndarray, b: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Cheap O(N²) refinement of a positive starting point before the O(N³) Newton steps.

    Each sweep solves every asset's own budget equation y_i² + y_i s_i = b_i (s_i = (Cy)_i - y_i,
    the other assets held fixed, C with unit diagonal) for its positive root, for all assets at
    once, and moves halfway there. The sweeps are a heuristic: they stop as soon as the budget
    error fails to fall by a tenth (or is below 1e-6), and the best point seen is returned, so
    they can only save Newton iterations, never prevent convergence.
    """
    best, best_cy = y, corr @ y
    best_error = float(np.max(np.abs(y * best_cy - b) / b))
    for _ in range(_WARM_SWEEPS):
        if best_error < _WARM_TARGET:
            break
        others = best_cy - best
        candidate = 0.5 * best + (b / (np.sqrt(others * others + 4.0 * b) + others))
        candidate_cy = corr @ candidate
        error = float(np.max(np.abs(candidate * candidate_cy - b) / b))
        if not error < 0.9 * best_error:
            break
        best, best_cy, best_error = candidate, candidate_cy, error
    return best
