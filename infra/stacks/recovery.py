"""Recovery: AWS Backup of the stage's tables and versioned buckets, and their copies in another
region.

- Vault `stratigos-<stage>` (the stage's KMS key) and plan `stratigos-<stage>` with two rules over
  the store, checkpoint and memory tables (besides their point-in-time recovery, 35 days to the
  second) and the market-data, documents, results and model-artifacts buckets (AWS Backup needs
  versioning: those four are versioned where backup is on): `hourly`, every hour on the hour, kept
  `backup_hourly_retention_days` (2), and `daily` at 05:00 UTC, kept `backup_retention_days`
  (35). The offload bucket (scratch and in-flight checkpoints) and the research index (rebuilt
  from the documents) are not backed up.
- With `replica_region` (production's default, `auto`): every recovery point of both rules is
  also copied to the vault `stratigos-<stage>-replica` in that region (`infra.stacks.replica`,
  its own KMS key), kept as long. `RPO_HOURS` and `RTO_HOURS` state what that gives; the restore
  drill that checks them is in docs/DEPLOY.md. With `backup_copy_vault_arn` (a vault of another
  account, an Organization's backup account), to that vault as well.
- Role `stratigos-<stage>-backup`: assumed by AWS Backup, with AWS's managed backup and restore
  policies (for DynamoDB and S3).
- Both vaults are locked and deny deleting recovery points (`vault_protection`), so a stolen
  administrator's credentials cannot erase the backups before their time; the copies stay in
  the stage's account (docs/DEPLOY.md, "Recovery and audit", says why). A failed, aborted or
  expired backup or copy job goes to the alarm topic (`infra.stacks.service_alarms`).
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

RPO_HOURS = 1
"""Recovery point objective with backups copied to the replica region (the seeds' 1 h): the last
hourly recovery point, copied within minutes of its completion; in the home region the tables'
point-in-time recovery gives seconds."""
RTO_HOURS = 4
"""Recovery time objective (the seeds' 4 h): deploy the stage in the replica region and restore
the copies into it (docs/DEPLOY.md, the restore drill, measures it)."""
HOURLY = events.Schedule.cron(minute="0")
DAILY = events.Schedule.cron(minute="0", hour="5")

BACKUP_POLICIES = (
    "service-role/AWSBackupServiceRolePolicyForBackup",
    "service-role/AWSBackupServiceRolePolicyForRestores",
    "AWSBackupServiceRolePolicyForS3Backup",
    "AWSBackupServiceRolePolicyForS3Restore",
)


LOCK_MAX_RETENTION_DAYS = 3650
"""The longest retention a locked vault takes (a recovery point kept longer is refused)."""
LOCK_CHANGEABLE_DAYS = 3
"""Days a locked vault's lock may still be changed or removed (AWS Backup's shortest grace):
after them, where the stage keeps its data, the lock is in compliance mode for good."""


def vault_protection(config: StageConfig) -> dict[str, Any]:
    """A vault's protection from deletion (`BackupVault` keyword arguments): a vault lock (no
    recovery point deleted, by anyone, before `backup_hourly_retention_days`, none kept beyond
    `LOCK_MAX_RETENTION_DAYS`; in compliance mode after `LOCK_CHANGEABLE_DAYS` where the stage
    keeps its data, governance mode elsewhere) and an access policy denying every principal
    `backup:DeleteRecoveryPoint` and `backup:UpdateRecoveryPointLifecycle` (AWS Backup's own
    lifecycle still expires them)."""
    return {
        "lock_configuration": backup.LockConfiguration(
            min_retention=Duration.days(config.backup_hourly_retention_days),
            max_retention=Duration.days(LOCK_MAX_RETENTION_DAYS),
            changeable_for=Duration.days(LOCK_CHANGEABLE_DAYS) if config.retain_data else None,
        ),
        "block_recovery_point_deletion": True,
    }


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
            **vault_protection(config),
        )
        self.plan = self._plan(config)
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
                foundation.model_artifacts_bucket,
            )
        ]
        self.selection = self.plan.add_selection(
            "Selection", resources=resources, role=self.role, backup_selection_name=config.prefix
        )

    def _plan(self, config: StageConfig) -> backup.BackupPlan:
        """The plan's hourly and daily rules, each copied to the replica vault when the stage
        has a replica region (see the module docstring)."""
        replica_vault = None
        if config.replica_region:
            replica_vault = backup.BackupVault.from_backup_vault_arn(
                self,
                "ReplicaVault",
                self.format_arn(
                    service="backup",
                    region=config.replica_region,
                    resource="backup-vault",
                    resource_name=replica_vault_name(config),
                    arn_format=ArnFormat.COLON_RESOURCE_NAME,
                ),
            )
        vaults = [replica_vault] if replica_vault is not None else []
        if config.backup_copy_vault_arn:  # another account's, where configured
            vaults.append(
                backup.BackupVault.from_backup_vault_arn(
                    self, "CopyVault", config.backup_copy_vault_arn
                )
            )
        plan = backup.BackupPlan(self, "Plan", backup_plan_name=config.prefix)
        for name, schedule, days in (
            ("hourly", HOURLY, config.backup_hourly_retention_days),
            ("daily", DAILY, config.backup_retention_days),
        ):
            copies = [
                backup.BackupPlanCopyActionProps(
                    destination_backup_vault=vault, delete_after=Duration.days(days)
                )
                for vault in vaults
            ] or None
            plan.add_rule(
                backup.BackupPlanRule(
                    rule_name=name,
                    backup_vault=self.vault,
                    schedule_expression=schedule,
                    start_window=Duration.hours(1),
                    completion_window=Duration.hours(2 if name == "hourly" else 8),
                    delete_after=Duration.days(days),
                    copy_actions=copies,
                )
            )
        return plan
