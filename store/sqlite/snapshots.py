"""Account snapshots in the SQLite store: one row per owner, account and time taken."""

from __future__ import annotations

from datetime import datetime

from store.common import to_micros
from store.snapshots import (
    MAX_SNAPSHOTS_LISTED,
    AccountSnapshot,
    snapshot_data,
    snapshot_from_row,
)
from store.sqlite.connection import SqliteConnection


class SqliteSnapshots(SqliteConnection):
    """The snapshots repository on SQLite."""

    def _insert_snapshot(self, snapshot: AccountSnapshot) -> bool:
        with self._tx("put_snapshot") as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO account_snapshots (owner, account, taken_at, data, "
                "expires_at) VALUES (?, ?, ?, ?, ?)",
                (
                    snapshot.owner,
                    snapshot.account,
                    to_micros(snapshot.taken_at),
                    snapshot_data(snapshot),
                    to_micros(snapshot.expires_at),
                ),
            )
            return cur.rowcount == 1

    def list_snapshots(
        self,
        owner: str,
        account: str,
        *,
        since: datetime | None = None,
        until: datetime | None = None,
    ) -> list[AccountSnapshot]:
        first = to_micros(since) if since is not None else -(2**62)
        last = to_micros(until) if until is not None else 2**62
        rows = self._read(
            "list_snapshots",
            "SELECT * FROM account_snapshots WHERE owner = ? AND account = ? AND taken_at >= ? "
            "AND taken_at <= ? AND expires_at > ? ORDER BY taken_at DESC LIMIT ?",
            (owner, account, first, last, self._now(), MAX_SNAPSHOTS_LISTED),
        )
        return [snapshot_from_row(dict(r)) for r in reversed(rows)]

    def _drop_expired_snapshots(self, now: datetime) -> int:
        with self._tx("cleanup") as conn:
            cur = conn.execute(
                "DELETE FROM account_snapshots WHERE expires_at <= ?", (to_micros(now),)
            )
            return int(cur.rowcount)
