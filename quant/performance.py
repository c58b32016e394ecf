"""Ex-ante performance of a portfolio from estimates: expected return, volatility, Sharpe ratio.

Conventions: `mu` holds annualised expected returns and `cov` the annualised covariance (both as
the estimators in `quant.estimators` give them: mean x 252, covariance x 252); weights are
fractions of capital. The Sharpe ratio is (expected return - risk_free_rate) / volatility with an
annual `risk_free_rate`; it is undefined (NaN) when the volatility is zero.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.errors import DataError


@dataclass(frozen=True)
class PortfolioPerformance:
    """Annualised expected return, volatility sqrt(w'Σw) and Sharpe ratio (NaN at zero
    volatility) of one portfolio."""

    expected_return: float
    volatility: float
    sharpe_ratio: float


def portfolio_performance(
    weights: pd.Series,
    mu: pd.Series,
    cov: pd.DataFrame,
    *,
    risk_free_rate: float = 0.0,
) -> PortfolioPerformance:
    """The performance of `weights` under the estimates `mu` and `cov` (aligned by asset name;
    an asset missing from `weights` has weight 0). Raises `DataError` when an asset of `weights`
    has no estimate or a number is not finite."""
    names = [str(c) for c in mu.index]
    unknown = [str(a) for a in weights.index if str(a) not in set(names)]
    if unknown:
        raise DataError(f"no estimates for assets: {', '.join(unknown)}")
    w = weights.reindex(mu.index).fillna(0.0).to_numpy(dtype=float)
    sigma = cov.loc[mu.index, mu.index].to_numpy(dtype=float)
    if not (np.isfinite(w).all() and np.isfinite(sigma).all() and math.isfinite(risk_free_rate)):
        raise DataError("weights, covariance and risk-free rate must be finite numbers")
    expected = float(mu.to_numpy(dtype=float) @ w)
    volatility = math.sqrt(max(float(w @ sigma @ w), 0.0))
    sharpe = (expected - risk_free_rate) / volatility if volatility > 0 else math.nan
    return PortfolioPerformance(expected, volatility, sharpe)
