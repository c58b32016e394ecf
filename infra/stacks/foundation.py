"""Foundation: the KMS key, the three DynamoDB tables, the S3 buckets and the API key pepper.

- Key `alias/stratigos-<stage>` (yearly rotation) encrypts the tables, buckets, queues, topic
  and secret.
- Table `stratigos-<stage>-store`: the store's single table (`store/aws/table.py`): `pk`/`sk` strings,
  GSIs `gsi1` (`gsi1pk`/`gsi1sk`: jobs, deployments and ideas by status) and `gsi2`
  (`gsi2pk`/`gsi2sk`, keys only: an owner's ideas and stored analyses by creation time), TTL
  `ttl`. Jobs, idempotency keys, results, portfolios, investment ideas (and their ticker index
  items), stored analyses, chat threads, API keys, run headers, trace events, trials and the
  results cache are item types.
- Table `stratigos-<stage>-checkpoints`: LangGraph's `DynamoDBSaver` (`PK`/`SK`, TTL `ttl`).
- Table `stratigos-<stage>-memories`: long-term memory, LangGraph's `DynamoDBStore` (`PK`
  namespace / `SK` key strings, as its `setup()` creates them; TTL `expires_at`, which only a
  forgotten memory has: a memory lasts until the user forgets it, and then its overwritten item
  goes, `store.memory_tombstones`). Its own table: the store table's keys are `pk`/`sk`, and a LangGraph
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
  table rewrites and deletes its own files); model artifacts
  (`STRATIGOS_STORE_MODEL_ARTIFACTS_S3_BUCKET`): the owners' strategy model versions under
  `strategy-models/<owner>/` (each version a new object, never rewritten; versioned where the
  results bucket is, for AWS Backup and replication, noncurrent versions expiring after
  `documents_noncurrent_days`). All KMS-encrypted with the stage's key (bucket keys), public
  access blocked, TLS only.
- Secret `stratigos-<stage>/api-key-pepper`: a generated value keyed into API key hashes.
- Replication (`infra.stacks.replication`): with `bucket_replication` the market-data, documents,
  results and model-artifacts buckets (then all versioned) replicate into the replica region and
  the pepper is replicated there (also for a standby restored from the backup copies,
  `restores_standby`); with `table_replicas=global` the three tables are DynamoDB
  global tables (`AWS::DynamoDB::GlobalTable`, construct ids `StoreGlobalTable`, ... of their
  own) with a replica there (deletion protection and point-in-time recovery as here, the replica key).
- `failover`: deployed in the replica region, the stack creates no key, table or replicated
  bucket and no pepper: it imports the replicas (the key by the ARN the replica stack keeps in
  SSM, the tables and the pepper by name, the buckets by their replica names) and creates only
  the offload, research index and access-log buckets.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from aws_cdk import ArnFormat, CfnOutput, Duration, RemovalPolicy, Stack
from aws_cdk import aws_dynamodb as dynamodb
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.checkov import skip
from infra.config import COMPUTE_PREFIX, StageConfig
from infra.failover_options import restores_standby
from infra.nag import acknowledge, acknowledge_cdk_handlers
from infra.stacks.replication import (
    REPLICATED,
    allow_publishers_to_encrypt,
    replica_bucket_name,
    replica_key_alias,
    replica_key_parameter,
    replicate_buckets,
    replicate_secret,
)

TABLE_INDEXES = ("gsi1", "gsi2")
"""The store table's global secondary indexes."""

ACCESS_LOG_DAYS = 90
"""Days the buckets' server access logs are kept."""
DOCUMENTS_IA_DAYS = 30
"""Days after upload a document's original moves to S3 Standard-IA (S3's minimum is 30)."""
DOCUMENTS_GLACIER_DAYS = 90
"""Days after upload a document's original moves to S3 Glacier Flexible Retrieval (reading it
then needs a restore of 3-5 hours, which `GET /v1/documents/{id}/original` requests)."""


LOG_KEY_ACTIONS = (
    "kms:Encrypt*",
    "kms:Decrypt*",
    "kms:ReEncrypt*",
    "kms:GenerateDataKey*",
    "kms:Describe*",
)
"""What CloudWatch Logs needs of a key that encrypts log groups (its documented key policy)."""


