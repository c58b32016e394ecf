"""The embedded store: one SQLite file (WAL mode) in the data directory.

Connections come from a pool bounded per store (`max_connections`): a read or a transaction
borrows one and gives it back when it ends (a read inside a transaction uses the transaction's),
so the number of open connections (and their file descriptors: the database and its WAL) never
exceeds the bound, however many threads come and go; a borrower that finds every connection in
use waits up to `busy_timeout` for one. Each connection has `busy_timeout` (concurrent writers
wait instead of failing), `foreign_keys=ON` and `synchronous=NORMAL` (durable across process
crashes in WAL mode). Every write that reads before it writes runs in a `BEGIN IMMEDIATE` transaction, so a
guarded change (status transition, lease claim, event append) checks and writes atomically. The
schema is versioned in `schema_version` and upgraded by `MIGRATIONS` when the store opens, one
opener at a time (`store.sqlite.schema_setup`).
Timestamps are stored as integer microseconds since the Unix epoch (UTC); JSON documents as text.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from settings.files import private_file
from settings.groups.store import DEVELOPMENT_PEPPER
from store.base import Store
from store.common import Clock, to_micros, utc_now
from store.errors import ConflictError, NotFoundError, StoreGoneError, StoreUnavailableError
from store.sqlite.agent_crons_schema import AGENT_CRONS_TABLE
from store.sqlite.owned_orders_schema import ORDERS_BY_OWNER
from store.sqlite.owner_data_schema import OWNER_DATA_SCHEMA
from store.sqlite.schema_setup import set_up_schema
from store.sqlite.strategy_models_schema import STRATEGY_MODELS_TABLE
from store.sqlite.trading_day_schema import TRADING_DAY_TABLES

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
    (
        4,
        """
        CREATE TABLE deployments (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            status TEXT NOT NULL,
            spec TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX deployments_by_owner ON deployments (owner, created_at);
        CREATE INDEX deployments_by_status ON deployments (status, created_at);
        """,
    ),
    (
        5,
        """
        CREATE TABLE queued_orders (
            client_order_id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            account TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            run_id TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            symbol TEXT NOT NULL,
            side TEXT NOT NULL,
            quantity REAL NOT NULL,
            status TEXT NOT NULL,
            attempts INTEGER NOT NULL,
            filled_quantity REAL NOT NULL,
            average_price REAL,
            reason TEXT,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            UNIQUE (owner, account, sequence)
        );
        CREATE INDEX queued_orders_by_deployment ON queued_orders (owner, deployment_id, account, sequence);
        CREATE INDEX queued_orders_by_run ON queued_orders (owner, run_id, account, sequence);
        CREATE INDEX queued_orders_open ON queued_orders (owner, account, sequence)
            WHERE status IN ('queued', 'submitted', 'partially_filled');
        CREATE TABLE ledger_entries (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            owner TEXT NOT NULL,
            book TEXT NOT NULL,
            entry_id TEXT NOT NULL,
            kind TEXT NOT NULL,
            time INTEGER NOT NULL,
            symbol TEXT,
            side TEXT,
            quantity REAL,
            price REAL,
            fee REAL,
            amount REAL,
            order_id TEXT,
            note TEXT NOT NULL,
            UNIQUE (owner, book, entry_id)
        );
        CREATE TABLE broker_accounts (
            owner TEXT NOT NULL,
            id TEXT NOT NULL,
            kind TEXT NOT NULL,
            state TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            PRIMARY KEY (owner, id)
        );
        """,
    ),
    (
        6,
        """
        CREATE TABLE deployment_events (
            deployment_id TEXT NOT NULL,
            seq INTEGER NOT NULL,
            owner TEXT NOT NULL,
            type TEXT NOT NULL,
            data TEXT NOT NULL,
            time INTEGER NOT NULL,
            key TEXT,
            PRIMARY KEY (deployment_id, seq),
            UNIQUE (deployment_id, key)
        );
        INSERT INTO deployment_events (deployment_id, seq, owner, type, data, time)
            SELECT id, 1, owner, 'created',
                json_object('name', name, 'status', status, 'note', 'recorded when events began'),
                updated_at
            FROM deployments;
        """,
    ),
    (
        7,
        """
        CREATE TABLE exports (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            deployment_id TEXT NOT NULL,
            format TEXT NOT NULL CHECK (format IN ('csv', 'parquet')),
            rows INTEGER NOT NULL,
            size_bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            data BLOB NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX exports_by_deployment ON exports (owner, deployment_id, created_at);
        """,
    ),
    (
        8,
        """
        CREATE TABLE documents (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            name TEXT NOT NULL,
            media_type TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            sha256 TEXT NOT NULL,
            pages INTEGER,
            chunk_count INTEGER NOT NULL CHECK (chunk_count > 0),
            data BLOB NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX documents_by_owner ON documents (owner, created_at);
        CREATE TABLE document_chunks (
            document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
            ordinal INTEGER NOT NULL,
            text TEXT NOT NULL,
            reference TEXT NOT NULL,
            PRIMARY KEY (document_id, ordinal)
        ) WITHOUT ROWID;
        """,
    ),
    (
        9,
        """
        CREATE TABLE profiles (
            owner TEXT PRIMARY KEY,
            data TEXT NOT NULL,
            version INTEGER NOT NULL CHECK (version >= 1),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        """,
    ),
    (
        10,
        """
        CREATE TABLE ideas (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            title TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('proposed', 'under_review', 'accepted', 'deployed', 'retired')),
            direction TEXT NOT NULL CHECK (direction IN ('long', 'short')),
            horizon_days INTEGER NOT NULL CHECK (horizon_days > 0),
            tickers TEXT NOT NULL,
            data TEXT NOT NULL,
            version INTEGER NOT NULL,
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        );
        CREATE INDEX ideas_by_owner ON ideas (owner, created_at, id);
        CREATE INDEX ideas_by_status ON ideas (owner, status, created_at, id);
        CREATE TABLE idea_tickers (
            idea_id TEXT NOT NULL REFERENCES ideas (id) ON DELETE CASCADE,
            owner TEXT NOT NULL,
            ticker TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            PRIMARY KEY (idea_id, ticker)
        ) WITHOUT ROWID;
        CREATE INDEX idea_tickers_by_owner ON idea_tickers (owner, ticker, created_at);
        """,
    ),
    (
        11,
        """
        ALTER TABLE jobs ADD COLUMN trace_context TEXT;
        """,
    ),
    (
        12,
        """
        CREATE TABLE agent_runs (
            run_id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            thread_id TEXT NOT NULL,
            assistant_id TEXT NOT NULL,
            status TEXT NOT NULL
                CHECK (status IN ('pending', 'running', 'success', 'error', 'interrupted')),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL,
            metadata TEXT NOT NULL,
            multitask_strategy TEXT,
            kwargs TEXT NOT NULL,
            error TEXT,
            cancel_reason TEXT,
            lease_expires_at INTEGER,
            job_id TEXT
        );
        CREATE INDEX agent_runs_by_thread ON agent_runs (owner, thread_id, created_at);
        """,
    ),
    (
        13,
        """
        CREATE TABLE analyses (
            id TEXT PRIMARY KEY,
            owner TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('optimization', 'simulation')),
            portfolio_id TEXT,
            data TEXT NOT NULL,
            created_at INTEGER NOT NULL
        );
        CREATE INDEX analyses_by_owner ON analyses (owner, kind, created_at, id);
        """,
    ),
    (
        14,
        """
        ALTER TABLE queued_orders ADD COLUMN allocations TEXT;
        ALTER TABLE queued_orders ADD COLUMN internal_price REAL;
        """,
    ),
    TRADING_DAY_TABLES,
    ORDERS_BY_OWNER,
    AGENT_CRONS_TABLE,
    STRATEGY_MODELS_TABLE,
    OWNER_DATA_SCHEMA,
]
"""(version, SQL script) pairs: a database at version N gets every script of a higher version,
in version order (gaps in the numbering are allowed)."""


SCHEMA_VERSION = max(version for version, _ in MIGRATIONS)
MAX_CONNECTIONS = 8
"""Connections a store keeps open at most (in use or idle): each is two descriptors, the
database and its WAL. Enough for the request threads (`api.threads`) and the job workers; SQLite
writes one at a time anyway."""


class SqliteConnection(Store):
    """Per-thread connections, transactions, error translation and schema migrations of the
    SQLite store (see `store.sqlite.SQLiteStore` for the constructor's arguments)."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout: float = 10.0,
        max_db_bytes: int | None = None,
        api_key_pepper: str = DEVELOPMENT_PEPPER,
        clock: Clock = utc_now,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self.max_db_bytes = max_db_bytes
        self.clock = clock
        self.max_connections = max_connections
        self._pepper = api_key_pepper
        self._local = threading.local()
        self._idle: list[sqlite3.Connection] = []
        self._open = 0
        self._lock = threading.Lock()
        self._returned = threading.Condition(self._lock)
        self._closed = False
        try:
            private_file(self.path)  # owner-only, as SQLite then makes its -wal and -shm files
        except OSError as exc:
            raise StoreUnavailableError(
                f"cannot create the SQLite store {self.path}: {exc.strerror or exc}"
            ) from exc
        set_up_schema(self.path, self._tx, MIGRATIONS, self._connection)
        self._identity = self._file_identity()

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

    def open_connections(self) -> int:
        """How many connections to the database are open (idle or in use)."""
        with self._lock:
            return self._open

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        """A connection of the pool for the block; inside another block of the same thread,
        that block's connection (a read inside a transaction sees the transaction's writes)."""
        held: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if held is not None:
            yield held
            return
        conn = self._checkout()
        self._local.conn = conn
        try:
            yield conn
        finally:
            self._local.conn = None
            self._checkin(conn)

    def _checkout(self) -> sqlite3.Connection:
        with self._returned:
            if not self._returned.wait_for(
                lambda: self._closed or self._idle or self._open < self.max_connections,
                timeout=self.busy_timeout,
            ):
                raise StoreUnavailableError(
                    f"the SQLite store {self.path}: all {self.max_connections} connections "
                    f"stayed in use for {self.busy_timeout:g} s"
                )
            if self._closed:
                raise StoreUnavailableError(f"the SQLite store {self.path} is closed")
            if self._idle:
                return self._idle.pop()
            self._open += 1
        try:
            return self._new_connection()
        except BaseException:
            with self._returned:
                self._open -= 1
                self._returned.notify()
            raise

    def _checkin(self, conn: sqlite3.Connection) -> None:
        with self._returned:
            if self._closed or conn.in_transaction:  # never hand on a half-done transaction
                self._open -= 1
                with suppress(sqlite3.Error):
                    conn.close()
            else:
                self._idle.append(conn)
            self._returned.notify()

    def _new_connection(self) -> sqlite3.Connection:
        with self._errors("open"):
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout, isolation_level=None, check_same_thread=False
            )
            try:
                conn.row_factory = sqlite3.Row
                conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
                if self.max_db_bytes is not None:
                    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
                    pages = max(1, self.max_db_bytes // page_size)
                    conn.execute(f"PRAGMA max_page_count = {pages}")
            except BaseException:
                conn.close()
                raise
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
        with self._connection() as conn, self._errors(action):
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
        with self._connection() as conn, self._errors(action):
            return conn.execute(sql, params).fetchall()

    def _owned_row(
        self, action: str, sql: str, owner: str, record_id: str, kind: str
    ) -> sqlite3.Row:
        """The row `sql` selects with parameters `(record_id, owner)`, or `NotFoundError`
        naming the `kind` of record (also for another owner's)."""
        rows = self._read(action, sql, (record_id, owner))
        if not rows:
            raise NotFoundError(f"no {kind} {record_id!r} for owner {owner!r}")
        return rows[0]

    def objects_directory(self) -> Path:
        """Where this store keeps its files (beside the database file): one directory per kind
        (`reports`, `strategy-models`), one per owner below it (`store.owner_ids.owner_digest`)."""
        return self.path.with_name(f"{self.path.stem}-objects")

    def schema_version(self) -> int:
        """The schema version of the open database."""
        return int(self._read("schema check", "SELECT version FROM schema_version")[0][0])

    def close(self) -> None:
        """Close the idle connections now and those in use as they are given back; nothing
        more is borrowed (`StoreUnavailableError`)."""
        with self._returned:
            self._closed = True
            for conn in self._idle:
                with suppress(sqlite3.Error):
                    conn.close()
            self._open -= len(self._idle)
            self._idle.clear()
            self._returned.notify_all()

    def _now(self) -> int:
        return to_micros(self.clock())
