"""Profiles in the SQLite store (table `profiles`, one row per owner)."""

from __future__ import annotations

from store.errors import ConflictError, NotFoundError
from store.profiles import StoredProfile, profile_conflict, profile_from_row
from store.sqlite.connection import SqliteConnection


class SqliteProfiles(SqliteConnection):
    """The profiles repository on SQLite."""

    def _save_profile(self, owner: str, data: str, expected_version: int | None) -> StoredProfile:
        now = self._now()
        with self._tx("save_profile") as conn:
            row = conn.execute("SELECT * FROM profiles WHERE owner = ?", (owner,)).fetchone()
            current = None if row is None else profile_from_row(dict(row))
            found = 0 if current is None else current.version
            if expected_version is not None and found != expected_version:
                raise ConflictError(
                    profile_conflict(owner, current, expected_version), current=current
                )
            if current is None:
                conn.execute(
                    "INSERT INTO profiles (owner, data, version, created_at, updated_at) "
                    "VALUES (?, ?, 1, ?, ?)",
                    (owner, data, now, now),
                )
            else:
                conn.execute(
                    "UPDATE profiles SET data = ?, version = version + 1, updated_at = ? "
                    "WHERE owner = ?",
                    (data, now, owner),
                )
        return self.get_profile(owner)

    def get_profile(self, owner: str) -> StoredProfile:
        rows = self._read("get_profile", "SELECT * FROM profiles WHERE owner = ?", (owner,))
        if not rows:
            raise NotFoundError(f"no profile for owner {owner!r}")
        return profile_from_row(dict(rows[0]))

    def delete_profile(self, owner: str) -> None:
        with self._tx("delete_profile") as conn:
            cur = conn.execute("DELETE FROM profiles WHERE owner = ?", (owner,))
            if cur.rowcount == 0:
                raise NotFoundError(f"no profile for owner {owner!r}")
