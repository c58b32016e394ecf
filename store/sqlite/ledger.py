"""The trade ledger in the SQLite store."""

from __future__ import annotations

import sqlite3

from store.common import to_micros
from store.ledger import ENTRY_COLUMNS, LedgerEntry, entry_conflict, entry_from_row
from store.sqlite.connection import SqliteConnection


class SqliteLedger(SqliteConnection):
    """The trade ledger on SQLite."""

    def _append_ledger(self, owner: str, book: str, entries: list[LedgerEntry]) -> int:
        with self._tx("append_ledger") as conn:
            return self._insert_entries(conn, owner, book, entries)

    @staticmethod
    def _insert_entries(
        conn: sqlite3.Connection, owner: str, book: str, entries: list[LedgerEntry]
    ) -> int:
        """Insert the entries `book` does not hold yet, inside the caller's transaction; how
        many were new. `ConflictError` if an id is held with other contents."""
        if not entries:
            return 0
        columns = ", ".join(ENTRY_COLUMNS)
        ids = [e.entry_id for e in entries]
        rows = conn.execute(
            f"SELECT * FROM ledger_entries WHERE owner = ? AND book = ? AND entry_id IN "
            f"({', '.join('?' for _ in ids)})",
            [owner, book, *ids],
        ).fetchall()
        held = {row["entry_id"]: entry_from_row(dict(row)) for row in rows}
        new = []
        for entry in entries:
            if entry.entry_id not in held:
                new.append(entry)
            elif held[entry.entry_id] != entry:
                raise entry_conflict(book, entry.entry_id)
        conn.executemany(
            f"INSERT INTO ledger_entries (owner, book, time, {columns}) VALUES "
            f"(?, ?, ?, {', '.join('?' for _ in ENTRY_COLUMNS)})",
            [
                [owner, book, to_micros(e.time), *(getattr(e, c) for c in ENTRY_COLUMNS)]
                for e in new
            ],
        )
        return len(new)

    def _ledger(self, owner: str, book: str) -> list[LedgerEntry]:
        rows = self._read(
            "ledger",
            "SELECT * FROM ledger_entries WHERE owner = ? AND book = ? ORDER BY seq",
            (owner, book),
        )
        return [entry_from_row(dict(r)) for r in rows]
