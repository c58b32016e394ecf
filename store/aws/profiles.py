"""Profiles in the AWS store: one DynamoDB item per owner (see `store.aws.table`)."""

from __future__ import annotations

from typing import Any

from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.errors import ConflictError, NotFoundError
from store.profiles import StoredProfile, profile_conflict, profile_from_row

PROFILE_SK = "PROFILE"
"""The sort key of an owner's profile item (partition `OWNER#<owner>`)."""
SAVE_ATTEMPTS = 5
"""Reads and writes an unconditional save tries before giving up on a profile that keeps
changing."""


class AwsProfiles(AwsTable):
    """The profiles repository on DynamoDB."""

    def _save_profile(self, owner: str, data: str, expected_version: int | None) -> StoredProfile:
        # Read, then write conditioned on what was read; an unconditional save that loses a race
        # with another save reads again and retries (a guarded one reports the conflict).
        for _ in range(SAVE_ATTEMPTS):
            saved = self._try_save(owner, data, expected_version)
            if saved is not None:
                return saved
        raise ConflictError(f"the profile of {owner!r} kept changing during save_profile")

    def _try_save(
        self, owner: str, data: str, expected_version: int | None
    ) -> StoredProfile | None:
        """One read-then-conditional-write; None when an unconditional save lost a race."""
        pk = _owner_pk(owner)
        now = self._now()
        current = self._get("save_profile", pk, PROFILE_SK)
        if current is None:
            if expected_version not in (None, 0):
                raise ConflictError(profile_conflict(owner, None, expected_version))
            record = {
                "pk": pk,
                "sk": PROFILE_SK,
                "owner": owner,
                "data": data,
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            if not self._put_if_absent("save_profile", record):
                self._lost_race(owner, expected_version)
                return None
            return profile_from_row(record)
        found = int(current["version"])
        if expected_version is not None and found != expected_version:
            stored = profile_from_row(current)
            raise ConflictError(profile_conflict(owner, stored, expected_version), current=stored)
        values: dict[str, Any] = {":data": data, ":now": now, ":one": 1, ":seen": found}
        item = self._update(
            "save_profile",
            pk,
            PROFILE_SK,
            "SET #d = :data, updated_at = :now, version = version + :one",
            "version = :seen",
            values,
            {"#d": "data"},
        )
        if item is None:
            self._lost_race(owner, expected_version)
            return None
        return profile_from_row(item)

    def _lost_race(self, owner: str, expected_version: int | None) -> None:
        """A concurrent save changed the profile between our read and our write: nothing (try
        again) for an unconditional save, else the `ConflictError`."""
        if expected_version is None:
            return
        item = self._get("save_profile", _owner_pk(owner), PROFILE_SK)
        stored = None if item is None else profile_from_row(item)
        raise ConflictError(profile_conflict(owner, stored, expected_version), current=stored)

    def get_profile(self, owner: str) -> StoredProfile:
        item = self._owned_item("get_profile", owner, PROFILE_SK, "profile")
        return profile_from_row(item)

    def delete_profile(self, owner: str) -> None:
        if not self._tombstone("delete_profile", _owner_pk(owner), PROFILE_SK):
            raise NotFoundError(f"no profile for owner {owner!r}")
