"""The implied-volatility history (the `iv_history` job, one per owner, underlying and session,
after the close: `trading.day.schedule`): each session, the at-the-money implied volatility of
the hedge underlying of every deployment hedged on Alpaca, from Alpaca's option quotes (the
owner's own keys: `execution.brokers.alpaca_option_quotes`), recorded in the store
(`Store.record_iv`).

Recording: the underlying's close of the session from the market data is the spot (the price
the hedge is priced at); the chain is read for expiries from 7 days to twice
`settings.trading_day.iv_tenor_days` after the session and strikes within 20% of the spot, and
`execution.atm_volatility` gives the at-the-money volatility of the expiry nearest the tenor.
A session recorded already is not read again. The paper broker has no option quotes: nothing
is recorded for it.

The hedges on Alpaca are priced at the recorded level (`trading.hedge_pricing`).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pandas as pd

from execution.atm_volatility import atm_volatility
from execution.brokers.alpaca_option_quotes import alpaca_option_quotes
from services.market_data import market_closes
from settings import Settings
from store import IVRecord, Store
from trading.day.accounts import TradedAccount, owner_accounts
from trading.deployments import broker_of
from trading.hedges import hedge_spec

SOURCE = "alpaca"
"""Where the history's quotes come from."""
NEAREST_EXPIRY_DAYS = 7
"""Expiries read start this many calendar days after the session."""
STRIKE_BAND = 0.20
"""Strikes read lie within this fraction of the spot."""


class NoIVRecordError(RuntimeError):
    """The session's implied volatility cannot be recorded (the message says why)."""


def hedged_underlyings(accounts: list[TradedAccount]) -> dict[tuple[str, str], str]:
    """(owner, underlying) -> calendar of every hedge underlying of a deployment on Alpaca."""
    found: dict[tuple[str, str], str] = {}
    for account in accounts:
        for member in account.members:
            if broker_of(member) == "alpaca" and "hedge" in member.spec:
                key = (member.owner, hedge_spec(member)["underlying"])
                found.setdefault(key, account.calendar)
    return found


def empty_history_reason(
    store: Store, owner: str, underlying: str, since: date | None, until: date | None
) -> str:
    """Why the owner's implied-volatility history of `underlying` holds no record from `since`
    to `until` (either open): no deployment of theirs hedges it on Alpaca (the paper broker has
    no option quotes), or none was recorded in that window."""
    accounts = owner_accounts(store, owner)
    if (owner, underlying) not in hedged_underlyings(accounts):
        on_paper = any(
            "hedge" in m.spec and hedge_spec(m)["underlying"] == underlying
            for account in accounts
            for m in account.members
        )
        if on_paper:
            return (
                f"your deployments hedging {underlying} trade on the paper broker, which has no "
                "option quotes: nothing is recorded, and their hedges are priced on realised "
                "volatility"
            )
        return (
            f"no active or paused deployment of yours hedges {underlying} on Alpaca: the "
            "history records, after each session's close, the at-the-money implied volatility "
            "of the underlyings hedged on Alpaca only (from Alpaca's option quotes); a hedge "
            "without a record is priced on realised volatility"
        )
    window = f"from {since or 'the start'} to {until or 'today'}"
    return (
        f"nothing was recorded for {underlying} {window}: the history is recorded after each "
        "session's close (the iv_history job), and a session whose chain gave no volatility "
        "has no record (the job's error says why)"
    )


def record_iv(
    store: Store, owner: str, underlying: str, day: date, settings: Settings
) -> dict[str, Any]:
    """Record the at-the-money implied volatility of `underlying` at the close of `day` (see
    the module docstring); the job's result: the record and whether it was stored now.
    `NoIVRecordError` says why there is none; `BrokerError` when Alpaca refuses or cannot be
    reached."""
    existing = store.iv_history(owner, underlying, since=day, until=day)
    if existing:
        return {"record": existing[0].to_json(), "stored": False}
    closes = market_closes(settings)
    column = closes[underlying].dropna() if underlying in closes.columns else pd.Series()
    if pd.Timestamp(day) not in column.index:
        raise NoIVRecordError(f"the market data has no close of {underlying} on {day}")
    spot = float(column.loc[pd.Timestamp(day)])
    tenor = settings.trading_day.iv_tenor_days
    quotes = alpaca_option_quotes(settings, owner=owner).chain(
        underlying,
        expiring_from=day + timedelta(days=NEAREST_EXPIRY_DAYS),
        expiring_to=day + timedelta(days=2 * tenor),
        strike_from=round(spot * (1 - STRIKE_BAND), 2),
        strike_to=round(spot * (1 + STRIKE_BAND), 2),
    )
    atm = atm_volatility(quotes, spot, day, tenor)
    record = IVRecord(
        owner=owner,
        underlying=underlying,
        day=day,
        atm_volatility=atm.volatility,
        expiry=atm.expiry,
        spot=spot,
        source=SOURCE,
        recorded_at=store.clock(),
        details={"strikes": list(atm.strikes), "quotes": atm.quotes, "tenor_days": tenor},
    )
    stored = store.record_iv(record)
    return {"record": record.to_json(), "stored": stored}
