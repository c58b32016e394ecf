"""The results cache in the SQLite store."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from store.common import to_micros
from store.sqlite.connection import SqliteConnection


class SqliteCache(SqliteConnection):
    """The cache repository on SQLite."""

    def cache_get(self, owner: str, key: str) -> Any | None:
        rows = self._read(
            "cache_get",
            "SELECT value FROM cache WHERE owner = ? AND key = ? AND expires_at > ?",
            (owner, key, self._now()),
        )
        return json.loads(rows[0]["value"]) if rows else None

    def _put_cache(self, owner: str, key: str, value: str, ttl_seconds: float) -> None:
        expires = to_micros(self.clock() + timedelta(seconds=ttl_seconds))
        with self._tx("cache_put") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cache (owner, key, value, expires_at) VALUES (?, ?, ?, ?)",
                (owner, key, value, expires),
            )

    def _hold_lease(self, owner: str, key: str, holder: str, seconds: float) -> bool:
        now = self.clock()
        expires = to_micros(now + timedelta(seconds=seconds))
        with self._tx("hold_lease") as conn:
            cur = conn.execute(
                "INSERT INTO cache (owner, key, value, expires_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (owner, key) DO UPDATE SET value = excluded.value, "
                "expires_at = excluded.expires_at "
                "WHERE cache.expires_at <= ? OR cache.value = excluded.value",
                (owner, key, holder, expires, to_micros(now)),
            )
            return cur.rowcount == 1

    def _release_lease(self, owner: str, key: str, holder: str) -> None:
        with self._tx("release_lease") as conn:
            conn.execute(
                "DELETE FROM cache WHERE owner = ? AND key = ? AND value = ?", (owner, key, holder)
            )
