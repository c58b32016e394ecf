"""Long-only mean-variance optimisers: agreement with cvxpy + CLARABEL formulations written here,
independent KKT checks and PyPortfolioOpt where it succeeds (properties and bad input:
test_mean_variance_inputs.py)."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from quant.estimators import mean_returns, sample_covariance
from quant.optimizers.mean_variance import (
    efficient_frontier,
    efficient_return,
    efficient_risk,
    max_sharpe,
    min_volatility,
)
from quant.synthetic import factor_model_returns

REL = 1e-7  # objective agreement with CLARABEL (relative)
FEAS = 1e-9  # bounds and budget
# CLARABEL's defaults stop at a relative gap of 1e-8; the references are solved tighter.
TIGHT = {"tol_gap_abs": 1e-12, "tol_gap_rel": 1e-12, "tol_feas": 1e-12, "max_iter": 500}


# --- reference formulations (cvxpy + CLARABEL) and plain checks ---------------------------------


def _arr(x: pd.Series | np.ndarray | float, n: int) -> np.ndarray:
    return np.broadcast_to(np.asarray(x, dtype=float), (n,)).copy()


def cvx_min_variance(
    cov: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    mu: np.ndarray | None = None,
    target: float | None = None,
) -> float:
    """min w'Σw s.t. 1'w = 1, lo <= w <= hi (and μ'w >= target)."""
    import cvxpy as cp

    n = cov.shape[0]
    w = cp.Variable(n)
    cons = [cp.sum(w) == 1, w >= lo, w <= hi]
    if target is not None:
        assert mu is not None
        cons.append(mu @ w >= target)
    prob = cp.Problem(cp.Minimize(cp.quad_form(w, cp.psd_wrap(cov))), cons)
    prob.solve(solver=cp.CLARABEL, **TIGHT)
    assert prob.status == cp.OPTIMAL, prob.status
    return float(prob.value)


def cvx_max_sharpe(
    cov: np.ndarray, mu: np.ndarray, lo: np.ndarray, hi: np.ndarray, rf: float
) -> float:
    """Charnes-Cooper: min y'Σy s.t. (μ - rf)'y = 1, 1'y = κ, lo κ <= y <= hi κ, κ >= 0."""
    import cvxpy as cp

    n = cov.shape[0]
    y = cp.Variable(n)
    kappa = cp.Variable(nonneg=True)
    cons = [(mu - rf) @ y == 1, cp.sum(y) == kappa, y >= lo * kappa, y <= hi * kappa]
    prob = cp.Problem(cp.Minimize(cp.quad_form(y, cp.psd_wrap(cov))), cons)
    prob.solve(solver=cp.CLARABEL, **TIGHT)
    assert prob.status == cp.OPTIMAL, prob.status
    w = np.asarray(y.value) / float(np.asarray(kappa.value))
    return sharpe(w, mu, cov, rf)


def cvx_max_return(
    cov: np.ndarray, mu: np.ndarray, lo: np.ndarray, hi: np.ndarray, vol: float
) -> tuple[float, float]:
    """max μ'w s.t. ||L'w|| <= vol (second-order cone), 1'w = 1, bounds. Returns (return, vol)."""
    import cvxpy as cp

    n = cov.shape[0]
    factor = np.linalg.cholesky(cov).T
    w = cp.Variable(n)
    cons = [cp.sum(w) == 1, w >= lo, w <= hi, cp.SOC(cp.Constant(vol), factor @ w)]
    prob = cp.Problem(cp.Maximize(mu @ w), cons)
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-10, tol_gap_rel=1e-10, tol_feas=1e-10)
    assert prob.status == cp.OPTIMAL, prob.status
    wv = np.asarray(w.value)
    return float(mu @ wv), float(np.sqrt(wv @ cov @ wv))


def sharpe(w: np.ndarray, mu: np.ndarray, cov: np.ndarray, rf: float = 0.0) -> float:
    return float((mu @ w - rf) / np.sqrt(w @ cov @ w))


