"""The trade ledger in the SQLite store."""

from __future__ import annotations

from store.common import to_micros
from store.errors import ConflictError
from store.ledger import ENTRY_COLUMNS, LedgerEntry, entry_from_row
from store.sqlite.connection import SqliteConnection


class SqliteLedger(SqliteConnection):
    """The trade ledger on SQLite."""

    def _append_ledger(self, owner: str, book: str, entries: list[LedgerEntry]) -> int:
        added = 0
        columns = ", ".join(ENTRY_COLUMNS)
        with self._tx("append_ledger") as conn:
            for entry in entries:
                row = conn.execute(
                    "SELECT * FROM ledger_entries WHERE owner = ? AND book = ? AND entry_id = ?",
                    (owner, book, entry.entry_id),
                ).fetchone()
                if row is not None:
                    if entry_from_row(dict(row)) != entry:
                        raise ConflictError(
                            f"ledger {book} holds entry {entry.entry_id} with other contents"
                        )
                    continue
                values = [getattr(entry, column) for column in ENTRY_COLUMNS]
                conn.execute(
                    f"INSERT INTO ledger_entries (owner, book, time, {columns}) VALUES "
                    f"(?, ?, ?, {', '.join('?' for _ in ENTRY_COLUMNS)})",
                    [owner, book, to_micros(entry.time), *values],
                )
                added += 1
        return added

    def _ledger(self, owner: str, book: str) -> list[LedgerEntry]:
        rows = self._read(
            "ledger",
            "SELECT * FROM ledger_entries WHERE owner = ? AND book = ? ORDER BY seq",
            (owner, book),
        )
        return [entry_from_row(dict(r)) for r in rows]
