"""Continuous replication to the replica region and the failover onto it, asserted on the test
app's fully optioned production instance (`tests.support.cdk_synth.OPTIONS`, a new instance: global
tables from the start), on production (a deployed stage: its tables stay `AWS::DynamoDB::Table`)
and on a failover deployment of production, synthesized on its own."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import stage_config
from tests.support.cdk_synth import (
    ACCOUNT,
    OPTIONS,
    REGION,
    REPLICA_REGION,
    Synthesized,
)
from tests.support.cfn_lint import problems
from tests.support.cfn_templates import (
    as_list,
    function_by_name,
    identity_policies,
    render,
    resources,
)

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

TABLES = {"Store": "store", "Checkpoint": "checkpoints", "Memory": "memories"}
BUCKETS = {
    "MarketDataBucket": "market",
    "DocumentsBucket": "documents",
    "ResultsBucket": "results",
    "ModelArtifactsBucket": "models",
}
REPLICA_KEY = f"arn:aws:kms:{REPLICA_REGION}:{ACCOUNT}:alias/stratigos-{OPTIONS}-replica"


def by_prefix(template: dict[str, Any], kind: str, prefix: str) -> dict[str, Any]:
    """The single resource of `kind` whose logical id starts with `prefix` (its properties)."""
    [found] = [v for k, v in resources(template, kind).items() if k.startswith(prefix)]
    return dict(found["Properties"])


def test_a_deployed_stage_keeps_its_tables_and_a_new_instance_gets_global_tables(
    synthesized: Synthesized,
) -> None:
    prod = synthesized.templates["prod"]["foundation"]
    options = synthesized.templates[OPTIONS]["foundation"]
    assert resources(prod, "AWS::DynamoDB::GlobalTable") == {}
    assert resources(options, "AWS::DynamoDB::Table") == {}
    tables = resources(prod, "AWS::DynamoDB::Table")
    global_tables = resources(options, "AWS::DynamoDB::GlobalTable")
    assert len(tables) == len(global_tables) == 3
    # CloudFormation never sees a type change in place (which can delete a table): the global
    # tables have logical ids of their own, so turning them on for a deployed stage fails on
    # "already exists" with its tables untouched
    assert set(tables).isdisjoint(global_tables)
    for kind, name in TABLES.items():
        assert any(k.startswith(f"{kind}Table") for k in tables)
        table = by_prefix(options, "AWS::DynamoDB::GlobalTable", f"{kind}GlobalTable")
        assert table["TableName"] == f"stratigos-{OPTIONS}-{name}"
        assert table["BillingMode"] == "PAY_PER_REQUEST"
        assert table["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
        replicas = {r["Region"]: r for r in table["Replicas"]}
        assert set(replicas) == {REGION, REPLICA_REGION}
        for replica in replicas.values():
            assert replica["DeletionProtectionEnabled"] is True  # prod retains its data
            assert replica["PointInTimeRecoverySpecification"] == {
                "PointInTimeRecoveryEnabled": True
            }
        assert render(replicas[REPLICA_REGION]["SSESpecification"]) == {
            "KMSMasterKeyId": REPLICA_KEY
        }
        home_key = replicas[REGION]["SSESpecification"]["KMSMasterKeyId"]
        assert home_key["Fn::GetAtt"][0].startswith("Key")  # the stage's own key
        indexes = {i["IndexName"] for i in table.get("GlobalSecondaryIndexes", [])}
        assert indexes == ({"gsi1", "gsi2"} if kind == "Store" else set())
        ttl = table.get("TimeToLiveSpecification")
        attribute = "expires_at" if kind == "Memory" else "ttl"  # forgotten memories expire
        assert ttl == {"AttributeName": attribute, "Enabled": True}
    # the functions use the global table
    worker = json.dumps(identity_policies(synthesized.templates[OPTIONS]["compute"]))
    assert "StoreGlobalTable" in worker and "StoreTable" not in worker


def test_the_replicated_buckets_replicate_within_15_minutes_into_their_replicas(
    synthesized: Synthesized,
) -> None:
    options = synthesized.templates[OPTIONS]["foundation"]
    [role_id] = [
        k
        for k, v in resources(options, "AWS::IAM::Role").items()
        if v["Properties"].get("RoleName") == f"stratigos-{OPTIONS}-replication"
    ]
    replicated = 0
    for logical, bucket in resources(options, "AWS::S3::Bucket").items():
        props = bucket["Properties"]
        kind = next((k for prefix, k in BUCKETS.items() if logical.startswith(prefix)), None)
        if kind is None:  # offload, research index, access logs: not replicated
            assert "ReplicationConfiguration" not in props, logical
            continue
        replicated += 1
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        config = props["ReplicationConfiguration"]
        assert config["Role"] == {"Fn::GetAtt": [role_id, "Arn"]}
        [rule] = config["Rules"]
        assert rule["Status"] == "Enabled" and rule["Filter"] == {"Prefix": ""}
        assert rule["DeleteMarkerReplication"] == {"Status": "Enabled"}
        assert rule["SourceSelectionCriteria"] == {"SseKmsEncryptedObjects": {"Status": "Enabled"}}
        target = rule["Destination"]
        assert (
            render(target["Bucket"]) == f"arn:aws:s3:::stratigos-{OPTIONS}-replica-{kind}-{ACCOUNT}"
        )
        assert render(target["EncryptionConfiguration"]) == {"ReplicaKmsKeyID": REPLICA_KEY}
        assert target["ReplicationTime"] == {"Status": "Enabled", "Time": {"Minutes": 15}}
        assert target["Metrics"] == {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    assert replicated == len(BUCKETS)
    for bucket in resources(synthesized.templates["prod"]["foundation"], "AWS::S3::Bucket"):
        props = synthesized.templates["prod"]["foundation"]["Resources"][bucket]["Properties"]
        assert "ReplicationConfiguration" not in props
    [pepper] = resources(options, "AWS::SecretsManager::Secret").values()
    assert pepper["Properties"]["ReplicaRegions"] == [
        {"Region": REPLICA_REGION, "KmsKeyId": f"alias/stratigos-{OPTIONS}-replica"}
    ]
    stacks = synthesized.stages[OPTIONS].stacks
    assert stacks["replica"] in stacks["foundation"].dependencies  # deployed before


def test_the_replication_role_reads_the_sources_and_writes_only_the_replicas(
    synthesized: Synthesized,
) -> None:
    options = synthesized.templates[OPTIONS]["foundation"]
    [(role_id, role)] = [
        (k, v)
        for k, v in resources(options, "AWS::IAM::Role").items()
        if v["Properties"].get("RoleName") == f"stratigos-{OPTIONS}-replication"
    ]
    [trust] = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    statements = {
        s["Sid"]: s
        for policy in identity_policies(options).values()
        if {"Ref": role_id} in policy["Properties"]["Roles"]
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    }
    assert set(statements) == {
        "ReadReplicationConfiguration",
        "ReadVersionsToReplicate",
        "ReplicateIntoReplicas",
        "DecryptWithTheStageKeyThroughS3",
        "EncryptWithTheReplicaKeyThroughS3",
    }
    sources = statements["ReadReplicationConfiguration"]["Resource"]
    assert sorted(s["Fn::GetAtt"][0][:-8] for s in sources) == sorted(BUCKETS)
    targets = render(statements["ReplicateIntoReplicas"]["Resource"])
    assert sorted(targets) == sorted(
        f"arn:aws:s3:::stratigos-{OPTIONS}-replica-{kind}-{ACCOUNT}/*" for kind in BUCKETS.values()
    )
    assert sorted(as_list(statements["ReplicateIntoReplicas"]["Action"])) == [
        "s3:ReplicateDelete",
        "s3:ReplicateObject",
        "s3:ReplicateTags",
    ]
    encrypt = statements["EncryptWithTheReplicaKeyThroughS3"]
    assert render(encrypt["Resource"]) == f"arn:aws:kms:{REPLICA_REGION}:{ACCOUNT}:key/*"
    assert render(encrypt["Condition"]) == {
        "StringEquals": {"kms:ViaService": f"s3.{REPLICA_REGION}.amazonaws.com"},
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": f"alias/stratigos-{OPTIONS}-replica"},
    }
    decrypt = statements["DecryptWithTheStageKeyThroughS3"]
    assert decrypt["Resource"]["Fn::GetAtt"][0].startswith("Key")
    assert render(decrypt["Condition"]) == {
        "StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}
    }


def test_the_replica_stack_holds_the_key_the_vault_and_the_replica_buckets(
    synthesized: Synthesized,
) -> None:
    replica = synthesized.templates[OPTIONS]["replica"]
    [key_id] = resources(replica, "AWS::KMS::Key")
    [alias] = resources(replica, "AWS::KMS::Alias").values()
    assert alias["Properties"]["AliasName"] == f"alias/stratigos-{OPTIONS}-replica"
    [parameter] = resources(replica, "AWS::SSM::Parameter").values()
    assert parameter["Properties"]["Name"] == f"/stratigos-{OPTIONS}/replica-key-arn"
    assert parameter["Properties"]["Value"] == {"Fn::GetAtt": [key_id, "Arn"]}
    named = {
        v["Properties"]["BucketName"]: (k, v["Properties"])
        for k, v in resources(replica, "AWS::S3::Bucket").items()
        if "BucketName" in v["Properties"]
    }
    assert sorted(named) == sorted(
        f"stratigos-{OPTIONS}-replica-{kind}-{ACCOUNT}" for kind in BUCKETS.values()
    )
    for _, props in named.values():
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        [encryption] = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        assert encryption["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {
            "Fn::GetAtt": [key_id, "Arn"]
        }
        assert "LoggingConfiguration" in props
        rules = {r["Id"]: r for r in props["LifecycleConfiguration"]["Rules"]}
        assert rules["expire-noncurrent-versions"]["NoncurrentVersionExpiration"] == {
            "NoncurrentDays": 30
        }
    # the market-data replica's events go to EventBridge (ingestion after a failover)
    [events] = resources(replica, "Custom::S3BucketNotifications").values()
    market = named[f"stratigos-{OPTIONS}-replica-market-{ACCOUNT}"][0]
    assert events["Properties"]["BucketName"] == {"Ref": market}
    assert events["Properties"]["NotificationConfiguration"] == {"EventBridgeConfiguration": {}}
    assert len(resources(replica, "AWS::Backup::BackupVault")) == 1


def test_a_failover_runs_the_stage_in_the_replica_region_on_its_replicas(
    replica_failover: dict[str, Any],
) -> None:
    stacks, templates = replica_failover["stacks"], replica_failover["templates"]
    assert set(stacks) == {"network", "foundation", "compute", "api", "operations", "data"}
    assert {stack.region for stack in stacks.values()} == {REPLICA_REGION}
    assert stacks["foundation"].stack_name == "stratigos-prod-foundation"
    foundation = templates["foundation"]
    for kind in (
        "AWS::KMS::Key",
        "AWS::DynamoDB::Table",
        "AWS::DynamoDB::GlobalTable",
        "AWS::SecretsManager::Secret",
    ):
        assert resources(foundation, kind) == {}, kind  # imported, never created
    created = sorted(k[:-8] for k in resources(foundation, "AWS::S3::Bucket"))
    assert created == ["AccessLogsBucket", "OffloadBucket", "ResearchIndexBucket"]
    parameters = [p["Default"] for p in foundation["Parameters"].values()]
    assert "/stratigos-prod/replica-key-arn" in parameters
    worker = function_by_name(templates["compute"], "stratigos-prod-worker")
    env = worker["Environment"]["Variables"]
    assert env["STRATIGOS_STORE_TABLE_PREFIX"] == "stratigos-prod-"
    assert env["STRATIGOS_STORE_AWS_REGION"] == REPLICA_REGION
    assert env["STRATIGOS_STORE_S3_BUCKET"] == f"stratigos-prod-replica-results-{ACCOUNT}"
    assert (
        env["STRATIGOS_STORE_DOCUMENTS_S3_BUCKET"] == f"stratigos-prod-replica-documents-{ACCOUNT}"
    )
    assert (
        env["STRATIGOS_STORE_MODEL_ARTIFACTS_S3_BUCKET"]
        == f"stratigos-prod-replica-models-{ACCOUNT}"
    )
    assert env["STRATIGOS_STORE_API_KEY_CHECKS"] == "false"  # the worker checks no API key
    table = f"arn:aws:dynamodb:{REPLICA_REGION}:{ACCOUNT}:table/stratigos-prod-store"
    assert table in json.dumps(render(identity_policies(templates["compute"])))
    api = function_by_name(templates["api"], "stratigos-prod-api")["Environment"]["Variables"]
    assert api["STRATIGOS_STORE_API_KEY_PEPPER_SECRET_ID"] == "stratigos-prod/api-key-pepper"
    granted = json.dumps(render(identity_policies(templates["api"])))
    pepper = f"arn:aws:secretsmanager:{REPLICA_REGION}:{ACCOUNT}:secret:stratigos-prod/api-key-pepper-??????"
    assert pepper in granted


def test_a_failover_passes_cdk_nag_and_cfn_lint(replica_failover: dict[str, Any]) -> None:
    assert replica_failover["findings"] == []
    assert problems(replica_failover["templates"], REPLICA_REGION) == []


def test_tables_given_replicas_by_hand_stay_tables_and_keep_the_replica_key(
    synthesized: Synthesized,
) -> None:
    """`table_replicas=manual` (the migration of a deployed stage): the replica stack holds the
    key the replicas use, and the tables are not touched."""
    from aws_cdk import App

    from infra.stacks.replica import ReplicaStack
    from infra.stages import add_replica

    config = stage_config(
        "prod", {"replica_region": REPLICA_REGION, "table_replicas": "manual", "backup": "false"}
    )
    replica = add_replica(App(), config, ACCOUNT)
    assert isinstance(replica, ReplicaStack) and replica.region == REPLICA_REGION
    assert replica.vault is None and replica.buckets == {}  # only the key
    assert add_replica(App(), stage_config("prod", {"backup": "false"}), ACCOUNT) is None


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"bucket_replication": "true"}, "bucket_replication needs replica_region"),
        ({"table_replicas": "global"}, "table_replicas needs replica_region"),
        ({"replica_region": REPLICA_REGION, "table_replicas": "yes"}, "table_replicas='yes'"),
        (
            {"replica_region": REPLICA_REGION, "failover": "true"},
            "failover needs bucket_replication",
        ),
    ],
)
def test_replication_options_are_refused_without_what_they_need(
    overrides: dict[str, str], field: str
) -> None:
    with pytest.raises(ValueError, match=field):
        stage_config("staging", overrides)
