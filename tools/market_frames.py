"""The market data the tools read, as returns held in memory: `MarketData` (the protocol),
`FrameMarketData`, and the embedded and configured data (`embedded_market_data`,
`configured_market_data`). Apart from `tools.context` so that what needs only the data (request
validation, the API's start-up) loads no LangChain."""

from __future__ import annotations

import functools
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import pandas as pd

if TYPE_CHECKING:
    from settings import Settings


class MarketData(Protocol):
    """A source of daily simple returns (rows: dates, columns: tickers) and market returns."""

    @property
    def tickers(self) -> tuple[str, ...]:
        """Every ticker available."""
        ...

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Every date with returns, ascending."""
        ...

    def returns(
        self, universe: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Daily simple returns of `universe` on the dates in [start, end]."""
        ...

    def market(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series | None:
        """Daily simple returns of the market index on [start, end], or None if there is none."""
        ...


@dataclass(frozen=True, eq=False)
class FrameMarketData:
    """Market data held in memory: asset returns and optional market (index) returns, and the
    provider and version they come from when they are a provider's (`services.market_data`).
    A symbol listed later than others has no returns before its first close."""

    asset_returns: pd.DataFrame
    market_returns: pd.Series | None = None
    provider: str | None = None
    version: str | None = None

    @property
    def tickers(self) -> tuple[str, ...]:
        """Every ticker (column) available."""
        return tuple(str(c) for c in self.asset_returns.columns)

    @property
    def dates(self) -> pd.DatetimeIndex:
        """Every date with returns."""
        return pd.DatetimeIndex(self.asset_returns.index)

    def returns(
        self, universe: Sequence[str], start: pd.Timestamp, end: pd.Timestamp
    ) -> pd.DataFrame:
        """Daily simple returns of `universe` on the dates in [start, end] where every one of
        them has a return (a copy)."""
        return self.asset_returns.loc[start:end, list(universe)].dropna()

    def market(self, start: pd.Timestamp, end: pd.Timestamp) -> pd.Series | None:
        """Daily simple returns of the market on [start, end], or None."""
        if self.market_returns is None:
            return None
        return self.market_returns.loc[start:end].copy()


@functools.lru_cache(maxsize=1)
def embedded_market_data() -> FrameMarketData:
    """The embedded S&P 500 dataset (20 stocks and the index) as returns; loaded once."""
    from quant.data import sp500_index_returns, sp500_returns
    from services.market_data.providers import EMBEDDED, EMBEDDED_VERSION

    return FrameMarketData(sp500_returns(), sp500_index_returns(), EMBEDDED, EMBEDDED_VERSION)


_CONFIGURED: dict[tuple[str, str], FrameMarketData] = {}
_CONFIGURED_LOCK = threading.Lock()


def configured_market_data(settings: Settings | None = None) -> FrameMarketData:
    """The configured market data (`services.market_data.market_returns`) as returns: the
    embedded dataset (with its index) by default; another provider's returns (no market index),
    one `FrameMarketData` per provider version. `DataError` when the data cannot be read."""
    from services.market_data.providers import EMBEDDED, market_returns

    provider, returns = market_returns(settings)
    if provider.name == EMBEDDED:
        return embedded_market_data()
    key = (provider.name, provider.version())
    with _CONFIGURED_LOCK:
        found = _CONFIGURED.get(key)
        if found is None:
            found = FrameMarketData(returns, None, *key)
            _CONFIGURED.clear()
            _CONFIGURED[key] = found
    return found


INDEX_SYMBOL = "SP500"
"""The S&P 500 index's symbol among the closes (`data_closes`): the embedded data's index."""


def data_closes(data: MarketData, symbol: str) -> pd.Series | None:
    """Daily closes of `symbol` (a ticker of `data`, or `INDEX_SYMBOL`: the S&P 500 index's
    level), ascending, from the provider `data`'s returns were computed from (the embedded
    data's, or the configured provider's at the version `data` holds); None when `data` holds
    returns alone (a frame built in memory, another version than the provider's now) or no
    closes of `symbol`."""
    from services.market_data.providers import EMBEDDED, market_data_provider

    if not isinstance(data, FrameMarketData) or data.provider is None:
        return None
    if data.provider == EMBEDDED:
        from quant.data import load_sp500_index, sp500_prices

        if symbol == INDEX_SYMBOL:
            return load_sp500_index() if data.market_returns is not None else None
        prices = sp500_prices()
    else:
        provider = market_data_provider()
        if (provider.name, provider.version()) != (data.provider, data.version):
            return None
        prices = provider.closes()
    if symbol not in prices.columns:
        return None
    return prices[symbol].dropna()
