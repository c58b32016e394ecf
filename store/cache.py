"""The results cache (JSON values with a time to live) and its repository interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from store.common import check_owner, dumps


class CacheRepository(ABC):
    """An owner's cached values with a time to live."""

    @abstractmethod
    def cache_get(self, owner: str, key: str) -> Any | None:
        """The cached value, or None if absent or expired (expired entries are never returned,
        even before `cleanup` or DynamoDB's TTL deletes them)."""

    def cache_put(self, owner: str, key: str, value: Any, ttl_seconds: float) -> None:
        """Cache `value` under `key` until now + `ttl_seconds` (replacing an older entry)."""
        check_owner(owner)
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        self._put_cache(owner, key, dumps(value), ttl_seconds)

    @abstractmethod
    def _put_cache(self, owner: str, key: str, value: str, ttl_seconds: float) -> None:
        """`cache_put` after its checks (`value` as JSON, `ttl_seconds` positive)."""
