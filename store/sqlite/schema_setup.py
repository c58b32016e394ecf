"""Setting up the SQLite store's file when a store opens it: WAL mode and the current schema,
one opener at a time.

`set_up_schema` runs under the file's setup lock (`settings.file_locks`, ``<file>-lock``), so
any number of threads and processes may open a new or an older file at once: SQLite answers a
second connection switching a new file to WAL at the same moment with "database is locked" at
once, without waiting, and an upgrade must run once. Inside the lock the migrations still run
in one `BEGIN IMMEDIATE` transaction that reads the version first, so a file at the current
version is left as it is, and a failed upgrade leaves the file at its old version.

A new file (no table at all) is not built statement by statement: the schema is built once per
process in an in-memory database (`copy_if_new`) and copied into the file with SQLite's
backup (one write of a few pages instead of compiling some seventy statements, ~3 ms instead
of ~13 ms of CPU); the migrations then find it at the newest version.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Hashable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from settings.file_locks import exclusive, lock_path
from store.errors import StoreUnavailableError

Transaction = Callable[[str], AbstractContextManager[sqlite3.Connection]]
"""The store's `BEGIN IMMEDIATE` transaction, named by its action (`SqliteConnection._tx`)."""

Connect = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""One of the store's connections, in autocommit mode (`SqliteConnection._connection`)."""

_templates: dict[Hashable, sqlite3.Connection] = {}
_templates_lock = threading.Lock()
"""Guards `_templates` and every backup from them (a connection is one thread's at a time)."""


def set_up_schema(
    path: Path,
    transaction: Transaction,
    migrations: Sequence[tuple[int, str]],
    connection: Connect,
) -> None:
    """Bring the SQLite file `path` to the newest version of `migrations` ((version, SQL
    script) pairs: a file at version N gets every script of a higher version, in order) under
    its setup lock; `StoreUnavailableError` when the file holds a newer schema than the code
    knows, the lock file cannot be made or SQLite fails. A file without any table first gets
    the schema copied, over `connection`, from the process's template (`copy_if_new`: the
    tables, indexes and version the migrations give)."""
    try:
        with exclusive(lock_path(path)):
            with connection() as conn:
                copy_if_new(conn, ("store", tuple(migrations)), _migrated(migrations))
            with transaction("migration") as conn:
                migrate(conn, path, migrations)
    except OSError as exc:
        raise StoreUnavailableError(
            f"cannot set up the SQLite store {path}: {exc.strerror or exc}"
        ) from exc
    except sqlite3.Error as exc:
        raise StoreUnavailableError(f"cannot set up the SQLite store {path}: {exc}") from exc


def migrate(
    conn: sqlite3.Connection, path: Path | str, migrations: Sequence[tuple[int, str]]
) -> None:
    """Bring the database of `conn` (in a transaction, or an in-memory one) from the version
    its `schema_version` holds (0 without one) to the newest of `migrations`, statement by
    statement; `StoreUnavailableError` naming `path` when it holds a newer one."""
    newest = max(version for version, _ in migrations)
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


def _migrated(migrations: Sequence[tuple[int, str]]) -> Callable[[sqlite3.Connection], None]:
    def build(template: sqlite3.Connection) -> None:
        template.execute("BEGIN")
        migrate(template, ":memory:", migrations)
        template.execute("COMMIT")

    return build


def copy_if_new(
    conn: sqlite3.Connection, key: Hashable, build: Callable[[sqlite3.Connection], None]
) -> None:
    """Copy into the database of `conn` (a file, no transaction open; the caller holds its
    setup lock) the schema `build` sets up, when it holds no table at all.
    `build` runs once per `key` and process, on an in-memory database kept as the template;
    the copy is SQLite's backup (the file keeps its journal mode)."""
    if conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone() is not None:
        return
    with _templates_lock:
        template = _templates.get(key)
        if template is None:
            template = sqlite3.connect(":memory:", isolation_level=None, check_same_thread=False)
            build(template)
            _templates[key] = template
        template.backup(conn)
