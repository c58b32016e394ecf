"""Risk parity: budget equations, closed forms, cvxpy/CLARABEL, Riskfolio-Lib and skfolio as oracles."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.errors import (
    ConstraintError,
    CovarianceError,
    DataError,
    InsufficientDataError,
    SolverError,
)
from quant.estimators import sample_covariance
from quant.optimizers.risk_budgeting import risk_parity
from quant.synthetic import factor_model_returns


def relative_contributions(cov: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Plain reference: RC_i = w_i (Σw)_i / (w'Σw), with explicit loops."""
    n = len(weights)
    marginal = [sum(cov[i, j] * weights[j] for j in range(n)) for i in range(n)]
    variance = sum(weights[i] * marginal[i] for i in range(n))
    return np.array([weights[i] * marginal[i] / variance for i in range(n)])


def max_budget_error(cov: np.ndarray, weights: np.ndarray, budgets: np.ndarray) -> float:
    rc = relative_contributions(cov, weights)
    return float(np.max(np.abs(rc - budgets) / budgets))


def random_cov(seed: int, n: int, *, vol_spread: float = 1.0) -> np.ndarray:
    """A random full-rank factor-structured covariance with volatilities spread over decades."""
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    k = max(1, n // 3)
    loadings = rng.normal(0.0, 1.0, (n, k))
    loadings[:, 0] += 1.0
    corr_like = loadings @ loadings.T / k + np.diag(rng.uniform(0.05, 1.0, n))
    vols = 10.0 ** rng.uniform(-vol_spread, vol_spread, n) * 0.2
    d = vols / np.sqrt(np.diag(corr_like))
    cov = corr_like * np.outer(d, d)
    return (cov + cov.T) / 2.0


def check_solution(cov: np.ndarray, weights: pd.Series, budgets: np.ndarray) -> None:
    w = weights.to_numpy()
    assert np.all(w > 0)
    assert abs(w.sum() - 1.0) < 1e-12
    assert max_budget_error(cov, w, budgets) < 1e-9


# ----------------------------------------------------------------------------------------------
# Budget equations


@pytest.mark.parametrize("n_assets", [20, 100, 500])
def test_equal_contributions_factor_model(n_assets: int) -> None:
    cov = sample_covariance(factor_model_returns(1000, n_assets, seed=n_assets))
    weights = risk_parity(cov)
    assert list(weights.index) == list(cov.columns)
    check_solution(cov.to_numpy(), weights, np.full(n_assets, 1.0 / n_assets))


def test_equal_contributions_sp500(sp500_returns: pd.DataFrame) -> None:
    cov = sample_covariance(sp500_returns)
    weights = risk_parity(cov)
    check_solution(cov.to_numpy(), weights, np.full(cov.shape[0], 1.0 / cov.shape[0]))


def test_budgeted_contributions_by_name(returns_20: pd.DataFrame) -> None:
    cov = sample_covariance(returns_20)
    rng = np.random.default_rng(np.random.SeedSequence(7))
    raw = rng.uniform(0.5, 5.0, cov.shape[0])
    budgets = pd.Series(raw, index=cov.columns)
    shuffled = budgets.sample(frac=1.0, random_state=3)  # alignment must be by name, not order
    weights = risk_parity(cov, budgets=shuffled)
    check_solution(cov.to_numpy(), weights, raw / raw.sum())
    by_array = risk_parity(cov, budgets=raw * 10.0)  # normalised: scale of budgets is irrelevant
    np.testing.assert_allclose(by_array.to_numpy(), weights.to_numpy(), rtol=1e-12)


def test_badly_scaled_and_highly_correlated() -> None:
    cov = random_cov(11, 40, vol_spread=3.0)  # volatilities from 2e-4 to 200
    check_solution(cov, risk_parity(cov), np.full(40, 1 / 40))
    n = 30
    vols = np.linspace(0.05, 0.8, n)
    corr = np.full((n, n), 0.995)
    np.fill_diagonal(corr, 1.0)
    high = corr * np.outer(vols, vols)
    check_solution(high, risk_parity(high), np.full(n, 1 / n))


# ----------------------------------------------------------------------------------------------
# Closed forms


def test_constant_correlation_is_inverse_volatility() -> None:
    # With one common correlation, equal risk contributions are w_i ∝ 1/σ_i exactly.
    vols = np.array([0.05, 0.1, 0.15, 0.3, 0.6, 1.2])
    corr = np.full((6, 6), 0.4)
    np.fill_diagonal(corr, 1.0)
    weights = risk_parity(corr * np.outer(vols, vols)).to_numpy()
    expected = (1 / vols) / (1 / vols).sum()
    np.testing.assert_allclose(weights, expected, rtol=1e-12)


def test_diagonal_covariance_with_budgets() -> None:
    # Uncorrelated assets: w_i² σ_i² ∝ b_i, so w_i ∝ sqrt(b_i) / σ_i.
    vols = np.array([0.1, 0.2, 0.4, 0.05])
    budgets = np.array([0.1, 0.2, 0.3, 0.4])
    weights = risk_parity(np.diag(vols**2), budgets=budgets).to_numpy()
    expected = np.sqrt(budgets) / vols
    np.testing.assert_allclose(weights, expected / expected.sum(), rtol=1e-12)


# ----------------------------------------------------------------------------------------------
# Peers


def cvxpy_log_barrier(cov: np.ndarray, budgets: np.ndarray) -> np.ndarray:
    """The same convex problem, min ½ x'Σx - b'log x, solved by CLARABEL through cvxpy."""
    import cvxpy as cp

    # Solved on the correlation scale with tight tolerances: with CLARABEL's defaults the
    # contributions are equal only to ~3e-4; with these, to ~1e-9.
    vols = np.sqrt(np.diag(cov))
    factor = np.linalg.cholesky(cov / np.outer(vols, vols))
    x = cp.Variable(len(budgets), pos=True)
    objective = 0.5 * cp.sum_squares(factor.T @ x) - budgets @ cp.log(x)
    tight = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "tol_ktratio": 1e-10}
    cp.Problem(cp.Minimize(objective)).solve(solver=cp.CLARABEL, **tight)
    value = np.asarray(x.value, dtype=float) / vols
    return value / value.sum()


