"""Whether closes are recent enough to price a decision, and the prices a decision at a time
uses: the exchange sessions that have closed by then (`execution.schedule.trading_sessions`),
and, during a session, the provider's price at that time.

A decision at `when` uses the closes through the last session closed by then
(`last_closed_session`); `unpriced` says why the data cannot give them (it is stale: it ends
before that session). During a session (e.g. a 15:45 fire), `decision_closes` adds a
provisional row for the session under way, priced by the provider's `latest_prices(symbols,
when)`, so that the decision is made, as the backtest makes it, on the close of the session its
orders fill at (approximated by the price at the fire); without such a price it decides on the
last close and its notes say so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Protocol

import pandas as pd

from execution.schedule import trading_sessions
from quant.errors import DataError


class PricesAt(Protocol):
    """What prices a decision during a session: a market-data provider's `latest_prices`
    (`services.market_data.providers.MarketDataProvider`)."""

    def latest_prices(self, symbols: Sequence[str], at: datetime) -> pd.Series | None:
        """Each symbol's price at `at`, or None when there is none."""
        ...


SESSION_LOOKBACK = timedelta(days=14)
"""How far back the last closed session is looked for (longer than any market closure)."""


def last_closed_session(calendar: str, when: datetime) -> date | None:
    """The last session of the exchange `calendar` that closed at or before `when` (None if
    none did within `SESSION_LOOKBACK`)."""
    sessions = trading_sessions(calendar, (when - SESSION_LOOKBACK).date(), when.date())
    closed = sessions.index[sessions["close"] <= pd.Timestamp(when)]
    return closed[-1].date() if len(closed) else None


def unpriced(
    closes: pd.DataFrame, calendar: str, when: datetime, provider: str | None = None
) -> str | None:
    """Why `closes` (of the market data `provider`, when named) cannot price a decision at
    `when`, None when they can: they must hold the close of `last_closed_session(calendar,
    when)`; older prices are stale, and a deployment does not trade on them."""
    session = last_closed_session(calendar, when)
    last = closes.index[-1].date()
    if session is not None and session <= last:
        return None
    ends = f"the market data ends on {last}" + ("" if provider is None else f" ({provider})")
    if session is None:
        return f"{ends}: no session of {calendar} closed before {when.isoformat()}"
    count = len(trading_sessions(calendar, last + timedelta(days=1), session))
    return (
        f"{ends}, {count} session{'s' if count != 1 else ''} before {session}, the last session "
        f"closed before {when.isoformat()}, whose close prices the decision: the prices are "
        f"stale and the deployment does not trade on them; {_ADVICE.get(provider, _ADVICE[None])}"
    )


_ADVICE: dict[str | None, str] = {
    "sp500": "the embedded data ends in 2022: forward-test the deployment over it instead, or "
    "configure market data that is kept up to date (docs/market-data.md)",
    "alpaca": "the daily refresh brings it up to date (`stratigos market-data refresh` runs one "
    "now; `stratigos market-data status` says why the last one failed)",
    None: "update the market data, or configure market data that is kept up to date "
    "(docs/market-data.md)",
}
"""What to do about stale prices, by provider."""


def decision_closes(
    closes: pd.DataFrame,
    provider: PricesAt,
    calendar: str,
    when: datetime,
    symbols: Sequence[str] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """The closes a decision at `when` uses, and the notes to say about them: the rows of
    `closes` through the last session closed at `when`, plus, when `when` is during a session,
    a provisional row for it: `provider.latest_prices(symbols, when)` (default: `closes`'
    columns). Without such a price the decision uses the last close, and a note says so."""
    session = last_closed_session(calendar, when)
    known = closes.loc[: pd.Timestamp(session)] if session is not None else closes.iloc[:0]
    today = trading_sessions(calendar, when.date(), when.date())
    in_session = not today.empty and today["open"].iloc[0] <= pd.Timestamp(when)
    in_session = in_session and pd.Timestamp(when) < today["close"].iloc[0]
    if not in_session or known.empty:
        return known, []
    wanted = list(symbols) if symbols is not None else [str(c) for c in closes.columns]
    last = known.index[-1].date()
    try:
        prices = provider.latest_prices(wanted, when)
    except DataError as exc:
        why = f"the price at the fire cannot be read ({exc})"
        return known, [f"decided on the close of {last}: {why}"]
    if prices is None:
        return known, [
            f"decided on the close of {last}: the market data has no price during the session"
        ]
    row = pd.DataFrame([prices.reindex(known.columns).to_numpy()], columns=known.columns)
    row.index = pd.DatetimeIndex([today.index[0]], name=known.index.name)
    return pd.concat([known, row]), [
        f"decided on the closes through {last} and, for the session of {today.index[0].date()}, "
        f"the prices at {when.isoformat()} (provisional)"
    ]
