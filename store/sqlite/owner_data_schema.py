"""The SQLite tables of the erasures whose files are still to purge and of the erasure receipts
(migration 19; `store.sqlite.owner_data`)."""

from __future__ import annotations

OWNER_DATA_SCHEMA = (
    19,
    """
    CREATE TABLE erasure_purges (
        receipt_id TEXT PRIMARY KEY,
        owner TEXT NOT NULL,
        files_before INTEGER NOT NULL,
        threads TEXT NOT NULL
    );
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
"""(version, SQL script): the erasures whose files are still to purge and the erasure receipts
(migration 19)."""
