"""Stage configuration of the CDK app: `dev`, `staging` and `prod`.

Every resource of a stage is named after its prefix `stratigos-<stage>` (stack names, DynamoDB
tables `stratigos-<stage>-store` and `stratigos-<stage>-checkpoints`, log groups, alarms). Values
can be overridden at synth time with CDK context, e.g.
`cdk synth -c stage=dev -c alarm_email=<address> -c strong_model_id=<id>` (see
`StageConfig.with_overrides`). This module imports nothing of the application: the defaults
below mirror `settings.Settings` (a test checks they agree).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.failover_options import FailoverOptions, check_failover_options
from settings.model_catalog import model_catalog

StageName = Literal["dev", "staging", "prod"]
STAGE_NAMES: tuple[StageName, ...] = ("dev", "staging", "prod")

DEFAULT_STRONG_MODEL_ID = model_catalog().default_id("strong")
"""`Settings.bedrock.strong_model_id`: optimizer and explanation agents (the model catalog's)."""
DEFAULT_FAST_MODEL_ID = model_catalog().default_id("fast")
"""`Settings.bedrock.fast_model_id`: supervisor, market analysis and risk manager."""

DEFAULT_EMBEDDING_MODEL_ID = model_catalog().default_id("embedding")
"""`Settings.embeddings.bedrock_model_id`: Titan Text Embeddings V2 (the research index)."""
DEFAULT_EMBEDDING_DIMENSIONS = 1024
"""`Settings.embeddings.dimensions`."""
EMBEDDING_DIMENSION_CHOICES = (256, 512, 1024)
"""`settings.config.EMBEDDING_DIMENSION_CHOICES`: the vector lengths Titan V2 offers."""

INFERENCE_PROFILE_REGIONS: dict[str, tuple[str, ...]] = {
    "us": ("us-east-1", "us-east-2", "us-west-2"),
    "eu": ("eu-central-1", "eu-north-1", "eu-south-1", "eu-south-2", "eu-west-1", "eu-west-3"),
    "apac": (
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-4",
    ),
    "jp": ("ap-northeast-1", "ap-northeast-3"),
    "au": ("ap-southeast-2", "ap-southeast-4"),
}
"""Regions a cross-region inference profile (`<geo>.<model id>`) may route a request to.

A call through the profile needs `bedrock:InvokeModel*` on the profile ARN and on the
foundation-model ARN in every region it routes to. Check the current list in the Bedrock
console ("Cross-region inference") and override `inference_profile_regions` when it changes.
"""

PAIRED_REGIONS: dict[str, str] = {
    "us-east-1": "us-west-2",
    "us-east-2": "us-west-2",
    "us-west-1": "us-east-1",
    "us-west-2": "us-east-1",
    "ca-central-1": "us-east-1",
    "eu-west-1": "eu-central-1",
    "eu-west-2": "eu-west-1",
    "eu-west-3": "eu-central-1",
    "eu-central-1": "eu-west-1",
    "eu-north-1": "eu-central-1",
    "ap-northeast-1": "ap-northeast-3",
    "ap-northeast-3": "ap-northeast-1",
    "ap-southeast-2": "ap-southeast-4",
    "ap-southeast-4": "ap-southeast-2",
    "ap-south-1": "ap-south-2",
    "ap-south-2": "ap-south-1",
}
"""The second region of `replica_region=auto` (production's default): another region of the same
geography and legal area, with Bedrock and AWS Backup. A stage elsewhere names its own."""

COMPUTE_PREFIX = "stratigos/compute"
_VAULT_ARN = re.compile(r"arn:aws[a-z-]*:backup:[a-z0-9-]+:\d{12}:backup-vault:[\w.-]+")
PERMISSIONS_BOUNDARY = "stratigos-boundary"
"""Every stage role's permissions boundary (the delivery stack's, `infra.stacks.delivery`)."""
"""`Settings.compute.sagemaker.prefix`: S3 prefix of SageMaker shard inputs and outputs."""


@dataclass(frozen=True)
class StageConfig(FailoverOptions):
    """Everything that differs between stages (sizes, retention, limits, models).

    Durations are in days unless the name says otherwise; rates are requests per second.
    `account` / `region` default to the CLI's `CDK_DEFAULT_ACCOUNT` / `CDK_DEFAULT_REGION`.
    """

    stage: StageName
    account: str | None = None
    region: str | None = None
    # models (Amazon Bedrock)
    bedrock_region: str | None = None
    """Region of the Bedrock Runtime endpoint (None: the stack's region)."""
    strong_model_id: str = DEFAULT_STRONG_MODEL_ID
    fast_model_id: str = DEFAULT_FAST_MODEL_ID
    extra_model_ids: tuple[str, ...] = ()
    """Per-role overrides (`STRATIGOS_BEDROCK_MODEL_IDS`) that also need invoke permission."""
    fallback_strong_model_id: str | None = None
    """The model a strong-tier call falls over to when its own stays throttled
    (`STRATIGOS_BEDROCK_FALLBACK_MODEL_IDS`, `agents.model_routes`); granted like the others."""
    fallback_fast_model_id: str | None = None
    """The fast tier's fallback model, likewise."""
    embedding_model_id: str = DEFAULT_EMBEDDING_MODEL_ID
    """The research index's embedding model (`STRATIGOS_BEDROCK_EMBEDDING_MODEL_ID`): the API
    (uploads, search queries) and the worker may `bedrock:InvokeModel` it, and nothing more."""
    embedding_dimensions: int = DEFAULT_EMBEDDING_DIMENSIONS
    """`STRATIGOS_EMBEDDING_DIMENSIONS`: 256, 512 or 1024 (changing it means re-indexing)."""
    inference_profile_regions: Mapping[str, tuple[str, ...]] = field(
        default_factory=lambda: dict(INFERENCE_PROFILE_REGIONS)
    )
    # compute
    compute_backend: Literal["sagemaker", "local"] = "sagemaker"
    """Where the worker runs sweep batches: SageMaker Processing, or inside the worker Lambda."""
    sagemaker_instance_type: str = "ml.m5.xlarge"
    sagemaker_instance_count: int = 1
    compute_scratch_days: int = 14
    """Days before SageMaker shard inputs/outputs expire from the offload bucket."""
    worker_memory_mb: int = 4096
    worker_max_concurrency: int = 10
    """Most jobs running at once (the SQS event source's maximum concurrency, >= 2)."""
    job_max_receive_count: int = 3
    """Deliveries of a job message before it moves to the dead-letter queue."""
    estimates_memory_mb: int = 3072
    """Memory of the instant estimates' serverless endpoint (1024 to 6144, in steps of 1024)."""
    estimates_max_concurrency: int = 5
    """Estimates the serverless endpoint answers at once (1 to 200); more are throttled."""
    # API
    api_memory_mb: int = 2048
    api_throttle_rate: float = 50.0
    api_throttle_burst: int = 100
    usage_plan_quota_per_day: int = 50_000
    waf_rate_limit_per_5min: int = 2000
    """Requests per client IP in any 5-minute window before WAF blocks it."""
    cognito_authorizer: bool = True
    """Require a Cognito ID token (`Authorization: Bearer <token>`) at API Gateway; the app
    verifies it again. Off: API Gateway passes every request and the app alone authenticates
    (its API keys in `x-api-key`, or Cognito tokens)."""
    require_usage_plan_key: bool = False
    """Require an API Gateway key (`x-api-key`) on protected routes, metered by the usage plan.
    The app reads `x-api-key` as its own API key, so use it with `cognito_authorizer` off and
    register each app key (`stratigos keys create`) in API Gateway with the same value."""
    mfa: Literal["required", "optional"] = "required"
    """Cognito multi-factor authentication (TOTP): `required`, every user enrols an authenticator
    app at the first sign-in; `optional`, a user may (the dev stage)."""
    blocked_countries: tuple[str, ...] = ()
    """ISO 3166-1 alpha-2 codes of countries whose requests are refused: a geo-match rule in both
    web ACLs and the distribution's geo restriction (none by default)."""
    public_paths: tuple[str, ...] = ("/", "v1/health", "v1/ui-config", "v1/vocabulary", "static/*")
    """GET paths open without authentication (the web page, health, how the page signs in,
    its words and number formats, the page's assets); `prefix/*` opens everything below
    `prefix`."""
    # storage and operations
    retain_data: bool = False
    """Keep tables, buckets, the key and the user pool when the stack is deleted."""
    results_glacier_days: int = 30
    documents_noncurrent_days: int = 30
    """Days a noncurrent version of a document's original (left by an overwrite or a delete
    outside the app; the app's delete removes every version at once) is kept before S3
    expires it."""
    checkpoint_ttl_days: int | None = None
    """Days LangGraph checkpoints live (DynamoDB TTL and S3 expiry); None keeps them."""
    log_retention_days: int = 7
    alarm_email: str | None = None
    """Subscribed to the alarm topic (confirm AWS's e-mail); production needs it or Slack."""
    api_5xx_threshold: int = 5
    """5xx answers in 5 minutes (API Gateway's, the estimates endpoint's) that raise an alarm."""
    api_latency_p95_ms: int = 10_000
    """The REST API's p95 latency (ms) above which, for 15 minutes, `<prefix>-api-latency` alarms."""
    cleanup_hour_utc: int = 3
    tracing: Literal["off", "xray"] = "xray"
    """OpenTelemetry spans of every function (runs, graph nodes, agent turns, model and tool
    calls; docs/tracing.md) sent SigV4-signed to X-Ray's OTLP endpoint (`STRATIGOS_TRACING`),
    or `off`. They become searchable once CloudWatch Transaction Search is enabled in the account
    (`transaction_search`, or once by hand)."""
    transaction_search: bool = False
    """Enable CloudWatch Transaction Search from this stage's operations stack: an account- and
    region-wide setting (spans to the `aws/spans` log group, 1% indexed), so one stage per
    account at most, and only where it is not enabled already."""
    # deployed strategies (issue 17)
    notifications_email_from: str | None = None
    """Sender of notification e-mails (`STRATIGOS_NOTIFICATIONS_EMAIL_FROM`), an SES e-mail
    identity of the stage: SES mails a verification link to it at deploy time, and only a
    verified address can send. None: no SES identity, and the stage sends no e-mail (webhooks
    still work); production needs one (`infra.completeness`)."""
    email_identity: Literal["auto", "create", "shared"] = "auto"
    """Who owns the SES identity of `notifications_email_from` (one per address, account and
    region): `create`, this deployment's compute stack; `shared`, another deployment (the stage
    proper) does, and this one only sends from it; `auto`, the stage proper creates it and an
    instance (`instance`, e.g. a pull request's stack) shares it, so copies of a stage never
    clash on it nor delete it with themselves."""
    # private network
    network: Literal["vpc", "off"] = "vpc"
    """`vpc`: the stage's own VPC (`infra/stacks/network.py`): functions in private subnets,
    AWS reached through VPC endpoints, the internet (brokers, webhooks) only through NAT. `off`:
    the functions run outside any VPC (no NAT or endpoint charges; the cheap dev stack)."""
    max_azs: int = 2
    """Availability zones of the VPC (2 or 3): each adds subnets, an interface endpoint ENI per
    endpoint and, with `nat_gateways` at most one per zone, a NAT gateway."""
    nat_gateways: int = 1
    """NAT gateways (1: one zone's NAT serves every zone; `max_azs`: one per zone, no cross-zone
    dependency). Each costs about 33 USD a month plus 0.045 USD per GB."""
    # edge
    edge: bool = True
    """A CloudFront distribution in front of the API and the web UI (`infra/stacks/edge.py`)."""
    domain_name: str | None = None
    """A custom domain of the distribution (`app.example.com`): an ACM certificate (DNS
    validated in `hosted_zone_name`) and Route 53 alias records."""
    hosted_zone_id: str | None = None
    hosted_zone_name: str | None = None
    # metrics, alarms and cost
    slack_workspace_id: str | None = None
    """With `slack_channel_id`: alarms also go to this Slack channel through AWS Chatbot (the
    workspace must be authorized once in the Chatbot console)."""
    slack_channel_id: str | None = None
    monthly_budget_usd: float | None = None
    """An AWS Budgets cost budget of the account: the alarm topic hears at 80 % of actual and
    100 % of forecast spend."""
    cost_anomaly_band: float = 3.0
    """Width (standard deviations) of the anomaly band the model cost and token alarms use."""
    # market data
    market_data: Literal["ingested", "alpaca"] = "ingested"
    """What the functions trade and optimize on (`STRATIGOS_MARKET_DATA`): `ingested`, the price
    files put under `incoming/` in the market-data bucket, each validated into a new version;
    `alpaca`, Alpaca Market Data refreshed after each close (`market_data_owner`'s keys) through
    the same ingestion, with prices during a session from Alpaca's latest trades."""
    market_data_owner: str | None = None
    """With a refresh from Alpaca: the owner whose Alpaca keys read the market data."""
    market_data_refresh: Literal["none", "alpaca"] | None = None
    """With `market_data` ingested: `alpaca` also pulls Alpaca Market Data after each close
    (`market_data_owner`'s keys) and puts it under `incoming/`, where it is ingested like any
    file (`STRATIGOS_MARKET_DATA_REFRESH`); `none`, files only (no refresh schedule), said
    explicitly; None, not chosen: as `none`, but production refuses it (`infra.completeness`).
    With `market_data` alpaca the refresh is Alpaca's whatever this says."""
    # recovery
    backup: bool = False
    """AWS Backup of the tables and the versioned buckets, hourly and daily (production)."""
    backup_retention_days: int = 35
    backup_hourly_retention_days: int = 2
    """Days the hourly recovery points are kept (the daily ones: `backup_retention_days`)."""
    backup_copy_vault_arn: str | None = None
    """Another account's vault that also gets a copy of every recovery point (DEPLOY.md)."""
    replica_region: str | None = None
    """Another region (`auto`: `PAIRED_REGIONS` of the stage's region; `none`: no replica), the home of the stack `stratigos-<stage>-replica` (its own KMS key
    `alias/stratigos-<stage>-replica`): with `backup` every backup is copied to its vault, with
    `bucket_replication` and `table_replicas` the data is replicated to it continuously (RPO
    and RTO of each in docs/DEPLOY.md)."""
    bucket_replication: bool = False
    """S3 Replication (with Replication Time Control: 99.99 % of objects within 15 minutes,
    delete markers included) of the market-data, documents, results and model-artifacts buckets
    into buckets of the replica stack, and the API key pepper replicated there by Secrets
    Manager (needs `replica_region`). An update of the buckets: safe to turn on for a deployed stage."""
    table_replicas: Literal["off", "global", "manual"] = "off"
    """Replicas of the three tables in `replica_region` (needs it), replicated within seconds:
    `global`, the tables are DynamoDB global tables (`AWS::DynamoDB::GlobalTable`) with their
    replica, for a deployment whose tables do not exist yet (CloudFormation cannot turn a
    deployed `AWS::DynamoDB::Table` into a global table: the global tables have construct ids
    of their own, so on a deployed stage the deployment stops at "already exists" with its
    tables untouched); `manual`, a deployed stage's tables were given their replica by hand
    (docs/DEPLOY.md, the migration) and stay `AWS::DynamoDB::Table` in the template (the
    replica stack keeps their key); `off`, none."""
    failover: bool = False
    """Deploy the stage in `replica_region` on its replicas, after losing its own region: the
    foundation stack there imports the replica tables, buckets, key and pepper instead of
    creating them (needs the replicas, or `backup`: restored, `infra.failover_options`); no edge,
    backup or replica stack (docs/DEPLOY.md, "Recovery"); failover fields: `FailoverOptions`."""
    # concurrency
    worker_reserved_concurrency: int | None = None
    """Reserved concurrency of the worker (None: the account's shared pool)."""
    api_provisioned_concurrency: int = 0
    """Provisioned concurrency of the API function's `live` alias (0: none)."""
    api_reserved_concurrency: int = 10
    """Reserved concurrency of the API function (beyond it: 429, `<prefix>-lambda-throttles`)."""
    ws_reserved_concurrency: int = 5
    permissions_boundary: str = PERMISSIONS_BOUNDARY
    """Every role's permissions boundary (`none`: an account without the delivery stack)."""
    instance: str | None = None
    """Another name for the stage's resources (`stratigos-<instance>-...`), for side-by-side
    copies such as the per-pull-request stacks (`pr-123`); None: the stage's name."""

    def __post_init__(self) -> None:
        if self.stage not in STAGE_NAMES:
            raise ValueError(f"stage={self.stage!r} is not one of {', '.join(STAGE_NAMES)}")
        if self.compute_backend not in ("sagemaker", "local"):
            raise ValueError(
                f"compute_backend={self.compute_backend!r} must be 'sagemaker' or 'local'"
            )
        if not 2 <= self.worker_max_concurrency <= 1000:
            raise ValueError(
                f"worker_max_concurrency={self.worker_max_concurrency} must be in 2..1000 "
                "(the SQS event source's limits)"
            )
        if self.estimates_memory_mb not in range(1024, 6145, 1024):
            raise ValueError(
                f"estimates_memory_mb={self.estimates_memory_mb} must be 1024, 2048, ... or 6144"
            )
        if not 1 <= self.estimates_max_concurrency <= 200:
            raise ValueError(
                f"estimates_max_concurrency={self.estimates_max_concurrency} must be in 1..200"
            )
        if self.tracing not in ("off", "xray"):
            raise ValueError(f"tracing={self.tracing!r} must be 'off' or 'xray'")
        if not 0 <= self.cleanup_hour_utc <= 23:
            raise ValueError(f"cleanup_hour_utc={self.cleanup_hour_utc} must be in 0..23")
        sender = self.notifications_email_from
        local, _, domain = (sender or "").partition("@")
        if sender is not None and (not local or "." not in domain or " " in sender):
            raise ValueError(f"notifications_email_from={sender!r} is not an e-mail address")
        if self.embedding_dimensions not in EMBEDDING_DIMENSION_CHOICES:
            raise ValueError(
                f"embedding_dimensions={self.embedding_dimensions} must be one of "
                f"{', '.join(map(str, EMBEDDING_DIMENSION_CHOICES))}"
            )
        self._check_deployment_options()
        self._check_recovery_options()
        for name in (
            "job_max_receive_count",
            "results_glacier_days",
            "compute_scratch_days",
            "documents_noncurrent_days",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"{name}={getattr(self, name)} must be >= 1")

    @property
    def name(self) -> str:
        """The deployment's own name: the instance's, else the stage's. Every physical name
        (stacks, tables, queues, functions, roles, log groups `/stratigos/<name>/...`, the
        metrics namespace `Stratigos/<name>`) is derived from it, so two instances of one stage
        share none."""
        return self.instance or self.stage

    @property
    def prefix(self) -> str:
        """The resource prefix `stratigos-<stage>` (`stratigos-<instance>` for an instance)."""
        return f"stratigos-{self.name}"

    @property
    def boundary(self) -> str | None:
        """The name of the roles' permissions boundary (None: `permissions_boundary=none`)."""
        name = self.permissions_boundary
        return None if name.lower() in ("", "none") else name

    @property
    def refreshes_market_data(self) -> bool:
        """Whether the market data is refreshed from Alpaca after each close."""
        return self.market_data == "alpaca" or self.market_data_refresh == "alpaca"

    @property
    def creates_email_identity(self) -> bool:
        """Whether this deployment creates the SES identity it sends from (`email_identity`)."""
        if self.notifications_email_from is None:
            return False
        if self.email_identity == "auto":
            return self.instance is None
        return self.email_identity == "create"

    def _check_deployment_options(self) -> None:
        """The network, edge, market data and recovery options (ValueError naming the field)."""
        if self.network not in ("vpc", "off"):
            raise ValueError(f"network={self.network!r} must be 'vpc' or 'off'")
        if self.max_azs not in (2, 3):
            raise ValueError(f"max_azs={self.max_azs} must be 2 or 3")
        if not 1 <= self.nat_gateways <= self.max_azs:
            raise ValueError(f"nat_gateways={self.nat_gateways} must be in 1..max_azs")
        if self.email_identity not in ("auto", "create", "shared"):
            raise ValueError(
                f"email_identity={self.email_identity!r} must be 'auto', 'create' or 'shared'"
            )
        if self.market_data not in ("ingested", "alpaca"):
            raise ValueError(f"market_data={self.market_data!r} must be 'ingested' or 'alpaca'")
        if self.market_data_refresh not in (None, "none", "alpaca"):
            raise ValueError(
                f"market_data_refresh={self.market_data_refresh!r} must be 'none' or 'alpaca'"
            )
        if self.refreshes_market_data and not self.market_data_owner:
            raise ValueError(
                f"market_data={self.market_data} with a refresh from Alpaca needs "
                "market_data_owner (whose keys read it)"
            )
        if self.domain_name and not (self.hosted_zone_id and self.hosted_zone_name):
            raise ValueError("domain_name needs hosted_zone_id and hosted_zone_name")
        if self.domain_name and not self.edge:
            raise ValueError("domain_name needs edge (the distribution serves the domain)")
        if self.mfa not in ("required", "optional"):
            raise ValueError(f"mfa={self.mfa!r} must be 'required' or 'optional'")
        for code in self.blocked_countries:
            if not re.fullmatch(r"[A-Z]{2}", code):
                raise ValueError(f"blocked_countries: {code!r} is not an ISO 3166-1 alpha-2 code")
        if bool(self.slack_workspace_id) != bool(self.slack_channel_id):
            raise ValueError("slack_workspace_id and slack_channel_id go together")
        if self.monthly_budget_usd is not None and self.monthly_budget_usd <= 0:
            raise ValueError(f"monthly_budget_usd={self.monthly_budget_usd} must be > 0")
        if self.instance is not None and not re.fullmatch(r"[a-z][a-z0-9-]{0,20}", self.instance):
            raise ValueError(f"instance={self.instance!r}: lower-case letters, digits, dashes")
        reserved = self.worker_reserved_concurrency
        if reserved is not None and reserved < self.worker_max_concurrency + 2:
            raise ValueError(
                f"worker_reserved_concurrency={reserved} must be >= worker_max_concurrency + 2 "
                "(the jobs and the two schedule ticks the worker runs at once)"
            )
        if self.api_provisioned_concurrency < 0:
            raise ValueError("api_provisioned_concurrency must be >= 0")
        if self.api_reserved_concurrency <= self.api_provisioned_concurrency:
            raise ValueError(
                f"api_reserved_concurrency={self.api_reserved_concurrency} must be more than "
                f"api_provisioned_concurrency={self.api_provisioned_concurrency}"
            )
        if self.ws_reserved_concurrency < 1:
            raise ValueError(f"ws_reserved_concurrency={self.ws_reserved_concurrency} must be >= 1")

    def _check_recovery_options(self) -> None:
        """The replica region's options (ValueError naming the field)."""
        replica = None if self.replica_region == "none" else self.replica_region
        if replica and replica == self.region:
            raise ValueError("replica_region must differ from the stage's region")
        if (vault := self.backup_copy_vault_arn) and not _VAULT_ARN.fullmatch(vault):
            raise ValueError(f"backup_copy_vault_arn={vault!r} is not a backup vault's ARN")
        if not 1 <= self.backup_hourly_retention_days <= self.backup_retention_days:
            raise ValueError("backup_hourly_retention_days must be in 1..backup_retention_days")
        if self.table_replicas not in ("off", "global", "manual"):
            raise ValueError(
                f"table_replicas={self.table_replicas!r} must be 'off', 'global' or 'manual'"
            )
        for option in ("bucket_replication", "table_replicas", "failover"):
            if getattr(self, option) not in (False, "off") and not replica:
                raise ValueError(f"{option} needs replica_region (where the replicas are)")
        check_failover_options(self, replica)

    def with_replica_region(self, region: str | None) -> StageConfig:
        """This configuration with `replica_region` resolved for a stage in `region`: `auto`
        becomes `PAIRED_REGIONS[region]` (`ValueError` naming the field without a known region),
        `none` becomes None."""
        if self.replica_region == "none":
            return dataclasses.replace(self, replica_region=None)
        if self.replica_region != "auto":
            return self
        if region not in PAIRED_REGIONS:
            raise ValueError(
                f"replica_region=auto needs the stage's region (-c region=...) and one of "
                f"{', '.join(sorted(PAIRED_REGIONS))}; name it (-c replica_region=...) otherwise"
            )
        return dataclasses.replace(self, replica_region=PAIRED_REGIONS[region])

    @property
    def deploy_region(self) -> str | None:
        """The region the stage's stacks are deployed in: `replica_region` in `failover`, else
        `region` (None: the CLI's default)."""
        return self.replica_region if self.failover else self.region

    @property
    def job_name_prefix(self) -> str:
        """`Settings.compute.sagemaker.job_name_prefix` of the stage: its processing jobs are
        named `stratigos-<stage>-batch-<time>-<hex>`, so IAM and alarms tell stages apart."""
        return f"{self.prefix}-batch"

    @property
    def table_prefix(self) -> str:
        """`STRATIGOS_STORE_TABLE_PREFIX`: tables `<prefix>store`, `<prefix>checkpoints` and
        `<prefix>memories`."""
        return f"{self.prefix}-"

    @property
    def store_table_name(self) -> str:
        return f"{self.table_prefix}store"

    @property
    def checkpoint_table_name(self) -> str:
        return f"{self.table_prefix}checkpoints"

    @property
    def memory_table_name(self) -> str:
        """Long-term memory (LangGraph's `DynamoDBStore`; `store.memories`)."""
        return f"{self.table_prefix}memories"

    @property
    def fallback_model_ids(self) -> dict[str, str]:
        """The fallback model of each tier that has one (`STRATIGOS_BEDROCK_FALLBACK_MODEL_IDS`)."""
        tiers = (("strong", self.fallback_strong_model_id), ("fast", self.fallback_fast_model_id))
        return {tier: model_id for tier, model_id in tiers if model_id}

    @property
    def model_ids(self) -> tuple[str, ...]:
        """Every Bedrock model id the functions may invoke (configured order, no repeats): the
        configured and fallback models, and the ``global.`` inference profile a throttled call
        on a geographic profile tries before its fallback (`agents.model_routes`)."""
        configured = (
            self.strong_model_id,
            self.fast_model_id,
            *self.extra_model_ids,
            *self.fallback_model_ids.values(),
        )
        catalog = model_catalog()
        routes = [route for m in configured if (route := catalog.global_profile(m)) is not None]
        return tuple(dict.fromkeys((*configured, *routes)))

    def with_overrides(self, values: Mapping[str, Any]) -> StageConfig:
        """A copy with fields replaced from `values` (CDK context: strings are converted).

        Unknown keys are ignored (CDK context holds other keys too); a value that cannot be
        converted raises `ValueError` naming the field.
        """
        changes: dict[str, Any] = {}
        for item in dataclasses.fields(self):
            if item.name in {"stage", "inference_profile_regions"} or item.name not in values:
                continue
            raw = values[item.name]
            current = getattr(self, item.name)
            try:
                changes[item.name] = _convert(raw, current, str(item.type))
            except (TypeError, ValueError) as exc:
                raise ValueError(f"context value {item.name}={raw!r} is invalid: {exc}") from exc
        return dataclasses.replace(self, **changes) if changes else self


def _convert(raw: Any, current: Any, annotation: str) -> Any:
    """`raw` (a context value, often a string) as the type of the field (its current value's
    type, or the `annotation` of an optional field that is None)."""
    if isinstance(raw, str) and current is None:
        if raw == "none" and "'none'" in annotation:  # a choice of its own, not "unset"
            return raw
        if raw.lower() in {"", "none", "null"}:
            return None
        if annotation.startswith("int"):
            return int(raw)
        return float(raw) if annotation.startswith("float") else raw
    if not isinstance(raw, str):
        return tuple(raw) if isinstance(current, tuple) else raw
    if isinstance(current, bool):
        if raw.lower() in {"true", "1", "yes"}:
            return True
        if raw.lower() in {"false", "0", "no"}:
            return False
        raise ValueError("expected true or false")
    if isinstance(current, int):
        return int(raw)
    if isinstance(current, float):
        return float(raw)
    if isinstance(current, tuple):
        return tuple(part.strip() for part in raw.split(",") if part.strip())
    return raw


STAGES: dict[str, StageConfig] = {
    "dev": StageConfig(
        stage="dev",
        network="off",  # no NAT or endpoint charges: the cheap development stack
        edge=False,
        compute_backend="local",
        worker_max_concurrency=2,
        checkpoint_ttl_days=14,
        # the web UI and the CLI send app API keys: metered per key, no Cognito at the gateway
        cognito_authorizer=False,
        require_usage_plan_key=True,
        mfa="optional",  # the app's API keys sign in here; a Cognito user may enrol
    ),
    "staging": StageConfig(
        stage="staging",
        log_retention_days=30,
        checkpoint_ttl_days=30,
        worker_reserved_concurrency=14,  # 10 jobs, 2 ticks, 2 spare
        api_reserved_concurrency=50,
        ws_reserved_concurrency=10,
    ),
    "prod": StageConfig(
        stage="prod",
        retain_data=True,
        log_retention_days=90,
        api_throttle_rate=200.0,
        api_throttle_burst=400,
        usage_plan_quota_per_day=200_000,
        waf_rate_limit_per_5min=5000,
        worker_max_concurrency=50,
        sagemaker_instance_count=4,
        estimates_max_concurrency=20,
        max_azs=3,  # seed 002: three availability zones
        nat_gateways=3,  # one per zone: losing a zone does not cut the others' egress
        backup=True,
        replica_region="auto",  # hourly backups copied to PAIRED_REGIONS[region]: RPO 1 h
        worker_reserved_concurrency=54,  # 50 jobs, 2 ticks, 2 spare
        api_reserved_concurrency=200,  # the usage plan's 200 requests a second, each short
        ws_reserved_concurrency=50,
        monthly_budget_usd=1000.0,  # the account's: set yours with -c monthly_budget_usd=...
    ),
}


def stage_config(name: str, overrides: Mapping[str, Any] | None = None) -> StageConfig:
    """The configuration of stage `name` with `overrides` applied (`ValueError` if unknown)."""
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}: expected one of {', '.join(STAGE_NAMES)}")
    return STAGES[name].with_overrides(overrides or {})
