"""The replica region (`replica_region`): where a stage's data is copied to, and where it fails
over to.

Stack `stratigos-<stage>-replica`, in the replica region, deployed before the stacks that copy
into it:

- KMS key `alias/stratigos-<stage>-replica` (yearly rotation): the replicas' key (buckets,
  tables, the pepper, backup copies), which the alarm topic's publishers and EventBridge's dead
  letters may also use (those of a failover deployment, `KEY_PUBLISHERS`); its ARN in the SSM parameter `/stratigos-<stage>/replica-key-arn`, which
  a failover deployment reads.
- With `backup`: the vault `stratigos-<stage>-replica` that receives a copy of every backup,
  locked like the stage's own (`infra.stacks.recovery.vault_protection`).
- With `bucket_replication`: the buckets `stratigos-<stage>-replica-<kind>-<account>` (kinds
  `market`, `documents`, `results`, `models`), versioned, encrypted with the replica key (bucket keys),
  private, TLS only, their access logs in the stack's own log bucket; a version made noncurrent
  (by a replicated delete marker) expires after `documents_noncurrent_days`; the market-data
  replica sends its events to EventBridge (ingestion, after a failover).

What replicates into them is in `infra.stacks.replication`.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from infra.config import StageConfig
from infra.nag import acknowledge_cdk_handlers
from infra.stacks.foundation import (
    ACCESS_LOG_DAYS,
    abort_incomplete_uploads,
    access_log_bucket,
    allow_log_groups,
    encrypted_bucket,
    expire_noncurrent,
    removal_policy,
)
from infra.stacks.recovery import vault_protection
from infra.stacks.replication import (
    REPLICATED,
    allow_publishers_to_encrypt,
    replica_bucket_name,
    replica_key_alias,
    replica_key_parameter,
    replica_vault_name,
)


class ReplicaStack(Stack):
    """The replica key, vault and buckets (see the module docstring)."""

    def __init__(
        self, scope: Construct, construct_id: str, *, config: StageConfig, **kwargs: Any
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.config = config
        self.key = kms.Key(
            self,
            "Key",
            alias=replica_key_alias(config),
            description=f"Stratigos {config.name}: its replicas and backup copies",
            enable_key_rotation=True,
            removal_policy=removal_policy(config),
        )
        allow_publishers_to_encrypt(self.key, self.account)
        allow_log_groups(self.key)  # a failover's log groups
        ssm.StringParameter(
            self,
            "KeyArn",
            parameter_name=replica_key_parameter(config),
            string_value=self.key.key_arn,
            description=f"Stratigos {config.name}: the replica key (read by a failover)",
        )
        self.vault = None
        if config.backup:
            self.vault = backup.BackupVault(
                self,
                "Vault",
                backup_vault_name=replica_vault_name(config),
                encryption_key=self.key,
                removal_policy=removal_policy(config),
                **vault_protection(config),
            )
        self.buckets: dict[str, s3.Bucket] = {}
        if config.bucket_replication:
            logs = access_log_bucket(
                self, "AccessLogsBucket", removal=removal_policy(config), days=ACCESS_LOG_DAYS
            )
            for kind in REPLICATED:
                self.buckets[kind] = self._bucket(kind, logs)
            acknowledge_cdk_handlers(self)  # the market-data replica's EventBridge notifications

    def _bucket(self, kind: str, logs: s3.Bucket) -> s3.Bucket:
        """The replica of the bucket `kind` (see the module docstring)."""
        config = self.config
        return encrypted_bucket(
            self,
            f"{kind.capitalize()}Replica",
            config=config,
            key=self.key,
            logs=logs,
            logs_prefix=f"{kind}/",
            bucket_name=replica_bucket_name(config, kind, self.account),
            versioned=True,
            lifecycle_rules=[
                expire_noncurrent(config.documents_noncurrent_days),
                abort_incomplete_uploads(),
            ],
            event_bridge_enabled=kind == "market",
        )
