"""Recovery: AWS Backup of the stage's tables and versioned buckets, and their copies in another
region.

- Vault `stratigos-<stage>` (the stage's KMS key) and plan `stratigos-<stage>`: a daily backup at
  05:00 UTC kept `backup_retention_days` days (35 by default) of the store, checkpoint and memory
  tables (besides their point-in-time recovery, 35 days to the second) and of the market-data,
  documents and results buckets (AWS Backup needs versioning: those three are versioned where
  backup is on). The offload bucket (scratch and in-flight checkpoints) and the research index
  (rebuilt from the documents) are not backed up.
- With `replica_region`: every recovery point is also copied to the vault
  `stratigos-<stage>-replica` in that region (`infra.stacks.replica`, its own KMS key), kept as
  long.
  RPO there: the last daily copy (24 h; the tables' PITR gives seconds in the home region);
  RTO: redeploying the stage in the replica region and restoring the copies, about 4 h for a
  few GB (docs/DEPLOY.md).
- Role `stratigos-<stage>-backup`: assumed by AWS Backup, with AWS's managed backup and restore
  policies (for DynamoDB and S3).
"""

from __future__ import annotations

from typing import Any

from aws_cdk import ArnFormat, Duration, Stack
from aws_cdk import aws_backup as backup
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.config import StageConfig
from infra.nag import acknowledge
from infra.stacks.foundation import FoundationStack, removal_policy
from infra.stacks.replication import replica_vault_name

BACKUP_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


class RecoveryStack(Stack):
    """The backup vault, plan, selection and role (see the module docstring)."""

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        config: StageConfig,
        foundation: FoundationStack,
        **kwargs: Any,
    ) -> None:
        super().__init__(scope, construct_id, **kwargs)
        self.vault = backup.BackupVault(
            self,
            "Vault",
            backup_vault_name=config.prefix,
            encryption_key=foundation.key,
            removal_policy=removal_policy(config),
        )
        copies = []
        if config.replica_region:
            replica = self.format_arn(
                service="backup",
                region=config.replica_region,
                resource="backup-vault",
                resource_name=replica_vault_name(config),
                arn_format=ArnFormat.COLON_RESOURCE_NAME,
            )
            copies.append(
                backup.BackupPlanCopyActionProps(
                    destination_backup_vault=backup.BackupVault.from_backup_vault_arn(
                        self, "ReplicaVault", replica
                    ),
                    delete_after=Duration.days(config.backup_retention_days),
                )
            )
        self.plan = backup.BackupPlan(self, "Plan", backup_plan_name=config.prefix)
        self.plan.add_rule(
            backup.BackupPlanRule(
                rule_name="daily",
                backup_vault=self.vault,
                schedule_expression=events.Schedule.cron(minute="0", hour="5"),
                delete_after=Duration.days(config.backup_retention_days),
                copy_actions=copies or None,
            )
        )
        self.role = iam.Role(
            self,
            "Role",
            role_name=f"{config.prefix}-backup",
            assumed_by=iam.ServicePrincipal("backup.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name(p) for p in BACKUP_POLICIES
            ],
        )
        for policy in BACKUP_POLICIES:
            acknowledge(
                self.role,
                f"IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/{policy}]",
                "AWS Backup's own managed policies for backing up and restoring DynamoDB and S3 "
                "(what its documentation prescribes for a backup role)",
            )
        resources = [
            backup.BackupResource.from_dynamo_db_table(table)
            for table in (
                foundation.store_table,
                foundation.checkpoint_table,
                foundation.memory_table,
            )
        ] + [
            backup.BackupResource.from_arn(bucket.bucket_arn)
            for bucket in (
                foundation.market_data_bucket,
                foundation.documents_bucket,
                foundation.results_bucket,
            )
        ]
        self.selection = self.plan.add_selection(
            "Selection", resources=resources, role=self.role, backup_selection_name=config.prefix
        )
