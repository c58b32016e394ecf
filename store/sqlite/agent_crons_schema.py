"""The SQLite table of Agent Protocol crons (`store.sqlite.agent_crons`)."""

from __future__ import annotations

AGENT_CRONS_TABLE = (
    17,
    """
    CREATE TABLE agent_crons (
        cron_id TEXT NOT NULL,
        owner TEXT NOT NULL,
        thread_id TEXT,
        schedule TEXT NOT NULL,
        next_run_at INTEGER,
        end_at INTEGER,
        document TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (owner, cron_id)
    );
    CREATE INDEX agent_crons_by_owner ON agent_crons (owner, created_at);
    CREATE INDEX agent_crons_due ON agent_crons (next_run_at) WHERE next_run_at IS NOT NULL;
    """,
)
"""The migration that adds the table (`store.sqlite.connection.MIGRATIONS`)."""
