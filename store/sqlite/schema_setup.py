"""Setting up the SQLite store's file when a store opens it: WAL mode and the current schema,
one opener at a time.

`set_up_schema` runs under the file's setup lock (`settings.file_locks`, ``<file>-lock``), so
any number of threads and processes may open a new or an older file at once: SQLite answers a
second connection switching a new file to WAL at the same moment with "database is locked" at
once, without waiting, and an upgrade must run once. Inside the lock the migrations still run
in one `BEGIN IMMEDIATE` transaction that reads the version first, so a file at the current
version is left as it is, and a failed upgrade leaves the file at its old version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from settings.file_locks import exclusive, lock_path
from store.errors import StoreUnavailableError

Transaction = Callable[[str], AbstractContextManager[sqlite3.Connection]]
"""The store's `BEGIN IMMEDIATE` transaction, named by its action (`SqliteConnection._tx`)."""


def set_up_schema(
    path: Path, transaction: Transaction, migrations: Sequence[tuple[int, str]]
) -> None:
    """Bring the SQLite file `path` to the newest version of `migrations` ((version, SQL
    script) pairs: a file at version N gets every script of a higher version, in order) under
    its setup lock; `StoreUnavailableError` when the file holds a newer schema than the code
    knows or the lock file cannot be made."""
    newest = max(version for version, _ in migrations)
    try:
        with exclusive(lock_path(path)), transaction("migration") as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            current = 0 if row is None else int(row[0])
            if current > newest:
                raise StoreUnavailableError(
                    f"SQLite store {path} has schema version {current}, newer than this "
                    f"code's {newest}; upgrade Stratigos"
                )
            for version, script in sorted(migrations):
                if version > current:
                    for statement in script.split(";"):
                        if statement.strip():
                            conn.execute(statement)
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (?)", (newest,))
            else:
                conn.execute("UPDATE schema_version SET version = ?", (newest,))
    except OSError as exc:
        raise StoreUnavailableError(
            f"cannot set up the SQLite store {path}: {exc.strerror or exc}"
        ) from exc
