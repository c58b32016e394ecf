"""API keys, stored only as HMAC-SHA256 hashes with a pepper, and their repository interface."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import check_owner, from_micros, to_micros
from store.errors import StoreError


@dataclass(frozen=True)
class ApiKey:
    """An API key's metadata; the key itself is never stored, only its keyed hash."""

    id: str
    owner: str
    name: str
    created_at: datetime
    revoked_at: datetime | None = None
    expires_at: datetime | None = None
    """When the key stops verifying (None: never); `renew_api_key` moves it."""


API_KEY_PREFIX = "stg_"


def generate_api_key() -> str:
    """A new raw API key: `stg_` + 43 URL-safe characters (256 random bits)."""
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


NO_PEPPER = ""
"""The pepper of a store opened by a process that checks no API key
(`STRATIGOS_STORE_API_KEY_CHECKS=false`): hashing a key with it is refused."""


def hash_api_key(raw_key: str, pepper: str) -> str:
    """The stored form of an API key: hex HMAC-SHA256 of the key under the server's `pepper`.

    API keys carry 256 random bits, so a fast keyed hash is enough (no salt or slow KDF is needed
    against guessing); the pepper, kept out of the database, makes a stolen table useless for
    checking candidate keys offline. Lookup is by this hash, so it must be deterministic.
    `StoreError` when this process holds no pepper (`NO_PEPPER`): it may not create or verify
    keys.
    """
    if pepper == NO_PEPPER:
        raise StoreError(
            "this process checks no API key (STRATIGOS_STORE_API_KEY_CHECKS=false) and holds no "
            "API key pepper: create and verify keys where the pepper is (the API, the CLI)"
        )
    return hmac.new(pepper.encode(), raw_key.encode(), hashlib.sha256).hexdigest()


class ApiKeyRepository(ABC):
    """API keys: created, verified, renewed, listed and revoked by their owner."""

    def create_api_key(
        self, owner: str, name: str, *, expires_at: datetime | None = None
    ) -> tuple[str, ApiKey]:
        """A new random API key for `owner`: returns `(raw_key, metadata)`. The raw key is shown
        only here; the store keeps an HMAC-SHA256 of it under a secret pepper. A key with
        `expires_at` stops verifying at that time unless renewed."""
        check_owner(owner)
        raw = generate_api_key()
        expires = None if expires_at is None else to_micros(expires_at)
        return raw, self._insert_api_key(owner, name, raw, expires)

    @abstractmethod
    def _insert_api_key(
        self, owner: str, name: str, raw_key: str, expires_at: int | None
    ) -> ApiKey:
        """`create_api_key` after its checks: store `raw_key`'s hash under the pepper
        (`expires_at` in µs since the epoch, or None)."""

    @abstractmethod
    def verify_api_key(self, raw_key: str) -> ApiKey:
        """The key's metadata (its `owner` is the caller's identity), or `NotFoundError` for an
        unknown, revoked or expired key."""

    @abstractmethod
    def renew_api_key(self, owner: str, key_id: str, expires_at: datetime) -> ApiKey:
        """Move the expiry of the owner's unrevoked key to `expires_at`; `NotFoundError` for a
        missing or revoked key."""

    @abstractmethod
    def list_api_keys(self, owner: str) -> list[ApiKey]:
        """The owner's keys (metadata only), oldest first, revoked ones included."""

    @abstractmethod
    def revoke_api_key(self, owner: str, key_id: str) -> ApiKey:
        """Revoke a key; it no longer verifies."""


def api_key_from_row(d: Mapping[str, Any]) -> ApiKey:
    """The ApiKey a stored row or item holds (`d`: column or attribute name -> value; absent
    optional attributes read as None)."""
    return ApiKey(
        id=d["id"],
        owner=d["owner"],
        name=d["name"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        revoked_at=from_micros(d.get("revoked_at")),
        expires_at=from_micros(d.get("expires_at")),
    )
