"""An owner's data as a whole in the SQLite store (`store.owner_data`): every table's rows of the
owner, the owner's files in the data directory, one transaction to restore or erase them.

No owner is ever locked here (`_owner_lock` is always None, so the gate costs nothing): an
erasure deletes every row of the owner in one transaction, hidden at once as any SQLite delete,
and records what is left to purge (`erasure_purges`: the owner's files written before it, the
conversations of the threads it deleted), which it purges right after, and the cleanup again if
that failed; an import is one transaction. The purge removes a file only if no row of the owner
names it and it is older than the erasure, and a conversation only if no thread of its id exists
again, so what the owner writes or imports after an erasure is never purged.

A record's collection is its table and its document the row (BLOBs as ``{"$bytes": base64}``);
`ledger_entries.seq` (the database's own counter) is left out and given anew in the same order.
Tables without an owner column follow their parent (`CHILD_TABLES`: trials, trace events,
document chunks), restored only under a parent of the same import. Every table is in exactly one
of `OWNED_TABLES`, `CHILD_TABLES`, `NOT_EXPORTED` and `STORE_TABLES`
(tests/store/contract/test_owner_data.py checks it against the schema).
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any

from settings.files import write_private
from store.common import from_micros, new_id
from store.errors import ConflictError, StoreError
from store.owner_data import (
    OBJECTS_PREFIX,
    ErasureReceipt,
    OwnerLock,
    OwnerNotEmptyError,
    OwnerObject,
    OwnerRecord,
    OwnerRewrite,
    owner_key,
)
from store.owner_ids import owner_digest
from store.sqlite.connection import SqliteConnection
from store.threads import checkpoint_thread

log = logging.getLogger("store.sqlite.owner_data")

OWNED_TABLES: dict[str, str] = {
    "jobs": "id",
    "results": "job_id",
    "runs": "run_id",
    "portfolios": "id",
    "threads": "id",
    "archive": "job_id",
    "datasets": "id",
    "deployments": "id",
    "deployment_events": "deployment_id, seq",
    "ledger_entries": "seq",
    "broker_accounts": "id",
    "queued_orders": "client_order_id",
    "exports": "id",
    "documents": "id",
    "profiles": "owner",
    "ideas": "id",
    "idea_tickers": "idea_id, ticker",
    "agent_runs": "run_id",
    "agent_crons": "cron_id",
    "analyses": "id",
    "reports": "id",
    "account_snapshots": "account, taken_at",
    "iv_history": "underlying, day",
    "strategy_models": "version",
}
"""Tables with an `owner` column whose rows are exported, in restore order, and their order."""
CHILD_TABLES: dict[str, tuple[str, str, str, str]] = {
    "trials": ("job_id", "jobs", "id", "job_id, number"),
    "events": ("run_id", "runs", "run_id", "run_id, seq"),
    "document_chunks": ("document_id", "documents", "id", "document_id, ordinal"),
}
"""Tables without an owner column: (their column naming the parent, the parent table, its key,
their order)."""
NOT_EXPORTED: dict[str, str] = {
    "api_keys": "API keys are credentials: the new owner creates their own",
    "cache": "the results cache is rebuilt on demand",
}
"""Owned tables left out of an export (erased all the same), and why."""
STORE_TABLES = frozenset(
    {"schema_version", "sqlite_sequence", "erasure_purges", "erasure_receipts"}
)
"""The store's own tables: no owner's data."""
_PARENT_KEYS = {parent: key for _, parent, key, _ in CHILD_TABLES.values()}
SURROGATE_COLUMNS: dict[str, tuple[str, ...]] = {"ledger_entries": ("seq",)}
OBJECT_KINDS = ("reports", "strategy-models")
"""The directories of owners' files beside the database."""


def _encoded(row: sqlite3.Row, skip: Sequence[str]) -> dict[str, Any]:
    return {
        k: {"$bytes": base64.b64encode(row[k]).decode()} if isinstance(row[k], bytes) else row[k]
        for k in row.keys()  # noqa: SIM118 (sqlite3.Row has no __iter__ over keys)
        if k not in skip
    }


