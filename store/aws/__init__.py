"""The AWS store: one DynamoDB table (single-table design, see `store.aws.table`) and one S3
bucket, one module per aggregate."""

from __future__ import annotations

from store.aws.agent_crons import AwsAgentCrons
from store.aws.agent_runs import AwsAgentRuns
from store.aws.analyses import AwsAnalyses
from store.aws.api_keys import AwsApiKeys
from store.aws.broker_accounts import AwsBrokerAccounts
from store.aws.cache import AwsCache
from store.aws.datasets import AwsDatasets
from store.aws.deployments import AwsDeployments
from store.aws.documents import AwsDocuments
from store.aws.executions import AwsExecutions
from store.aws.exports import AwsExports
from store.aws.ideas import AwsIdeas
from store.aws.iv_history import AwsIVHistory
from store.aws.owner_data import AwsOwnerData
from store.aws.portfolios import AwsPortfolios
from store.aws.profiles import AwsProfiles
from store.aws.provisioning import create_tables
from store.aws.purge import AwsPurge
from store.aws.reports import AwsReports
from store.aws.retention import AwsRetention
from store.aws.snapshots import AwsSnapshots
from store.aws.strategy_models import AwsStrategyModels
from store.aws.table import EVENTS_PER_TRANSACTION, boto_config
from store.aws.threads import AwsThreads

__all__ = ["EVENTS_PER_TRANSACTION", "AWSStore", "boto_config", "create_tables"]


class AWSStore(
    AwsAgentCrons,
    AwsAgentRuns,
    AwsRetention,
    AwsAnalyses,
    AwsPortfolios,
    AwsDatasets,
    AwsExports,
    AwsOwnerData,
    AwsPurge,
    AwsDocuments,
    AwsIdeas,
    AwsThreads,
    AwsCache,
    AwsApiKeys,
    AwsDeployments,
    AwsExecutions,
    AwsBrokerAccounts,
    AwsProfiles,
    AwsReports,
    AwsSnapshots,
    AwsIVHistory,
    AwsStrategyModels,
):
    """The `Store` on DynamoDB (`table_name`) and S3 (`bucket`).

    `region` / `endpoint_url` locate the services (an endpoint such as a moto server for tests);
    `max_attempts`, `connect_timeout` and `read_timeout` (seconds) bound how long an unreachable
    endpoint takes to report `StoreUnavailableError`; results larger than `inline_limit_bytes`
    (UTF-8 JSON) go to S3; `api_key_pepper` is the secret of API key hashes; `clock` gives "now";
    `documents_bucket` holds the documents library's originals (default: `bucket`);
    `model_artifacts_bucket` the owners' strategy models (default: `bucket`).
    `delete_checkpoints(thread_ids)` deletes LangGraph threads' checkpoints where the chat
    conversations are kept, for the purge of deleted threads (`open_store` passes
    `store.checkpoints.delete_checkpoints` on its settings; None: a purge record naming
    checkpoints stays, logged, at every purge).
    """
