"""The store: one repository interface per aggregate, composed into `Store`, which every backend
implements (records, checks and errors live with their aggregate's module).

Conventions shared by every backend (and checked by the contract suite, `tests/store/contract/`, one module per aggregate):

* **Owner scoping.** Every record belongs to an `owner` (a user or tenant id, a non-empty string)
  and every method takes the caller's `owner` first. A record of another owner behaves exactly as
  a missing one (`NotFoundError`), and listings return only the caller's records.
* **Time.** Timestamps are timezone-aware UTC `datetime`s with microsecond precision; durations
  (`lease_seconds`, `ttl_seconds`) are seconds. A store reads "now" from the `clock` it was built
  with (`utc_now` by default), so tests can inject a fake clock.
* **Payloads.** Requests, results, portfolio data, trial data and cache values are JSON documents
  (dicts / lists / str / numbers / bools / None); they come back as new objects equal to what
  was stored (floats round-trip exactly through JSON).
* **Errors.** Callers only ever see `StoreError` subclasses: `NotFoundError`, `ConflictError`
  (a guarded write lost: wrong status, lease held by another worker, duplicate sequence number,
  idempotency key reused for a different request) and `StoreUnavailableError` (database file
  unwritable, disk full, DynamoDB/S3 unreachable). The backend's own exception is chained as
  `__cause__` for logs but never escapes uncaught.
* **Ids.** Ids the store generates (`job_…`, `pf_…`, `th_…`, `key_…`, `ds_…`, `exp_…`, `doc_…`, `idea_…`) start with a
  millisecond timestamp in hex, so they sort by creation time.
"""

from __future__ import annotations

from store.agent_crons import AgentCronRepository
from store.agent_runs import AgentRunRepository
from store.analyses import AnalysisRepository
from store.api_keys import ApiKeyRepository
from store.broker_accounts import BrokerAccountRepository
from store.cache import CacheRepository
from store.common import Clock, to_micros
from store.datasets import DatasetRepository
from store.deployments import DeploymentRepository
from store.documents import DocumentRepository
from store.executions import ExecutionRepository
from store.exports import ExportRepository
from store.ideas import IdeaRepository
from store.iv_history import IVHistoryRepository
from store.jobs import JobRepository
from store.ledger import LedgerRepository
from store.orders import OrderQueueRepository
from store.owner_data import OwnerDataRepository, gate_owner_methods
from store.portfolios import PortfolioRepository
from store.profiles import ProfileRepository
from store.reports import ReportRepository
from store.results import ResultRepository
from store.retention import RetentionRepository
from store.snapshots import SnapshotRepository
from store.strategy_models import StrategyModelRepository
from store.threads import ThreadRepository

WRITE_CHECK_OWNER = "system"
"""The owner of the one record `Store.check_writable` writes (the job workers' owner too)."""
WRITE_CHECK_KEY = "readiness-write-check"
WRITE_CHECK_TTL_S = 3600.0
"""The write check's record expires after an hour (expired cache entries are cleaned up)."""


class Store(
    JobRepository,
    ResultRepository,
    PortfolioRepository,
    DatasetRepository,
    ExportRepository,
    DocumentRepository,
    IdeaRepository,
    ThreadRepository,
    CacheRepository,
    ApiKeyRepository,
    RetentionRepository,
    DeploymentRepository,
    OrderQueueRepository,
    LedgerRepository,
    ExecutionRepository,
    BrokerAccountRepository,
    ProfileRepository,
    AgentRunRepository,
    AgentCronRepository,
    AnalysisRepository,
    ReportRepository,
    SnapshotRepository,
    IVHistoryRepository,
    StrategyModelRepository,
    OwnerDataRepository,
):
    """Persistence for jobs, trace events, results, trials, portfolios, datasets, chat threads, the
    results cache, API keys, deployments, execution queues, ledgers, executions (fills and order statuses written together), ledger exports,
    the documents library, investment ideas, simulated broker accounts, user profiles, Agent Protocol runs and crons, stored optimization results and simulations, and the trading day's
    post-market reports, account snapshots and implied-volatility history, and an owner's data
    as a whole (export, import, erasure: `store.owner_data`): every repository
    interface in one object. Backends:
    `store.sqlite.SQLiteStore` (embedded default) and `store.aws.AWSStore` (DynamoDB + S3). All
    methods are thread-safe.
    """

    clock: Clock

    def __init_subclass__(cls, **kwargs: object) -> None:
        """Every backend honours the owner lock (`store.owner_data.gate_owner_methods`)."""
        super().__init_subclass__(**kwargs)
        gate_owner_methods(cls)

    def check_writable(self) -> None:
        """Write to the store without growing it, for readiness (`api.routes.health`): the cache
        entry `WRITE_CHECK_KEY` of `WRITE_CHECK_OWNER` is replaced with the time (a real write:
        its value changes each time). `StoreError` (`StoreUnavailableError`: a full disk, a
        read-only or locked file, an unreachable table) when it cannot be written."""
        self.cache_put(
            WRITE_CHECK_OWNER, WRITE_CHECK_KEY, to_micros(self.clock()), WRITE_CHECK_TTL_S
        )

    def close(self) -> None:
        """Release connections (the store is unusable afterwards)."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
