"""What every door says of tickers the data has no prices for (`unknown_tickers`): which ones,
what the data holds (where it comes from, how many tickers, the first of them) and, for the
configured market data, where more tickers come from: a CSV or Parquet file of daily closes
(`STRATIGOS_MARKET_DATA=<path or s3://...>`, or a dataset uploaded and named by `dataset_id`),
or Alpaca Market Data (`STRATIGOS_MARKET_DATA=alpaca`); `stratigos market-data status` lists the
tickers in use (docs/market-data.md). The default data is the embedded S&P 500 sample: 20
stocks, so GOOGL, AMZN or META, say, are not among them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

SHOWN = 20
"""The most tickers of the data a message lists."""

PROVIDER_WORDS = {
    "sp500": "the embedded S&P 500 data",
    "file": "the configured price file",
    "alpaca": "Alpaca Market Data",
    "ingested": "the ingested price files",
}
"""The market data providers (`MarketDataProvider.name`) as a message names them."""

MORE_TICKERS = (
    "bring their prices as a CSV or Parquet file of daily closes (STRATIGOS_MARKET_DATA=<path>, "
    "or upload one with POST /v1/market-data/datasets and name it by dataset_id) or from Alpaca "
    "Market Data (STRATIGOS_MARKET_DATA=alpaca); `stratigos market-data status` lists the "
    "tickers in use (docs/market-data.md)"
)
"""Where tickers the configured market data lacks come from."""


def unknown_tickers(
    unknown: Sequence[str], known: Sequence[str], source: Mapping[str, Any] | None = None
) -> str:
    """The problem of `unknown` tickers that the data holding `known` has no prices for.
    `source` says which data (as an analysis answer's `data` does): `{"source": "inline"}` the
    returns a request gave, a `dataset_id` an owner's upload, a provider's name (`sp500`,
    `file`, `alpaca`, `ingested`) or None the configured market data, whose message says where
    more tickers come from (see the module docstring)."""
    held = sorted(str(k) for k in known)
    listed = ", ".join(held[:SHOWN]) + (", ..." if len(held) > SHOWN else "")
    names = ", ".join(unknown)
    source = source or {}
    if source.get("source") == "inline":
        return f"no returns for {names} among the returns given ({listed})"
    dataset_id = source.get("dataset_id")
    if dataset_id and dataset_id != "sp500":
        return (
            f"no prices for {names} in dataset {dataset_id} ({len(held)} tickers: {listed}): "
            "upload a dataset that holds them (POST /v1/market-data/datasets)"
        )
    provider = source.get("source")
    if provider not in PROVIDER_WORDS:
        from services.market_data.providers import market_data_provider

        provider = market_data_provider().name
    words = PROVIDER_WORDS.get(str(provider), f"the market data ({provider})")
    return f"no prices for {names} in {words} ({len(held)} tickers: {listed}): {MORE_TICKERS}"
