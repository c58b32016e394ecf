"""User profiles (one versioned JSON document per owner) and their repository interface.

The store keeps a profile's `data` as an opaque JSON document; what it holds (risk tolerance,
default risk limits, benchmark, universe, exclusions, base currency, notification preferences)
and how it is checked is `services.profiles`' business. `version` starts at 1 when the profile is
first saved and increases by one on every save (optimistic concurrency via `expected_version`).
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import check_owner, dumps, from_micros


@dataclass(frozen=True)
class StoredProfile:
    """An owner's saved profile: `data` as saved, its `version` and timestamps (UTC)."""

    owner: str
    data: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


class ProfileRepository(ABC):
    """Each owner's profile (at most one)."""

    def save_profile(
        self, owner: str, data: Mapping[str, Any], *, expected_version: int | None = None
    ) -> StoredProfile:
        """Create or replace the owner's profile; the version becomes 1 on creation, else the
        previous version plus one.

        `expected_version` guards the write: None saves unconditionally, 0 requires that no
        profile exists yet, N requires the stored profile to be at version N. A profile in
        another state is a `ConflictError` (its `current` is the stored profile, or None).
        """
        check_owner(owner)
        if expected_version is not None and expected_version < 0:
            raise ValueError(f"expected_version must be >= 0, got {expected_version}")
        return self._save_profile(owner, dumps(dict(data)), expected_version)

    @abstractmethod
    def _save_profile(self, owner: str, data: str, expected_version: int | None) -> StoredProfile:
        """`save_profile` after its checks (`data` as JSON)."""

    @abstractmethod
    def get_profile(self, owner: str) -> StoredProfile:
        """The owner's profile, or `NotFoundError` when none was saved."""

    @abstractmethod
    def delete_profile(self, owner: str) -> None:
        """Delete the owner's profile (`NotFoundError` if none was saved)."""


def profile_conflict(owner: str, current: StoredProfile | None, expected: int | None) -> str:
    """The message of a `ConflictError` of `save_profile`."""
    at = "no saved profile" if current is None else f"a profile at version {current.version}"
    return f"owner {owner!r} has {at}, not version {expected}"


def profile_from_row(d: Mapping[str, Any]) -> StoredProfile:
    """The StoredProfile a stored row or item holds (`d`: column or attribute name -> value)."""
    return StoredProfile(
        owner=d["owner"],
        data=json.loads(d["data"]),
        version=int(d["version"]),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
    )
