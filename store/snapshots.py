"""Account snapshots: what a broker account held at a time (equity, cash, buying power and the
positions, each valued), taken on a schedule for the dashboard (`trading.day.snapshots`), and
their repository interface.

A snapshot is keyed by its owner, account and `taken_at` (the schedule's slot): storing one that
exists changes nothing (a retried job stores its slot once). Each is kept until its `expires_at`
(the retention, `settings.execution.snapshot_retention_days` when taken): reads never return an
expired snapshot, and `cleanup` (`store.retention`) deletes them (DynamoDB's TTL also does,
eventually).
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from store.common import check_owner, dumps, from_micros

MAX_SNAPSHOTS_LISTED = 5_000
"""Most snapshots one `list_snapshots` call returns (five years at four a day fit)."""


@dataclass(frozen=True)
class SnapshotPosition:
    """A position of a snapshot: `quantity` of `symbol` (shares), valued at `price` per share
    (`market_value` in the account's currency; both None when no price was known)."""

    symbol: str
    quantity: float
    price: float | None
    market_value: float | None


@dataclass(frozen=True)
class AccountSnapshot:
    """An account (`account`, as deployments name it: `paper-<id>`, `alpaca-<n>`) at
    `taken_at`: its `equity`, `cash` and `buying_power` (None when the broker reports none) in
    its currency, its `positions`, the `broker`, the session whose closes valued the positions
    (`priced_on`, None when the broker valued them) and when it expires."""

    owner: str
    account: str
    taken_at: datetime
    broker: str
    equity: float
    cash: float
    buying_power: float | None
    expires_at: datetime
    positions: tuple[SnapshotPosition, ...] = field(default_factory=tuple)
    priced_on: date | None = None

    def to_json(self) -> dict[str, Any]:
        """The snapshot as JSON (times ISO 8601; the API's view)."""
        return {
            "account": self.account,
            "taken_at": self.taken_at.isoformat(),
            "broker": self.broker,
            "equity": self.equity,
            "cash": self.cash,
            "buying_power": self.buying_power,
            "positions": [p.__dict__ for p in self.positions],
            "priced_on": None if self.priced_on is None else self.priced_on.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }


def snapshot_data(snapshot: AccountSnapshot) -> str:
    """The stored JSON of a snapshot's values (everything but its key and expiry)."""
    return dumps(
        {
            "broker": snapshot.broker,
            "equity": snapshot.equity,
            "cash": snapshot.cash,
            "buying_power": snapshot.buying_power,
            "positions": [p.__dict__ for p in snapshot.positions],
            "priced_on": None if snapshot.priced_on is None else snapshot.priced_on.isoformat(),
        }
    )


def snapshot_from_row(row: Mapping[str, Any]) -> AccountSnapshot:
    """The snapshot a stored row or item holds (`owner`, `account`, `taken_at` and
    `expires_at` in microseconds, `data`)."""
    data = json.loads(row["data"])
    return AccountSnapshot(
        owner=row["owner"],
        account=row["account"],
        taken_at=from_micros(row["taken_at"]),  # type: ignore[arg-type]
        broker=data["broker"],
        equity=data["equity"],
        cash=data["cash"],
        buying_power=data["buying_power"],
        expires_at=from_micros(row["expires_at"]),  # type: ignore[arg-type]
        positions=tuple(SnapshotPosition(**p) for p in data["positions"]),
        priced_on=None if data["priced_on"] is None else date.fromisoformat(data["priced_on"]),
    )


def check_account_name(account: str) -> None:
    """ValueError unless `account` names an account (non-empty, without '#', '/' or '|')."""
    if not isinstance(account, str) or not account or set("#/|") & set(account):
        raise ValueError(f"account must be a non-empty string without '#', '/' or '|': {account!r}")


def _check_snapshot(snapshot: AccountSnapshot) -> None:
    """ValueError naming the first thing wrong with a snapshot to store."""
    check_owner(snapshot.owner)
    check_account_name(snapshot.account)
    for name in ("taken_at", "expires_at"):
        if getattr(snapshot, name).tzinfo is None:
            raise ValueError(f"snapshot {name} must be timezone-aware")
    if snapshot.expires_at <= snapshot.taken_at:
        raise ValueError("snapshot expires_at must be after taken_at")
    numbers = [snapshot.equity, snapshot.cash]
    numbers += [] if snapshot.buying_power is None else [snapshot.buying_power]
    numbers += [
        v
        for p in snapshot.positions
        for v in (p.quantity, p.price, p.market_value)
        if v is not None
    ]
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in numbers):
        raise ValueError("snapshot amounts, quantities and prices must be finite numbers")


class SnapshotRepository(ABC):
    """Every owner's account snapshots."""

    def put_snapshot(self, snapshot: AccountSnapshot) -> bool:
        """Store `snapshot` unless the account has one at its `taken_at` already; True when
        stored. `ValueError` names a bad field."""
        _check_snapshot(snapshot)
        return self._insert_snapshot(snapshot)

    @abstractmethod
    def _insert_snapshot(self, snapshot: AccountSnapshot) -> bool:
        """`put_snapshot` after its checks."""

    @abstractmethod
    def list_snapshots(
        self,
        owner: str,
        account: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AccountSnapshot]:
        """The owner's unexpired snapshots of `account` taken from `since` to `until`
        (inclusive, either open), oldest first, at most `MAX_SNAPSHOTS_LISTED` (the latest)."""

    @abstractmethod
    def _drop_expired_snapshots(self, now: datetime) -> int:
        """Delete every owner's snapshots expired at `now`; how many (retention's `cleanup`)."""
