"""Where daily closes come from: the market-data providers, behind one interface.

A provider's `closes()` are daily closing prices, one float column per symbol, indexed by
session date (a sorted unique DatetimeIndex), shared by every caller: treat them as read-only.
`version()` names the data version read (it changes whenever the closes do) and
`latest_prices(symbols, at)` is each symbol's price at a time `at` during a session, when the
provider can give it (None otherwise).

- `EmbeddedMarketData` (``sp500``): the embedded S&P 500 data, the default that works offline:
  20 large US stocks, adjusted closes, 1990-01-02 to 2022-12-28 (read from skfolio's wheel by
  `quant.data`); no prices during a session.
- `FileMarketData` (``file``): the configured market data (`STRATIGOS_MARKET_DATA`), a CSV or
  Parquet file of daily closes, local or on S3, validated by `quant.data.load_prices` (gaps after
  a symbol's first price are carried forward) and refused when it holds a split it is not
  adjusted for (`services.market_data.adjustments`). It is read again when it changes (a local
  file's modification time and size; an S3 object's ETag): a file updated after each close makes
  paper deployments trade day by day. Its version is the SHA-256 of its bytes (12 hex digits);
  no prices during a session.
- `AlpacaMarketData` (``alpaca``, `STRATIGOS_MARKET_DATA=alpaca`): Alpaca Market Data, kept
  current by the daily refresh job (`services.market_data.alpaca`); prices during a session
  from the latest trades.

`market_data_provider(settings)` is the configured provider, `market_closes(settings)` its
closes (what optimizations, deployments and forward tests use and what the profile's tickers
are checked against), `market_returns(settings)` their daily returns and `data_info(provider, closes)` what an answer says about the data: the
provider, its version, and where the closes it used start and end.
"""

from __future__ import annotations

import hashlib
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any, Protocol

import pandas as pd

from quant.data import load_prices, sp500_prices, sp500_returns, to_returns
from quant.errors import DataError
from services.market_data.adjustments import check_split_adjusted
from services.market_data.versions import shared_table
from settings import Settings, get_settings

EMBEDDED = "sp500"
"""The embedded dataset's name in answers (`source`, `dataset_id`, `provider`)."""
EMBEDDED_VERSION = "sp500-1990-01-02-2022-12-28"
"""The embedded data's version (it never changes)."""
FILE = "file"
"""The file provider's name in answers."""


class MarketDataProvider(Protocol):
    """A source of daily closes (see the module docstring)."""

    @property
    def name(self) -> str:
        """The provider's name in answers (``sp500``, ``file``, ``alpaca``)."""
        ...

    def closes(self) -> pd.DataFrame:
        """Daily closes, one column per symbol, indexed by session date; `DataError` saying
        what is wrong when the data cannot be used."""
        ...

    def version(self) -> str:
        """The version of the closes `closes()` returns now."""
        ...

    def latest_prices(self, symbols: Sequence[str], at: datetime) -> pd.Series | None:
        """Each of `symbols`' price at `at`, during a session (a Series indexed by symbol, named
        by the session's date), or None when the provider has none; `DataError` when the
        provider cannot be read."""
        ...


class EmbeddedMarketData:
    """The embedded S&P 500 data (20 stocks, 1990-01-02 to 2022-12-28)."""

    name = EMBEDDED

    def closes(self) -> pd.DataFrame:
        """The embedded adjusted closes, loaded once per process."""
        return sp500_prices()

    def version(self) -> str:
        """The embedded data's one version."""
        return EMBEDDED_VERSION

    def latest_prices(self, symbols: Sequence[str], at: datetime) -> pd.Series | None:
        """None: the embedded data has daily closes only."""
        return None


