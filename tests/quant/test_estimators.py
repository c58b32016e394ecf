"""Estimators against scikit-learn, pandas, PyPortfolioOpt and plain formulas."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quant.errors import CovarianceError, DataError
from quant.estimators import (
    correlation,
    covariance,
    ewma_covariance,
    ledoit_wolf_covariance,
    ledoit_wolf_shrinkage,
    mean_returns,
    sample_covariance,
)
from quant.validation import as_covariance


def test_arithmetic_and_geometric_means_match_pypfopt(returns_20: pd.DataFrame) -> None:
    from pypfopt import expected_returns  # the peer (with cvxpy, ~1.3 s), where it is used

    arithmetic = mean_returns(returns_20)
    geometric = mean_returns(returns_20, method="geometric")
    peer_arith = expected_returns.mean_historical_return(
        returns_20, returns_data=True, compounding=False
    )
    peer_geo = expected_returns.mean_historical_return(
        returns_20, returns_data=True, compounding=True
    )
    np.testing.assert_allclose(arithmetic.to_numpy(), peer_arith.to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(geometric.to_numpy(), peer_geo.to_numpy(), rtol=1e-10)


def test_sample_covariance_matches_pandas_annualised(returns_100: pd.DataFrame) -> None:
    ours = sample_covariance(returns_100)
    np.testing.assert_allclose(
        ours.to_numpy(), returns_100.cov().to_numpy() * 252, rtol=1e-12, atol=1e-18
    )
    assert list(ours.columns) == list(returns_100.columns)


def test_ledoit_wolf_matches_scikit_learn(
    returns_100: pd.DataFrame, sp500_returns: pd.DataFrame
) -> None:
    from sklearn.covariance import LedoitWolf  # imported here: ~0.5 s, not at collection

    for returns in (returns_100, sp500_returns):
        fitted = LedoitWolf().fit(returns.to_numpy())
        np.testing.assert_allclose(
            ledoit_wolf_covariance(returns).to_numpy() / 252,
            fitted.covariance_,
            rtol=1e-12,
            atol=1e-20,
        )
        assert ledoit_wolf_shrinkage(returns) == pytest.approx(fitted.shrinkage_, rel=1e-12)


def test_ledoit_wolf_with_more_assets_than_days_is_positive_definite() -> None:
    from sklearn.covariance import LedoitWolf

    rng = np.random.default_rng(3)
    returns = pd.DataFrame(rng.normal(0, 0.01, (40, 60)))
    shrunk = ledoit_wolf_covariance(returns).to_numpy()
    np.testing.assert_allclose(
        shrunk / 252, LedoitWolf().fit(returns.to_numpy()).covariance_, rtol=1e-12
    )
    assert np.linalg.eigvalsh(shrunk)[0] > 0


def test_ewma_matches_pandas_ewm_on_the_last_day(returns_20: pd.DataFrame) -> None:
    ours = ewma_covariance(returns_20, halflife=30)
    peer = returns_20.ewm(halflife=30).cov(bias=True).loc[returns_20.index[-1]]
    np.testing.assert_allclose(ours.to_numpy(), peer.to_numpy() * 252, rtol=1e-10, atol=1e-18)


def test_ewma_with_long_halflife_approaches_the_biased_sample_covariance(
    returns_20: pd.DataFrame,
) -> None:
    ours = ewma_covariance(returns_20, halflife=1e9).to_numpy()
    n = len(returns_20)
    biased = returns_20.cov().to_numpy() * 252 * (n - 1) / n
    np.testing.assert_allclose(ours, biased, rtol=1e-6)


def test_correlation_matches_pandas(returns_20: pd.DataFrame) -> None:
    corr = correlation(sample_covariance(returns_20))
    np.testing.assert_allclose(
        corr.to_numpy(), returns_20.corr().to_numpy(), rtol=1e-12, atol=1e-14
    )
    assert np.all(np.diag(corr.to_numpy()) == 1.0)


def test_covariance_dispatch_and_pypfopt_ledoit_wolf(returns_20: pd.DataFrame) -> None:
    from pypfopt import risk_models

    peer = risk_models.CovarianceShrinkage(returns_20, returns_data=True).ledoit_wolf()
    np.testing.assert_allclose(
        covariance(returns_20, method="ledoit_wolf").to_numpy(), peer.to_numpy(), rtol=1e-10
    )
    with pytest.raises(DataError, match="unknown covariance method"):
        covariance(returns_20, method="robust")  # type: ignore[arg-type]


def test_bad_returns_are_refused(returns_20: pd.DataFrame) -> None:
    broken = returns_20.copy()
    broken.iloc[5, 3] = np.nan
    with pytest.raises(DataError, match=f"NaN in returns of asset {returns_20.columns[3]}"):
        sample_covariance(broken)
    broken.iloc[5, 3] = np.inf
    with pytest.raises(DataError, match="infinite"):
        mean_returns(broken)
    with pytest.raises(DataError, match="at least 2 observations"):
        sample_covariance(returns_20.iloc[:1])
    with pytest.raises(DataError, match="halflife"):
        ewma_covariance(returns_20, halflife=0)
    with pytest.raises(DataError, match="geometric mean undefined"):
        mean_returns(returns_20.assign(A000=-1.5), method="geometric")


def test_non_psd_covariance_is_refused_unless_repaired() -> None:
    cov = np.array([[1.0, 0.9, 0.9], [0.9, 1.0, -0.9], [0.9, -0.9, 1.0]])
    assert np.linalg.eigvalsh(cov)[0] < 0
    with pytest.raises(CovarianceError, match="not positive semi-definite"):
        as_covariance(cov)
    repaired = as_covariance(cov, repair=True).to_numpy()
    assert np.linalg.eigvalsh(repaired)[0] >= -1e-12
    with pytest.raises(CovarianceError, match="symmetric"):
        as_covariance(np.array([[1.0, 0.2], [0.1, 1.0]]))
    with pytest.raises(CovarianceError, match="square"):
        as_covariance(np.ones((2, 3)))
    with pytest.raises(CovarianceError, match="negative variance for asset X"):
        as_covariance(pd.DataFrame([[-1.0, 0.0], [0.0, 1.0]], index=["X", "Y"], columns=["X", "Y"]))
