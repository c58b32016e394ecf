"""The SQLite tables of the owner locks and the erasure receipts (migration 19;
`store.sqlite.owner_data`)."""

from __future__ import annotations

OWNER_DATA_SCHEMA = (
    19,
    """
    CREATE TABLE owner_locks (
        owner TEXT PRIMARY KEY,
        state TEXT NOT NULL CHECK (state IN ('erasing', 'importing')),
        since INTEGER NOT NULL,
        receipt_id TEXT,
        checkpoints TEXT NOT NULL DEFAULT '[]'
    ) WITHOUT ROWID;
    CREATE TABLE erasure_receipts (
        id TEXT PRIMARY KEY,
        owner_key TEXT NOT NULL,
        requested_at INTEGER NOT NULL,
        purged_at INTEGER,
        counts TEXT NOT NULL
    );
    CREATE INDEX erasure_receipts_by_owner ON erasure_receipts (owner_key, requested_at);
    """,
)
"""(version, SQL script): the owner locks and the erasure receipts (migration 19)."""
