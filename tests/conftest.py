"""Shared fixtures: seeded factor-model returns and the embedded S&P 500 data."""

from __future__ import annotations

import pandas as pd
import pytest

from quant.data import load_sp500_prices, to_returns
from quant.synthetic import factor_model_returns


@pytest.fixture(scope="session")
def returns_20() -> pd.DataFrame:
    """1000 days x 20 assets of seeded factor-model returns."""
    return factor_model_returns(1000, 20, seed=20)


@pytest.fixture(scope="session")
def returns_100() -> pd.DataFrame:
    """1000 days x 100 assets of seeded factor-model returns."""
    return factor_model_returns(1000, 100, seed=100)


@pytest.fixture(scope="session")
def sp500_returns() -> pd.DataFrame:
    """Daily simple returns of the 20 embedded S&P 500 stocks, 2015-2022."""
    return to_returns(load_sp500_prices().loc["2015":])