def _decoded(value: Any) -> Any:
    if isinstance(value, dict):
        if set(value) != {"$bytes"} or not isinstance(value["$bytes"], str):
            raise ValueError("a column value is a number, a string, null or {'$bytes': base64}")
        return base64.b64decode(value["$bytes"], validate=True)
    if value is not None and not isinstance(value, (int, float, str)):
        raise ValueError("a column value is a number, a string, null or {'$bytes': base64}")
    return value


def rewritten_row(table: str, row: dict[str, Any], rewrite: OwnerRewrite) -> dict[str, Any]:
    """`row` of `table` as `rewrite.new`'s: its owner column, and its text re-owned."""
    out: dict[str, Any] = {}
    for column, value in row.items():
        if column == "owner" and table in OWNED_TABLES:
            out[column] = rewrite.new
        elif isinstance(value, str):
            out[column] = rewrite.value(value)
        else:
            out[column] = value
    return out


def object_path(objects: Path, owner: str, name: str) -> Path:
    """Where the object `name` (`objects/<kind>/<rest>`) of `owner` lives beside the database
    (`ValueError` for a name of no kind kept here, or one leaving its directory)."""
    parts = PurePosixPath(name).parts
    if (
        not name.startswith(OBJECTS_PREFIX)
        or len(parts) < 3
        or parts[1] not in OBJECT_KINDS
        or any(p in ("", ".", "..") or "\\" in p for p in parts)
    ):
        raise ValueError(f"no file of this store is named {name!r}")
    return objects.joinpath(parts[1], owner_digest(owner), *parts[2:])


