"""Alpaca Market Data as a market-data provider: daily closes adjusted for splits and dividends,
kept as versions in a directory or a bucket (`services.market_data.versions`) that the daily
refresh brings up to the last closed session, and the price at a time of a session from the latest trades.

A pull (`pull(held, symbols, now)`, what the refresh reads: `services.market_data.refresh`): the
symbols already held are read again from `OVERLAP_SESSIONS` sessions before the held closes'
end, new ones from `start`; bars of a session that has not closed at `now` (Alpaca serves the
day's bar in progress) are left out. A symbol whose re-read closes of the overlap differ from the
held ones was adjusted since (a split or a dividend after the version was written re-prices its
whole history): its history is read again from `start`, to replace the held one. A symbol listed
later than others has no close before its first. The pull writes nothing: its closes are
ingested like any price file (`services.market_data.ingestion`: checks, bad-data markers,
regimes), which makes them a new version, or refuses them keeping the last good one.

The price at a time (`latest_prices(symbols, at)`): the latest trade of every symbol, when `at`
is during a session of the calendar and every trade was made in that session, not after its
close and not more than `PRICE_AT_TOLERANCE` after `at` (a run that starts a little after its
fire still prices it; one that starts later gets None: the prices are no longer those at `at`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd

from execution.brokers.alpaca import alpaca_keys
from execution.errors import BrokerError
from execution.schedule import trading_sessions
from quant.errors import DataError
from services.market_data.alpaca_client import AlpacaData
from services.market_data.folders import Folder, folder
from services.market_data.sessions import last_closed_session
from services.market_data.versions import (
    DataVersion,
    VersionedCloses,
    VersionedProvider,
)
from settings import Settings

ALPACA = "alpaca"
"""The provider's name in answers."""
OVERLAP_SESSIONS = 5
"""Sessions before the current version's end read again at a refresh (to see adjustments)."""
ADJUSTED_TOLERANCE = 1e-6
"""Relative difference of a re-read close beyond which the symbol was adjusted since."""
PRICE_AT_TOLERANCE = timedelta(minutes=15)
"""How long after `at` a latest trade still prices `at`."""


@dataclass
class Pull:
    """What a pull read: the closes to ingest (None when nothing is new), the last session
    closed, the sessions after the held ones, the symbols added, re-read after an adjustment,
    and those Alpaca has no bars of (left out)."""

    closes: pd.DataFrame | None
    end: date
    appended_sessions: int = 0
    added: list[str] = field(default_factory=list)
    readjusted: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


