"""Alpaca Market Data over HTTP: daily closes and latest trades through alpaca-py's
`StockHistoricalDataClient` (Market Data API v2).

- `daily_closes(symbols, start, end)`: daily bars (``timeframe=1Day``) adjusted for splits and
  dividends (``adjustment=all``) of the configured feed, every page (alpaca-py follows
  ``next_page_token``), `SYMBOLS_PER_REQUEST` symbols per request, as a table of closes indexed
  by session date (a daily bar's time is midnight New York of its session).
- `latest_trades(symbols)`: each symbol's latest trade (time and price); a symbol Alpaca has no
  trade of is absent.

Failures are `DataError`s saying what was being read and Alpaca's answer (its status and
message; none of alpaca-py's or requests' exceptions, which hold the request's key headers,
goes further: `execution.brokers.alpaca_http.attempt`). alpaca-py would retry 429 and 504
answers itself, sleeping between attempts; the client's retry count is set to 0 and every
request has a timeout: the refresh job's next attempt is the retry. The keys go to the client
and nowhere else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, time
from functools import partial
from typing import Any, TypeVar, cast
from zoneinfo import ZoneInfo

import pandas as pd
from alpaca.data.enums import Adjustment, DataFeed
from alpaca.data.historical.stock import StockHistoricalDataClient
from alpaca.data.requests import StockBarsRequest, StockLatestTradeRequest
from alpaca.data.timeframe import TimeFrame
from pydantic import SecretStr

from execution.brokers.alpaca_http import MARKET_DATA_URL, Failure, attempt, quiet
from quant.errors import DataError

T = TypeVar("T")

SYMBOLS_PER_REQUEST = 100
"""Symbols asked for in one request of bars (a page still holds at most 10,000 bars)."""
NEW_YORK = ZoneInfo("America/New_York")


class AlpacaData:
    """Alpaca Market Data with the keys `key_id` and `secret_key` at `url` (default Alpaca's),
    from `feed` (iex, sip or delayed_sip); `timeout` (connect, read) in seconds."""

    def __init__(
        self,
        key_id: str,
        secret_key: SecretStr,
        *,
        url: str | None = None,
        feed: str = "iex",
        timeout: tuple[float, float] = (5.0, 60.0),
    ) -> None:
        self.url = url or MARKET_DATA_URL
        self.feed = DataFeed(feed)
        self._client = StockHistoricalDataClient(
            api_key=key_id,
            secret_key=secret_key.get_secret_value(),
            raw_data=True,
            url_override=url,
        )
        quiet(self._client, timeout)  # no sleeping retries inside alpaca-py

    def __repr__(self) -> str:
        return f"AlpacaData(url={self.url!r}, feed={self.feed.value!r})"

    def daily_closes(self, symbols: Sequence[str], start: date, end: datetime) -> pd.DataFrame:
        """Adjusted daily closes of `symbols` from the session `start` to the time `end` (a
        bar in progress at `end` included, as Alpaca serves it), one column per symbol that has
        bars, indexed by session date (sorted; NaN where a symbol has no bar)."""
        columns: dict[str, pd.Series] = {}
        first = datetime.combine(start, time(0), tzinfo=NEW_YORK)
        for offset in range(0, len(symbols), SYMBOLS_PER_REQUEST):
            chunk = list(symbols[offset : offset + SYMBOLS_PER_REQUEST])
            request = StockBarsRequest(
                symbol_or_symbols=chunk,
                timeframe=TimeFrame.Day,
                start=first,
                end=end,
                adjustment=Adjustment.ALL,
                feed=self.feed,
            )
            raw = self._read("read daily bars", partial(self._client.get_stock_bars, request))
            for symbol, bars in cast(dict[str, list[dict[str, Any]]], raw).items():
                if bars:
                    columns[symbol] = _closes_of(bars)
        if not columns:
            return pd.DataFrame(index=pd.DatetimeIndex([], name="date"), dtype=float)
        frame = pd.DataFrame(columns).sort_index()
        frame.index.name = "date"
        return frame

    def latest_trades(self, symbols: Sequence[str]) -> dict[str, tuple[datetime, float]]:
        """Each symbol's latest trade: its time (UTC) and price."""
        request = StockLatestTradeRequest(symbol_or_symbols=list(symbols), feed=self.feed)
        raw = self._read(
            "read the latest trades", lambda: self._client.get_stock_latest_trade(request)
        )
        trades: dict[str, tuple[datetime, float]] = {}
        for symbol, trade in cast(dict[str, dict[str, Any]], raw).items():
            trades[symbol] = (_utc(str(trade["t"])), float(trade["p"]))
        return trades

    def _read(self, action: str, call: Callable[[], T]) -> T:
        outcome = attempt(call)
        if isinstance(outcome, Failure):
            status = "unreachable" if outcome.status is None else f"answered {outcome.status}"
            raise DataError(
                f"Alpaca Market Data at {self.url} {status} ({action}): {outcome.message}"
            )
        return outcome


def _closes_of(bars: list[dict[str, Any]]) -> pd.Series:
    """A symbol's bars as closes indexed by session date (a bar's time is midnight New York)."""
    days = [_utc(str(bar["t"])).astimezone(NEW_YORK).date() for bar in bars]
    closes = [float(bar["c"]) for bar in bars]
    return pd.Series(closes, index=pd.DatetimeIndex(days), dtype=float)


def _utc(text: str) -> datetime:
    """An RFC 3339 time (``Z`` or an offset; nanoseconds cut to microseconds) in UTC."""
    text = text.replace("Z", "+00:00")
    head, dot, rest = text.partition(".")
    if dot:
        digits = "".join(c for c in rest if c.isdigit())
        zone = rest[len(digits) :]
        text = f"{head}.{digits[:6].ljust(6, '0')}{zone}"
    return datetime.fromisoformat(text).astimezone(UTC)
