"""Seeded synthetic returns from a linear factor model, for tests, benchmarks and demos."""

from __future__ import annotations

import numpy as np
import pandas as pd


def factor_model_returns(
    n_days: int, n_assets: int, *, n_factors: int = 5, seed: int = 0, start: str = "2000-01-03"
) -> pd.DataFrame:
    """Daily simple returns r = B f + e from a `n_factors` factor model (seeded, reproducible).

    Factor returns have daily volatility 1% (the first, the market, 1.2% with a positive drift);
    loadings are drawn around 1 for the market and around 0 for the others; idiosyncratic daily
    volatility is between 0.8% and 2.5%; asset drifts are spread so expected returns differ.
    Columns are `A000`, `A001`, ...; the index is business days from `start`.
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    factor_vol = np.full(n_factors, 0.010)
    factor_vol[0] = 0.012
    factors = rng.standard_normal((n_days, n_factors)) * factor_vol
    factors[:, 0] += 0.0003
    loadings = rng.normal(0.0, 0.5, (n_assets, n_factors))
    loadings[:, 0] = rng.normal(1.0, 0.3, n_assets)
    idio_vol = rng.uniform(0.008, 0.025, n_assets)
    drift = rng.normal(0.0002, 0.0003, n_assets)
    noise = rng.standard_normal((n_days, n_assets)) * idio_vol
    returns = factors @ loadings.T + noise + drift
    index = pd.bdate_range(start, periods=n_days, name="date")
    columns = [f"A{i:03d}" for i in range(n_assets)]
    return pd.DataFrame(returns, index=index, columns=columns)