def allow_log_groups(key: kms.Key) -> None:
    """Let CloudWatch Logs of `key`'s region use it for the log groups of its account and
    region only (the encryption context names the log group): the statement AWS documents for
    encrypting log data with a customer managed key."""
    stack = Stack.of(key)
    key.add_to_resource_policy(
        iam.PolicyStatement(
            sid="AllowCloudWatchLogsOfTheAccount",
            principals=[iam.ServicePrincipal(f"logs.{stack.region}.amazonaws.com")],
            actions=list(LOG_KEY_ACTIONS),
            resources=["*"],
            conditions={
                "ArnLike": {
                    "kms:EncryptionContext:aws:logs:arn": stack.format_arn(
                        service="logs",
                        resource="log-group",
                        resource_name="*",
                        arn_format=ArnFormat.COLON_RESOURCE_NAME,
                    )
                }
            },
        )
    )


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
    skip(bucket, "CKV_AWS_18", "it is the access-log bucket: logging it would log itself")
    skip(
        bucket,
        "CKV_AWS_21",
        f"logs written once and expired after {days} days: versions would keep what expires",
    )
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


def encrypted_bucket(
    scope: Construct,
    construct_id: str,
    *,
    config: StageConfig,
    key: kms.IKey,
    logs: s3.IBucket,
    logs_prefix: str,
    bucket_name: str | None = None,
    versioned: bool = False,
    lifecycle_rules: list[s3.LifecycleRule] | None = None,
    event_bridge_enabled: bool = False,
) -> s3.Bucket:
    """A bucket encrypted with `key` (bucket keys), private, owner-enforced, TLS only, its
    server access logs under `logs_prefix` of `logs`, emptied and deleted with its stack unless
    the stage retains its data; a generated name unless `bucket_name`."""
    return s3.Bucket(
        scope,
        construct_id,
        bucket_name=bucket_name,
        encryption=s3.BucketEncryption.KMS,
        encryption_key=key,
        bucket_key_enabled=True,
        block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
        object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
        enforce_ssl=True,
        versioned=versioned,
        lifecycle_rules=lifecycle_rules,
        removal_policy=removal_policy(config),
        auto_delete_objects=not config.retain_data,
        server_access_logs_bucket=logs,
        server_access_logs_prefix=logs_prefix,
        event_bridge_enabled=event_bridge_enabled,
    )


