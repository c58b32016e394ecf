"""Ledger exports in the SQLite store: the metadata and the bytes in one row of `exports`."""

from __future__ import annotations

import sqlite3

from store.errors import NotFoundError
from store.exports import EXPORT_FIELDS, Export, export_from_row, export_to_row
from store.sqlite.connection import SqliteConnection

_COLUMNS = ", ".join((*EXPORT_FIELDS, "created_at"))


class SqliteExports(SqliteConnection):
    """The exports repository on SQLite (one INSERT: never metadata without its bytes)."""

    def _insert_export(self, export: Export, data: bytes) -> None:
        row = export_to_row(export)
        with self._tx("create_export") as conn:
            conn.execute(
                f"INSERT INTO exports ({_COLUMNS}, data) VALUES ({', '.join('?' for _ in row)}, ?)",
                [*row.values(), sqlite3.Binary(data)],
            )

    def get_export(self, owner: str, export_id: str) -> Export:
        sql = f"SELECT {_COLUMNS} FROM exports WHERE id = ? AND owner = ?"
        return export_from_row(dict(self._owned_row("get_export", sql, owner, export_id, "export")))

    def export_bytes(self, owner: str, export_id: str) -> bytes:
        sql = "SELECT data FROM exports WHERE id = ? AND owner = ?"
        return bytes(self._owned_row("export_bytes", sql, owner, export_id, "export")["data"])

    def list_exports(self, owner: str, deployment_id: str) -> list[Export]:
        rows = self._read(
            "list_exports",
            f"SELECT {_COLUMNS} FROM exports WHERE owner = ? AND deployment_id = ? "
            "ORDER BY created_at, id",
            (owner, deployment_id),
        )
        return [export_from_row(dict(r)) for r in rows]

    def delete_export(self, owner: str, export_id: str) -> None:
        with self._tx("delete_export") as conn:
            cur = conn.execute("DELETE FROM exports WHERE id = ? AND owner = ?", (export_id, owner))
            if cur.rowcount == 0:
                raise NotFoundError(f"no export {export_id!r} for owner {owner!r}")