@pytest.mark.parametrize("n_assets", [20, 100])
def test_matches_cvxpy_clarabel(n_assets: int) -> None:
    cov = sample_covariance(factor_model_returns(1000, n_assets, seed=n_assets)).to_numpy()
    rng = np.random.default_rng(np.random.SeedSequence(n_assets))
    budgets = rng.uniform(0.2, 2.0, n_assets)
    budgets /= budgets.sum()
    ours = risk_parity(cov, budgets=budgets).to_numpy()
    theirs = cvxpy_log_barrier(cov, budgets)
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    # Ours is at least as accurate as the interior-point solution.
    assert max_budget_error(cov, ours, budgets) <= max_budget_error(cov, theirs, budgets)


@pytest.mark.parametrize("source", ["factor", "sp500"])
def test_matches_riskfolio(source: str, sp500_returns: pd.DataFrame) -> None:
    import riskfolio  # a locked test dependency: its absence fails

    returns = factor_model_returns(1000, 20, seed=5) if source == "factor" else sp500_returns
    port = riskfolio.Portfolio(returns=returns)
    port.assets_stats(method_mu="hist", method_cov="hist")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = port.rp_optimization(model="Classic", rm="MV", rf=0, b=None, hist=True)
    theirs = theirs.iloc[:, 0].reindex(returns.columns).to_numpy(dtype=float)
    cov = returns.cov()  # Riskfolio's "hist" covariance: the sample covariance, ddof=1
    np.testing.assert_allclose(port.cov.to_numpy(), cov.to_numpy(), rtol=1e-12)
    ours = risk_parity(cov).to_numpy()
    # Riskfolio's contributions are equal only to ~1e-4 (see notes); the weights agree to that.
    np.testing.assert_allclose(ours, theirs, atol=1e-4)
    n = len(ours)
    assert max_budget_error(cov.to_numpy(), ours, np.full(n, 1 / n)) < 1e-9
    assert max_budget_error(cov.to_numpy(), theirs, np.full(n, 1 / n)) < 1e-3


