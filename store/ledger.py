"""The trade ledger: an append-only record, per book (a deployment or a forward test), of the
fills and cash flows of its account.

Entries are never changed or removed. Appending an entry whose id the book already holds adds
nothing (a retried or resumed run appends the same fills again harmlessly); the same id with
different contents is a `ConflictError`. Entries come back in the order they were appended.
What they add up to (tax lots, positions, P&L) is computed by `execution.ledger`.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from store.common import check_owner, from_micros
from store.errors import ConflictError

MAX_ENTRIES_PER_APPEND = 90
"""Entries one `append_ledger` call may add (one atomic write on every backend)."""


@dataclass(frozen=True)
class LedgerEntry:
    """A fill (`kind="fill"`: `quantity` shares of `symbol` bought or sold at `price` with
    `fee`, by order `order_id`) or a cash flow (`kind="cash_flow"`: `amount` in, or out when
    negative) at `time` (timezone-aware UTC). Fields that do not apply to the kind are None."""

    entry_id: str
    kind: Literal["fill", "cash_flow"]
    time: datetime
    symbol: str | None = None
    side: Literal["buy", "sell"] | None = None
    quantity: float | None = None
    price: float | None = None
    fee: float | None = None
    amount: float | None = None
    order_id: str | None = None
    note: str = ""


def check_entries(
    entries: Sequence[LedgerEntry], limit: int | None = MAX_ENTRIES_PER_APPEND
) -> None:
    """ValueError unless every entry is complete for its kind and ids are unique (and, with a
    `limit`, there are at most that many)."""
    if limit is not None and len(entries) > limit:
        raise ValueError(f"at most {limit} entries per append")
    seen: set[str] = set()
    for entry in entries:
        if not entry.entry_id or entry.entry_id in seen:
            raise ValueError(f"ledger entry ids must be unique and non-empty: {entry!r}")
        seen.add(entry.entry_id)
        if entry.time.tzinfo is None:
            raise ValueError(f"entry {entry.entry_id}: time must be timezone-aware")
        if entry.kind == "fill":
            numbers = (entry.quantity, entry.price, entry.fee)
            if not entry.symbol or entry.side not in ("buy", "sell") or not entry.order_id:
                raise ValueError(f"fill {entry.entry_id}: needs symbol, side and order_id")
            if any(n is None or not math.isfinite(n) for n in numbers):
                raise ValueError(f"fill {entry.entry_id}: needs quantity, price and fee")
        elif entry.kind == "cash_flow":
            if entry.amount is None or not math.isfinite(entry.amount):
                raise ValueError(f"cash flow {entry.entry_id}: needs an amount")
        else:
            raise ValueError(f"entry {entry.entry_id}: kind must be fill or cash_flow")


class LedgerRepository(ABC):
    """The owner's ledgers, one per book."""

    def append_ledger(self, owner: str, book: str, entries: Sequence[LedgerEntry]) -> int:
        """Append `entries` to `book` in one atomic write; entries already held are skipped.
        Returns how many were new. `ConflictError` (nothing written) if an id is held with
        other contents."""
        check_owner(owner)
        if not book:
            raise ValueError("book must be non-empty")
        check_entries(entries)
        if not entries:
            return 0
        return self._append_ledger(owner, book, list(entries))

    @abstractmethod
    def _append_ledger(self, owner: str, book: str, entries: list[LedgerEntry]) -> int:
        """`append_ledger` after its checks."""

    def ledger(self, owner: str, book: str) -> list[LedgerEntry]:
        """Every entry of `book` in the order appended (empty for an unknown book)."""
        check_owner(owner)
        return self._ledger(owner, book)

    @abstractmethod
    def _ledger(self, owner: str, book: str) -> list[LedgerEntry]:
        """`ledger` after its checks."""


ENTRY_COLUMNS = (
    "entry_id",
    "kind",
    "symbol",
    "side",
    "quantity",
    "price",
    "fee",
    "amount",
    "order_id",
    "note",
)
"""The stored fields of an entry besides its time (stored as microseconds)."""
NUMBER_FIELDS = ("quantity", "price", "fee", "amount")


def entry_conflict(book: str, entry_id: str) -> ConflictError:
    """The refusal of an append whose entry id `book` already holds with other contents."""
    return ConflictError(f"ledger {book} holds entry {entry_id} with other contents")


def entry_from_row(d: Mapping[str, Any]) -> LedgerEntry:
    """The LedgerEntry a stored row or item holds (numbers may be stored as text)."""
    numbers = {n: None if d.get(n) is None else float(d[n]) for n in NUMBER_FIELDS}
    return LedgerEntry(
        entry_id=d["entry_id"],
        kind=d["kind"],
        time=from_micros(d["time"]),  # type: ignore[arg-type]
        symbol=d.get("symbol"),
        side=d.get("side"),
        order_id=d.get("order_id"),
        note=d.get("note") or "",
        **numbers,
    )
