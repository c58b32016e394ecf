"""The SQLite table of the owners' strategy model versions (migration 18; their files are in the
data directory, `store.sqlite.strategy_models`)."""

from __future__ import annotations

STRATEGY_MODELS_TABLE = (
    18,
    """
    CREATE TABLE strategy_models (
        owner TEXT NOT NULL,
        version INTEGER NOT NULL CHECK (version >= 1),
        size_bytes INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        summary TEXT NOT NULL,
        PRIMARY KEY (owner, version)
    ) WITHOUT ROWID;
    """,
)
"""(version, SQL script): the strategy models' table."""
