"""Long-only mean-variance optimisers: properties of random problems (against the KKT checks and
references of test_mean_variance.py) and bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.errors import (
    ConstraintError,
    CovarianceError,
    DataError,
    InfeasibleTargetError,
    InsufficientDataError,
)
from quant.optimizers.mean_variance import (
    efficient_frontier,
    efficient_return,
    efficient_risk,
    max_sharpe,
    min_volatility,
)
from quant.synthetic import factor_model_returns
from tests.quant.test_mean_variance import (
    _problem,
    assert_feasible,
    assert_kkt,
    greedy_max_return,
    sharpe,
)

# --- properties ---------------------------------------------------------------------------------


@st.composite
def problems(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    n = draw(st.integers(2, 8))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0, 0.2, (n, 2))
    cov = loadings @ loadings.T + np.diag(rng.uniform(0.01, 0.09, n))
    mu = rng.normal(0.08, 0.05, n)
    if draw(st.booleans()):
        lo, hi = np.zeros(n), np.ones(n)
    else:
        lo = rng.uniform(0, 0.8 / n, n)
        hi = lo + rng.uniform(0.1, 1.0, n)
        if hi.sum() < 1:
            hi = lo + (hi - lo) * (1.2 - lo.sum()) / (hi - lo).sum()
    return cov, mu, lo, hi


@settings(max_examples=40, deadline=None)
@given(problems(), st.randoms(use_true_random=False))
def test_properties(
    problem: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], rnd: object
) -> None:
    cov, mu, lo, hi = problem
    n = len(mu)
    names = [f"x{i}" for i in range(n)]
    cov_f = pd.DataFrame(cov, index=names, columns=names)
    mu_s = pd.Series(mu, index=names)
    bounds = (pd.Series(lo, index=names), pd.Series(hi, index=names))
    w_min = min_volatility(cov_f, bounds=bounds)
    assert_feasible(w_min, lo, hi)
    assert_kkt(w_min.to_numpy(), cov, mu, lo, hi, t=0.0)
    # Scaling Σ leaves the minimum-volatility weights unchanged.
    scaled = min_volatility(cov_f * 7.5, bounds=bounds)
    np.testing.assert_allclose(scaled.to_numpy(), w_min.to_numpy(), atol=1e-9)
    # Permuting the assets permutes the weights.
    perm = np.random.default_rng(n).permutation(n)
    pnames = [names[i] for i in perm]
    w_perm = min_volatility(cov_f.loc[pnames, pnames], bounds=bounds)
    np.testing.assert_allclose(w_perm.loc[names].to_numpy(), w_min.to_numpy(), atol=1e-9)
    if greedy_max_return(mu, lo, hi) > 0:
        w_s = max_sharpe(mu_s, cov_f, bounds=bounds)
        assert_feasible(w_s, lo, hi)
        ws_perm = max_sharpe(mu_s.loc[pnames], cov_f.loc[pnames, pnames], bounds=bounds)
        np.testing.assert_allclose(ws_perm.loc[names].to_numpy(), w_s.to_numpy(), atol=1e-8)
        assert sharpe(w_s.to_numpy(), mu, cov) >= sharpe(w_min.to_numpy(), mu, cov) - 1e-12
    frame = efficient_frontier(mu_s, cov_f, points=5, bounds=bounds)
    for k in range(5):
        assert_feasible(frame.iloc[k, 3:].astype(float), lo, hi)
    assert (np.diff(frame["return"]) >= -1e-12).all()
    assert (np.diff(frame["volatility"]) >= -1e-12).all()


# --- bad input ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small() -> tuple[pd.Series, pd.DataFrame]:
    return _problem(factor_model_returns(300, 5, seed=1))


def test_bounds_errors(small: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = small
    lo = pd.Series(0.0, index=cov.columns)
    hi = pd.Series(1.0, index=cov.columns)
    lo.iloc[2] = 0.5
    hi.iloc[2] = 0.4
    with pytest.raises(ConstraintError, match=r"exceeds upper bound .* asset A002"):
        min_volatility(cov, bounds=(lo, hi))
    with pytest.raises(ConstraintError, match=r"bounds cannot sum to 1: .*between 1.5 and 5"):
        max_sharpe(mu, cov, bounds=(0.3, 1.0))
    with pytest.raises(ConstraintError, match=r"bounds cannot sum to 1: .*between 0 and 0.5"):
        min_volatility(cov, bounds=(0.0, 0.1))
    with pytest.raises(ConstraintError, match="lower bound"):
        min_volatility(cov, bounds=(np.array([0.0, np.nan, 0, 0, 0]), 1.0))
    with pytest.raises(ConstraintError, match="pair"):
        min_volatility(cov, bounds=(0.0,))  # type: ignore[arg-type]


def test_data_errors(small: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = small
    with pytest.raises(InsufficientDataError, match="at least 2 assets"):
        min_volatility(cov.iloc[:1, :1])
    bad_mu = mu.copy()
    bad_mu.iloc[3] = np.nan
    with pytest.raises(DataError, match="A003"):
        max_sharpe(bad_mu, cov)
    with pytest.raises(DataError, match="missing assets: A004"):
        max_sharpe(mu.iloc[:4], cov)
    renamed = mu.rename(index={"A000": "ZZZ"})
    with pytest.raises(DataError, match=r"ZZZ|A000"):
        efficient_return(renamed, cov, 0.1)
    with pytest.raises(DataError, match="4 entries for 5 assets"):
        max_sharpe(mu.to_numpy()[:4], cov)
    bad = cov.to_numpy().copy()
    bad[0, 1] = bad[1, 0] = 10 * float(np.sqrt(bad[0, 0] * bad[1, 1]))
    not_psd = pd.DataFrame(bad, index=cov.index, columns=cov.columns)
    with pytest.raises(CovarianceError, match="positive semi-definite"):
        min_volatility(not_psd)
    repaired = min_volatility(not_psd, repair=True)
    assert_feasible(repaired, np.zeros(5), np.ones(5))
    with pytest.raises(ConstraintError, match="target_return"):
        efficient_return(mu, cov, float("nan"))


def test_target_errors(small: tuple[pd.Series, pd.DataFrame]) -> None:
    mu, cov = small
    sigma, m = cov.to_numpy(), mu.to_numpy()
    r_max = float(m.max())
    w0 = min_volatility(cov).to_numpy()
    r_min, vol_min = float(m @ w0), float(np.sqrt(w0 @ sigma @ w0))
    with pytest.raises(InfeasibleTargetError, match="above the largest achievable return") as info:
        efficient_return(mu, cov, r_max + 0.01)
    assert info.value.achievable == pytest.approx((r_min, r_max), rel=1e-10)
    assert f"{r_max:.2%}" in str(info.value)  # the range in the message, in percent
    # Below the min-volatility return: the min-volatility portfolio.
    np.testing.assert_allclose(efficient_return(mu, cov, r_min - 1.0).to_numpy(), w0, atol=1e-12)
    with pytest.raises(
        InfeasibleTargetError, match="below the minimum achievable volatility"
    ) as info:
        efficient_risk(mu, cov, vol_min * 0.9)
    assert info.value.achievable[0] == pytest.approx(vol_min, rel=1e-10)
    top = efficient_risk(mu, cov, 10.0).to_numpy()
    assert float(m @ top) == pytest.approx(r_max, rel=1e-12)
    rf = round(r_max + 0.05, 2)
    with pytest.raises(ConstraintError, match=f"risk-free rate is {rf:g}"):
        max_sharpe(mu, cov, risk_free_rate=rf)
    with pytest.raises(ConstraintError, match="largest asset expected return"):
        max_sharpe(mu - 1.0, cov)
    with pytest.raises(ConstraintError, match="points"):
        efficient_frontier(mu, cov, points=0)
