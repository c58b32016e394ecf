"""Executions: an order's fills and the order's new status written together, in one atomic
write, so that the store never holds an order `filled` (or `partially_filled`) without the
fills in its ledger, nor fills whose order's status was lost on the way.

`record_executions` appends ledger entries to a book (as `append_ledger`: entries already held
are skipped, the same id with other contents is a `ConflictError`) and applies order updates
(as `update_orders`, each guarded by its order's expected status) all or nothing: on SQLite one
transaction, on DynamoDB one `TransactWriteItems` call. Unlike `update_orders`, an order whose
status changed meanwhile fails the whole write (`ConflictError`, nothing written): the caller
reads the orders again and retries.

One write holds at most `MAX_WRITES_PER_EXECUTION` entries and updates together (DynamoDB allows
100 actions per transaction; one is the ledger's head item). Callers with more split them so
that each order's update goes with (or after) the write holding its last fill
(`trading.queue.write_executions`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from store.common import check_owner
from store.ledger import LedgerEntry, check_entries
from store.orders import OrderUpdate, QueuedOrder

MAX_WRITES_PER_EXECUTION = 99
"""Ledger entries plus order updates one `record_executions` call may write."""


@dataclass(frozen=True)
class RecordedExecutions:
    """What a `record_executions` call wrote: how many entries were new, and the updated
    orders as stored (in the order of the updates)."""

    new_entries: int
    orders: list[QueuedOrder]


class ExecutionRepository(ABC):
    """Fills and order statuses written together (see the module docstring)."""

    def record_executions(
        self,
        owner: str,
        book: str,
        entries: Sequence[LedgerEntry],
        updates: Sequence[OrderUpdate],
    ) -> RecordedExecutions:
        """Append `entries` to `book` and apply `updates` in one atomic write. `ConflictError`
        (nothing written) if an entry id is held with other contents or an order is no longer
        at its expected status; `NotFoundError` (nothing written) if an order does not exist
        for `owner`; `ValueError` (nothing written) for malformed input or more than
        `MAX_WRITES_PER_EXECUTION` entries and updates together."""
        check_owner(owner)
        if not book:
            raise ValueError("book must be non-empty")
        check_entries(entries, limit=None)
        if len(entries) + len(updates) > MAX_WRITES_PER_EXECUTION:
            raise ValueError(
                f"at most {MAX_WRITES_PER_EXECUTION} entries and order updates per write, got "
                f"{len(entries)} + {len(updates)}"
            )
        ids = [u.client_order_id for u in updates]
        if len(set(ids)) != len(ids) or not all(ids):
            raise ValueError("order updates must name distinct, non-empty client order ids")
        changes = [(u.client_order_id, u.expected_status, u.changes()) for u in updates]
        if not entries and not changes:
            return RecordedExecutions(0, [])
        return self._record_executions(owner, book, list(entries), changes)

    @abstractmethod
    def _record_executions(
        self,
        owner: str,
        book: str,
        entries: list[LedgerEntry],
        updates: list[tuple[str, str, dict[str, Any]]],
    ) -> RecordedExecutions:
        """`record_executions` after its checks (updates: id, expected status, changes)."""
