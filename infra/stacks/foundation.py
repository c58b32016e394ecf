"""Foundation: the KMS key, the three DynamoDB tables, the S3 buckets and the API key pepper.

- Key `alias/stratigos-<stage>` (yearly rotation) encrypts the tables, buckets, queues, topic
  and secret.
- Table `stratigos-<stage>-store`: the store's single table (`store/aws/table.py`): `pk`/`sk` strings,
  GSI `gsi1` (`gsi1pk`/`gsi1sk`), TTL `ttl`. Jobs, idempotency keys, results, portfolios, chat
  threads, API keys, run headers, trace events, trials and the results cache are item types.
- Table `stratigos-<stage>-checkpoints`: LangGraph's `DynamoDBSaver` (`PK`/`SK`, TTL `ttl`).
- Table `stratigos-<stage>-memories`: long-term memory, LangGraph's `DynamoDBStore` (`PK`
  namespace / `SK` key strings, as its `setup()` creates them; no TTL: a memory lasts until
  the user forgets it). Its own table: the store table's keys are `pk`/`sk`, and a LangGraph
  namespace joined with ``:`` must never meet the store's or the checkpointer's items.
- Buckets (generated names, see the stack outputs): market data (versioned); results
  (`STRATIGOS_STORE_S3_BUCKET`): `results/` move to Glacier Instant Retrieval, which the store
  can still read, and retention bundles `archive/` to Glacier Flexible Retrieval after
  `results_glacier_days` (uploaded datasets `datasets/`, ledger exports `exports/` and the
  documents library's originals `documents/` stay in Standard); offload (SageMaker shard inputs and outputs under
  `stratigos/compute/`, which expire, and LangGraph checkpoints above 350 KB under
  `checkpoints/`, `STRATIGOS_STORE_CHECKPOINT_S3_BUCKET`, which never move). All KMS-encrypted,
  public access blocked, TLS only.
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


class FoundationStack(Stack):
    """The stage's encrypted state: key, tables, buckets, secret (see the module docstring)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        retain = config.retain_data
        removal = RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY

        self.key = kms.Key(
            self,
            "Key",
            alias=f"alias/{config.prefix}",
            description=f"Stratigos {config.stage}: tables, buckets, queues, topic, secret",
            enable_key_rotation=True,
            pending_window=Duration.days(30 if retain else 7),
            removal_policy=removal,
        )
        # CloudWatch alarms publish to the encrypted alarm topic with this key.
        self.key.add_to_resource_policy(
            iam.PolicyStatement(
                sid="AllowCloudWatchAlarmsToEncryptNotifications",
                principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": self.account}},
            )
        )

        pitr = dynamodb.PointInTimeRecoverySpecification(point_in_time_recovery_enabled=True)

        def table(
            construct_id: str, name: str, partition: str, sort: str, ttl: str | None = "ttl"
        ) -> dynamodb.Table:
            return dynamodb.Table(
                self,
                construct_id,
                table_name=name,
                partition_key=dynamodb.Attribute(
                    name=partition, type=dynamodb.AttributeType.STRING
                ),
                sort_key=dynamodb.Attribute(name=sort, type=dynamodb.AttributeType.STRING),
                billing_mode=dynamodb.BillingMode.PAY_PER_REQUEST,
                encryption=dynamodb.TableEncryption.CUSTOMER_MANAGED,
                encryption_key=self.key,
                point_in_time_recovery_specification=pitr,
                time_to_live_attribute=ttl,
                deletion_protection=retain,
                removal_policy=removal,
            )

        self.store_table = table("StoreTable", config.store_table_name, "pk", "sk")
        self.store_table.add_global_secondary_index(
            index_name="gsi1",
            partition_key=dynamodb.Attribute(name="gsi1pk", type=dynamodb.AttributeType.STRING),
            sort_key=dynamodb.Attribute(name="gsi1sk", type=dynamodb.AttributeType.STRING),
            projection_type=dynamodb.ProjectionType.ALL,
        )
        self.checkpoint_table = table("CheckpointTable", config.checkpoint_table_name, "PK", "SK")
        self.memory_table = table("MemoryTable", config.memory_table_name, "PK", "SK", ttl=None)

        self.market_data_bucket = self._bucket("MarketDataBucket", versioned=True)
        results_rules = [
            s3.LifecycleRule(
                id="results-to-glacier-instant-retrieval",
                prefix="results/",
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.GLACIER_INSTANT_RETRIEVAL,
                        transition_after=Duration.days(config.results_glacier_days),
                    )
                ],
            ),
            s3.LifecycleRule(
                id="archive-to-glacier",
                prefix="archive/",
                transitions=[
                    s3.Transition(
                        storage_class=s3.StorageClass.GLACIER,
                        transition_after=Duration.days(config.results_glacier_days),
                    )
                ],
            ),
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=Duration.days(7),
            ),
        ]
        self.results_bucket = self._bucket("ResultsBucket", lifecycle_rules=results_rules)
        offload_rules = [
            s3.LifecycleRule(
                id="expire-compute-scratch",
                prefix=f"{COMPUTE_PREFIX}/",
                expiration=Duration.days(config.compute_scratch_days),
            ),
            s3.LifecycleRule(
                id="abort-incomplete-uploads",
                abort_incomplete_multipart_upload_after=Duration.days(7),
            ),
        ]
        if config.checkpoint_ttl_days is not None:
            offload_rules.append(
                s3.LifecycleRule(
                    id="expire-offloaded-checkpoints",
                    prefix="checkpoints/",
                    expiration=Duration.days(config.checkpoint_ttl_days + 1),
                )
            )
        self.offload_bucket = self._bucket("OffloadBucket", lifecycle_rules=offload_rules)

        for name, bucket in (
            ("MarketDataBucketName", self.market_data_bucket),
            ("ResultsBucketName", self.results_bucket),
            ("OffloadBucketName", self.offload_bucket),
        ):
            CfnOutput(self, name, value=bucket.bucket_name)

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
            removal_policy=removal,
        )

    def _bucket(
        self,
        construct_id: str,
        *,
        versioned: bool = False,
        lifecycle_rules: list[s3.LifecycleRule] | None = None,
    ) -> s3.Bucket:
        """A KMS-encrypted (bucket key), private, TLS-only bucket with a generated name."""
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
            removal_policy=RemovalPolicy.RETAIN if retain else RemovalPolicy.DESTROY,
            auto_delete_objects=not retain,
        )
