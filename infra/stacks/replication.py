"""Replication of a stage's data into its replica region (`replica_region`), the side in the
stage's own region, and the names both sides share.

`replicate_buckets` gives the foundation stack's market-data, documents, results and
model-artifacts buckets their
replication rule: every object and delete marker, Replication Time Control (99.99 % of objects
within 15 minutes, with its metrics), KMS-encrypted objects re-encrypted with the replica key,
through the role `stratigos-<stage>-replication` (assumed by S3 for this account only: read the
four buckets' versions for replication, replicate into the four replicas, decrypt with the
stage's key through S3 there and encrypt with the replica key through S3 in the replica region).
Deletions of one version are not replicated (S3 never does): the documents library's delete
leaves a delete marker for that reason (`store.aws.documents`). `replicate_secret` replicates the
API key pepper there. The replicas themselves are in `infra.stacks.replica`.
"""

from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_secretsmanager as secretsmanager
from constructs import Construct

from infra.config import StageConfig

REPLICATED = ("market", "documents", "results", "models")
"""The kinds of bucket replicated (the four the backup plan also covers): market data,
documents' originals, results, the owners' strategy models (model artifacts: their items in the
store table are replicated too, and an item never lists a missing object). The offload bucket (scratch, in-flight checkpoints) and the
research index (rebuilt from the documents) are not."""
REPLICATION_MINUTES = 15
"""Replication Time Control's threshold: S3 replicates 99.99 % of objects within it."""
KEY_PUBLISHERS = {
    "AllowCloudWatchAlarmsToEncryptNotifications": "cloudwatch.amazonaws.com",
    "AllowBudgetsToEncryptNotifications": "budgets.amazonaws.com",
    "AllowEventBridgeToEncryptDeadLetters": "events.amazonaws.com",
}
"""Statement id -> each AWS service that sends to a topic or queue encrypted with the stage's key
(and the replica key, a failover's): CloudWatch alarms and AWS Budgets publish to the alarm
topic; EventBridge puts the events its rules could not deliver in their dead-letter queues."""


def replica_vault_name(config: StageConfig) -> str:
    """The backup vault of the copies, `stratigos-<stage>-replica`."""
    return f"{config.prefix}-replica"


def replica_key_alias(config: StageConfig) -> str:
    """The replica key's alias, `alias/stratigos-<stage>-replica`."""
    return f"alias/{config.prefix}-replica"


def replica_key_parameter(config: StageConfig) -> str:
    """The SSM parameter (in the replica region) holding the replica key's ARN."""
    return f"/{config.prefix}/replica-key-arn"


def replica_bucket_name(config: StageConfig, kind: str, account: str) -> str:
    """The replica of the bucket `kind` (`REPLICATED`): `stratigos-<stage>-replica-<kind>-
    <account>`, at most 62 characters (S3 names are global: the account makes it ours)."""
    return f"{config.prefix}-replica-{kind}-{account}"


def allow_publishers_to_encrypt(key: kms.Key, account: str) -> None:
    """Let the AWS services that publish to the stage's encrypted topic and queues
    (`KEY_PUBLISHERS`) of `account` use `key` for the messages they send: one statement each."""
    for sid, service in KEY_PUBLISHERS.items():
        key.add_to_resource_policy(
            iam.PolicyStatement(
                sid=sid,
                principals=[iam.ServicePrincipal(service)],
                actions=["kms:Decrypt", "kms:GenerateDataKey"],
                resources=["*"],
                conditions={"StringEquals": {"aws:SourceAccount": account}},
            )
        )


