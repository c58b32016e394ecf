"""Market data for the interfaces: the embedded S&P 500 data (loaded once per process, shared,
read-only) and the checks an uploaded or inline table passes before it is used.

These are the numeric core's own loaders and validators (`quant.data`, `quant.validation`); the
API reaches them here. Returns are daily simple returns; tables have a sorted unique
DatetimeIndex and one float column per asset.
"""

from __future__ import annotations

import pandas as pd

from quant.data import sp500_prices, sp500_returns, to_returns, validate_prices
from quant.validation import as_returns_frame, check_asset_names


def market_closes() -> pd.DataFrame:
    """The closing prices deployments trade on (the configured market data: the embedded S&P
    500 data), one column per symbol, indexed by session date."""
    return sp500_prices()


__all__ = [
    "as_returns_frame",
    "check_asset_names",
    "market_closes",
    "sp500_prices",
    "sp500_returns",
    "to_returns",
    "validate_prices",
]