class FoundationStack(Stack):
    """The stage's encrypted state: key, tables, buckets, secret (see the module docstring)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.replication_role: iam.Role | None = None
        if config.failover:
            self._import_replicas()
            return
        self.key: kms.IKey = self._key()
        store = self._table("Store", config.store_table_name, "pk", "sk")
        self._index(store, "gsi1", dynamodb.ProjectionType.ALL)
        # an owner's records by creation time (investment ideas: `gsi2pk=IDEAS#<owner>`; stored
        # analyses: `gsi2pk=ANALYSES#<owner>#<kind>`)
        self._index(store, "gsi2", dynamodb.ProjectionType.KEYS_ONLY)
        self.store_table: dynamodb.ITable = store
        self.checkpoint_table: dynamodb.ITable = self._table(
            "Checkpoint", config.checkpoint_table_name, "PK", "SK"
        )
        self.memory_table: dynamodb.ITable = self._table(
            "Memory", config.memory_table_name, "PK", "SK", "expires_at"
        )
        self._buckets()
        acknowledge_cdk_handlers(self)  # the market-data bucket's EventBridge notifications
        self._pepper()
        if config.bucket_replication:
            self.replication_role = replicate_buckets(self, config, self.key, self._replicated)
        if config.bucket_replication or restores_standby(config):  # a standby reads it there
            assert isinstance(self.pepper_secret, secretsmanager.Secret)
            replicate_secret(self.pepper_secret, config)

    def _pepper(self) -> None:
        """The API key pepper (`pepper_secret`; `pepper_secret_id` names it to the functions,
        `pepper_secret_arn` to IAM)."""
        config = self.config
        secret = secretsmanager.Secret(
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
        self.pepper_secret: secretsmanager.ISecret = secret
        self.pepper_secret_id = self.pepper_secret_arn = secret.secret_arn
        acknowledge(
            self.pepper_secret,
            "SMG4",
            "the pepper is keyed into every stored API key hash: rotating it would make every "
            "issued key stop verifying (docs/DEPLOY.md says what to do if it leaks)",
        )

    def _key(self) -> kms.Key:
        """The stage's KMS key (yearly rotation), which CloudWatch alarms and AWS Budgets may
        also use to publish to the encrypted alarm topic, EventBridge to put undelivered
        events in the encrypted dead-letter queues (`KEY_PUBLISHERS`), and CloudWatch Logs to
        encrypt the stage's log groups (`allow_log_groups`)."""
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
        allow_publishers_to_encrypt(key, self.account)
        allow_log_groups(key)
        return key

    def _table(
        self, kind: str, name: str, partition: str, sort: str, ttl: str | None = "ttl"
    ) -> dynamodb.Table | dynamodb.TableV2:
        """The table `name` (construct `<kind>Table`; `<kind>GlobalTable` with `table_replicas`
        `global`, so a deployed table is never turned into a global table in place) with string
        keys `partition` / `sort`, on demand, encrypted with the key, point-in-time recovery and
        deletion protection where data is retained, TTL attribute `ttl` (None: no TTL)."""
        retain = self.config.retain_data
        keys: dict[str, Any] = {
            "table_name": name,
            "partition_key": dynamodb.Attribute(name=partition, type=dynamodb.AttributeType.STRING),
            "sort_key": dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING),
            "time_to_live_attribute": ttl,
            "deletion_protection": retain,
            "removal_policy": removal_policy(self.config),
        }
        recovery = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)
        if self.config.table_replicas == "global":
            replica = self.config.replica_region or ""
            replica_key = self.format_arn(
                service="kms", region=replica, resource=replica_key_alias(self.config)
            )
            return dynamodb.TableV2(
                self,
                f"{kind}GlobalTable",
                **keys,
                billing=dynamodb.Billing.on_demand(),
                encryption=dynamodb.TableEncryptionV2.customer_managed_key(
                    self.key, {replica: replica_key}
                ),
                point_in_time_recovery_specification=recovery,
                replicas=[
                    dynamodb.ReplicaTableProps(
                        region=replica,
                        deletion_protection=retain,
                        point_in_time_recovery_specification=recovery,
                    )
                ],
            )
        return dynamodb.Table(
            self,
            f"{kind}Table",
            **keys,
            billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
            encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
            encryption_key=self.key,
            point_in_time_recovery_specification=recovery,
        )

    @staticmethod
    def _index(
        table: dynamodb.Table | dynamodb.TableV2, name: str, projection: dynamodb.ProjectionType
    ) -> None:
        """The global secondary index `name` on string keys `<name>pk` / `<name>sk`."""
        table.add_global_secondary_index(
            index_name=name,
            partition_key=dynamodb.Attribute(name=f"{name}pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name=f"{name}sk", type=dynamodb.AttributeType.STRING),
            projection_type=projection,
        )

    def _buckets(self) -> None:
        """The market data, results, offload, documents, model-artifacts and research index
        buckets (lifecycle rules as the module docstring says) and their names as stack
        outputs."""
        config = self.config
        # AWS Backup copies and S3 replicates only versioned buckets
        versioned = config.backup or config.bucket_replication
        self._scratch_buckets()
        self._replicated: dict[str, s3.Bucket] = {
            # EventBridge hears its object events: a price file put under incoming/ is ingested
            "market": self._bucket("MarketDataBucket", versioned=True, event_bridge_enabled=True),
            "documents": self._bucket(
                "DocumentsBucket", versioned=True, lifecycle_rules=self._documents_rules()
            ),
            "results": self._bucket(
                "ResultsBucket",
                versioned=versioned,
                lifecycle_rules=[
                    *([expire_noncurrent(config.documents_noncurrent_days)] if versioned else []),
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
            ),
            "models": self._bucket(
                "ModelArtifactsBucket",
                versioned=versioned,
                lifecycle_rules=[
                    *([expire_noncurrent(config.documents_noncurrent_days)] if versioned else []),
                    abort_incomplete_uploads(),
                ],
            ),
        }
        self._name_buckets(self._replicated)

    def _scratch_buckets(self) -> None:
        """The access-log, offload and research index buckets, which are never replicated
        (created in a failover too)."""
        self.access_logs_bucket = self._access_logs_bucket()
        self.offload_bucket = self._bucket("OffloadBucket", lifecycle_rules=self._offload_rules())
        skip(
            self.offload_bucket,
            "CKV_AWS_21",
            "scratch: SageMaker's shard files (expired after compute_scratch_days) and large "
            "checkpoints their saver rewrites and deletes; nothing there is backed up",
        )
        self.research_index_bucket = self._bucket(
            "ResearchIndexBucket", lifecycle_rules=[abort_incomplete_uploads()]
        )
        skip(
            self.research_index_bucket,
            "CKV_AWS_21",
            "LanceDB rewrites and prunes its own files and the index is rebuilt from the "
            "documents (POST /v1/research/reindex): versions would keep every file it deletes",
        )

    def _name_buckets(self, replicated: Mapping[str, s3.IBucket]) -> None:
        """`market_data_bucket`, `documents_bucket`, `results_bucket` and
        `model_artifacts_bucket` from `replicated` (by kind), and every bucket's name as a stack
        output."""
        self.market_data_bucket: s3.IBucket = replicated["market"]
        self.documents_bucket: s3.IBucket = replicated["documents"]
        self.results_bucket: s3.IBucket = replicated["results"]
        self.model_artifacts_bucket: s3.IBucket = replicated["models"]
        self._outputs()

    def _import_replicas(self) -> None:
        """A failover deployment's foundation, in the replica region: the replica key (its ARN
        from the SSM parameter the replica stack writes), tables, buckets and pepper imported,
        the scratch buckets created (see the module docstring)."""
        config = self.config
        key_arn = ssm.StringParameter.value_for_string_parameter(
            self, replica_key_parameter(config)
        )
        self.key = kms.Key.from_key_arn(self, "Key", key_arn)
        tables: tuple[tuple[str, str, list[str]], ...] = (
            ("StoreTable", config.store_table_name, list(TABLE_INDEXES)),
            ("CheckpointTable", config.checkpoint_table_name, []),
            ("MemoryTable", config.memory_table_name, []),
        )
        self.store_table, self.checkpoint_table, self.memory_table = (
            dynamodb.TableV2.from_table_attributes(
                self, construct_id, table_name=name, encryption_key=self.key, global_indexes=indexes
            )
            for construct_id, name, indexes in tables
        )
        self._scratch_buckets()
        self._name_buckets(
            {
                kind: s3.Bucket.from_bucket_attributes(
                    self,
                    f"{kind.capitalize()}Replica",
                    bucket_name=replica_bucket_name(config, kind, self.account),
                    encryption_key=self.key,
                )
                for kind in REPLICATED
            }
        )
        name = f"{config.prefix}/api-key-pepper"
        self.pepper_secret = secretsmanager.Secret.from_secret_name_v2(self, "ApiKeyPepper", name)
        self.pepper_secret_id = name  # the replica has the name, and an ARN suffix of its own
        self.pepper_secret_arn = f"{self.pepper_secret.secret_arn}-??????"

    def _outputs(self) -> None:
        """The buckets' names as stack outputs."""
        for name, bucket in (
            ("MarketDataBucketName", self.market_data_bucket),
            ("ResultsBucketName", self.results_bucket),
            ("OffloadBucketName", self.offload_bucket),
            ("DocumentsBucketName", self.documents_bucket),
            ("ModelArtifactsBucketName", self.model_artifacts_bucket),
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
        """One of the stage's buckets (`encrypted_bucket`), its logs under `<construct id>/`."""
        return encrypted_bucket(
            self,
            construct_id,
            config=self.config,
            key=self.key,
            logs=self.access_logs_bucket,
            logs_prefix=f"{construct_id}/",
            versioned=versioned,
            lifecycle_rules=lifecycle_rules,
            event_bridge_enabled=event_bridge_enabled,
        )