@pytest.mark.parametrize("source", ["factor", "sp500"])
def test_matches_skfolio(source: str, sp500_returns: pd.DataFrame) -> None:
    from skfolio import RiskMeasure
    from skfolio.optimization import RiskBudgeting

    returns = factor_model_returns(1000, 20, seed=6) if source == "factor" else sp500_returns
    model = RiskBudgeting(risk_measure=RiskMeasure.VARIANCE)
    model.fit(returns.to_numpy())
    theirs = np.asarray(model.weights_, dtype=float)
    ours = risk_parity(returns.cov()).to_numpy()  # skfolio's empirical prior: sample covariance
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


# ----------------------------------------------------------------------------------------------
# Properties


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    n = draw(st.integers(min_value=2, max_value=25))
    seed = draw(st.integers(min_value=0, max_value=2**32 - 1))
    spread = draw(st.floats(min_value=0.0, max_value=2.0))
    cov = random_cov(seed, n, vol_spread=spread)
    budgets = np.array(draw(st.lists(st.floats(0.05, 20.0), min_size=n, max_size=n)), dtype=float)
    return cov, budgets


@settings(max_examples=40, deadline=None)
@given(problems())
def test_property_budget_solution(problem: tuple[np.ndarray, np.ndarray]) -> None:
    cov, budgets = problem
    weights = risk_parity(cov, budgets=budgets)
    check_solution(cov, weights, budgets / budgets.sum())


@settings(max_examples=30, deadline=None)
@given(problems(), st.integers(min_value=0, max_value=10_000))
def test_property_permutation_equivariance(
    problem: tuple[np.ndarray, np.ndarray], perm_seed: int
) -> None:
    cov, budgets = problem
    names = [f"X{i}" for i in range(len(budgets))]
    frame = pd.DataFrame(cov, index=names, columns=names)
    base = risk_parity(frame, budgets=pd.Series(budgets, index=names))
    order = np.random.default_rng(perm_seed).permutation(len(names))
    permuted_names = [names[i] for i in order]
    permuted = risk_parity(
        frame.loc[permuted_names, permuted_names],
        budgets=pd.Series(budgets[order], index=permuted_names),
    )
    assert list(permuted.index) == permuted_names
    np.testing.assert_allclose(permuted.loc[names].to_numpy(), base.to_numpy(), rtol=1e-9)


@settings(max_examples=30, deadline=None)
@given(problems(), st.floats(min_value=-6.0, max_value=6.0))
def test_property_scale_invariance(problem: tuple[np.ndarray, np.ndarray], log_c: float) -> None:
    cov, budgets = problem
    base = risk_parity(cov, budgets=budgets).to_numpy()
    scaled = risk_parity(cov * 10.0**log_c, budgets=budgets).to_numpy()
    np.testing.assert_allclose(scaled, base, rtol=1e-9)


# ----------------------------------------------------------------------------------------------
# Errors


def test_single_asset() -> None:
    with pytest.raises(InsufficientDataError, match="at least 2"):
        risk_parity(np.array([[0.04]]))


def test_zero_variance_asset_named() -> None:
    cov = pd.DataFrame(np.diag([0.04, 0.0, 0.09]), index=list("ABC"), columns=list("ABC"))
    with pytest.raises(CovarianceError, match="asset B"):
        risk_parity(cov)


@pytest.mark.parametrize("bad", [0.0, -1.0])
def test_non_positive_budget_named(bad: float) -> None:
    cov = pd.DataFrame(np.diag([0.04, 0.01, 0.09]), index=list("ABC"), columns=list("ABC"))
    with pytest.raises(ConstraintError, match="asset C"):
        risk_parity(cov, budgets=pd.Series({"A": 1.0, "B": 1.0, "C": bad}))


