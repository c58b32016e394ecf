"""The implied-volatility history in the SQLite store: one row per owner, underlying and day."""

from __future__ import annotations

from datetime import date

from store.common import to_micros
from store.iv_history import MAX_IV_RECORDS_LISTED, IVRecord, iv_data, iv_from_row
from store.sqlite.connection import SqliteConnection


class SqliteIVHistory(SqliteConnection):
    """The implied-volatility history on SQLite."""

    def _insert_iv(self, record: IVRecord) -> bool:
        with self._tx("record_iv") as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO iv_history (owner, underlying, day, data, recorded_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (
                    record.owner,
                    record.underlying,
                    record.day.isoformat(),
                    iv_data(record),
                    to_micros(record.recorded_at),
                ),
            )
            return cur.rowcount == 1

    def iv_history(
        self,
        owner: str,
        underlying: str,
        *,
        since: date | None = None,
        until: date | None = None,
    ) -> list[IVRecord]:
        rows = self._read(
            "iv_history",
            "SELECT * FROM iv_history WHERE owner = ? AND underlying = ? AND day >= ? "
            "AND day <= ? ORDER BY day DESC LIMIT ?",
            (
                owner,
                underlying,
                (since or date.min).isoformat(),
                (until or date.max).isoformat(),
                MAX_IV_RECORDS_LISTED,
            ),
        )
        return [iv_from_row(dict(r)) for r in reversed(rows)]
