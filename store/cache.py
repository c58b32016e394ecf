"""The results cache (JSON values with a time to live) and its repository interface."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any


class CacheRepository(ABC):
    """An owner's cached values with a time to live."""

    @abstractmethod
    def cache_get(self, owner: str, key: str) -> Any | None:
        """The cached value, or None if absent or expired (expired entries are never returned,
        even before `cleanup` or DynamoDB's TTL deletes them)."""

    @abstractmethod
    def cache_put(self, owner: str, key: str, value: Any, ttl_seconds: float) -> None:
        """Cache `value` under `key` until now + `ttl_seconds` (replacing an older entry)."""