def test_budget_alignment_errors() -> None:
    cov = pd.DataFrame(np.diag([0.04, 0.01, 0.09]), index=list("ABC"), columns=list("ABC"))
    with pytest.raises(DataError, match="missing"):
        risk_parity(cov, budgets=pd.Series({"A": 1.0, "B": 1.0}))
    with pytest.raises(DataError, match="unknown"):
        risk_parity(cov, budgets=pd.Series({"A": 1.0, "B": 1.0, "C": 1.0, "D": 1.0}))
    with pytest.raises(DataError, match="not finite"):
        risk_parity(cov, budgets=np.array([1.0, np.nan, 1.0]))


def test_non_psd_raises_unless_repaired() -> None:
    bad = np.array([[1.0, 0.9, -0.9], [0.9, 1.0, 0.9], [-0.9, 0.9, 1.0]])
    with pytest.raises(CovarianceError, match="positive semi-definite"):
        risk_parity(bad)
    eigenvalues, vectors = np.linalg.eigh(bad)
    repaired = (vectors * np.clip(eigenvalues, 0, None)) @ vectors.T
    weights = risk_parity(bad, repair=True)
    check_solution(repaired, weights, np.full(3, 1 / 3))


def test_singular_without_solution_raises_solver_error() -> None:
    # Perfectly anti-correlated: the equal-weight portfolio has zero variance.
    with pytest.raises(SolverError):
        risk_parity(np.array([[1.0, -1.0], [-1.0, 1.0]]))
    # A positive null vector u of Σ = I - uu' (no risk-parity portfolio exists).
    u = np.array([1.0, 2.0, 3.0])
    u /= np.linalg.norm(u)
    with pytest.raises(SolverError):
        risk_parity(np.eye(3) - np.outer(u, u))


# A correlation matrix (volatility 20% for every asset) and budgets on which the Newton
# iteration once stepped out of y > 0 and stopped (found by the property tests above).
HARD_CORRELATION = [
    [
        1.0,
        0.656718604565,
        0.509782686833,
        -0.159012908754,
        0.723741747651,
        0.606879383582,
        0.128167487188,
    ],
    [
        0.656718604565,
        1.0,
        0.682425203403,
        -0.495970198513,
        0.810760368285,
        0.569223138112,
        -0.278525503643,
    ],
    [
        0.509782686833,
        0.682425203403,
        1.0,
        -0.428231542689,
        0.650428505112,
        0.446095926367,
        -0.263741052864,
    ],
    [
        -0.159012908754,
        -0.495970198513,
        -0.428231542689,
        1.0,
        -0.39166999818,
        -0.177068739721,
        0.508170812155,
    ],
    [
        0.723741747651,
        0.810760368285,
        0.650428505112,
        -0.39166999818,
        1.0,
        0.612150507105,
        -0.136615218084,
    ],
    [
        0.606879383582,
        0.569223138112,
        0.446095926367,
        -0.177068739721,
        0.612150507105,
        1.0,
        0.051866374907,
    ],
    [
        0.128167487188,
        -0.278525503643,
        -0.263741052864,
        0.508170812155,
        -0.136615218084,
        0.051866374907,
        1.0,
    ],
]
HARD_BUDGETS = [1.0, 1.0, 8.0, 3.0, 4.0, 3.0, 0.0625]


def test_wide_budget_ratios_on_a_well_conditioned_matrix_converge() -> None:
    cov = 0.04 * np.array(HARD_CORRELATION)
    budgets = np.array(HARD_BUDGETS)
    assert np.linalg.eigvalsh(cov).min() > 1e-3  # well conditioned: a solution exists
    weights = risk_parity(cov, budgets=budgets)
    check_solution(cov, weights, budgets / budgets.sum())
