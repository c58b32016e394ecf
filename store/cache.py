"""The results cache (JSON values with a time to live) and its repository interface; leases
(who holds a name of an owner's, until when) are entries of the same cache."""

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

    def hold_lease(self, owner: str, key: str, holder: str, seconds: float) -> bool:
        """Hold `owner`'s lease `key` for `holder` until now + `seconds` (taking it, or
        extending it when `holder` holds it already); False, and nothing written, while another
        holder's lease has not expired. Atomic across processes: of two holders asking at once,
        one gets it. The lease is the cache entry `key` (`cache_get` reads its holder)."""
        check_owner(owner)
        if seconds <= 0:
            raise ValueError(f"seconds must be positive, got {seconds}")
        return self._hold_lease(owner, key, dumps(holder), seconds)

    @abstractmethod
    def _hold_lease(self, owner: str, key: str, holder: str, seconds: float) -> bool:
        """`hold_lease` after its checks (`holder` as JSON)."""

    def release_lease(self, owner: str, key: str, holder: str) -> None:
        """End `holder`'s lease `key` of `owner` (nothing when another holds it, or none)."""
        self._release_lease(owner, key, dumps(holder))

    @abstractmethod
    def _release_lease(self, owner: str, key: str, holder: str) -> None:
        """`release_lease` with `holder` as JSON."""
