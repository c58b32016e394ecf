"""API keys in the SQLite store."""

from __future__ import annotations

from datetime import datetime

from store.api_keys import ApiKey, api_key_from_row, hash_api_key
from store.common import new_id, to_micros
from store.errors import NotFoundError
from store.sqlite.connection import SqliteConnection


class SqliteApiKeys(SqliteConnection):
    """The api keys repository on SQLite."""

    def _insert_api_key(
        self, owner: str, name: str, raw_key: str, expires_at: int | None
    ) -> ApiKey:
        kid = new_id("key")
        with self._tx("create_api_key") as conn:
            conn.execute(
                "INSERT INTO api_keys (id, owner, name, key_hash, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    kid,
                    owner,
                    name,
                    hash_api_key(raw_key, self._pepper),
                    self._now(),
                    expires_at,
                ),
            )
        rows = self._read("create_api_key", "SELECT * FROM api_keys WHERE id = ?", (kid,))
        return api_key_from_row(dict(rows[0]))

    def verify_api_key(self, raw_key: str) -> ApiKey:
        rows = self._read(
            "verify_api_key",
            "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (hash_api_key(raw_key, self._pepper), self._now()),
        )
        if not rows:
            raise NotFoundError("unknown, revoked or expired API key")
        return api_key_from_row(dict(rows[0]))

    def renew_api_key(self, owner: str, key_id: str, expires_at: datetime) -> ApiKey:
        with self._tx("renew_api_key") as conn:
            cur = conn.execute(
                "UPDATE api_keys SET expires_at = ? "
                "WHERE id = ? AND owner = ? AND revoked_at IS NULL",
                (to_micros(expires_at), key_id, owner),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no unrevoked API key {key_id!r} for owner {owner!r}")
            row = conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return api_key_from_row(dict(row))

    def list_api_keys(self, owner: str) -> list[ApiKey]:
        rows = self._read(
            "list_api_keys",
            "SELECT * FROM api_keys WHERE owner = ? ORDER BY created_at, id",
            (owner,),
        )
        return [api_key_from_row(dict(r)) for r in rows]

    def revoke_api_key(self, owner: str, key_id: str) -> ApiKey:
        with self._tx("revoke_api_key") as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) "
                "WHERE id = ? AND owner = ?",
                (self._now(), key_id, owner),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no API key {key_id!r} for owner {owner!r}")
            row = conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return api_key_from_row(dict(row))
