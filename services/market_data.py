"""Market data for the interfaces: the embedded S&P 500 data (loaded once per process, shared,
read-only) and the checks an uploaded or inline table passes before it is used.

These are the numeric core's own loaders and validators (`quant.data`, `quant.validation`); the
API reaches them here. Returns are daily simple returns; tables have a sorted unique
DatetimeIndex and one float column per asset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pandas as pd

from execution.schedule import trading_sessions
from quant.data import sp500_prices, sp500_returns, to_returns, validate_prices
from quant.validation import as_returns_frame, check_asset_names

SESSION_LOOKBACK = timedelta(days=14)
"""How far back the last closed session is looked for (longer than any market closure)."""


def market_closes() -> pd.DataFrame:
    """The closing prices deployments trade on (the configured market data: the embedded S&P
    500 data), one column per symbol, indexed by session date."""
    return sp500_prices()


def universe_closes(universe: Sequence[str]) -> pd.DataFrame:
    """The market data's closes of `universe`, on the sessions where every symbol has one."""
    return market_closes().loc[:, list(universe)].dropna()


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
