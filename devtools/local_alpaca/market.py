"""Alpaca Market Data as the local stand-in (`devtools.local_alpaca`) serves it, in the shapes of
Alpaca's Market Data API v2 that alpaca-py's `StockHistoricalDataClient` reads:

- ``GET /v2/stocks/bars``: daily bars (``timeframe=1Day`` only) of ``symbols`` (comma-separated)
  from ``start`` to ``end`` (RFC 3339 or a date; ``end`` defaults to the tape's time), ``{"bars":
  {symbol: [{"t", "o", "h", "l", "c", "v", "n", "vw"}, ...]}, "next_page_token": ...}``. Bars are
  sorted by symbol, then by time, and cut into pages of ``limit`` bars (1 to 10,000, default
  1,000; the tape's `max_page` can lower the most) across symbols, as Alpaca pages them: a page that is not the last carries an opaque
  ``next_page_token`` that the next request passes as ``page_token``. A daily bar's ``t`` is
  midnight New York of its session in UTC (``2026-03-10T04:00:00Z``). ``adjustment`` ``split``
  or ``all`` gives the tape's (adjusted) closes; ``raw`` (the default) and ``dividend`` put the
  splits back (a close before a 4-for-1 split is 4 times the adjusted one). A session that has
  opened but not closed at the tape's time is served as Alpaca serves it, a bar in progress
  whose close is the latest trade (or the table's value when no trade was set).
- ``GET /v2/stocks/trades/latest``: ``{"trades": {symbol: {"t", "x", "p", "s", "c", "i",
  "z"}}}``, the trades set with `MarketTape.trade` (a symbol without one is left out, as Alpaca
  leaves out symbols it has no trade of).

The tape reads no clock: its time is the stand-in account's (`LocalAlpaca.advance`). Prices are
a table of daily closes (one column per symbol, adjusted for splits and dividends) that a test
may replace (`closes`), with `splits` per symbol (date of the split, new shares per old share).
"""

from __future__ import annotations

import base64
import binascii
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from devtools.local_alpaca.wire import AlpacaError, count, time_param
from execution.schedule import trading_sessions

NEW_YORK = ZoneInfo("America/New_York")
MAX_BARS_PAGE = 10_000
"""Most bars one page holds (Alpaca's limit)."""
DEFAULT_BARS_PAGE = 1_000
ADJUSTMENTS = ("raw", "split", "dividend", "all")
FEEDS = ("iex", "sip", "delayed_sip", "otc", "boats", "overnight")


def _invalid(message: str) -> AlpacaError:
    return AlpacaError(422, 42210000, message)


