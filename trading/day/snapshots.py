"""Account snapshots (the `account_snapshot` job, one per account and slot of
`settings.trading_day.snapshot_times`: `trading.day.schedule`): what the account holds at the
slot, valued, stored for the dashboard with its expiry (`snapshot_retention_days`).

- **Paper** accounts (kept in the store, `trading.accounts.paper`): their cash and shares as
  the paper broker last left them, valued at the market data's closes of the last session
  closed at the slot (`priced_on`); a paper account is a cash account, so its buying power is
  its cash.
- **Alpaca** accounts: the account as Alpaca reports it at the run (cash, shares, equity and
  buying power: the whole account, options and the cash outside the deployments included),
  the shares valued at the same closes (None for a symbol the market data lacks).

An account not opened yet (no first run) is not snapshotted: the job says so and stores
nothing. A broker that cannot be reached makes the attempt transient (the job retries).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from execution.brokers.alpaca import alpaca_broker
from execution.brokers.base import AccountState
from services.market_data import last_closed_session, market_closes, universe_closes
from settings import Settings
from store import AccountSnapshot, SnapshotPosition, Store
from trading.accounts.paper import StoredPaperAccount
from trading.day.accounts import TradedAccount


def take_snapshot(
    store: Store, account: TradedAccount, slot: datetime, settings: Settings
) -> dict[str, Any]:
    """Snapshot `account` for `slot` (see the module docstring); the job's result: the
    snapshot (as JSON) and whether it was stored now, or why there is none."""
    if not account.opened(store):
        return {
            "account": account.account,
            "slot": slot.isoformat(),
            "snapshot": None,
            "reason": "the account has not opened yet (its first run opens it)",
        }
    state = _state(store, account, settings)
    session = last_closed_session(account.calendar, slot)
    closes = market_closes(settings)
    known = closes.loc[: pd.Timestamp(session)] if session is not None else closes.iloc[:0]
    rows = []
    for symbol, quantity in sorted(state.positions.items()):
        column = known[symbol].dropna() if symbol in known.columns else pd.Series(dtype=float)
        price = float(column.iloc[-1]) if len(column) else None
        rows.append(SnapshotPosition(symbol, quantity, price, _value(quantity, price)))
    values = [p.market_value for p in rows]
    equity = state.equity
    if equity is None:  # the paper broker: cash and the shares at the closes
        equity = state.cash + sum(v for v in values if v is not None)
    snapshot = AccountSnapshot(
        owner=account.owner,
        account=account.account,
        taken_at=slot,
        broker=account.broker,
        equity=equity,
        cash=state.cash,
        buying_power=state.cash if state.buying_power is None else state.buying_power,
        expires_at=slot + timedelta(days=settings.trading_day.snapshot_retention_days),
        positions=tuple(rows),
        priced_on=None if known.empty else known.index[-1].date(),
    )
    stored = store.put_snapshot(snapshot)
    return {
        "account": account.account,
        "slot": slot.isoformat(),
        "snapshot": snapshot.to_json(),
        "stored": stored,
    }


def _value(quantity: float, price: float | None) -> float | None:
    return None if price is None else quantity * price


def _state(store: Store, account: TradedAccount, settings: Settings) -> AccountState:
    """The account's cash and positions as its broker holds them now."""
    if account.broker == "alpaca":
        return alpaca_broker(settings, owner=account.owner).account()
    closes = universe_closes(account.universe, settings)
    return StoredPaperAccount(store, account.members[0], closes).account()
