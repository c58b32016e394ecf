"""The embedded store: one SQLite file (WAL mode) in the data directory.

Each thread gets its own connection (`busy_timeout` so concurrent writers wait instead of
failing, `foreign_keys=ON`, `synchronous=NORMAL`, which is durable across process crashes in WAL
mode). Every write that reads before it writes runs in a `BEGIN IMMEDIATE` transaction, so a
guarded change (status transition, lease claim, event append) checks and writes atomically. The
schema is versioned in `schema_version` and upgraded by `MIGRATIONS` when the store opens.
Timestamps are stored as integer microseconds since the Unix epoch (UTC); JSON documents as text.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from store.base import (
    TERMINAL_STATUSES,
    ApiKey,
    ChatThread,
    CleanupReport,
    Clock,
    ConflictError,
    Dataset,
    Job,
    JobStatus,
    NotFoundError,
    Page,
    Portfolio,
    Result,
    SequencedEvent,
    Store,
    StoredEvent,
    StoreGoneError,
    StoreUnavailableError,
    Trial,
    check_dataset_meta,
    check_events,
    check_limit,
    check_number,
    check_owner,
    check_progress,
    check_result,
    check_transition,
    dataset_from_doc,
    decode_cursor,
    dumps,
    encode_cursor,
    from_micros,
    generate_api_key,
    hash_api_key,
    job_archive_bundle,
    new_id,
    to_micros,
    utc_now,
)

MIGRATIONS: list[tuple[int, str]] = [
    (
        1,
        """
        CREATE TABLE jobs (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            kind TEXT NOT NULL,
            request TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'cancelled')),
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER,
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            started_at INTEGER,
            finished_at INTEGER,
            error TEXT,
            idempotency_key TEXT,
            lease_owner TEXT,
            lease_expires_at INTEGER,
            archived_at INTEGER,
            UNIQUE (owner, idempotency_key)
        );
        CREATE INDEX jobs_by_owner ON jobs (owner, created_at);
        CREATE INDEX jobs_by_status ON jobs (status, created_at);
        CREATE TABLE results (
            job_id TEXT PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
            owner TEXT NOT NULL,
            payload TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE TABLE trials (
            job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
            number INTEGER NOT NULL,
            data TEXT NOT NULL,
            PRIMARY KEY (job_id, number)
        ) WITHOUT ROWID;
        CREATE TABLE runs (
            run_id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            last_seq INTEGER NOT NULL
        );
        CREATE TABLE events (
            run_id TEXT NOT NULL REFERENCES runs (run_id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            payload TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
        ) WITHOUT ROWID;
        CREATE TABLE portfolios (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            data TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX portfolios_by_owner ON portfolios (owner, created_at);
        CREATE TABLE threads (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            title TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX threads_by_owner ON threads (owner, updated_at);
        CREATE TABLE cache (
            owner TEXT NOT NULL,
            key TEXT NOT NULL,
            value TEXT NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (owner, key)
        ) WITHOUT ROWID;
        CREATE INDEX cache_by_expiry ON cache (expires_at);
        CREATE TABLE api_keys (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            key_hash TEXT NOT NULL UNIQUE,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER
        );
        CREATE TABLE archive (
            job_id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            bundle BLOB NOT NULL,
            archived_at INTEGER NOT NULL
        );
        """,
    ),
    (
        2,
        """
        CREATE TABLE datasets (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            meta TEXT NOT NULL,
            data BLOB NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX datasets_by_owner ON datasets (owner, created_at);
        """,
    ),
    (
        3,
        """
        ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;
        """,
    ),
]
"""(version, SQL script) pairs applied in order to bring a database up to the latest version."""

SCHEMA_VERSION = MIGRATIONS[-1][0]

_JOB_COLUMNS = (
    "id, owner, kind, request, status, done, total, attempts, created_at, updated_at, "
    "started_at, finished_at, error, idempotency_key, lease_owner, lease_expires_at, archived_at"
)


def _job(row: sqlite3.Row) -> Job:
    return Job(
        id=row["id"],
        owner=row["owner"],
        kind=row["kind"],
        request=json.loads(row["request"]),
        status=row["status"],
        progress=(row["done"], row["total"]),
        attempts=row["attempts"],
        created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(row["updated_at"]),  # type: ignore[arg-type]
        started_at=from_micros(row["started_at"]),
        finished_at=from_micros(row["finished_at"]),
        error=row["error"],
        idempotency_key=row["idempotency_key"],
        lease_owner=row["lease_owner"],
        lease_expires_at=from_micros(row["lease_expires_at"]),
        archived_at=from_micros(row["archived_at"]),
    )


def _portfolio(row: sqlite3.Row) -> Portfolio:
    return Portfolio(
        id=row["id"],
        owner=row["owner"],
        name=row["name"],
        data=json.loads(row["data"]),
        version=row["version"],
        created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(row["updated_at"]),  # type: ignore[arg-type]
    )


def _dataset(row: sqlite3.Row) -> Dataset:
    return dataset_from_doc(
        row["id"],
        row["owner"],
        row["name"],
        json.loads(row["meta"]),
        from_micros(row["created_at"]),  # type: ignore[arg-type]
    )


_DATASET_COLUMNS = "id, owner, name, meta, created_at"


def _thread(row: sqlite3.Row) -> ChatThread:
    return ChatThread(
        id=row["id"],
        owner=row["owner"],
        title=row["title"],
        created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(row["updated_at"]),  # type: ignore[arg-type]
    )


def _api_key(row: sqlite3.Row) -> ApiKey:
    return ApiKey(
        id=row["id"],
        owner=row["owner"],
        name=row["name"],
        created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
        revoked_at=from_micros(row["revoked_at"]),
        expires_at=from_micros(row["expires_at"]),
    )


class SQLiteStore(Store):
    """The `Store` on one SQLite file.

    `path` is the database file (its directory is created); `busy_timeout` is how long, in
    seconds, a writer waits for another one; `max_db_bytes` caps the file size (SQLite then
    answers "database or disk is full", reported as `StoreUnavailableError`); `api_key_pepper`
    is the secret mixed into API key hashes; `clock` gives "now".
    """

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = 10.0,
        max_db_bytes: int | None = None,
        api_key_pepper: str = "stratigos-local-pepper",
        clock: Clock = utc_now,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.max_db_bytes = max_db_bytes
        self.clock = clock
        self._pepper = api_key_pepper
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailableError(
                f"cannot create the directory of the SQLite store {self.path}: {exc.strerror or exc}"
            ) from exc
        self._migrate()
        self._identity = self._file_identity()

    # ----------------------------------------------------------------- plumbing

    def _file_identity(self) -> tuple[int, int] | None:
        try:
            stat = os.stat(self.path)
        except OSError:
            return None
        return stat.st_dev, stat.st_ino

    def _check_file(self) -> None:
        """The store file must still be the one opened: a deleted or replaced file would take
        writes into an unlinked inode (lost) or a new empty database (an empty store)."""
        identity = getattr(self, "_identity", None)
        if identity is not None and self._file_identity() != identity:
            raise StoreGoneError(
                f"the SQLite store {self.path} was deleted or replaced while in use: nothing "
                "more is written to it; the run cannot store its job or result"
            )

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is not None:
            return conn
        if self._closed:
            raise StoreUnavailableError(f"the SQLite store {self.path} is closed")
        with self._errors("open"):
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            if self.max_db_bytes is not None:
                page_size = conn.execute("PRAGMA page_size").fetchone()[0]
                conn.execute(f"PRAGMA max_page_count = {max(1, self.max_db_bytes // page_size)}")
        with self._lock:
            self._connections.append(conn)
        self._local.conn = conn
        return conn

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Report SQLite failures as `StoreUnavailableError` with the file and the reason."""
        try:
            yield
        except sqlite3.IntegrityError as exc:
            raise ConflictError(f"SQLite store {self.path}: {action} conflicts: {exc}") from exc
        except sqlite3.Error as exc:
            raise StoreUnavailableError(
                f"SQLite store {self.path} unavailable during {action}: {exc}"
            ) from exc
        except OSError as exc:
            raise StoreUnavailableError(
                f"SQLite store {self.path} unavailable during {action}: {exc}"
            ) from exc

    @contextmanager
    def _tx(self, action: str) -> Iterator[sqlite3.Connection]:
        """A `BEGIN IMMEDIATE` transaction: committed on success, rolled back on any error."""
        self._check_file()
        conn = self._conn()
        with self._errors(action):
            conn.execute("BEGIN IMMEDIATE")
            try:
                self._check_file()  # again under the lock: deleted between check and BEGIN
                yield conn
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                raise

    def _read(self, action: str, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        self._check_file()
        conn = self._conn()
        with self._errors(action):
            return conn.execute(sql, params).fetchall()

    def _migrate(self) -> None:
        with self._tx("migration") as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            current = 0 if row is None else int(row[0])
            if current > SCHEMA_VERSION:
                raise StoreUnavailableError(
                    f"SQLite store {self.path} has schema version {current}, newer than this "
                    f"code's {SCHEMA_VERSION}; upgrade Stratigos"
                )
            for version, script in MIGRATIONS:
                if version > current:
                    for statement in script.split(";"):
                        if statement.strip():
                            conn.execute(statement)
            if row is None:
                conn.execute("INSERT INTO schema_version VALUES (?)", (SCHEMA_VERSION,))
            else:
                conn.execute("UPDATE schema_version SET version = ?", (SCHEMA_VERSION,))

    def schema_version(self) -> int:
        """The schema version of the open database."""
        return int(self._read("schema check", "SELECT version FROM schema_version")[0][0])

    def close(self) -> None:
        """Close every thread's connection."""
        with self._lock:
            self._closed = True
            for conn in self._connections:
                with suppress(sqlite3.Error):
                    conn.close()
            self._connections.clear()
        self._local = threading.local()

    def _now(self) -> int:
        return to_micros(self.clock())

    def _job_row(self, conn: sqlite3.Connection, owner: str, job_id: str) -> Job:
        row = conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND owner = ?", (job_id, owner)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no job {job_id!r} for owner {owner!r}")
        return _job(row)

    # ----------------------------------------------------------------- jobs

    def submit_job(
        self,
        owner: str,
        kind: str,
        request: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> tuple[Job, bool]:
        check_owner(owner)
        if not kind:
            raise ValueError("kind must be a non-empty string")
        body = dumps(dict(request))
        with self._tx("submit_job") as conn:
            if idempotency_key is not None:
                row = conn.execute(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE owner = ? AND idempotency_key = ?",
                    (owner, idempotency_key),
                ).fetchone()
                if row is not None:
                    existing = _job(row)
                    if existing.kind != kind or dumps(existing.request) != body:
                        raise ConflictError(
                            f"idempotency key {idempotency_key!r} was used for a different "
                            f"request (job {existing.id})",
                            current=existing,
                        )
                    return existing, False
            now = self._now()
            job_id = new_id("job")
            conn.execute(
                "INSERT INTO jobs (id, owner, kind, request, status, created_at, updated_at, "
                "idempotency_key) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)",
                (job_id, owner, kind, body, now, now, idempotency_key),
            )
            return self._job_row(conn, owner, job_id), True

    def get_job(self, owner: str, job_id: str) -> Job:
        rows = self._read(
            "get_job",
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND owner = ?",
            (job_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no job {job_id!r} for owner {owner!r}")
        return _job(rows[0])

    def list_jobs(
        self,
        owner: str,
        *,
        statuses: Sequence[JobStatus] | None = None,
        include_archived: bool = False,
        limit: int = 100,
    ) -> list[Job]:
        check_limit(limit)
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE owner = ?"
        params: list[Any] = [owner]
        if statuses is not None:
            if not statuses:
                return []
            sql += f" AND status IN ({', '.join('?' * len(statuses))})"
            params.extend(statuses)
        if not include_archived:
            sql += " AND archived_at IS NULL"
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        return [_job(r) for r in self._read("list_jobs", sql, params)]

    def jobs_by_status(self, status: JobStatus, *, limit: int = 100) -> list[Job]:
        check_limit(limit)
        rows = self._read(
            "jobs_by_status",
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = ? ORDER BY created_at, id LIMIT ?",
            (status, limit),
        )
        return [_job(r) for r in rows]

    def _refuse(self, conn: sqlite3.Connection, owner: str, job_id: str, why: str) -> ConflictError:
        job = self._job_row(conn, owner, job_id)  # NotFoundError if absent
        return ConflictError(
            f"job {job_id}: {why} (status {job.status}, lease {job.lease_owner or 'none'})",
            current=job,
        )

    def transition(
        self,
        owner: str,
        job_id: str,
        from_statuses: Sequence[JobStatus],
        to_status: JobStatus,
        *,
        error: str | None = None,
        worker: str | None = None,
    ) -> Job:
        check_transition(to_status, from_statuses)
        now = self._now()
        terminal = to_status in TERMINAL_STATUSES
        sql = (
            "UPDATE jobs SET status = ?, updated_at = ?, error = COALESCE(?, error), "
            "started_at = CASE WHEN ? = 'running' THEN COALESCE(started_at, ?) ELSE started_at END"
        )
        params: list[Any] = [to_status, now, error, to_status, now]
        if terminal:
            sql += ", finished_at = ?, lease_owner = NULL, lease_expires_at = NULL"
            params.append(now)
        sql += f" WHERE id = ? AND owner = ? AND status IN ({', '.join('?' * len(from_statuses))})"
        params += [job_id, owner, *from_statuses]
        if worker is not None:
            sql += " AND lease_owner = ?"
            params.append(worker)
        with self._tx("transition") as conn:
            if conn.execute(sql, params).rowcount == 0:
                raise self._refuse(
                    conn,
                    owner,
                    job_id,
                    f"cannot move to {to_status} from {list(from_statuses)}"
                    + (f" as worker {worker}" if worker else ""),
                )
            return self._job_row(conn, owner, job_id)

    def claim(self, owner: str, job_id: str, worker: str, lease_seconds: float) -> Job:
        if not worker:
            raise ValueError("worker must be a non-empty string")
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
        now = self.clock()
        expires = to_micros(now + timedelta(seconds=lease_seconds))
        t = to_micros(now)
        with self._tx("claim") as conn:
            cur = conn.execute(
                "UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_at = ?, "
                "attempts = attempts + 1, started_at = COALESCE(started_at, ?), updated_at = ? "
                "WHERE id = ? AND owner = ? AND status IN ('pending', 'running') "
                "AND (lease_owner IS NULL OR lease_expires_at <= ? OR lease_owner = ?)",
                (worker, expires, t, t, job_id, owner, t, worker),
            )
            if cur.rowcount == 0:
                raise self._refuse(conn, owner, job_id, f"worker {worker} cannot claim it")
            return self._job_row(conn, owner, job_id)

    def heartbeat(
        self,
        owner: str,
        job_id: str,
        worker: str,
        lease_seconds: float,
        *,
        progress: tuple[int, int | None] | None = None,
    ) -> Job:
        if lease_seconds <= 0:
            raise ValueError(f"lease_seconds must be positive, got {lease_seconds}")
        now = self.clock()
        expires = to_micros(now + timedelta(seconds=lease_seconds))
        sql = "UPDATE jobs SET lease_expires_at = ?, updated_at = ?"
        params: list[Any] = [expires, to_micros(now)]
        if progress is not None:
            done, total = check_progress(progress)
            sql += ", done = ?, total = ?"
            params += [done, total]
        sql += " WHERE id = ? AND owner = ? AND status = 'running' AND lease_owner = ?"
        params += [job_id, owner, worker]
        with self._tx("heartbeat") as conn:
            if conn.execute(sql, params).rowcount == 0:
                raise self._refuse(conn, owner, job_id, f"worker {worker} does not hold the lease")
            return self._job_row(conn, owner, job_id)

    def release(self, owner: str, job_id: str, worker: str) -> Job:
        with self._tx("release") as conn:
            cur = conn.execute(
                "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
                "WHERE id = ? AND owner = ? AND lease_owner = ?",
                (self._now(), job_id, owner, worker),
            )
            if cur.rowcount == 0:
                raise self._refuse(conn, owner, job_id, f"worker {worker} does not hold the lease")
            return self._job_row(conn, owner, job_id)

    def complete_job(
        self, owner: str, job_id: str, result: Any, *, worker: str | None = None
    ) -> Job:
        body = dumps(result)
        now = self._now()
        sql = (
            "UPDATE jobs SET status = 'succeeded', updated_at = ?, finished_at = ?, "
            "lease_owner = NULL, lease_expires_at = NULL "
            "WHERE id = ? AND owner = ? AND status = 'running'"
        )
        params: list[Any] = [now, now, job_id, owner]
        if worker is not None:
            sql += " AND lease_owner = ?"
            params.append(worker)
        with self._tx("complete_job") as conn:
            row = conn.execute(
                "SELECT kind FROM jobs WHERE id = ? AND owner = ?", (job_id, owner)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no job {job_id!r} for owner {owner!r}")
            check_result(row["kind"], result)
            if conn.execute(sql, params).rowcount == 0:
                raise self._refuse(
                    conn,
                    owner,
                    job_id,
                    "cannot complete: not running" + (f" under worker {worker}" if worker else ""),
                )
            conn.execute(
                "INSERT OR REPLACE INTO results (job_id, owner, payload, size_bytes, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (job_id, owner, body, len(body.encode()), now),
            )
            return self._job_row(conn, owner, job_id)

    def get_result(self, owner: str, job_id: str) -> Result:
        rows = self._read(
            "get_result",
            "SELECT payload, size_bytes, created_at FROM results WHERE job_id = ? AND owner = ?",
            (job_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no result for job {job_id!r} of owner {owner!r}")
        row = rows[0]
        return Result(
            job_id=job_id,
            owner=owner,
            payload=json.loads(row["payload"]),
            size_bytes=row["size_bytes"],
            location="inline",
            created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
        )

    # ----------------------------------------------------------------- events

    def append_events(self, owner: str, run_id: str, events: Sequence[SequencedEvent]) -> int:
        check_owner(owner)
        batch = check_events(run_id, events)
        if not batch:
            return 0
        with self._tx("append_events") as conn:
            row = conn.execute(
                "SELECT owner, last_seq FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO runs (run_id, owner, last_seq) VALUES (?, ?, ?)",
                    (run_id, owner, batch[-1][0]),
                )
            else:
                if row["owner"] != owner:
                    raise ConflictError(f"run {run_id} belongs to another owner")
                if batch[0][0] <= row["last_seq"]:
                    raise ConflictError(
                        f"run {run_id}: seq {batch[0][0]} is not after the last stored seq "
                        f"{row['last_seq']} (duplicate or out of order)"
                    )
                conn.execute(
                    "UPDATE runs SET last_seq = ? WHERE run_id = ?", (batch[-1][0], run_id)
                )
            conn.executemany(
                "INSERT INTO events (run_id, seq, payload) VALUES (?, ?, ?)",
                [(run_id, seq, payload) for seq, payload in batch],
            )
        return len(batch)

    def events(
        self, owner: str, run_id: str, *, after_seq: int = 0, limit: int = 1000
    ) -> list[StoredEvent]:
        check_limit(limit, 10_000)
        rows = self._read(
            "events",
            "SELECT e.seq, e.payload FROM events e JOIN runs r ON r.run_id = e.run_id "
            "WHERE e.run_id = ? AND r.owner = ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
            (run_id, owner, after_seq, limit),
        )
        return [StoredEvent(run_id, r["seq"], r["payload"]) for r in rows]

    # ----------------------------------------------------------------- trials

    def put_trials(self, owner: str, job_id: str, trials: Sequence[Trial]) -> int:
        rows = [(job_id, check_number(t.number), dumps(t.data)) for t in trials]
        with self._tx("put_trials") as conn:
            self._job_row(conn, owner, job_id)
            conn.executemany(
                "INSERT OR REPLACE INTO trials (job_id, number, data) VALUES (?, ?, ?)", rows
            )
        return len(rows)

    def trials(
        self, owner: str, job_id: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Trial]:
        check_limit(limit)
        after = decode_cursor(cursor)
        self.get_job(owner, job_id)
        rows = self._read(
            "trials",
            "SELECT number, data FROM trials WHERE job_id = ? AND number > ? "
            "ORDER BY number LIMIT ?",
            (job_id, after, limit + 1),
        )
        items = [Trial(r["number"], json.loads(r["data"])) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].number) if more else None)

    # ----------------------------------------------------------------- portfolios

    def create_portfolio(self, owner: str, name: str, data: Mapping[str, Any]) -> Portfolio:
        check_owner(owner)
        pid = new_id("pf")
        now = self._now()
        with self._tx("create_portfolio") as conn:
            conn.execute(
                "INSERT INTO portfolios (id, owner, name, data, version, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, 1, ?, ?)",
                (pid, owner, name, dumps(dict(data)), now, now),
            )
        return self.get_portfolio(owner, pid)

    def get_portfolio(self, owner: str, portfolio_id: str) -> Portfolio:
        rows = self._read(
            "get_portfolio",
            "SELECT * FROM portfolios WHERE id = ? AND owner = ?",
            (portfolio_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")
        return _portfolio(rows[0])

    def list_portfolios(self, owner: str) -> list[Portfolio]:
        rows = self._read(
            "list_portfolios",
            "SELECT * FROM portfolios WHERE owner = ? ORDER BY created_at, id",
            (owner,),
        )
        return [_portfolio(r) for r in rows]

    def update_portfolio(
        self,
        owner: str,
        portfolio_id: str,
        *,
        name: str | None = None,
        data: Mapping[str, Any] | None = None,
        expected_version: int | None = None,
    ) -> Portfolio:
        with self._tx("update_portfolio") as conn:
            row = conn.execute(
                "SELECT * FROM portfolios WHERE id = ? AND owner = ?", (portfolio_id, owner)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")
            current = _portfolio(row)
            if expected_version is not None and current.version != expected_version:
                raise ConflictError(
                    f"portfolio {portfolio_id} is at version {current.version}, "
                    f"not {expected_version}",
                    current=current,
                )
            conn.execute(
                "UPDATE portfolios SET name = ?, data = ?, version = version + 1, updated_at = ? "
                "WHERE id = ?",
                (
                    current.name if name is None else name,
                    dumps(current.data if data is None else dict(data)),
                    self._now(),
                    portfolio_id,
                ),
            )
        return self.get_portfolio(owner, portfolio_id)

    def delete_portfolio(self, owner: str, portfolio_id: str) -> None:
        with self._tx("delete_portfolio") as conn:
            cur = conn.execute(
                "DELETE FROM portfolios WHERE id = ? AND owner = ?", (portfolio_id, owner)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")

    # ----------------------------------------------------------------- datasets

    def put_dataset(self, owner: str, name: str, data: bytes, meta: Mapping[str, Any]) -> Dataset:
        check_owner(owner)
        doc = check_dataset_meta(name, data, meta)
        did = new_id("ds")
        with self._tx("put_dataset") as conn:
            conn.execute(
                "INSERT INTO datasets (id, owner, name, meta, data, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (did, owner, name, dumps(doc), sqlite3.Binary(bytes(data)), self._now()),
            )
        return self.get_dataset(owner, did)

    def get_dataset(self, owner: str, dataset_id: str) -> Dataset:
        rows = self._read(
            "get_dataset",
            f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE id = ? AND owner = ?",
            (dataset_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
        return _dataset(rows[0])

    def dataset_bytes(self, owner: str, dataset_id: str) -> bytes:
        rows = self._read(
            "dataset_bytes",
            "SELECT data FROM datasets WHERE id = ? AND owner = ?",
            (dataset_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")
        return bytes(rows[0]["data"])

    def list_datasets(self, owner: str) -> list[Dataset]:
        rows = self._read(
            "list_datasets",
            f"SELECT {_DATASET_COLUMNS} FROM datasets WHERE owner = ? ORDER BY created_at, id",
            (owner,),
        )
        return [_dataset(r) for r in rows]

    def delete_dataset(self, owner: str, dataset_id: str) -> None:
        with self._tx("delete_dataset") as conn:
            cur = conn.execute(
                "DELETE FROM datasets WHERE id = ? AND owner = ?", (dataset_id, owner)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no dataset {dataset_id!r} for owner {owner!r}")

    # ----------------------------------------------------------------- chat threads

    def create_thread(self, owner: str, title: str) -> ChatThread:
        check_owner(owner)
        tid = new_id("th")
        now = self._now()
        with self._tx("create_thread") as conn:
            conn.execute(
                "INSERT INTO threads (id, owner, title, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (tid, owner, title, now, now),
            )
        return self.get_thread(owner, tid)

    def touch_thread(self, owner: str, thread_id: str, *, title: str | None = None) -> ChatThread:
        with self._tx("touch_thread") as conn:
            cur = conn.execute(
                "UPDATE threads SET updated_at = ?, title = COALESCE(?, title) "
                "WHERE id = ? AND owner = ?",
                (self._now(), title, thread_id, owner),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return self.get_thread(owner, thread_id)

    def get_thread(self, owner: str, thread_id: str) -> ChatThread:
        rows = self._read(
            "get_thread", "SELECT * FROM threads WHERE id = ? AND owner = ?", (thread_id, owner)
        )
        if not rows:
            raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")
        return _thread(rows[0])

    def list_threads(self, owner: str, *, limit: int = 100) -> list[ChatThread]:
        check_limit(limit)
        rows = self._read(
            "list_threads",
            "SELECT * FROM threads WHERE owner = ? ORDER BY updated_at DESC, id DESC LIMIT ?",
            (owner, limit),
        )
        return [_thread(r) for r in rows]

    def delete_thread(self, owner: str, thread_id: str) -> None:
        with self._tx("delete_thread") as conn:
            cur = conn.execute("DELETE FROM threads WHERE id = ? AND owner = ?", (thread_id, owner))
            if cur.rowcount == 0:
                raise NotFoundError(f"no thread {thread_id!r} for owner {owner!r}")

    # ----------------------------------------------------------------- results cache

    def cache_get(self, owner: str, key: str) -> Any | None:
        rows = self._read(
            "cache_get",
            "SELECT value FROM cache WHERE owner = ? AND key = ? AND expires_at > ?",
            (owner, key, self._now()),
        )
        return json.loads(rows[0]["value"]) if rows else None

    def cache_put(self, owner: str, key: str, value: Any, ttl_seconds: float) -> None:
        check_owner(owner)
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        expires = to_micros(self.clock() + timedelta(seconds=ttl_seconds))
        with self._tx("cache_put") as conn:
            conn.execute(
                "INSERT OR REPLACE INTO cache (owner, key, value, expires_at) VALUES (?, ?, ?, ?)",
                (owner, key, dumps(value), expires),
            )

    # ----------------------------------------------------------------- API keys

    def create_api_key(
        self, owner: str, name: str, *, expires_at: datetime | None = None
    ) -> tuple[str, ApiKey]:
        check_owner(owner)
        raw = generate_api_key()
        kid = new_id("key")
        with self._tx("create_api_key") as conn:
            conn.execute(
                "INSERT INTO api_keys (id, owner, name, key_hash, created_at, expires_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    kid,
                    owner,
                    name,
                    hash_api_key(raw, self._pepper),
                    self._now(),
                    None if expires_at is None else to_micros(expires_at),
                ),
            )
        rows = self._read("create_api_key", "SELECT * FROM api_keys WHERE id = ?", (kid,))
        return raw, _api_key(rows[0])

    def verify_api_key(self, raw_key: str) -> ApiKey:
        rows = self._read(
            "verify_api_key",
            "SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL "
            "AND (expires_at IS NULL OR expires_at > ?)",
            (hash_api_key(raw_key, self._pepper), self._now()),
        )
        if not rows:
            raise NotFoundError("unknown, revoked or expired API key")
        return _api_key(rows[0])

    def renew_api_key(self, owner: str, key_id: str, expires_at: datetime) -> ApiKey:
        with self._tx("renew_api_key") as conn:
            cur = conn.execute(
                "UPDATE api_keys SET expires_at = ? "
                "WHERE id = ? AND owner = ? AND revoked_at IS NULL",
                (to_micros(expires_at), key_id, owner),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no unrevoked API key {key_id!r} for owner {owner!r}")
            row = conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return _api_key(row)

    def list_api_keys(self, owner: str) -> list[ApiKey]:
        rows = self._read(
            "list_api_keys",
            "SELECT * FROM api_keys WHERE owner = ? ORDER BY created_at, id",
            (owner,),
        )
        return [_api_key(r) for r in rows]

    def revoke_api_key(self, owner: str, key_id: str) -> ApiKey:
        with self._tx("revoke_api_key") as conn:
            cur = conn.execute(
                "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) "
                "WHERE id = ? AND owner = ?",
                (self._now(), key_id, owner),
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no API key {key_id!r} for owner {owner!r}")
            row = conn.execute("SELECT * FROM api_keys WHERE id = ?", (key_id,)).fetchone()
        return _api_key(row)

    # ----------------------------------------------------------------- retention

    def cleanup(self, now: datetime | None = None, archive_after_days: float = 30) -> CleanupReport:
        now = now or self.clock()
        cutoff = to_micros(now - timedelta(days=archive_after_days))
        rows = self._read(
            "cleanup",
            "SELECT id, owner FROM jobs WHERE archived_at IS NULL AND finished_at IS NOT NULL "
            "AND finished_at < ? AND status IN ('succeeded', 'failed', 'cancelled')",
            (cutoff,),
        )
        archived: list[str] = []
        for row in rows:
            job_id, owner = row["id"], row["owner"]
            with self._tx("cleanup") as conn:
                job = self._job_row(conn, owner, job_id)
                if job.archived_at is not None:
                    continue
                result = None
                res = conn.execute(
                    "SELECT payload, size_bytes, created_at FROM results WHERE job_id = ?",
                    (job_id,),
                ).fetchone()
                if res is not None:
                    result = Result(
                        job_id,
                        owner,
                        json.loads(res["payload"]),
                        res["size_bytes"],
                        "inline",
                        from_micros(res["created_at"]),  # type: ignore[arg-type]
                    )
                trials = [
                    Trial(r["number"], json.loads(r["data"]))
                    for r in conn.execute(
                        "SELECT number, data FROM trials WHERE job_id = ? ORDER BY number",
                        (job_id,),
                    )
                ]
                events = [
                    StoredEvent(job_id, r["seq"], r["payload"])
                    for r in conn.execute(
                        "SELECT e.seq, e.payload FROM events e JOIN runs r "
                        "ON r.run_id = e.run_id WHERE e.run_id = ? AND r.owner = ? ORDER BY e.seq",
                        (job_id, owner),
                    )
                ]
                bundle = zlib.compress(
                    dumps(job_archive_bundle(job, result, trials, events)).encode()
                )
                t = to_micros(now)
                conn.execute(
                    "INSERT OR REPLACE INTO archive (job_id, owner, bundle, archived_at) "
                    "VALUES (?, ?, ?, ?)",
                    (job_id, owner, bundle, t),
                )
                conn.execute("DELETE FROM trials WHERE job_id = ?", (job_id,))
                conn.execute("DELETE FROM runs WHERE run_id = ? AND owner = ?", (job_id, owner))
                conn.execute(
                    "UPDATE jobs SET archived_at = ?, updated_at = ? WHERE id = ?",
                    (t, t, job_id),
                )
            archived.append(job_id)
        with self._tx("cleanup") as conn:
            dropped = conn.execute(
                "DELETE FROM cache WHERE expires_at <= ?", (to_micros(now),)
            ).rowcount
        return CleanupReport(archived_jobs=archived, expired_cache_entries=dropped)

    def get_archive(self, owner: str, job_id: str) -> dict[str, Any]:
        rows = self._read(
            "get_archive",
            "SELECT bundle FROM archive WHERE job_id = ? AND owner = ?",
            (job_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no archive of job {job_id!r} for owner {owner!r}")
        bundle: dict[str, Any] = json.loads(zlib.decompress(rows[0]["bundle"]))
        return bundle
