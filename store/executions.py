"""Executions: an order's fills and the order's new status written together, in one atomic
write, so that the store never holds an order `filled` (or `partially_filled`) without the
fills in its ledger, nor fills whose order's status was lost on the way.

`record_executions` appends ledger entries to a book (as `append_ledger`: entries already held
are skipped, the same id with other contents is a `ConflictError`) and applies order updates
(as `update_orders`, each guarded by its order's expected status) all or nothing: on SQLite one
transaction, on DynamoDB one `TransactWriteItems` call. Unlike `update_orders`, an order whose
status changed meanwhile fails the whole write (`ConflictError`, nothing written): the caller
reads the orders again and retries.

On an account several deployments share, an order's fills are attributed to the deployments'
books (strategy lots): `other_books` carries the entries of the owner's other books, written in
the same atomic write.

One write holds at most `MAX_WRITES_PER_EXECUTION` entries, updates and extra books together
(DynamoDB allows 100 actions per transaction; each book written takes its head item: the first
is counted in the 99, each further book counts one more). Callers with more split them so
that each order's update goes with (or after) the write holding its last fill
(`trading.queue.write_executions`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
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
        *,
        other_books: Mapping[str, Sequence[LedgerEntry]] | None = None,
    ) -> RecordedExecutions:
        """Append `entries` to `book` (and each of `other_books`' entries to its book) and apply
        `updates` in one atomic write; `new_entries` counts the new entries of every book. `ConflictError`
        (nothing written) if an entry id is held with other contents or an order is no longer
        at its expected status; `NotFoundError` (nothing written) if an order does not exist
        for `owner`; `ValueError` (nothing written) for malformed input or more than
        `MAX_WRITES_PER_EXECUTION` entries and updates together."""
        check_owner(owner)
        books = {book: list(entries), **{b: list(e) for b, e in (other_books or {}).items()}}
        if not all(books) or book in (other_books or {}):
            raise ValueError("books must be non-empty and distinct")
        for held in books.values():
            check_entries(held, limit=None)
        written = [held for held in books.values() if held]
        size = execution_size(sum(len(h) for h in written), len(updates), len(written))
        if size > MAX_WRITES_PER_EXECUTION:
            raise ValueError(
                f"at most {MAX_WRITES_PER_EXECUTION} entries, order updates and extra books per "
                f"write, got {size}"
            )
        ids = [u.client_order_id for u in updates]
        if len(set(ids)) != len(ids) or not all(ids):
            raise ValueError("order updates must name distinct, non-empty client order ids")
        changes = [(u.client_order_id, u.expected_status, u.changes()) for u in updates]
        if not written and not changes:
            return RecordedExecutions(0, [])
        return self._record_executions(
            owner, {b: held for b, held in books.items() if held}, changes
        )

    @abstractmethod
    def _record_executions(
        self,
        owner: str,
        books: dict[str, list[LedgerEntry]],
        updates: list[tuple[str, str, dict[str, Any]]],
    ) -> RecordedExecutions:
        """`record_executions` after its checks (books: book -> its entries, none empty;
        updates: id, expected status, changes)."""


def execution_size(entries: int, updates: int, books: int) -> int:
    """What one `record_executions` write of `entries` (in `books` books) and `updates` counts
    against `MAX_WRITES_PER_EXECUTION`: each entry and update, and each book beyond the
    first."""
    return entries + updates + max(0, books - 1)