@dataclass(frozen=True)
class FileMarketData:
    """Daily closes from a CSV or Parquet file: `location` is a local path or an S3 URI
    (``s3://bucket/key``, read through `s3_endpoint_url` when given)."""

    location: str
    s3_endpoint_url: str | None = None
    name = FILE

    def closes(self) -> pd.DataFrame:
        """The file's closes, read again only when the file has changed."""
        return self._read()[1]

    def version(self) -> str:
        """The SHA-256 of the file's bytes (12 hex digits), of the version `closes()` reads."""
        return self._read()[0]

    def latest_prices(self, symbols: Sequence[str], at: datetime) -> pd.Series | None:
        """None: a file holds daily closes only."""
        return None

    def _read(self) -> tuple[str, pd.DataFrame]:
        if self.location.startswith("s3://"):
            return self._from_s3()
        path = Path(self.location).expanduser()
        try:
            stat = path.stat()
        except OSError as exc:
            raise DataError(f"market data {self.location}: {exc.strerror or exc}") from None
        return _versioned(self.location, (stat.st_mtime_ns, stat.st_size), lambda: self._load(path))

    def _from_s3(self) -> tuple[str, pd.DataFrame]:
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

        return _versioned(uri, etag, download)

    def _load(self, path: Path) -> pd.DataFrame:
        try:
            frame = load_prices(path, fill_gaps=True)
            check_split_adjusted(frame)
        except DataError as exc:
            raise DataError(f"market data {self.location}: {exc}") from None
        frame.attrs["version"] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        return frame


def _versioned(source: str, key: object, load: Any) -> tuple[str, pd.DataFrame]:
    """The table of `source` at its change key `key` and its content version."""
    frame = shared_table(source, key, load)
    return str(frame.attrs.get("version", "")), frame


def market_data_provider(settings: Settings | None = None) -> MarketDataProvider:
    """The configured provider: Alpaca Market Data when `market_data` is ``alpaca``, the
    ingested price files when ``ingested``, the file it names otherwise, else the embedded
    data."""
    settings = settings or get_settings()
    if not settings.market_data:
        return EmbeddedMarketData()
    if settings.market_data == "alpaca":
        from services.market_data.alpaca import alpaca_market_data  # alpaca-py on first use

        return alpaca_market_data(settings)
    if settings.market_data == "ingested":
        from services.market_data.ingestion import ingested_market_data

        return ingested_market_data(settings)
    return FileMarketData(settings.market_data, settings.market_data_s3_endpoint_url)


def market_closes(settings: Settings | None = None) -> pd.DataFrame:
    """The closing prices of the configured provider (shared by every caller: treat them as
    read-only). `DataError` says what is wrong with market data that cannot be used."""
    return market_data_provider(settings).closes()


_returns: dict[tuple[str, str], pd.DataFrame] = {}
_returns_lock = threading.Lock()


def market_returns(
    settings: Settings | None = None,
) -> tuple[MarketDataProvider, pd.DataFrame]:
    """The configured provider and the daily simple returns of its closes (first session
    dropped; a symbol listed later has none before its first close), computed once per data
    version and shared (treat them as read-only)."""
    provider = market_data_provider(settings)
    if provider.name == EMBEDDED:
        return provider, sp500_returns()
    closes, key = provider.closes(), (provider.name, provider.version())
    with _returns_lock:
        found = _returns.get(key)
        if found is None:
            found = to_returns(closes)
            _returns.clear()
            _returns[key] = found
    return provider, found


def universe_closes(universe: Sequence[str], settings: Settings | None = None) -> pd.DataFrame:
    """The market data's closes of `universe`, on the sessions where every symbol has one."""
    return market_closes(settings).loc[:, list(universe)].dropna()


def data_info(provider: MarketDataProvider, closes: pd.DataFrame | None = None) -> dict[str, Any]:
    """What an answer says about the market data it used: the provider, its version and the
    first and last session of `closes` (the part used; default all of the provider's), the
    last session the provider holds (`data_end`) and the number of symbols used."""
    held = provider.closes()
    used = held if closes is None else closes
    index = pd.DatetimeIndex(used.index)
    return {
        "provider": provider.name,
        "version": provider.version(),
        "start": index[0].date().isoformat() if len(index) else None,
        "end": index[-1].date().isoformat() if len(index) else None,
        "data_end": pd.Timestamp(held.index[-1]).date().isoformat(),
        "symbols": int(used.shape[1]),
    }


DEFAULT_UNIVERSE_SIZE = 50
"""A request naming no universe takes the market data's first this many tickers (all 20 of the
embedded data)."""


def default_universe(settings: Settings | None = None) -> list[str]:
    """The universe of a request that names none: the configured market data's first
    `DEFAULT_UNIVERSE_SIZE` tickers (every embedded S&P 500 stock by default)."""
    return [str(c) for c in market_closes(settings).columns[:DEFAULT_UNIVERSE_SIZE]]


def sp500_assets() -> list[str]:
    """The embedded dataset's asset names."""
    return [str(c) for c in sp500_prices().columns]
