"""The execution queue in the SQLite store."""

from __future__ import annotations

import sqlite3
from typing import Any

from store.errors import NotFoundError
from store.orders import (
    NewOrder,
    QueuedOrder,
    allocations_json,
    id_taken,
    order_from_row,
    queued_order,
    same_order,
    status_conflict,
)
from store.sqlite.connection import SqliteConnection

_OPEN = "('queued', 'submitted', 'partially_filled')"


class SqliteOrders(SqliteConnection):
    """The execution queue on SQLite."""

    def _enqueue_orders(
        self,
        owner: str,
        account: str,
        deployment_id: str,
        run_id: str,
        orders: list[NewOrder],
    ) -> list[QueuedOrder]:
        now = self._now()
        ids = [o.client_order_id for o in orders]
        added: list[QueuedOrder] = []
        with self._tx("enqueue_orders") as conn:
            (last,) = conn.execute(
                "SELECT COALESCE(MAX(sequence), 0) FROM queued_orders WHERE owner = ? AND "
                "account = ?",
                (owner, account),
            ).fetchone()
            stored = {o.client_order_id: o for o in self._rows(conn, owner, ids)}
            for order in orders:
                existing = stored.get(order.client_order_id)
                if existing is not None:
                    if not same_order(existing, order, account, deployment_id):
                        raise id_taken(order.client_order_id)
                    continue
                last += 1
                added.append(queued_order(order, owner, account, deployment_id, run_id, last, now))
            conn.executemany(
                "INSERT INTO queued_orders (client_order_id, owner, account, deployment_id, "
                "run_id, sequence, symbol, side, quantity, allocations, internal_price, status, "
                "attempts, filled_quantity, created_at, updated_at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', 0, 0, ?, ?)",
                [
                    (
                        o.client_order_id,
                        owner,
                        account,
                        deployment_id,
                        run_id,
                        o.sequence,
                        o.symbol,
                        o.side,
                        o.quantity,
                        allocations_json(o.allocations),
                        o.internal_price,
                        now,
                        now,
                    )
                    for o in added
                ],
            )
        # the rows just inserted are what `added` holds: they are not read back
        return sorted([*stored.values(), *added], key=lambda o: o.sequence)

    @staticmethod
    def _rows(conn: sqlite3.Connection, owner: str, ids: list[str]) -> list[QueuedOrder]:
        """The owner's orders of those client order ids."""
        rows = conn.execute(
            "SELECT * FROM queued_orders WHERE owner = ? AND client_order_id IN "
            f"({', '.join('?' for _ in ids)})",
            [owner, *ids],
        ).fetchall()
        return [order_from_row(dict(r)) for r in rows]

    def get_order(self, owner: str, client_order_id: str) -> QueuedOrder:
        rows = self._read(
            "get_order",
            "SELECT * FROM queued_orders WHERE client_order_id = ? AND owner = ?",
            (client_order_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no order {client_order_id!r} for owner {owner!r}")
        return order_from_row(dict(rows[0]))

    def open_orders(self, owner: str, account: str) -> list[QueuedOrder]:
        rows = self._read(
            "open_orders",
            f"SELECT * FROM queued_orders WHERE owner = ? AND account = ? AND status IN {_OPEN} "
            "ORDER BY sequence",
            (owner, account),
        )
        return [order_from_row(dict(r)) for r in rows]

    def list_orders(
        self, owner: str, *, deployment_id: str | None = None, run_id: str | None = None
    ) -> list[QueuedOrder]:
        sql = "SELECT * FROM queued_orders WHERE owner = ?"
        params: list[Any] = [owner]
        if deployment_id is not None:
            sql += " AND deployment_id = ?"
            params.append(deployment_id)
        if run_id is not None:
            sql += " AND run_id = ?"
            params.append(run_id)
        rows = self._read("list_orders", sql + " ORDER BY account, sequence", params)
        return [order_from_row(dict(r)) for r in rows]

    def _update_order(
        self, owner: str, client_order_id: str, expected_status: str, changes: dict[str, Any]
    ) -> QueuedOrder:
        sets = ", ".join(f"{column} = ?" for column in changes)
        with self._tx("update_order") as conn:
            cur = conn.execute(
                f"UPDATE queued_orders SET {sets}, updated_at = ? WHERE client_order_id = ? "
                "AND owner = ? AND status = ?",
                [*changes.values(), self._now(), client_order_id, owner, expected_status],
            )
            changed = cur.rowcount == 1
        current = self.get_order(owner, client_order_id)
        if not changed:
            raise status_conflict(current, expected_status)
        return current

    def _update_orders(
        self, owner: str, updates: list[tuple[str, str, dict[str, Any]]]
    ) -> list[QueuedOrder]:
        now = self._now()
        groups: dict[tuple[str, ...], list[list[Any]]] = {}
        for client_order_id, expected_status, changes in updates:
            groups.setdefault(tuple(changes), []).append(
                [*changes.values(), now, client_order_id, owner, expected_status]
            )
        with self._tx("update_orders") as conn:
            for columns, rows in groups.items():
                conn.executemany(
                    f"UPDATE queued_orders SET {', '.join(f'{c} = ?' for c in columns)}, "
                    "updated_at = ? WHERE client_order_id = ? AND owner = ? AND status = ?",
                    rows,
                )
            ids = [u[0] for u in updates]
            found = {o.client_order_id: o for o in self._rows(conn, owner, ids)}
        missing = [i for i in ids if i not in found]
        if missing:
            raise NotFoundError(f"no order {missing[0]!r} for owner {owner!r}")
        return [found[i] for i in ids]