def replicate_buckets(
    scope: Construct, config: StageConfig, key: kms.IKey, buckets: dict[str, s3.Bucket]
) -> iam.Role:
    """Give each of `buckets` (by kind, `REPLICATED`; encrypted with `key`) its replication
    rule into its replica, through the replication role (see the module docstring); the role."""
    stack = Stack.of(scope)
    replica = config.replica_region or ""
    account = stack.account
    role = iam.Role(
        scope,
        "ReplicationRole",
        role_name=f"{config.prefix}-replication",
        description="S3 Replication of the market-data, documents, results and model buckets",
        assumed_by=iam.ServicePrincipal(
            "s3.amazonaws.com", conditions={"StringEquals": {"aws:SourceAccount": account}}
        ),
    )
    alias = replica_key_alias(config)
    replica_key = stack.format_arn(service="kms", region=replica, resource=alias)
    targets = []
    for kind, bucket in buckets.items():
        target = f"arn:{stack.partition}:s3:::{replica_bucket_name(config, kind, account)}"
        targets.append(target)
        cfn = bucket.node.default_child
        assert isinstance(cfn, s3.CfnBucket)
        cfn.replication_configuration = _configuration(role, target, replica, replica_key)
    sources = [bucket.bucket_arn for bucket in buckets.values()]
    for sid, actions, resources in (
        ("ReadReplicationConfiguration", ["s3:GetReplicationConfiguration", "s3:ListBucket"], sources),
        (
            "ReadVersionsToReplicate",
            ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"],
            [f"{arn}/*" for arn in sources],
        ),
        (
            "ReplicateIntoReplicas",
            ["s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"],
            [f"{arn}/*" for arn in targets],
        ),
    ):  # fmt: skip
        role.add_to_policy(iam.PolicyStatement(sid=sid, actions=actions, resources=resources))
    role.add_to_policy(
        iam.PolicyStatement(
            sid="DecryptWithTheStageKeyThroughS3",
            actions=["kms:Decrypt"],
            resources=[key.key_arn],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{stack.region}.{stack.url_suffix}"}
            },
        )
    )
    role.add_to_policy(
        iam.PolicyStatement(
            sid="EncryptWithTheReplicaKeyThroughS3",
            actions=["kms:Encrypt", "kms:GenerateDataKey"],
            # the replica key's id is unknown here: any key of the replica region, if its alias
            # is the replica key's
            resources=[stack.format_arn(service="kms", region=replica, resource="key/*")],
            conditions={
                "StringEquals": {"kms:ViaService": f"s3.{replica}.{stack.url_suffix}"},
                "ForAnyValue:StringEquals": {"kms:ResourceAliases": alias},
            },
        )
    )
    return role


def _configuration(
    role: iam.Role, target: str, replica: str, replica_key: str
) -> s3.CfnBucket.ReplicationConfigurationProperty:
    """One rule: every object and delete marker of the bucket into `target`, within
    `REPLICATION_MINUTES` (Replication Time Control and its metrics), re-encrypted with
    `replica_key` (an alias ARN, which S3 accepts)."""
    minutes = s3.CfnBucket.ReplicationTimeValueProperty(minutes=REPLICATION_MINUTES)
    return s3.CfnBucket.ReplicationConfigurationProperty(
        role=role.role_arn,
        rules=[
            s3.CfnBucket.ReplicationRuleProperty(
                id=f"to-{replica}",
                status="Enabled",
                priority=1,
                filter=s3.CfnBucket.ReplicationRuleFilterProperty(prefix=""),
                delete_marker_replication=s3.CfnBucket.DeleteMarkerReplicationProperty(
                    status="Enabled"
                ),
                source_selection_criteria=s3.CfnBucket.SourceSelectionCriteriaProperty(
                    sse_kms_encrypted_objects=s3.CfnBucket.SseKmsEncryptedObjectsProperty(
                        status="Enabled"
                    )
                ),
                destination=s3.CfnBucket.ReplicationDestinationProperty(
                    bucket=target,
                    encryption_configuration=s3.CfnBucket.EncryptionConfigurationProperty(
                        replica_kms_key_id=replica_key
                    ),
                    replication_time=s3.CfnBucket.ReplicationTimeProperty(
                        status="Enabled", time=minutes
                    ),
                    metrics=s3.CfnBucket.MetricsProperty(status="Enabled", event_threshold=minutes),
                ),
            )
        ],
    )


def replicate_secret(secret: secretsmanager.Secret, config: StageConfig) -> None:
    """Replicate `secret` to the replica region, encrypted there with the replica key (named by
    its alias, which Secrets Manager resolves in that region)."""
    cfn = secret.node.default_child
    assert isinstance(cfn, secretsmanager.CfnSecret)
    cfn.replica_regions = [
        secretsmanager.CfnSecret.ReplicaRegionProperty(
            region=config.replica_region or "", kms_key_id=replica_key_alias(config)
        )
    ]
