"""Market data for the interfaces: the closing prices deployments trade on (the configured
market data, or the embedded S&P 500 data), and the checks an uploaded or inline table passes
before it is used.

These are the numeric core's own loaders and validators (`quant.data`, `quant.validation`); the
API reaches them here. Returns are daily simple returns; tables have a sorted unique
DatetimeIndex and one float column per asset.

The configured market data (`STRATIGOS_MARKET_DATA`) is a CSV or Parquet file of daily closes,
local or on S3, validated by `quant.data.load_prices` (gaps after a symbol's first price are
carried forward). It is read again when it changes (a local file's modification time and size;
an S3 object's ETag), so a file updated after each close makes paper deployments trade day by
day; between changes every caller shares one read-only table.
"""

from __future__ import annotations

import tempfile
import threading
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path, PurePosixPath

import pandas as pd

from execution.schedule import trading_sessions
from quant.data import load_prices, sp500_prices, sp500_returns, to_returns, validate_prices
from quant.errors import DataError
from quant.validation import as_returns_frame, check_asset_names
from settings import Settings, get_settings

_cache: dict[str, tuple[object, pd.DataFrame]] = {}
_lock = threading.Lock()

SESSION_LOOKBACK = timedelta(days=14)
"""How far back the last closed session is looked for (longer than any market closure)."""


def market_closes(settings: Settings | None = None) -> pd.DataFrame:
    """The closing prices deployments trade on, one column per symbol, indexed by session
    date: the configured `market_data` (see the module docstring), else the embedded S&P 500
    data. Shared by every caller: treat it as read-only. `DataError` says what is wrong with a
    configured file that cannot be used."""
    settings = settings or get_settings()
    source = settings.market_data
    if not source:
        return sp500_prices()
    if source.startswith("s3://"):
        return _from_s3(source, settings.market_data_s3_endpoint_url)
    path = Path(source).expanduser()
    try:
        stat = path.stat()
    except OSError as exc:
        raise DataError(f"market data {source}: {exc.strerror or exc}") from None
    return _cached(source, (stat.st_mtime_ns, stat.st_size), lambda: _load(path, source))


def _from_s3(uri: str, endpoint_url: str | None) -> pd.DataFrame:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError

    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not bucket or not key:
        raise DataError(f"market data {uri}: an S3 location is s3://bucket/key")
    client = boto3.client("s3", endpoint_url=endpoint_url)
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
            return _load(local, uri)

    return _cached(uri, etag, download)


def _load(path: Path, source: str) -> pd.DataFrame:
    try:
        return load_prices(path, fill_gaps=True)
    except DataError as exc:
        raise DataError(f"market data {source}: {exc}") from None


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


def universe_closes(universe: Sequence[str], settings: Settings | None = None) -> pd.DataFrame:
    """The market data's closes of `universe`, on the sessions where every symbol has one."""
    return market_closes(settings).loc[:, list(universe)].dropna()


def last_closed_session(calendar: str, when: datetime) -> date | None:
    """The last session of the exchange `calendar` that closed at or before `when` (None if
    none did within `SESSION_LOOKBACK`)."""
    sessions = trading_sessions(calendar, (when - SESSION_LOOKBACK).date(), when.date())
    closed = sessions.index[sessions["close"] <= pd.Timestamp(when)]
    return closed[-1].date() if len(closed) else None


def unpriced(closes: pd.DataFrame, calendar: str, when: datetime) -> str | None:
    """Why `closes` cannot price a decision at `when` (None when they can): they must hold the
    close of `last_closed_session(calendar, when)`."""
    session = last_closed_session(calendar, when)
    last = closes.index[-1].date()
    if session is not None and session <= last:
        return None
    return (
        f"the market data ends on {last}: it has no close of the last session before "
        f"{when.isoformat()}, which prices the decision; configure market data that is up to date"
    )


__all__ = [
    "as_returns_frame",
    "check_asset_names",
    "last_closed_session",
    "market_closes",
    "sp500_prices",
    "sp500_returns",
    "to_returns",
    "universe_closes",
    "unpriced",
    "validate_prices",
]
