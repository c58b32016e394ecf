"""Where daily closes come from: the market-data providers, behind one interface.

A provider's `closes()` are daily closing prices, one float column per symbol, indexed by
session date (a sorted unique DatetimeIndex), shared by every caller: treat them as read-only.

- `EmbeddedMarketData`: the embedded S&P 500 data, the default that works offline: 20 large US
  stocks, adjusted closes, 1990-01-02 to 2022-12-28 (read from skfolio's wheel by `quant.data`);
  `EMBEDDED` is its name in answers.
- `FileMarketData`: the configured market data (`STRATIGOS_MARKET_DATA`), a CSV or Parquet file
  of daily closes, local or on S3, validated by `quant.data.load_prices` (gaps after a symbol's
  first price are carried forward). It is read again when it changes (a local file's
  modification time and size; an S3 object's ETag), so a file updated after each close makes
  paper deployments trade day by day; between changes every caller shares one table.

`market_data_provider(settings)` is the configured provider and `market_closes(settings)` its
closes: what deployments trade on and what the profile's tickers are checked against.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Protocol

import pandas as pd

from quant.data import load_prices, sp500_prices
from quant.errors import DataError
from settings import Settings, get_settings

EMBEDDED = "sp500"
"""The embedded dataset's name in answers (`source`, `dataset_id`)."""


class MarketDataProvider(Protocol):
    """A source of daily closes (see the module docstring)."""

    def closes(self) -> pd.DataFrame:
        """Daily closes, one column per symbol, indexed by session date; `DataError` saying
        what is wrong when the data cannot be used."""
        ...


class EmbeddedMarketData:
    """The embedded S&P 500 data (20 stocks, 1990-01-02 to 2022-12-28)."""

    def closes(self) -> pd.DataFrame:
        """The embedded adjusted closes, loaded once per process."""
        return sp500_prices()


@dataclass(frozen=True)
class FileMarketData:
    """Daily closes from a CSV or Parquet file: `location` is a local path or an S3 URI
    (``s3://bucket/key``, read through `s3_endpoint_url` when given)."""

    location: str
    s3_endpoint_url: str | None = None

    def closes(self) -> pd.DataFrame:
        """The file's closes, read again only when the file has changed."""
        if self.location.startswith("s3://"):
            return self._from_s3()
        path = Path(self.location).expanduser()
        try:
            stat = path.stat()
        except OSError as exc:
            raise DataError(f"market data {self.location}: {exc.strerror or exc}") from None
        version = (stat.st_mtime_ns, stat.st_size)
        return _cached(self.location, version, lambda: self._load(path))

    def _from_s3(self) -> pd.DataFrame:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError

        uri = self.location
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        if not bucket or not key:
            raise DataError(f"market data {uri}: an S3 location is s3://bucket/key")
        client = boto3.client("s3", endpoint_url=self.s3_endpoint_url)
        try:
            etag = client.head_object(Bucket=bucket, Key=key)["ETag"]
        except (BotoCoreError, ClientError) as exc:
            raise DataError(f"market data {uri} cannot be read: {exc}") from None

        def download() -> pd.DataFrame:
            suffix = PurePosixPath(key).suffix
            with tempfile.TemporaryDirectory() as directory:
                local = Path(directory) / f"closes{suffix}"
                try:
                    client.download_file(bucket, key, str(local))
                except (BotoCoreError, ClientError) as exc:
                    raise DataError(f"market data {uri} cannot be read: {exc}") from None
                return self._load(local)

        return _cached(uri, etag, download)

    def _load(self, path: Path) -> pd.DataFrame:
        try:
            return load_prices(path, fill_gaps=True)
        except DataError as exc:
            raise DataError(f"market data {self.location}: {exc}") from None


_cache: dict[str, tuple[object, pd.DataFrame]] = {}
_lock = threading.Lock()


def _cached(source: str, version: object, load: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The table of `source` at `version`, loaded by `load()` when it is not the cached one
    (shared by every caller: treat it as read-only)."""
    with _lock:
        held = _cache.get(source)
        if held is not None and held[0] == version:
            return held[1]
        frame = load()
        _cache.clear()
        _cache[source] = (version, frame)
        return frame


def market_data_provider(settings: Settings | None = None) -> MarketDataProvider:
    """The configured provider: the file of `market_data` when set, else the embedded data."""
    settings = settings or get_settings()
    if not settings.market_data:
        return EmbeddedMarketData()
    return FileMarketData(settings.market_data, settings.market_data_s3_endpoint_url)


def market_closes(settings: Settings | None = None) -> pd.DataFrame:
    """The closing prices deployments trade on: the configured provider's closes (shared by
    every caller: treat them as read-only). `DataError` says what is wrong with a configured
    file that cannot be used."""
    return market_data_provider(settings).closes()


def universe_closes(universe: Sequence[str], settings: Settings | None = None) -> pd.DataFrame:
    """The market data's closes of `universe`, on the sessions where every symbol has one."""
    return market_closes(settings).loc[:, list(universe)].dropna()


def sp500_assets() -> list[str]:
    """The embedded dataset's asset names."""
    return [str(c) for c in sp500_prices().columns]
