"""Persistence behind one interface: SQLite (embedded default) or DynamoDB + S3 (AWS).

`open_store(settings)` returns the configured `Store`; `checkpointer(settings)` the matching
LangGraph checkpointer. See `docs/store.md`.
"""

from store.base import (
    JOB_STATUSES,
    TERMINAL_STATUSES,
    ApiKey,
    ChatThread,
    CleanupReport,
    ConflictError,
    Dataset,
    InvalidResultError,
    Job,
    JobStatus,
    NotFoundError,
    Page,
    Portfolio,
    Result,
    SequencedEvent,
    Store,
    StoredEvent,
    StoreError,
    StoreGoneError,
    StoreUnavailableError,
    Trial,
    utc_now,
)
from store.factory import StoreConfig, open_store

__all__ = [
    "JOB_STATUSES",
    "TERMINAL_STATUSES",
    "ApiKey",
    "ChatThread",
    "CleanupReport",
    "ConflictError",
    "Dataset",
    "InvalidResultError",
    "Job",
    "JobStatus",
    "NotFoundError",
    "Page",
    "Portfolio",
    "Result",
    "SequencedEvent",
    "Store",
    "StoreConfig",
    "StoreError",
    "StoreGoneError",
    "StoreUnavailableError",
    "StoredEvent",
    "Trial",
    "open_store",
    "utc_now",
]
