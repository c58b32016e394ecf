"""The dates of the configured market data the offline model reads windows against: its first
and last session, and the dates of its last N sessions as the tools read them."""

from __future__ import annotations

from typing import Any

from settings import get_settings

__all__ = ["data_end", "data_start", "session_window"]


def _session_dates() -> Any:
    """The sessions of the configured market data (what the tools read), as a DatetimeIndex."""
    from services.market_data.providers import market_returns

    return market_returns(get_settings())[1].index


def data_start() -> str:
    """The first date of the configured market data (ISO): where "all the data" starts."""
    return str(_session_dates()[0].date())


def data_end() -> str:
    """The last date of the configured market data (ISO): where "the last 12 months" ends."""
    return str(_session_dates()[-1].date())


def session_window(last_sessions: int, end: str | None = None) -> tuple[str, str]:
    """The first and last dates (ISO) of the last `last_sessions` sessions of the market data up
    to `end` (its last date by default), as the tools that take `last_sessions` read them
    (`services.windows.last_sessions_bounds`); the whole data when it holds fewer."""
    import pandas as pd

    from services.windows import last_sessions_bounds

    dates = _session_dates()
    last = None if end is None else pd.Timestamp(end)
    upto = dates[-1] if last is None else last
    count = min(last_sessions, int((dates <= upto).sum()))
    first, final = last_sessions_bounds(dates, max(count, 1), last)
    return str(first.date()), str(final.date())
