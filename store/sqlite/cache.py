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
