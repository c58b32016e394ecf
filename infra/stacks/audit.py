"""Audit: a CloudTrail trail and AWS Config rules, for an account that has neither; one per
account and region, when the context asks (`-c audit=true`).

- Trail `stratigos-audit`: every region's management events and the global services', log file
  validation, KMS-encrypted (its own key, yearly rotation, whose policy lets CloudTrail generate
  data keys for this trail and describe the key: `trail_key_statements`, AWS's documented
  statements) in its own bucket (versioned, TLS only, access logged, kept
  `AUDIT_RETENTION_DAYS` days, old versions as long).
- AWS Config: a recorder of every supported resource type (global ones included) delivering to
  the same bucket under `config/`, and managed rules on what this app promises: S3 buckets TLS
  only and not public, DynamoDB point-in-time recovery, CloudTrail on, KMS rotation, Lambda
  functions' concurrency settings and dead-letter config are left to the operator.
"""

from __future__ import annotations

from typing import Any

from aws_cdk import Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudtrail as cloudtrail
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from infra.nag import acknowledge
from infra.stacks.foundation import access_log_bucket

AUDIT_RETENTION_DAYS = 400
"""Days the trail's and Config's files are kept (over a year: an annual review can read them)."""
CONFIG_RULES = {
    "S3TlsOnly": "S3_BUCKET_SSL_REQUESTS_ONLY",
    "S3NotPublic": "S3_BUCKET_LEVEL_PUBLIC_ACCESS_PROHIBITED",
    "DynamoDbPitr": "DYNAMODB_PITR_ENABLED",
    "CloudTrailOn": "CLOUD_TRAIL_ENABLED",
    "KmsRotation": "CMK_BACKING_KEY_ROTATION_ENABLED",
}
"""Construct id -> the AWS Config managed rule's identifier."""
TRAIL_NAME = "stratigos-audit"


def trail_key_statements(trail_arn: str, account: str, partition: str) -> list[iam.PolicyStatement]:
    """What CloudTrail needs of the trail's key (AWS CloudTrail User Guide, "Configure AWS KMS
    key policies for CloudTrail"): generate data keys to encrypt the trail's log and digest
    files (the encryption context names a trail of this account; `aws:SourceArn` this trail),
    and describe the key (this trail only)."""
    cloudtrail_service = iam.ServicePrincipal("cloudtrail.amazonaws.com")
    source = {"aws:SourceArn": trail_arn}
    return [
        iam.PolicyStatement(
            sid="AllowCloudTrailToEncryptLogs",
            principals=[cloudtrail_service],
            actions=["kms:GenerateDataKey*"],
            resources=["*"],
            conditions={
                "StringEquals": source,
                "StringLike": {
                    "kms:EncryptionContext:aws:cloudtrail:arn": (
                        f"arn:{partition}:cloudtrail:*:{account}:trail/*"
                    )
                },
            },
        ),
        iam.PolicyStatement(
            sid="AllowCloudTrailToDescribeKey",
            principals=[cloudtrail_service],
            actions=["kms:DescribeKey"],
            resources=["*"],
            conditions={"StringEquals": source},
        ),
    ]


class AuditStack(Stack):
    """The trail, the Config recorder and its rules (see the module docstring)."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: Any) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = kms.Key(
            self,
            "Key",
            alias="alias/stratigos-audit",
            description="Stratigos audit trail",
            enable_key_rotation=True,
            removal_policy=RemovalPolicy.RETAIN,
        )
        trail_arn = self.format_arn(
            service="cloudtrail", resource="trail", resource_name=TRAIL_NAME
        )
        for statement in trail_key_statements(trail_arn, self.account, self.partition):
            key.add_to_resource_policy(statement)
        logs = access_log_bucket(
            self, "AccessLogs", removal=RemovalPolicy.RETAIN, days=AUDIT_RETENTION_DAYS
        )
        self.bucket = s3.Bucket(
            self,
            "AuditBucket",
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            server_access_logs_bucket=logs,
            server_access_logs_prefix="audit/",
            versioned=True,  # an overwrite or a delete keeps the file it replaced
            lifecycle_rules=[
                s3.LifecycleRule(
                    expiration=Duration.days(AUDIT_RETENTION_DAYS),
                    noncurrent_version_expiration=Duration.days(AUDIT_RETENTION_DAYS),
                )
            ],
            removal_policy=RemovalPolicy.RETAIN,
        )
        self.trail = cloudtrail.Trail(
            self,
            "Trail",
            trail_name=TRAIL_NAME,
            bucket=self.bucket,
            encryption_key=key,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_file_validation=True,
        )
        self._config()

    def _config(self) -> None:
        role = iam.Role(
            self,
            "ConfigRole",
            assumed_by=iam.ServicePrincipal("config.amazonaws.com"),
            managed_policies=[
                iam.ManagedPolicy.from_aws_managed_policy_name("service-role/AWS_ConfigRole")
            ],
        )
        acknowledge(
            role,
            "IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWS_ConfigRole]",
            "AWS Config's own managed policy: it reads the configuration of every resource type",
        )
        self.bucket.grant_put(role, "config/*")
        self.bucket.grant_read(role)
        recorder = config.CfnConfigurationRecorder(
            self,
            "Recorder",
            role_arn=role.role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=True
            ),
        )
        channel = config.CfnDeliveryChannel(
            self, "Delivery", s3_bucket_name=self.bucket.bucket_name, s3_key_prefix="config"
        )
        channel.node.add_dependency(recorder)
        for construct_id, identifier in CONFIG_RULES.items():
            rule = config.ManagedRule(self, construct_id, identifier=identifier)
            rule.node.add_dependency(recorder)
