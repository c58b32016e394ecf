"""Executions in the SQLite store: ledger entries and order updates in one transaction."""

from __future__ import annotations

from typing import Any

from store.errors import NotFoundError
from store.executions import RecordedExecutions
from store.ledger import LedgerEntry
from store.orders import status_conflict
from store.sqlite.ledger import SqliteLedger
from store.sqlite.orders import SqliteOrders


class SqliteExecutions(SqliteLedger, SqliteOrders):
    """`record_executions` on SQLite: one `BEGIN IMMEDIATE` transaction that inserts the new
    entries, then updates each order guarded by its expected status; any failure rolls all of
    it back."""

    def _record_executions(
        self,
        owner: str,
        books: dict[str, list[LedgerEntry]],
        updates: list[tuple[str, str, dict[str, Any]]],
    ) -> RecordedExecutions:
        now = self._now()
        ids = [u[0] for u in updates]
        with self._tx("record_executions") as conn:
            new = sum(
                self._insert_entries(conn, owner, book, entries) for book, entries in books.items()
            )
            for client_order_id, expected_status, changes in updates:
                cur = conn.execute(
                    f"UPDATE queued_orders SET {', '.join(f'{c} = ?' for c in changes)}, "
                    "updated_at = ? WHERE client_order_id = ? AND owner = ? AND status = ?",
                    [*changes.values(), now, client_order_id, owner, expected_status],
                )
                if cur.rowcount == 1:
                    continue
                found = self._rows(conn, owner, [client_order_id])
                if not found:
                    raise NotFoundError(f"no order {client_order_id!r} for owner {owner!r}")
                raise status_conflict(found[0], expected_status, ": nothing written")
            stored = {o.client_order_id: o for o in self._rows(conn, owner, ids)} if ids else {}
        return RecordedExecutions(new, [stored[i] for i in ids])
