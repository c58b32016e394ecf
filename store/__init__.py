"""Persistence behind one interface per aggregate: SQLite (embedded default) or DynamoDB + S3
(AWS).

`open_store(settings)` returns the configured `Store` (every repository in one object);
`checkpointer(settings)` the matching LangGraph checkpointer. See `docs/store.md`.

Names are imported on first use (as in `quant`): `from store.jobs import JOB_STATUSES` or
`store.JOB_STATUSES` loads neither the settings nor a backend.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy_exports import exported_names, lazy_exports

_EXPORTS: dict[str, tuple[str, ...]] = {
    "store.agent_runs": ("AgentRunRecord",),
    "store.analyses": (
        "Analysis",
        "AnalysisKind",
    ),
    "store.api_keys": ("ApiKey",),
    "store.base": ("Store",),
    "store.broker_accounts": ("BrokerAccount",),
    "store.common": (
        "Clock",
        "Page",
        "utc_now",
    ),
    "store.datasets": ("Dataset",),
    "store.deployments": (
        "Deployment",
        "DeploymentEvent",
    ),
    "store.documents": (
        "Document",
        "DocumentChunk",
    ),
    "store.errors": (
        "ArchivedError",
        "ConflictError",
        "InvalidResultError",
        "NotFoundError",
        "StoreError",
        "StoreGoneError",
        "StoreUnavailableError",
    ),
    "store.exports": ("Export",),
    "store.factory": ("open_store",),
    "store.iv_history": ("IVRecord",),
    "store.jobs": (
        "JOB_STATUSES",
        "OPTIMIZATION_KIND",
        "SUCCESS_DOCUMENT_STATUSES",
        "TERMINAL_STATUSES",
        "Job",
        "JobStatus",
        "SequencedEvent",
        "StoredEvent",
        "check_result",
        "job_to_json",
    ),
    "store.ledger": ("LedgerEntry",),
    "store.orders": (
        "Allocation",
        "NewOrder",
        "OrderUpdate",
        "QueuedOrder",
    ),
    "store.portfolios": ("Portfolio",),
    "store.profiles": ("StoredProfile",),
    "store.reports": (
        "Report",
        "ReportKind",
    ),
    "store.results": (
        "Result",
        "Trial",
    ),
    "store.retention": ("CleanupReport",),
    "store.snapshots": (
        "AccountSnapshot",
        "SnapshotPosition",
    ),
    "store.strategy_models": ("StrategyModelVersion",),
    "store.threads": ("ChatThread",),
}

__all__ = exported_names(_EXPORTS)


__getattr__, __dir__ = lazy_exports("store", _EXPORTS, globals())


if TYPE_CHECKING:
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
    from store.strategy_models import StrategyModelVersion
    from store.threads import ChatThread
