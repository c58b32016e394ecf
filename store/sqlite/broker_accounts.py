"""Simulated broker accounts in the SQLite store."""

from __future__ import annotations

from store.broker_accounts import BrokerAccount, broker_account_from_row
from store.errors import NotFoundError, version_conflict
from store.sqlite.connection import SqliteConnection


class SqliteBrokerAccounts(SqliteConnection):
    """Simulated broker accounts on SQLite."""

    def _insert_broker_account(
        self, owner: str, account_id: str, kind: str, state: str
    ) -> BrokerAccount:
        now = self._now()
        with self._tx("create_broker_account") as conn:  # a taken id: ConflictError
            conn.execute(
                "INSERT INTO broker_accounts (owner, id, kind, state, version, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, 1, ?, ?)",
                (owner, account_id, kind, state, now, now),
            )
        return self.get_broker_account(owner, account_id)

    def get_broker_account(self, owner: str, account_id: str) -> BrokerAccount:
        rows = self._read(
            "get_broker_account",
            "SELECT * FROM broker_accounts WHERE owner = ? AND id = ?",
            (owner, account_id),
        )
        if not rows:
            raise NotFoundError(f"no broker account {account_id!r} for owner {owner!r}")
        return broker_account_from_row(dict(rows[0]))

    def _save_broker_account(
        self, owner: str, account_id: str, state: str, expected_version: int
    ) -> BrokerAccount:
        with self._tx("save_broker_account") as conn:
            cur = conn.execute(
                "UPDATE broker_accounts SET state = ?, version = version + 1, updated_at = ? "
                "WHERE owner = ? AND id = ? AND version = ?",
                (state, self._now(), owner, account_id, expected_version),
            )
            changed = cur.rowcount == 1
        current = self.get_broker_account(owner, account_id)
        if not changed:
            raise version_conflict(f"broker account {account_id}", current, expected_version)
        return current