def bar_time(session: date) -> str:
    """A daily bar's ``t``: midnight New York of its session, in UTC, as Alpaca writes it."""
    midnight = datetime.combine(session, time(0, 0), tzinfo=NEW_YORK).astimezone(UTC)
    return midnight.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class MarketTape:
    """The prices behind the stand-in's market data (see the module docstring)."""

    closes: pd.DataFrame
    splits: dict[str, list[tuple[date, float]]] = field(default_factory=dict)
    calendar: str = "XNYS"
    max_page: int = MAX_BARS_PAGE
    """Most bars a page holds whatever the `limit` (Alpaca's is 10,000; lower it to see paging
    with few bars)."""
    now: Callable[[], datetime | None] = lambda: None
    queries: list[dict[str, str]] = field(default_factory=list)
    """The query of every bars request received, in order."""
    _trades: dict[str, tuple[datetime, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def trade(self, symbol: str, price: float, at: datetime) -> None:
        """Record `symbol`'s latest trade: `price` at `at` (an aware time)."""
        with self._lock:
            self._trades[symbol] = (at, float(price))

    def latest_trades(self, query: dict[str, str]) -> dict[str, Any]:
        """``GET /v2/stocks/trades/latest``."""
        symbols = _symbols(query)
        _feed(query)
        with self._lock:
            known = {s: self._trades[s] for s in symbols if s in self._trades}
        return {
            "trades": {
                symbol: {
                    "t": at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                    "x": "V",
                    "p": price,
                    "s": 100,
                    "c": ["@"],
                    "i": 1,
                    "z": "C",
                }
                for symbol, (at, price) in known.items()
            }
        }

    def bars(self, query: dict[str, str]) -> dict[str, Any]:
        """``GET /v2/stocks/bars`` (see the module docstring)."""
        self.queries.append(dict(query))
        symbols = _symbols(query)
        _feed(query)
        if query.get("timeframe") != "1Day":
            raise _invalid("the stand-in serves daily bars only (timeframe=1Day)")
        adjustment = query.get("adjustment", "raw")
        if adjustment not in ADJUSTMENTS:
            raise _invalid(f"invalid adjustment {adjustment!r}")
        if query.get("sort", "asc") != "asc":
            raise _invalid("the stand-in sorts bars ascending only")
        limit = min(count(query, "limit", DEFAULT_BARS_PAGE, MAX_BARS_PAGE), self.max_page)
        start, end = self._window(query)
        items = [
            (symbol, bar)
            for symbol in sorted(symbols)
            for bar in self._symbol_bars(symbol, start, end, adjustment)
        ]
        if "page_token" in query:
            items = items[_after(items, query["page_token"]) :]
        page, rest = items[:limit], items[limit:]
        grouped: dict[str, list[dict[str, Any]]] = {}
        for symbol, bar in page:
            grouped.setdefault(symbol, []).append(bar)
        token = _token(*page[-1]) if rest else None
        return {"bars": grouped, "next_page_token": token}

    def _window(self, query: dict[str, str]) -> tuple[datetime, datetime]:
        """The bars' time window: `start` (default: the table's first day) to `end` (default:
        the tape's time, else the table's last day)."""
        first = datetime.combine(self.closes.index[0].date(), time(0), tzinfo=NEW_YORK)
        start = _time(query["start"], "start") if "start" in query else first
        now = self.now()
        if "end" in query:
            end = _time(query["end"], "end")
        elif now is not None:
            end = now
        else:
            end = datetime.combine(self.closes.index[-1].date(), time(23, 59), tzinfo=NEW_YORK)
        if end < start:
            raise _invalid("end should not be before start")
        return start, end

    def _symbol_bars(
        self, symbol: str, start: datetime, end: datetime, adjustment: str
    ) -> list[dict[str, Any]]:
        """`symbol`'s daily bars of the sessions opened in [start, end] and by the tape's time."""
        if symbol not in self.closes.columns:
            return []
        column = self.closes[symbol].dropna()
        if column.empty:
            return []
        days = pd.DatetimeIndex(column.index).normalize()
        sessions = trading_sessions(self.calendar, days[0].date(), days[-1].date())
        column = column[days.isin(sessions.index)]
        days = pd.DatetimeIndex(column.index).normalize()
        first, last = start.astimezone(NEW_YORK).date(), end.astimezone(NEW_YORK).date()
        now = self.now()
        kept = (days >= pd.Timestamp(first)) & (days <= pd.Timestamp(last))
        if now is not None:
            kept &= (sessions["open"].reindex(days) <= pd.Timestamp(now)).to_numpy()
        column = column[kept]
        prices = column.to_numpy(dtype=float).copy()
        with self._lock:
            trade = self._trades.get(symbol)
        if now is not None and trade is not None and len(column):
            closes_at = pd.Timestamp(
                sessions["close"].loc[pd.Timestamp(column.index[-1]).normalize()]
            )
            if pd.Timestamp(now) < closes_at:
                prices[-1] = trade[1]  # a bar in progress closes, so far, at the latest trade
        bars: list[dict[str, Any]] = []
        for day, price in zip(column.index, prices, strict=True):
            session = pd.Timestamp(day).date()
            if adjustment in ("raw", "dividend"):
                price *= self._split_factor(symbol, session)
            bars.append(_bar(session, float(price)))
        return bars

    def _split_factor(self, symbol: str, session: date) -> float:
        """Shares one share of `session` became through the splits after it."""
        factor = 1.0
        for day, ratio in self.splits.get(symbol, []):
            if session < day:
                factor *= ratio
        return factor


def _bar(session: date, close: float) -> dict[str, Any]:
    """A daily bar priced `close` (open, high and low equal to it; a nominal volume)."""
    return {
        "t": bar_time(session),
        "o": close,
        "h": close,
        "l": close,
        "c": close,
        "v": 1_000_000,
        "n": 10_000,
        "vw": close,
    }


def _symbols(query: dict[str, str]) -> list[str]:
    symbols = [s for s in query.get("symbols", "").split(",") if s]
    if not symbols:
        raise _invalid("symbols is required")
    return symbols


def _feed(query: dict[str, str]) -> None:
    feed = query.get("feed", "iex")
    if feed not in FEEDS:
        raise _invalid(f"invalid feed {feed!r}")


def _time(text: str, name: str) -> datetime:
    """A query's time: RFC 3339, or a date (midnight New York)."""
    try:
        return datetime.combine(date.fromisoformat(text), time(0), tzinfo=NEW_YORK)
    except ValueError:
        return time_param(text, name)


def _token(symbol: str, bar: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(f"{symbol}|{bar['t']}".encode()).decode()


def _after(items: list[tuple[str, dict[str, Any]]], token: str) -> int:
    """The position after the bar `token` names (422 for a token that names none)."""
    try:
        symbol, _, stamp = base64.urlsafe_b64decode(token.encode()).decode().partition("|")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise _invalid("invalid page_token") from None
    for position, (name, bar) in enumerate(items):
        if (name, bar["t"]) == (symbol, stamp):
            return position + 1
    raise _invalid("invalid page_token")


__all__ = ["MarketTape", "bar_time"]