class SqliteOwnerData(SqliteConnection):
    """`store.owner_data.OwnerDataRepository` on SQLite and the data directory."""

    delete_checkpoints: Callable[[Sequence[str]], None] | None = None

    def _owner_lock(self, owner: str, action: str = "owner_lock") -> OwnerLock | None:
        return None  # see the module docstring: deletes are at once, imports one transaction

    def _receipt_pepper(self) -> str:
        return self._pepper

    def _owner_records(self, owner: str) -> Iterator[OwnerRecord]:
        """The owner's rows as of one moment (one read transaction: a write meanwhile is in
        all of them or none), streamed table by table."""
        self._check_file()
        with self._connection() as conn, self._errors("owner_records"):
            conn.execute("BEGIN")
            try:
                for table, order in OWNED_TABLES.items():
                    skip = SURROGATE_COLUMNS.get(table, ())
                    sql = f"SELECT * FROM {table} WHERE owner = ? ORDER BY {order}"
                    for row in conn.execute(sql, (owner,)):
                        yield OwnerRecord(table, _encoded(row, skip))
                for table, (column, parent, key, order) in CHILD_TABLES.items():
                    sql = (
                        f"SELECT * FROM {table} WHERE {column} IN "
                        f"(SELECT {key} FROM {parent} WHERE owner = ?) ORDER BY {order}"
                    )
                    for row in conn.execute(sql, (owner,)):
                        yield OwnerRecord(table, _encoded(row, ()))
            finally:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")  # a read: nothing to keep

    def _owner_objects(self, owner: str) -> Iterator[OwnerObject]:
        for kind in OBJECT_KINDS:
            root = self.objects_directory() / kind / owner_digest(owner)
            if not root.is_dir():
                continue
            for path in sorted(p for p in root.rglob("*") if p.is_file()):
                if path.name.startswith("."):  # a write's temporary file
                    continue
                name = f"{OBJECTS_PREFIX}{kind}/{path.relative_to(root).as_posix()}"
                yield OwnerObject(name, path.read_bytes)

    def _owner_has_data(self, owner: str) -> bool:
        tables = list(OWNED_TABLES)
        sql = " UNION ALL ".join(
            f"SELECT 1 FROM (SELECT 1 FROM {t} WHERE owner = ? LIMIT 1)" for t in tables
        )
        return bool(self._read("owner_has_data", sql, [owner] * len(tables)))

    def _restore_owner(
        self,
        owner: str,
        records: Iterable[OwnerRecord],
        objects: Iterable[tuple[str, bytes]],
        rewrite: OwnerRewrite,
    ) -> None:
        if self._owner_has_data(owner):
            raise OwnerNotEmptyError(f"owner {owner!r} already has data: nothing imported")
        written: list[Path] = []
        try:
            for name, data in objects:
                path = object_path(self.objects_directory(), owner, rewrite.value(name))
                if path.exists():
                    raise ConflictError(f"the file {name} exists already: nothing imported")
                written.append(path)
                write_private(path, data)
            self._insert_records(owner, records, rewrite)
        except BaseException:
            for path in written:
                path.unlink(missing_ok=True)
            raise

    def _insert_records(
        self, owner: str, records: Iterable[OwnerRecord], rewrite: OwnerRewrite
    ) -> None:
        columns: dict[str, set[str]] = {}
        parents: dict[str, set[Any]] = {}
        with self._tx("restore_owner") as conn:
            if self._locked_or_owning(conn, owner):
                raise OwnerNotEmptyError(f"owner {owner!r} already has data: nothing imported")
            for record in records:
                table = record.collection
                if table not in OWNED_TABLES and table not in CHILD_TABLES:
                    raise ValueError(f"{table!r} is not a collection of this store")
                if table not in columns:
                    columns[table] = {r[1] for r in conn.execute(f"PRAGMA table_info({table})")}
                row = {k: _decoded(v) for k, v in record.data.items()}
                unknown = set(row) - columns[table] | set(row) & set(
                    SURROGATE_COLUMNS.get(table, ())
                )
                if unknown:
                    raise ValueError(f"{table}: no column {sorted(unknown)[0]!r} to restore")
                row = rewritten_row(table, row, rewrite)
                if table in CHILD_TABLES:
                    column, parent, _, _ = CHILD_TABLES[table]
                    if row.get(column) not in parents.get(parent, set()):
                        raise ValueError(f"{table}: a row whose {parent} is not in the import")
                try:
                    conn.execute(
                        f"INSERT INTO {table} ({', '.join(row)}) "
                        f"VALUES ({', '.join('?' for _ in row)})",
                        list(row.values()),
                    )
                except sqlite3.IntegrityError as exc:
                    raise ConflictError(
                        f"{table}: a record's key is taken in this store ({exc}): an archive "
                        "imports into the store it came from only once its owner's data is erased"
                    ) from None
                if table in _PARENT_KEYS:
                    parents.setdefault(table, set()).add(row.get(_PARENT_KEYS[table]))

    def _locked_or_owning(self, conn: sqlite3.Connection, owner: str) -> bool:
        tables = list(OWNED_TABLES)
        return any(
            conn.execute(f"SELECT 1 FROM {t} WHERE owner = ? LIMIT 1", (owner,)).fetchone()
            for t in tables
        )

    def _erase_owner(self, owner: str) -> ErasureReceipt:
        now = self._now()
        receipt_id = new_id("era")
        counts: dict[str, int] = {}
        files_before = time.time_ns()  # the files' clock, not the store's
        with self._tx("erase_owner") as conn:
            threads = [
                r["id"] for r in conn.execute("SELECT id FROM threads WHERE owner = ?", (owner,))
            ]
            counts = self._delete_rows(conn, owner)
            counts["conversations"] = len(threads)
            conn.execute(
                "INSERT INTO erasure_purges (receipt_id, owner, files_before, threads) "
                "VALUES (?, ?, ?, ?)",
                (receipt_id, owner, files_before, json.dumps(threads)),
            )
            conn.execute(
                "INSERT INTO erasure_receipts (id, owner_key, requested_at, purged_at, counts) "
                "VALUES (?, ?, ?, NULL, ?)",
                (receipt_id, owner_key(self._pepper, owner), now, json.dumps(counts)),
            )
        try:
            self._purge(receipt_id)
        except (OSError, StoreError) as exc:  # the cleanup tries again; nothing is readable
            log.warning(
                "the purge of an erased owner's files failed (the cleanup retries): %s", exc
            )
        return self._receipt(receipt_id)

    @staticmethod
    def _delete_rows(conn: sqlite3.Connection, owner: str) -> dict[str, int]:
        """Delete every row of `owner` (children first); the rows deleted per table."""
        counts: dict[str, int] = {}
        for table, (column, parent, key, _) in CHILD_TABLES.items():
            cur = conn.execute(
                f"DELETE FROM {table} WHERE {column} IN "
                f"(SELECT {key} FROM {parent} WHERE owner = ?)",
                (owner,),
            )
            counts[table] = cur.rowcount
        for table in (*reversed(OWNED_TABLES), *NOT_EXPORTED):
            cur = conn.execute(f"DELETE FROM {table} WHERE owner = ?", (owner,))
            counts[table] = cur.rowcount
        return counts

    def _named_files(self, owner: str) -> set[str]:
        """The owner's files its rows name now (`<kind>/<name>`)."""
        reports = self._read(
            "purge_erased", "SELECT id, format FROM reports WHERE owner = ?", (owner,)
        )
        models = self.list_strategy_models(owner)
        return {f"reports/{r['id']}.{r['format']}" for r in reports} | {
            f"strategy-models/{m.file_name}" for m in models
        }

    def _purge(self, receipt_id: str) -> None:
        """Purge what the erasure `receipt_id` left (see the module docstring), then stamp its
        receipt with the files removed and the time."""
        [row] = self._read(
            "purge_erased", "SELECT * FROM erasure_purges WHERE receipt_id = ?", (receipt_id,)
        )
        owner, before = row["owner"], row["files_before"]
        named, files = self._named_files(owner), 0
        for kind in OBJECT_KINDS:
            root = self.objects_directory() / kind / owner_digest(owner)
            for path in sorted(root.rglob("*")) if root.is_dir() else []:
                name = f"{kind}/{path.relative_to(root).as_posix()}"
                if path.is_file() and name not in named and path.stat().st_mtime_ns <= before:
                    path.unlink()
                    files += 1
        gone = [t for t in json.loads(row["threads"]) if not self._thread_exists(t)]
        if gone:
            if self.delete_checkpoints is None:
                raise StoreError("the store was opened without a way to delete checkpoints")
            self.delete_checkpoints([checkpoint_thread(t) for t in gone])
        with self._tx("purge_erased") as conn:
            conn.execute("DELETE FROM erasure_purges WHERE receipt_id = ?", (receipt_id,))
            found = conn.execute(
                "SELECT counts FROM erasure_receipts WHERE id = ?", (receipt_id,)
            ).fetchone()
            counts = {**json.loads(found["counts"]), "files": files}
            conn.execute(
                "UPDATE erasure_receipts SET purged_at = ?, counts = ? WHERE id = ?",
                (self._now(), json.dumps(counts), receipt_id),
            )

    def _thread_exists(self, thread_id: str) -> bool:
        sql = "SELECT 1 FROM threads WHERE id = ?"
        return bool(self._read("purge_erased", sql, (thread_id,)))

    def purge_erased(self, limit: int = 20) -> int:
        rows = self._read(
            "purge_erased",
            "SELECT receipt_id FROM erasure_purges ORDER BY files_before LIMIT ?",
            (limit,),
        )
        purged = 0
        for row in rows:
            try:
                self._purge(row["receipt_id"])
                purged += 1
            except (OSError, StoreError) as exc:
                log.warning("the purge of an erased owner failed (the next run retries): %s", exc)
        return purged

    def _receipt(self, receipt_id: str) -> ErasureReceipt:
        rows = self._read(
            "erasure_receipts", "SELECT * FROM erasure_receipts WHERE id = ?", (receipt_id,)
        )
        return _receipt_from_row(rows[0])

    def _erasure_receipts(self, key: str) -> list[ErasureReceipt]:
        rows = self._read(
            "erasure_receipts",
            "SELECT * FROM erasure_receipts WHERE owner_key = ? ORDER BY requested_at DESC, id DESC",
            (key,),
        )
        return [_receipt_from_row(r) for r in rows]


def _receipt_from_row(row: sqlite3.Row) -> ErasureReceipt:
    requested = from_micros(row["requested_at"])
    assert requested is not None
    counts = {k: int(v) for k, v in json.loads(row["counts"]).items() if v}
    return ErasureReceipt(
        row["id"], row["owner_key"], requested, from_micros(row["purged_at"]), counts
    )
