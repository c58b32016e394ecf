"""The embedded store: one SQLite file (WAL mode) in the data directory, one module per
aggregate (see `store.sqlite.connection` for connections, transactions and migrations)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from store.sqlite.agent_crons import SqliteAgentCrons
from store.sqlite.agent_runs import SqliteAgentRuns
from store.sqlite.analyses import SqliteAnalyses
from store.sqlite.api_keys import SqliteApiKeys
from store.sqlite.broker_accounts import SqliteBrokerAccounts
from store.sqlite.cache import SqliteCache
from store.sqlite.connection import MIGRATIONS, SCHEMA_VERSION
from store.sqlite.datasets import SqliteDatasets
from store.sqlite.deployments import SqliteDeployments
from store.sqlite.documents import SqliteDocuments
from store.sqlite.executions import SqliteExecutions
from store.sqlite.exports import SqliteExports
from store.sqlite.ideas import SqliteIdeas
from store.sqlite.iv_history import SqliteIVHistory
from store.sqlite.owner_data import SqliteOwnerData
from store.sqlite.portfolios import SqlitePortfolios
from store.sqlite.profiles import SqliteProfiles
from store.sqlite.reports import SqliteReports
from store.sqlite.retention import SqliteRetention
from store.sqlite.snapshots import SqliteSnapshots
from store.sqlite.strategy_models import SqliteStrategyModels
from store.sqlite.threads import SqliteThreads

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "SQLiteStore"]


class SQLiteStore(
    SqliteAgentCrons,
    SqliteAgentRuns,
    SqliteAnalyses,
    SqliteRetention,
    SqlitePortfolios,
    SqliteDatasets,
    SqliteExports,
    SqliteDocuments,
    SqliteIdeas,
    SqliteThreads,
    SqliteCache,
    SqliteApiKeys,
    SqliteDeployments,
    SqliteExecutions,
    SqliteBrokerAccounts,
    SqliteProfiles,
    SqliteReports,
    SqliteSnapshots,
    SqliteIVHistory,
    SqliteStrategyModels,
    SqliteOwnerData,
):
    """The `Store` on one SQLite file.

    `path` is the database file (its directory is created); `busy_timeout` is how long, in
    seconds, a writer waits for another one; `max_db_bytes` caps the file size (SQLite then
    answers "database or disk is full", reported as `StoreUnavailableError`); `api_key_pepper`
    is the secret mixed into API key hashes; `clock` gives "now"; `delete_checkpoints(thread_ids)`
    deletes LangGraph threads' checkpoints (the chat conversations), for an owner's erasure
    (`open_store` passes `store.checkpoints.delete_checkpoints`; None: an erasure of an owner
    with threads stays pending, logged).
    """

    def __init__(
        self,
        path: str | Path,
        *,
        delete_checkpoints: Callable[[Sequence[str]], None] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(path, **options)
        self.delete_checkpoints = delete_checkpoints