class AlpacaMarketData(VersionedProvider):
    """Alpaca Market Data kept in `folder` (see the module docstring): `connect()` opens the
    HTTP client (called only when Alpaca is read), `start` is the first session of a new
    symbol's history, `calendar` the exchange whose sessions the bars are of."""

    name = ALPACA

    def __init__(
        self,
        folder: Folder,
        connect: Callable[[], AlpacaData],
        *,
        start: date = date(2016, 1, 1),
        calendar: str = "XNYS",
    ) -> None:
        self.versions = VersionedCloses(folder)
        self._connect = connect
        self.start = start
        self.calendar = calendar

    def current(self) -> DataVersion:
        """The current version (`DataError` before the first refresh, saying how to make one
        and why the last refresh failed, if it did)."""
        version = self.versions.current()
        if version is None:
            last = self.versions.last_refresh() or {}
            why = f": the last refresh failed: {last['reason']}" if last.get("reason") else ""
            raise DataError(
                "Alpaca Market Data has not been read yet (run `stratigos market-data refresh` "
                f"or let the daily refresh job run){why}"
            )
        return version

    def latest_prices(self, symbols: Sequence[str], at: datetime) -> pd.Series | None:
        """Each symbol's price at `at` from its latest trade, indexed by symbol and named by
        `at`'s session (see the module docstring); None when the trades do not price `at`;
        `DataError` when Alpaca cannot be read."""
        sessions = trading_sessions(self.calendar, at.date(), at.date())
        if sessions.empty:
            return None
        opens, closes = (sessions[c].iloc[0].to_pydatetime() for c in ("open", "close"))
        if not opens <= at < closes:
            return None
        trades = self._connect().latest_trades(symbols)
        latest = min(at + PRICE_AT_TOLERANCE, closes)
        prices: dict[str, float] = {}
        for symbol in symbols:
            trade = trades.get(symbol)
            if trade is None or not opens <= trade[0] <= latest:
                return None
            prices[symbol] = trade[1]
        return pd.Series(prices, dtype=float, name=sessions.index[0])

    def pull(self, held: pd.DataFrame, symbols: Sequence[str], now: datetime) -> Pull:
        """Read what the closes `held` (those of the current version; empty before the first)
        lack of `symbols` and of every symbol held, up to the last session closed at `now` (see
        the module docstring); `DataError` when Alpaca cannot be read or has nothing."""
        closed = last_closed_session(self.calendar, now)
        if closed is None:
            raise DataError(f"no session of {self.calendar} closed in the two weeks before {now}")
        client = self._connect()
        new = sorted(set(symbols) - set(held.columns))
        frames: list[pd.DataFrame] = []
        readjusted: list[str] = []
        if not held.empty:
            since = held.index[max(0, len(held) - OVERLAP_SESSIONS)].date()
            recent = _closed(client.daily_closes(list(held.columns), since, now), closed)
            readjusted = _adjusted_since(held, recent)
            frames.append(recent.drop(columns=readjusted, errors="ignore"))
        if new or readjusted:
            frames.append(
                _closed(client.daily_closes([*new, *readjusted], self.start, now), closed)
            )
        fetched = pd.concat(frames, axis=1, sort=True) if frames else pd.DataFrame()
        missing = [s for s in new if s not in fetched.columns]
        if held.empty and fetched.empty:
            raise DataError(f"Alpaca Market Data has no daily bars of {', '.join(new)}")
        last = held.index[-1] if len(held) else pd.Timestamp.min
        appended = int((fetched.index > last).sum())
        added = [s for s in new if s in fetched.columns]
        if not held.empty and not (appended or added or readjusted):
            return Pull(None, pd.Timestamp(held.index[-1]).date(), missing=missing)
        fetched.index.name = "date"
        return Pull(fetched, closed, appended, added, readjusted, missing)


def _closed(frame: pd.DataFrame, last: date) -> pd.DataFrame:
    """`frame` without the rows of sessions after `last` (the last session closed)."""
    return frame.loc[frame.index <= pd.Timestamp(last)]


def _adjusted_since(held: pd.DataFrame, recent: pd.DataFrame) -> list[str]:
    """The symbols whose re-read closes differ from the held ones on a shared session."""
    shared = held.index.intersection(recent.index)
    symbols = [s for s in held.columns if s in recent.columns]
    old = held.loc[shared, symbols].to_numpy(dtype=float)
    new = recent.loc[shared, symbols].to_numpy(dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        moved = np.abs(new / old - 1.0) > ADJUSTED_TOLERANCE
    return [symbols[j] for j in range(len(symbols)) if moved[:, j].any()]


def alpaca_market_data(settings: Settings) -> AlpacaMarketData:
    """Alpaca Market Data as the settings configure it, kept in `market_data_dir` (default
    ``<data_dir>/market-data/alpaca``; ``s3://bucket/prefix`` for a bucket), read with the keys of `alpaca_owner`'s account
    (`execution.brokers.alpaca.alpaca_keys`): the market data serves every owner, and one
    account reads it for all of them."""

    def connect() -> AlpacaData:
        try:
            key_id, secret_key = alpaca_keys(settings, settings.alpaca.owner)
        except BrokerError as exc:
            raise DataError(f"Alpaca Market Data cannot be read: {exc}") from None
        return AlpacaData(
            key_id, secret_key, url=settings.alpaca.data_url, feed=settings.alpaca.data_feed
        )

    location = settings.market_data_dir or str(settings.data_dir / "market-data" / "alpaca")
    return AlpacaMarketData(
        folder(location, settings.market_data_s3_endpoint_url),
        connect,
        start=settings.market_data_start,
        calendar="XNYS",
    )
