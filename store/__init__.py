"""Persistence behind one interface per aggregate: SQLite (embedded default) or DynamoDB + S3
(AWS).

`open_store(settings)` returns the configured `Store` (every repository in one object);
`checkpointer(settings)` the matching LangGraph checkpointer. See `docs/store.md`.
"""

from store.agent_runs import AgentRunRecord
from store.analyses import Analysis, AnalysisKind
from store.api_keys import ApiKey
from store.base import Store
from store.broker_accounts import BrokerAccount
from store.common import Clock, Page, utc_now
from store.datasets import Dataset
from store.deployments import Deployment, DeploymentEvent
from store.documents import Document, DocumentChunk
from store.errors import (
    ArchivedError,
    ConflictError,
    InvalidResultError,
    NotFoundError,
    StoreError,
    StoreGoneError,
    StoreUnavailableError,
)
from store.exports import Export
from store.factory import open_store
from store.iv_history import IVRecord
from store.jobs import (
    JOB_STATUSES,
    OPTIMIZATION_KIND,
    SUCCESS_DOCUMENT_STATUSES,
    TERMINAL_STATUSES,
    Job,
    JobStatus,
    SequencedEvent,
    StoredEvent,
    check_result,
    job_to_json,
)
from store.ledger import LedgerEntry
from store.orders import Allocation, NewOrder, OrderUpdate, QueuedOrder
from store.portfolios import Portfolio
from store.profiles import StoredProfile
from store.reports import Report, ReportKind
from store.results import Result, Trial
from store.retention import CleanupReport
from store.snapshots import AccountSnapshot, SnapshotPosition
from store.threads import ChatThread

__all__ = [
    "JOB_STATUSES",
    "OPTIMIZATION_KIND",
    "SUCCESS_DOCUMENT_STATUSES",
    "TERMINAL_STATUSES",
    "AccountSnapshot",
    "AgentRunRecord",
    "Allocation",
    "Analysis",
    "AnalysisKind",
    "ApiKey",
    "ArchivedError",
    "BrokerAccount",
    "ChatThread",
    "CleanupReport",
    "Clock",
    "ConflictError",
    "Dataset",
    "Deployment",
    "DeploymentEvent",
    "Document",
    "DocumentChunk",
    "Export",
    "IVRecord",
    "InvalidResultError",
    "Job",
    "JobStatus",
    "LedgerEntry",
    "NewOrder",
    "NotFoundError",
    "OrderUpdate",
    "Page",
    "Portfolio",
    "QueuedOrder",
    "Report",
    "ReportKind",
    "Result",
    "SequencedEvent",
    "SnapshotPosition",
    "Store",
    "StoreError",
    "StoreGoneError",
    "StoreUnavailableError",
    "StoredEvent",
    "StoredProfile",
    "Trial",
    "check_result",
    "job_to_json",
    "open_store",
    "utc_now",
]
