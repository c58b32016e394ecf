"""Foundation: the KMS key, the three DynamoDB tables, the S3 buckets and the API key pepper.

- Key `alias/stratigos-<stage>` (yearly rotation) encrypts the tables, buckets, queues, topic
  and secret.
- Table `stratigos-<stage>-store`: the store's single table (`store/aws/table.py`): `pk`/`sk` strings,
  GSIs `gsi1` (`gsi1pk`/`gsi1sk`: jobs, deployments and ideas by status) and `gsi2`
  (`gsi2pk`/`gsi2sk`, keys only: an owner's ideas by creation time), TTL `ttl`. Jobs, idempotency
  keys, results, portfolios, investment ideas (and their ticker index items), chat threads,
  API keys, run headers, trace events, trials and the results cache are item types.
- Table `stratigos-<stage>-checkpoints`: LangGraph's `DynamoDBSaver` (`PK`/`SK`, TTL `ttl`).
- Table `stratigos-<stage>-memories`: long-term memory, LangGraph's `DynamoDBStore` (`PK`
  namespace / `SK` key strings, as its `setup()` creates them; no TTL: a memory lasts until
  the user forgets it). Its own table: the store table's keys are `pk`/`sk`, and a LangGraph
  namespace joined with ``:`` must never meet the store's or the checkpointer's items.
- Buckets (generated names, see the stack outputs): market data (versioned); results
  (`STRATIGOS_STORE_S3_BUCKET`): `results/` move to Glacier Instant Retrieval, which the store
  can still read, and retention bundles `archive/` to Glacier Flexible Retrieval after
  `results_glacier_days` (uploaded datasets `datasets/`, ledger exports `exports/` and the
  trading day's post-market reports `reports/` stay in Standard); documents (`STRATIGOS_STORE_DOCUMENTS_S3_BUCKET`, versioned): the documents
  library's originals, moved to Standard-IA after `DOCUMENTS_IA_DAYS` and to Glacier Flexible
  Retrieval after `DOCUMENTS_GLACIER_DAYS` (a download then restores them first), noncurrent
  versions and lone delete markers expired after `documents_noncurrent_days` (deleting a
  document in the app deletes every version at once); offload (SageMaker shard inputs and
  outputs under `stratigos/compute/`, which expire, and LangGraph checkpoints above 350 KB under
  `checkpoints/`, `STRATIGOS_STORE_CHECKPOINT_S3_BUCKET`, which never move); research index
  (`STRATIGOS_RESEARCH_INDEX_URI`, `s3://<bucket>/index`): the LanceDB tables of the documents'
  chunks and vectors, read on every search, so never versioned nor moved out of Standard (a
  table rewrites and deletes its own files). All KMS-encrypted
  with the stage's key (bucket keys), public access blocked, TLS only.
- Secret `stratigos-<stage>/api-key-pepper`: a generated value keyed into API key hashes.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import COMPUTE_PREFIX, StageConfig
from infra.nag import acknowledge, acknowledge_cdk_handlers

ACCESS_LOG_DAYS = 90
"""Days the buckets' server access logs are kept."""
DOCUMENTS_IA_DAYS = 30
"""Days after upload a document's original moves to S3 Standard-IA (S3's minimum is 30)."""
DOCUMENTS_GLACIER_DAYS = 90
"""Days after upload a document's original moves to S3 Glacier Flexible Retrieval (reading it
then needs a restore of 3-5 hours, which `GET /v1/documents/{id}/original` requests)."""


def removal_policy(config: StageConfig) -> RemovalPolicy:
    """RETAIN for stages that keep their data, else DESTROY."""
    return RemovalPolicy.RETAIN if config.retain_data else RemovalPolicy.DESTROY


def abort_incomplete_uploads() -> s3.LifecycleRule:
    """The rule every bucket has: multipart uploads left unfinished are aborted after 7 days."""
    return s3.LifecycleRule(
        id="abort-incomplete-uploads", abort_incomplete_multipart_upload_after=Duration.days(7)
    )


def access_log_bucket(
    scope: Construct,
    construct_id: str,
    *,
    removal: RemovalPolicy,
    days: int,
    acl_writers: bool = False,
) -> s3.Bucket:
    """A bucket that receives access logs: S3-managed encryption (S3's log delivery and
    CloudFront cannot write with a KMS key), private, TLS only, logs expiring after `days`;
    `acl_writers` lets CloudFront's standard logging write with ACLs. It logs nothing itself."""
    bucket = s3.Bucket(
        scope,
        construct_id,
        encryption=s3.BucketEncryption.S3_MANAGED,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=(
            s3.ObjectOwnership.OBJECT_WRITER
            if acl_writers
            else s3.ObjectOwnership.BUCKET_OWNER_ENFORCED
        ),
        enforce_ssl=True,
        lifecycle_rules=[s3.LifecycleRule(id="expire-logs", expiration=Duration.days(days))],
        removal_policy=removal,
        auto_delete_objects=removal == RemovalPolicy.DESTROY,
    )
    acknowledge(bucket, "S1", "it is the access-log bucket: logging it would log itself")
    return bucket


