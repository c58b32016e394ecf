"""The SQLite schema of the trading day's records (migration 15): the post-market reports'
metadata (their files are in the data directory, `store.sqlite.objects`), the account snapshots
and the implied-volatility history."""

from __future__ import annotations

TRADING_DAY_TABLES = (
    15,
    """
    CREATE TABLE reports (
        owner TEXT NOT NULL,
        id TEXT NOT NULL,
        account TEXT NOT NULL,
        day TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('analytics', 'tearsheet')),
        deployment_id TEXT,
        format TEXT NOT NULL CHECK (format IN ('parquet', 'html')),
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (owner, id)
    ) WITHOUT ROWID;
    CREATE INDEX reports_by_account ON reports (owner, account, day);
    CREATE TABLE account_snapshots (
        owner TEXT NOT NULL,
        account TEXT NOT NULL,
        taken_at INTEGER NOT NULL,
        data TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        PRIMARY KEY (owner, account, taken_at)
    ) WITHOUT ROWID;
    CREATE INDEX account_snapshots_by_expiry ON account_snapshots (expires_at);
    CREATE TABLE iv_history (
        owner TEXT NOT NULL,
        underlying TEXT NOT NULL,
        day TEXT NOT NULL,
        data TEXT NOT NULL,
        recorded_at INTEGER NOT NULL,
        PRIMARY KEY (owner, underlying, day)
    ) WITHOUT ROWID;
    """,
)
"""(version, SQL script): the tables of the trading day."""