def greedy_max_return(mu: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> float:
    """The LP max μ'w over the box and budget: fill the highest expected returns first."""
    w = lo.copy()
    left = 1.0 - lo.sum()
    for i in np.argsort(-mu):
        add = min(hi[i] - lo[i], left)
        w[i] += add
        left -= add
    return float(mu @ w)


def assert_feasible(w: pd.Series, lo: np.ndarray, hi: np.ndarray) -> None:
    values = w.to_numpy()
    assert np.isfinite(values).all()
    assert abs(values.sum() - 1.0) <= FEAS
    assert (values >= lo - FEAS).all()
    assert (values <= hi + FEAS).all()


def assert_kkt(
    w: np.ndarray,
    cov: np.ndarray,
    mu: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    t: float | None = None,
    tol: float = 1e-9,
) -> float:
    """Check that w solves min ½w'Σw - t μ'w over the box and budget for some t >= 0.

    With t None, t and the budget multiplier ν are fitted by least squares on the free assets
    (Σw)_F = t μ_F + ν; then every free asset must satisfy stationarity, assets at the lower bound
    need g = Σw - tμ - ν >= 0 and at the upper bound g <= 0. Returns t.
    """
    grad = cov @ w
    width = hi - lo
    at_lo = w <= lo + 1e-10 * np.maximum(width, 1e-300)
    at_hi = (w >= hi - 1e-10 * np.maximum(width, 1e-300)) & ~at_lo
    free = ~(at_lo | at_hi)
    scale = float(np.max(np.abs(cov))) + (abs(t) if t is not None else 1.0) * float(
        np.max(np.abs(mu))
    )
    if not free.any():
        # A vertex: the budget multiplier ν may be anything between max_U(h) and min_L(h).
        if t is None:
            # Need t >= 0 with (grad_i - grad_j) + t (μ_j - μ_i) >= 0 for i at lower, j at upper.
            const = (grad[at_lo][:, None] - grad[at_hi][None, :]).ravel()
            slope = (mu[at_hi][None, :] - mu[at_lo][:, None]).ravel()
            lower_t = max([0.0, *(-const[slope > 0] / slope[slope > 0])])
            upper_t = min([np.inf, *(-const[slope < 0] / slope[slope < 0])])
            assert lower_t <= upper_t * (1 + 1e-9) + 1e-12
            t = lower_t if np.isinf(upper_t) else 0.5 * (lower_t + upper_t)
        h = grad - t * mu
        high = np.min(h[at_lo]) if at_lo.any() else np.inf
        low = np.max(h[at_hi]) if at_hi.any() else -np.inf
        assert low <= high + tol * scale
        return float(t)
    if t is None:
        design = np.column_stack([mu[free], np.ones(int(free.sum()))])
        if free.sum() >= 2:
            t, nu = np.linalg.lstsq(design, grad[free], rcond=None)[0]
            if t < 0:  # return constraint slack: minimum variance
                t, nu = 0.0, float(np.mean(grad[free]))
        else:
            # One free asset f: ν = grad_f - t μ_f, and each bound gives an interval for t.
            f = int(np.flatnonzero(free)[0])
            const = grad - grad[f]
            slope = mu[f] - mu
            lower_t, upper_t = 0.0, np.inf
            for mask, sign in ((at_lo, 1.0), (at_hi, -1.0)):
                c, sl = sign * const[mask], sign * slope[mask]  # need c + t sl >= 0
                pos, neg = sl > 0, sl < 0
                if pos.any():
                    lower_t = max(lower_t, float(np.max(-c[pos] / sl[pos])))
                if neg.any():
                    upper_t = min(upper_t, float(np.min(-c[neg] / sl[neg])))
            assert lower_t <= upper_t * (1 + 1e-9) + 1e-12
            t = lower_t if np.isinf(upper_t) else 0.5 * (lower_t + upper_t)
            nu = float(grad[f] - t * mu[f])
    else:
        nu = float(np.mean(grad[free] - t * mu[free]))
    g = grad - t * mu - nu
    assert np.max(np.abs(g[free])) <= tol * scale, np.max(np.abs(g[free]))
    assert (g[at_lo] >= -tol * scale).all()
    assert (g[at_hi] <= tol * scale).all()
    assert t >= -tol
    return float(t)


def _problem(returns: pd.DataFrame) -> tuple[pd.Series, pd.DataFrame]:
    return mean_returns(returns), sample_covariance(returns)


@pytest.fixture(scope="module")
def data_500() -> tuple[pd.Series, pd.DataFrame]:
    return _problem(factor_model_returns(1000, 500, seed=500))


def _bounds_cases(n: int) -> list[tuple[object, object]]:
    rng = np.random.default_rng(n)
    lo = rng.uniform(0.0, 0.5 / n, n)
    hi = lo + rng.uniform(0.05, 0.4, n)
    return [(0.0, 1.0), (0.0, 0.15), (0.4 / n, 0.3), (lo, hi)]


DATASETS = ["returns_20", "returns_100", "sp500_returns"]


# --- agreement with CLARABEL --------------------------------------------------------------------


@pytest.mark.parametrize("fixture", DATASETS)
def test_min_volatility_matches_clarabel_and_kkt(
    fixture: str, request: pytest.FixtureRequest
) -> None:
    mu, cov = _problem(request.getfixturevalue(fixture))
    n = len(mu)
    sigma = cov.to_numpy()
    for bounds in _bounds_cases(n):
        lo, hi = _arr(bounds[0], n), _arr(bounds[1], n)  # type: ignore[arg-type]
        w = min_volatility(cov, bounds=bounds)  # type: ignore[arg-type]
        assert list(w.index) == list(cov.columns)
        assert_feasible(w, lo, hi)
        ours = float(w @ sigma @ w)
        peer = cvx_min_variance(sigma, lo, hi)
        assert ours <= peer * (1 + REL)
        assert abs(ours - peer) <= REL * peer
        assert_kkt(w.to_numpy(), sigma, mu.to_numpy(), lo, hi, t=0.0)


@pytest.mark.parametrize("fixture", DATASETS)
@pytest.mark.parametrize("rf", [0.0, 0.03])
def test_max_sharpe_matches_clarabel_and_kkt(
    fixture: str, rf: float, request: pytest.FixtureRequest
) -> None:
    mu, cov = _problem(request.getfixturevalue(fixture))
    n = len(mu)
    sigma, m = cov.to_numpy(), mu.to_numpy()
    for bounds in _bounds_cases(n):
        lo, hi = _arr(bounds[0], n), _arr(bounds[1], n)  # type: ignore[arg-type]
        w = max_sharpe(mu, cov, risk_free_rate=rf, bounds=bounds)  # type: ignore[arg-type]
        assert_feasible(w, lo, hi)
        ours = sharpe(w.to_numpy(), m, sigma, rf)
        peer = cvx_max_sharpe(sigma, m, lo, hi, rf)
        assert ours >= peer - REL * abs(peer)
        assert abs(ours - peer) <= REL * abs(peer)
        # Tangency: w solves P(t) with t = σ² / (μ'w - rf).
        wv = w.to_numpy()
        t = float(wv @ sigma @ wv / (m @ wv - rf))
        assert_kkt(wv, sigma, m, lo, hi, t=t)


@pytest.mark.parametrize("fixture", DATASETS)
def test_efficient_return_matches_clarabel(fixture: str, request: pytest.FixtureRequest) -> None:
    mu, cov = _problem(request.getfixturevalue(fixture))
    n = len(mu)
    sigma, m = cov.to_numpy(), mu.to_numpy()
    for bounds in _bounds_cases(n)[::3]:
        lo, hi = _arr(bounds[0], n), _arr(bounds[1], n)  # type: ignore[arg-type]
        r_min = float(m @ min_volatility(cov, bounds=bounds).to_numpy())  # type: ignore[arg-type]
        r_max = greedy_max_return(m, lo, hi)
        for frac in (0.1, 0.37, 0.8, 0.97):
            target = r_min + frac * (r_max - r_min)
            w = efficient_return(mu, cov, target, bounds=bounds)  # type: ignore[arg-type]
            assert_feasible(w, lo, hi)
            wv = w.to_numpy()
            assert m @ wv >= target - 1e-12
            ours = float(wv @ sigma @ wv)
            peer = cvx_min_variance(sigma, lo, hi, m, target)
            assert abs(ours - peer) <= REL * peer
            assert assert_kkt(wv, sigma, m, lo, hi) > 0


@pytest.mark.parametrize("fixture", DATASETS)
def test_efficient_risk_matches_clarabel(fixture: str, request: pytest.FixtureRequest) -> None:
    mu, cov = _problem(request.getfixturevalue(fixture))
    n = len(mu)
    sigma, m = cov.to_numpy(), mu.to_numpy()
    for bounds in _bounds_cases(n)[::3]:
        lo, hi = _arr(bounds[0], n), _arr(bounds[1], n)  # type: ignore[arg-type]
        w0 = min_volatility(cov, bounds=bounds).to_numpy()  # type: ignore[arg-type]
        vol_min = float(np.sqrt(w0 @ sigma @ w0))
        for factor in (1.05, 1.3, 1.8):
            target = vol_min * factor
            w = efficient_risk(mu, cov, target, bounds=bounds)  # type: ignore[arg-type]
            assert_feasible(w, lo, hi)
            wv = w.to_numpy()
            vol = float(np.sqrt(wv @ sigma @ wv))
            assert vol <= target * (1 + 1e-12)
            ours = float(m @ wv)
            t = assert_kkt(wv, sigma, m, lo, hi)
            peer_ret, peer_vol = cvx_max_return(sigma, m, lo, hi, target)
            if vol < target * (1 - 1e-9):
                # The risk constraint is slack only at the maximum-return portfolio.
                assert ours == pytest.approx(greedy_max_return(m, lo, hi), rel=1e-12)
                assert abs(ours - peer_ret) <= REL * abs(peer_ret)
                continue
            # CLARABEL may exceed the volatility target by ~1e-9; allow for the frontier's slope
            # dr/dσ = σ / t at that excess.
            allowance = REL * abs(peer_ret) + 2 * (vol / t) * max(peer_vol - target, 0.0)
            assert ours >= peer_ret - allowance
            assert abs(ours - peer_ret) <= allowance + REL * abs(peer_ret)


# --- the frontier -------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["returns_20", "sp500_returns"])
def test_efficient_frontier_shape_and_points(fixture: str, request: pytest.FixtureRequest) -> None:
    mu, cov = _problem(request.getfixturevalue(fixture))
    n = len(mu)
    sigma, m = cov.to_numpy(), mu.to_numpy()
    for bounds in [(0.0, 1.0), _bounds_cases(n)[3]]:
        lo, hi = _arr(bounds[0], n), _arr(bounds[1], n)  # type: ignore[arg-type]
        frame = efficient_frontier(mu, cov, points=15, bounds=bounds, risk_free_rate=0.01)  # type: ignore[arg-type]
        assert list(frame.columns[:3]) == ["return", "volatility", "sharpe"]
        assert list(frame.columns[3:]) == list(cov.columns)
        assert len(frame) == 15
        returns = frame["return"].to_numpy()
        vols = frame["volatility"].to_numpy()
        assert (np.diff(returns) > 0).all()
        assert (np.diff(vols) > 0).all()
        np.testing.assert_allclose(frame["sharpe"], (returns - 0.01) / vols, rtol=1e-12)
        w0 = min_volatility(cov, bounds=bounds).to_numpy()  # type: ignore[arg-type]
        assert returns[0] == pytest.approx(float(m @ w0), rel=1e-10)
        assert returns[-1] == pytest.approx(greedy_max_return(m, lo, hi), rel=1e-12)
        np.testing.assert_allclose(np.diff(returns), (returns[-1] - returns[0]) / 14, rtol=1e-8)
        for k in range(15):
            wk = frame.iloc[k, 3:].to_numpy(dtype=float)
            assert_feasible(pd.Series(wk), lo, hi)
            assert float(m @ wk) == pytest.approx(returns[k], rel=1e-12)
            direct = efficient_return(mu, cov, returns[k], bounds=bounds).to_numpy()  # type: ignore[arg-type]
            np.testing.assert_allclose(wk, direct, atol=1e-9)
            var = float(wk @ sigma @ wk)
            if 0 < k < 14:
                assert var == pytest.approx(cvx_min_variance(sigma, lo, hi, m, returns[k]), rel=REL)


@pytest.mark.parametrize("fixture", ["returns_20", "returns_100"])
def test_top_of_frontier_targets_succeed(fixture: str, request: pytest.FixtureRequest) -> None:
    """PyPortfolioOpt's default solver fails near the top of the frontier; ours must not."""
    mu, cov = _problem(request.getfixturevalue(fixture))
    sigma, m = cov.to_numpy(), mu.to_numpy()
    n = len(m)
    r_min = float(m @ min_volatility(cov).to_numpy())
    r_max = greedy_max_return(m, np.zeros(n), np.ones(n))
    for target in np.linspace(r_min, r_max, 20)[-4:]:
        w = efficient_return(mu, cov, float(target))
        assert_feasible(w, np.zeros(n), np.ones(n))
        assert float(m @ w.to_numpy()) >= target - 1e-12
        assert_kkt(w.to_numpy(), sigma, m, np.zeros(n), np.ones(n))
    top = efficient_return(mu, cov, r_max).to_numpy()
    assert float(m @ top) == pytest.approx(r_max, rel=1e-12)
    # Just below the top: CLARABEL agrees on the variance.
    target = r_max - 1e-4 * (r_max - r_min)
    wv = efficient_return(mu, cov, target).to_numpy()
    peer = cvx_min_variance(sigma, np.zeros(n), np.ones(n), m, target)
    assert float(wv @ sigma @ wv) == pytest.approx(peer, rel=REL)


def test_max_sharpe_500_assets(data_500: tuple[pd.Series, pd.DataFrame]) -> None:
    """PyPortfolioOpt's default solver fails max-Sharpe at 500 assets; ours must not."""
    mu, cov = data_500
    sigma, m = cov.to_numpy(), mu.to_numpy()
    n = len(m)
    w = max_sharpe(mu, cov)
    assert_feasible(w, np.zeros(n), np.ones(n))
    ours = sharpe(w.to_numpy(), m, sigma)
    peer = cvx_max_sharpe(sigma, m, np.zeros(n), np.ones(n), 0.0)
    assert abs(ours - peer) <= REL * peer
    wv = w.to_numpy()
    assert_kkt(wv, sigma, m, np.zeros(n), np.ones(n), t=float(wv @ sigma @ wv / (m @ wv)))
    wmin = min_volatility(cov).to_numpy()
    assert float(wmin @ sigma @ wmin) <= cvx_min_variance(sigma, np.zeros(n), np.ones(n)) * (
        1 + REL
    )


def test_singular_covariance_fewer_days_than_assets() -> None:
    mu, cov = _problem(factor_model_returns(40, 60, seed=3))
    sigma, m = cov.to_numpy(), mu.to_numpy()
    n = len(m)
    assert np.linalg.matrix_rank(sigma) < n
    lo, hi = np.zeros(n), np.full(n, 0.2)
    w = min_volatility(cov, bounds=(0.0, 0.2)).to_numpy()
    assert float(w @ sigma @ w) <= cvx_min_variance(sigma, lo, hi) + 1e-9 * np.max(np.diag(sigma))
    assert_feasible(max_sharpe(mu, cov, bounds=(0.0, 0.2)), lo, hi)
    r_min = float(m @ min_volatility(cov, bounds=(0.0, 0.2)).to_numpy())
    target = r_min + 0.5 * (greedy_max_return(m, lo, hi) - r_min)
    wv = efficient_return(mu, cov, target, bounds=(0.0, 0.2)).to_numpy()
    peer = cvx_min_variance(sigma, lo, hi, m, target)
    assert float(wv @ sigma @ wv) == pytest.approx(peer, rel=1e-6, abs=1e-10)


def test_degenerate_inputs() -> None:
    """Duplicate assets, equal expected returns, pinned weights and fully determined bounds."""
    mu, cov = _problem(factor_model_returns(500, 6, seed=9))
    sigma, m = cov.to_numpy().copy(), mu.to_numpy().copy()
    sigma[1, :] = sigma[0, :]
    sigma[:, 1] = sigma[:, 0]
    m[1] = m[0]
    cov = pd.DataFrame(sigma, index=cov.index, columns=cov.columns)
    mu = pd.Series(m, index=mu.index)
    for fn in (
        lambda: min_volatility(cov),
        lambda: max_sharpe(mu, cov),
        lambda: efficient_return(mu, cov, float(np.sort(m)[-2])),
    ):
        w = fn()
        assert_feasible(w, np.zeros(6), np.ones(6))
    wv = min_volatility(cov).to_numpy()
    assert float(wv @ sigma @ wv) == pytest.approx(
        cvx_min_variance(sigma, np.zeros(6), np.ones(6)), rel=REL
    )
    # Equal expected returns: the whole frontier is the minimum-volatility portfolio.
    flat = pd.Series(0.05, index=cov.columns)
    frame = efficient_frontier(flat, cov, points=4)
    np.testing.assert_allclose(frame["return"], 0.05, rtol=1e-12)
    # A pinned asset (lo == hi) and bounds that sum exactly to 1.
    lo = np.array([0.1, 0.0, 0.0, 0.3, 0.0, 0.0])
    hi = np.array([0.1, 1.0, 1.0, 0.3, 1.0, 1.0])
    wv = max_sharpe(mu, cov, bounds=(lo, hi)).to_numpy()
    assert wv[0] == pytest.approx(0.1, abs=1e-12) and wv[3] == pytest.approx(0.3, abs=1e-12)
    exact = np.full(6, 1 / 6)
    np.testing.assert_allclose(
        min_volatility(cov, bounds=(exact, exact)).to_numpy(), exact, atol=1e-12
    )
    lo = np.array([0.2, 0.2, 0.2, 0.2, 0.1, 0.1])
    np.testing.assert_allclose(max_sharpe(mu, cov, bounds=(lo, 1.0)).to_numpy(), lo, atol=1e-12)


def test_labels_and_alignment() -> None:
    mu, cov = _problem(factor_model_returns(500, 8, seed=4))
    shuffled = mu.iloc[::-1]
    a = max_sharpe(mu, cov)
    b = max_sharpe(shuffled, cov)
    pd.testing.assert_series_equal(a, b)
    c = max_sharpe(mu, cov.to_numpy())  # names come from mu
    assert list(c.index) == list(mu.index)
    np.testing.assert_allclose(c.to_numpy(), a.to_numpy(), atol=1e-12)
    d = min_volatility(cov.to_numpy())
    assert list(d.index) == [f"asset_{i}" for i in range(8)]
    hi = pd.Series(0.3, index=cov.columns[::-1])
    e = min_volatility(cov, bounds=(0.0, hi))
    assert (e <= 0.3 + FEAS).all()


def test_max_sharpe_past_a_corner_of_the_frontier() -> None:
    """A frontier corner (a vertex optimal over a range of t) lies beyond the tangency point.

    Regression: a derivative test along t sees the corner as flat and must not skip the piece
    before it, where the maximum is.
    """
    sigma = np.array(
        [
            [0.07893050187888893, 0.022681549647382875, -0.008754591661337081, 0.0326380995069486, 0.04110276223555304],
            [0.022681549647382875, 0.1560692521524554, 0.028960426930601527, -0.06305593968355425, -0.005840138694500238],
            [-0.008754591661337081, 0.028960426930601527, 0.2194588467947014, -0.0484452899473768, 0.06165783959213269],
            [0.0326380995069486, -0.06305593968355425, -0.0484452899473768, 0.2925779104294206, -0.04181591562527376],
            [0.04110276223555304, -0.005840138694500238, 0.06165783959213269, -0.04181591562527376, 0.21873891371857657],
        ]
    )  # fmt: skip
    mu = np.array([0.19832387821293673, 0.020197606335526773, 0.010870593033383877, 0.035693313976714436, -0.01142111494204781])  # fmt: skip
    lo = np.array([0.056061778623235886, 0.0807080682236957, 0.08548244296588736, 0.01766464890104147, 0.018379707243303324])  # fmt: skip
    hi = np.array([0.568220337545729, 0.4610273340869055, 0.16309596615800026, 0.04558731173001967, 0.2631188688774613])  # fmt: skip
    w = max_sharpe(mu, sigma, bounds=(lo, hi)).to_numpy()
    peer = cvx_max_sharpe(sigma, mu, lo, hi, 0.0)
    assert sharpe(w, mu, sigma) == pytest.approx(peer, rel=REL)
    assert_kkt(w, sigma, mu, lo, hi, t=float(w @ sigma @ w / (mu @ w)))


def test_random_bounded_problems_match_clarabel() -> None:
    """Seeded small problems with tight per-asset bounds (many corners) against CLARABEL."""
    rng = np.random.default_rng(np.random.SeedSequence(2024))
    for _ in range(40):
        n = int(rng.integers(3, 12))
        x = rng.standard_normal((3 * n + 10, 3)) @ rng.standard_normal((3, n)) * 0.01
        x += rng.standard_normal(x.shape) * rng.uniform(0.005, 0.03, n)
        sigma = np.cov(x.T) * 252
        mu = rng.normal(0.08, 0.06, n)
        lo = rng.uniform(0, 0.5 / n, n)
        hi = lo + rng.uniform(0.02, 0.6, n)
        if hi.sum() < 1:
            hi = lo + (hi - lo) * (1.3 - lo.sum()) / (hi - lo).sum()
        rf = 0.02
        if greedy_max_return(mu, lo, hi) > rf:
            w = max_sharpe(mu, sigma, bounds=(lo, hi), risk_free_rate=rf).to_numpy()
            peer = cvx_max_sharpe(sigma, mu, lo, hi, rf)
            assert sharpe(w, mu, sigma, rf) == pytest.approx(peer, rel=REL)
        w = min_volatility(sigma, bounds=(lo, hi)).to_numpy()
        assert float(w @ sigma @ w) == pytest.approx(cvx_min_variance(sigma, lo, hi), rel=REL)


@pytest.mark.parametrize("days", [15, 200])
def test_primal_active_set_fallback(days: int) -> None:
    """The fallback engine alone (from an interior point) solves P(t), singular Σ included."""
    import cvxpy as cp

    from quant.optimizers.active_set import ParametricQP
    from quant.optimizers.primal_active_set import interior_point, primal_labels

    mu, cov = _problem(factor_model_returns(days, 25, seed=days))
    sigma, m = cov.to_numpy(), mu.to_numpy()
    n = len(m)
    lo, hi = np.zeros(n), np.full(n, 0.3)
    qp = ParametricQP(sigma, m, lo, hi)
    for t in (0.0, 0.05, 0.5):
        labels = primal_labels(qp, t, interior_point(qp))
        assert labels is not None
        seg = qp.segment(labels, t_ref=t)
        assert qp.segment_is_optimal(seg, t)
        w = seg.weights(t)
        x = cp.Variable(n)
        prob = cp.Problem(
            cp.Minimize(0.5 * cp.quad_form(x, cp.psd_wrap(sigma)) - t * m @ x),
            [cp.sum(x) == 1, x >= lo, x <= hi],
        )
        prob.solve(solver=cp.CLARABEL, **TIGHT)
        ours = 0.5 * float(w @ sigma @ w) - t * float(m @ w)
        assert ours <= float(prob.value) + 1e-9 * (abs(float(prob.value)) + 1e-3)
        assert_feasible(pd.Series(w), lo, hi)


# --- PyPortfolioOpt where it succeeds -----------------------------------------------------------


def test_pypfopt_agreement(returns_20: pd.DataFrame) -> None:
    from pypfopt import EfficientFrontier

    mu, cov = _problem(returns_20)
    sigma, m = cov.to_numpy(), mu.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        peer = pd.Series(EfficientFrontier(mu, cov).min_volatility())
        ours = min_volatility(cov)
        assert float(ours @ sigma @ ours) <= float(peer @ sigma @ peer) * (1 + 1e-6)
        assert float(ours @ sigma @ ours) == pytest.approx(float(peer @ sigma @ peer), rel=1e-4)
        peer = pd.Series(EfficientFrontier(mu, cov).max_sharpe(risk_free_rate=0.02))
        ours = max_sharpe(mu, cov, risk_free_rate=0.02)
        ps, os_ = sharpe(peer.to_numpy(), m, sigma, 0.02), sharpe(ours.to_numpy(), m, sigma, 0.02)
        assert os_ >= ps * (1 - 1e-7)
        assert os_ == pytest.approx(ps, rel=1e-4)
        target = float(np.quantile(m, 0.7))
        peer = pd.Series(EfficientFrontier(mu, cov).efficient_return(target))
        ours = efficient_return(mu, cov, target)
        assert float(ours @ sigma @ ours) == pytest.approx(float(peer @ sigma @ peer), rel=1e-4)