def expire_noncurrent(days: int) -> s3.LifecycleRule:
    """Noncurrent versions (left by overwrites and deletes) expire `days` after that."""
    return s3.LifecycleRule(
        id="expire-noncurrent-versions",
        noncurrent_version_expiration=Duration.days(days),
        expired_object_delete_marker=True,
    )


def move_after(
    rule_id: str, prefix: str, storage_class: s3.StorageClass, days: int
) -> s3.LifecycleRule:
    """A rule moving the objects under `prefix` to `storage_class` `days` after their upload."""
    return s3.LifecycleRule(
        id=rule_id,
        prefix=prefix,
        transitions=[
            s3.Transition(storage_class=storage_class, transition_after=Duration.days(days))
        ],
    )


class FoundationStack(Stack):
    """The stage's encrypted state: key, tables, buckets, secret (see the module docstring)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.key = self._key()
        self.store_table = self._table("StoreTable", config.store_table_name, "pk", "sk")
        self._index(self.store_table, "gsi1", dynamodb.ProjectionType.ALL)
        # an owner's records by creation time (investment ideas: `gsi2pk=IDEAS#<owner>`)
        self._index(self.store_table, "gsi2", dynamodb.ProjectionType.KEYS_ONLY)
        self.checkpoint_table = self._table(
            "CheckpointTable", config.checkpoint_table_name, "PK", "SK"
        )
        self.memory_table = self._table("MemoryTable", config.memory_table_name, "PK", "SK", None)
        self._buckets()
        acknowledge_cdk_handlers(self)  # the market-data bucket's EventBridge notifications
        self.pepper_secret = secretsmanager.Secret(
            self,
            "ApiKeyPepper",
            secret_name=f"{config.prefix}/api-key-pepper",
            description="Keyed into API key hashes (STRATIGOS_STORE_API_KEY_PEPPER_SECRET_ID). "
            "Never rotate: every issued API key stops verifying.",
            encryption_key=self.key,
            generate_secret_string=secretsmanager.SecretStringGenerator(
                password_length=48, exclude_punctuation=True
            ),
            removal_policy=removal_policy(config),
        )
        acknowledge(
            self.pepper_secret,
            "SMG4",
            "the pepper is keyed into every stored API key hash: rotating it would make every "
            "issued key stop verifying (docs/DEPLOY.md says what to do if it leaks)",
        )

    def _key(self) -> kms.Key:
        """The stage's KMS key (yearly rotation), which CloudWatch alarms may also use to
        publish to the encrypted alarm topic."""
        config = self.config
        key = kms.Key(
            self,
            "Key",
            alias=f"alias/{config.prefix}",
            description=f"Stratigos {config.stage}: tables, buckets, queues, topic, secret",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if config.retain_data else 7),
            removal_policy=removal_policy(config),
        )
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToEncryptNotifications",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )
        return key

    def _table(
        self, construct_id: str, name: str, partition: str, sort: str, ttl: str | None = "ttl"
    ) -> dynamodb.Table:
        """A table with string keys `partition` / `sort`, on demand, encrypted with the key,
        point-in-time recovery, TTL attribute `ttl` (None: no TTL)."""
        retain = self.config.retain_data
        return dynamodb.Table(
            self,
            construct_id,
            table_name=name,
            partition_key=dynamodb.Attribute(name=partition, type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING),
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=dynamodb.PointInTimeRecoverySpecification(
                point_in_time_recovery_enabled=True
            ),
            time_to_live_attribute=ttl,
            deletion_protection=retain,
            removal_policy=removal_policy(self.config),
        )

    @staticmethod
    def _index(table: dynamodb.Table, name: str, projection: dynamodb.ProjectionType) -> None:
        """The global secondary index `name` on string keys `<name>pk` / `<name>sk`."""
        table.add_global_secondary_index(
            index_name=name,
            partition_key=dynamodb.Attribute(name=f"{name}pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=f"{name}sk", type=dynamodb.AttributeType.STRING),
            projection_type=projection,
        )

    def _buckets(self) -> None:
        """The market data, results, offload, documents and research index buckets (lifecycle
        rules as the module docstring says) and their names as stack outputs."""
        config = self.config
        self.access_logs_bucket = self._access_logs_bucket()
        # EventBridge hears its object events: a price file put under incoming/ is ingested
        self.market_data_bucket = self._bucket(
            "MarketDataBucket", versioned=True, event_bridge_enabled=True
        )
        self.results_bucket = self._bucket(
            "ResultsBucket",
            versioned=config.backup,  # AWS Backup copies only versioned buckets
            lifecycle_rules=[
                *([expire_noncurrent(config.documents_noncurrent_days)] if config.backup else []),
                move_after(
                    "results-to-glacier-instant-retrieval",
                    "results/",
                    s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                    config.results_glacier_days,
                ),
                move_after(
                    "archive-to-glacier",
                    "archive/",
                    s3.StorageClass.GLACIER,
                    config.results_glacier_days,
                ),
                abort_incomplete_uploads(),
            ],
        )
        self.offload_bucket = self._bucket("OffloadBucket", lifecycle_rules=self._offload_rules())
        self.documents_bucket = self._bucket(
            "DocumentsBucket", versioned=True, lifecycle_rules=self._documents_rules()
        )
        self.research_index_bucket = self._bucket(
            "ResearchIndexBucket", lifecycle_rules=[abort_incomplete_uploads()]
        )
        for name, bucket in (
            ("MarketDataBucketName", self.market_data_bucket),
            ("ResultsBucketName", self.results_bucket),
            ("OffloadBucketName", self.offload_bucket),
            ("DocumentsBucketName", self.documents_bucket),
            ("ResearchIndexBucketName", self.research_index_bucket),
        ):
            CfnOutput(self, name, value=bucket.bucket_name)

    def _offload_rules(self) -> list[s3.LifecycleRule]:
        """Compute scratch expires; offloaded checkpoints expire a day after their TTL."""
        config = self.config
        rules = [
            s3.LifecycleRule(
                id="expire-compute-scratch",
                prefix=f"{COMPUTE_PREFIX}/",
                expiration=Duration.days(config.compute_scratch_days),
            ),
            abort_incomplete_uploads(),
        ]
        if config.checkpoint_ttl_days is not None:
            rules.append(
                s3.LifecycleRule(
                    id="expire-offloaded-checkpoints",
                    prefix="checkpoints/",
                    expiration=Duration.days(config.checkpoint_ttl_days + 1),
                )
            )
        return rules

    def _documents_rules(self) -> list[s3.LifecycleRule]:
        """Originals move to Standard-IA, then Glacier; noncurrent versions expire."""
        return [
            s3.LifecycleRule(
                id="documents-to-infrequent-access-then-glacier",
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.INFREQUENT_ACCESS,
                        transition_after=Duration.days(DOCUMENTS_IA_DAYS),
                    ),
                    s3.Transition(
                        storage_class=s3.StorageClass.GLACIER,
                        transition_after=Duration.days(DOCUMENTS_GLACIER_DAYS),
                    ),
                ],
            ),
            s3.LifecycleRule(
                id="expire-noncurrent-documents",
                noncurrent_version_expiration=Duration.days(self.config.documents_noncurrent_days),
                expired_object_delete_marker=True,
            ),
            abort_incomplete_uploads(),
        ]

    def _access_logs_bucket(self) -> s3.Bucket:
        """The server access logs of the stage's buckets, kept `ACCESS_LOG_DAYS` days."""
        return access_log_bucket(
            self, "AccessLogsBucket", removal=removal_policy(self.config), days=ACCESS_LOG_DAYS
        )

    def _bucket(
        self,
        construct_id: str,
        *,
        versioned: bool = False,
        lifecycle_rules: list[s3.LifecycleRule] | None = None,
        event_bridge_enabled: bool = False,
    ) -> s3.Bucket:
        """A KMS-encrypted (bucket key), private, TLS-only bucket with a generated name, its
        server access logs under `<construct id>/` of the access-log bucket."""
        retain = self.config.retain_data
        return s3.Bucket(
            self,
            construct_id,
            encryption=s3.BucketEncryption.KMS,
            encryption_key=self.key,
            bucket_key_enabled=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            enforce_ssl=True,
            versioned=versioned,
            lifecycle_rules=lifecycle_rules,
            removal_policy=removal_policy(self.config),
            auto_delete_objects=not retain,
            server_access_logs_bucket=self.access_logs_bucket,
            server_access_logs_prefix=f"{construct_id}/",
            event_bridge_enabled=event_bridge_enabled,
        )
