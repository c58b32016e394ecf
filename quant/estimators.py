"""Estimators of expected returns, covariance and correlation from period returns.

Inputs are simple returns per period (rows: periods, columns: assets). Outputs are annualised
with `periods_per_year` (252 by default): means x 252, covariances x 252.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from quant.errors import DataError
from quant.validation import as_covariance, as_returns_frame

PERIODS_PER_YEAR = 252

MeanMethod = Literal["arithmetic", "geometric"]
CovarianceMethod = Literal["sample", "ledoit_wolf", "ewma"]


def mean_returns(
    returns: pd.DataFrame,
    *,
    method: MeanMethod = "arithmetic",
    periods_per_year: int = PERIODS_PER_YEAR,
) -> pd.Series:
    """Annualised expected returns per asset.

    `arithmetic`: mean(r) x periods_per_year. `geometric`: prod(1 + r)^(periods_per_year / n) - 1,
    the compound annual growth rate (requires every r > -1).
    """
    frame = as_returns_frame(returns)
    values = frame.to_numpy()
    if method == "arithmetic":
        result = values.mean(axis=0) * periods_per_year
    elif method == "geometric":
        if (values <= -1.0).any():
            col = int(np.argwhere(values <= -1.0)[0][1])
            raise DataError(f"a return <= -100% for {frame.columns[col]}: geometric mean undefined")
        result = np.expm1(np.log1p(values).sum(axis=0) * periods_per_year / values.shape[0])
    else:
        raise DataError(f"unknown mean method {method!r}: use 'arithmetic' or 'geometric'")
    return pd.Series(result, index=frame.columns, name="expected_return")


def sample_covariance(
    returns: pd.DataFrame, *, periods_per_year: int = PERIODS_PER_YEAR
) -> pd.DataFrame:
    """Annualised sample covariance (ddof=1)."""
    frame = as_returns_frame(returns)
    values = frame.to_numpy()
    centered = values - values.mean(axis=0)
    cov = centered.T @ centered / (values.shape[0] - 1) * periods_per_year
    return _labelled(cov, frame.columns)


def ledoit_wolf_shrinkage(returns: pd.DataFrame) -> float:
    """Ledoit-Wolf (2004) optimal shrinkage intensity towards a scaled identity, in [0, 1].

    Uses the same estimator as scikit-learn's `LedoitWolf` (centred data, ddof=0).
    """
    values = as_returns_frame(returns).to_numpy()
    return _ledoit_wolf(values - values.mean(axis=0))[1]


def ledoit_wolf_covariance(
    returns: pd.DataFrame, *, periods_per_year: int = PERIODS_PER_YEAR
) -> pd.DataFrame:
    """Annualised Ledoit-Wolf shrunk covariance; equals scikit-learn's `LedoitWolf().covariance_` x 252."""
    frame = as_returns_frame(returns)
    values = frame.to_numpy()
    cov, _ = _ledoit_wolf(values - values.mean(axis=0))
    return _labelled(cov * periods_per_year, frame.columns)


def _ledoit_wolf(centered: np.ndarray) -> tuple[np.ndarray, float]:
    n_obs, n_assets = centered.shape
    emp_cov = centered.T @ centered / n_obs
    mu = float(np.trace(emp_cov)) / n_assets
    squared = centered**2
    # beta: the estimated variance of the sample covariance's entries; delta: distance to target.
    beta_sum = float(np.sum(squared.T @ squared)) / n_obs
    delta_sum = float(np.sum(emp_cov**2))
    beta = (beta_sum - delta_sum) / (n_assets * n_obs)
    delta = (delta_sum - 2.0 * mu * float(np.trace(emp_cov)) + n_assets * mu**2) / n_assets
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0.0 else beta / delta
    shrunk = (1.0 - shrinkage) * emp_cov
    shrunk[np.diag_indices(n_assets)] += shrinkage * mu
    return shrunk, shrinkage


def ewma_covariance(
    returns: pd.DataFrame, *, halflife: float, periods_per_year: int = PERIODS_PER_YEAR
) -> pd.DataFrame:
    """Annualised exponentially weighted covariance with a half-life in periods.

    The weight of the observation k periods before the last is 0.5^(k / halflife); returns are
    centred on their weighted mean and the weighted average of cross-products is not
    bias-corrected. Equals pandas `DataFrame.ewm(halflife=h).cov(bias=True)` on the last date,
    x periods_per_year.
    """
    if not np.isfinite(halflife) or halflife <= 0:
        raise DataError(f"halflife must be a positive number of periods, got {halflife}")
    frame = as_returns_frame(returns)
    values = frame.to_numpy()
    ages = np.arange(values.shape[0] - 1, -1, -1, dtype=float)
    with np.errstate(over="ignore"):  # a tiny half-life: the old weights underflow to 0
        weights = np.exp2(-(ages / halflife))
    weights /= weights.sum()
    centered = values - weights @ values
    cov = (centered * weights[:, None]).T @ centered * periods_per_year
    return _labelled(cov, frame.columns)


def covariance(
    returns: pd.DataFrame,
    *,
    method: CovarianceMethod = "sample",
    halflife: float = 60.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> pd.DataFrame:
    """Annualised covariance by `sample`, `ledoit_wolf` or `ewma` (with `halflife` in periods)."""
    if method == "sample":
        return sample_covariance(returns, periods_per_year=periods_per_year)
    if method == "ledoit_wolf":
        return ledoit_wolf_covariance(returns, periods_per_year=periods_per_year)
    if method == "ewma":
        return ewma_covariance(returns, halflife=halflife, periods_per_year=periods_per_year)
    raise DataError(f"unknown covariance method {method!r}: use 'sample', 'ledoit_wolf' or 'ewma'")


def correlation(cov: pd.DataFrame) -> pd.DataFrame:
    """Correlation matrix from a covariance matrix; assets with zero variance are an error."""
    matrix = as_covariance(cov)
    std = np.sqrt(np.diag(matrix.to_numpy()))
    if (std == 0).any():
        raise DataError(
            f"asset {matrix.columns[int(np.argmin(std))]} has zero variance: no correlation"
        )
    corr = matrix.to_numpy() / np.outer(std, std)
    np.fill_diagonal(corr, 1.0)
    return pd.DataFrame(np.clip(corr, -1.0, 1.0), index=matrix.index, columns=matrix.columns)


def _labelled(matrix: np.ndarray, names: pd.Index) -> pd.DataFrame:
    matrix = (matrix + matrix.T) / 2.0
    return pd.DataFrame(matrix, index=list(names), columns=list(names))
