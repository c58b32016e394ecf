"""Whether closes are recent enough to price a decision: the exchange sessions that have
closed by a given time (`execution.schedule.trading_sessions`)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd

from execution.schedule import trading_sessions

SESSION_LOOKBACK = timedelta(days=14)
"""How far back the last closed session is looked for (longer than any market closure)."""


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
