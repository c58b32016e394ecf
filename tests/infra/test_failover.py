"""Failover without hands (`infra.failover`), asserted on production synthesized with the API's
failover name (its default recovery: backup copies in the replica region, no replicas) and on
its failover deployment (the standby, in the replica region), each on its own: the health
check of the primary's readiness, the failover records, the alarm, the forwarding of the alarm
to the standby's region, the restore there of every table and bucket the standby reads, under
the names it reads them by, with least privilege; cdk-nag and cfn-lint clean."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.config import stage_config
from infra.failover_options import restores_standby
from tests.support.cdk_synth import (
    ACCOUNT,
    API_FAILOVER,
    FAILOVER_NAME,
    PRODUCTION,
    REGION,
    REPLICA_REGION,
)
from tests.support.cfn_lint import problems
from tests.support.cfn_templates import (
    as_list,
    function_by_name,
    identity_policies,
    render,
    resources,
)

pytestmark = pytest.mark.xdist_group("cdk")

ZONE = str(PRODUCTION["hosted_zone_name"]).rstrip(".")


def _one(template: dict[str, Any], kind: str) -> dict[str, Any]:
    (found,) = resources(template, kind).values()
    return dict(found["Properties"])


def test_route_53_checks_the_primarys_readiness_and_answers_with_it_while_healthy(
    failover_primary: dict[str, Any],
) -> None:
    # `infra.failover` imports the CDK (its jsii node process): imported by the tests that read
    # a synthesis, which has imported it already, not when the module is collected
    from infra.failover import CHECK_INTERVAL_S, FAILOVER_SECONDS, FAILURE_THRESHOLD, HEALTH_PATH

    stacks, template = failover_primary["stacks"], failover_primary["templates"]["api_failover"]
    assert stacks["api_failover"].region == REGION
    check = _one(template, "AWS::Route53::HealthCheck")["HealthCheckConfig"]
    # the primary's own REST API address (never the failover name, which may be the standby's)
    host = _text(check["FullyQualifiedDomainName"])
    assert re.fullmatch(
        rf"<stratigos-prod-api:\S*RestApi\S*>\.execute-api\.{REGION}\.<AWS::URLSuffix>", host
    )
    assert re.fullmatch(
        rf"/<stratigos-prod-api:\S*DeploymentStageprod\S*>/{HEALTH_PATH}",
        _text(check["ResourcePath"]),
    )
    assert (check["Type"], check["Port"], check["EnableSNI"]) == ("HTTPS", 443, True)
    assert (check["RequestInterval"], check["FailureThreshold"]) == (
        CHECK_INTERVAL_S,
        FAILURE_THRESHOLD,
    )
    assert FAILOVER_SECONDS == 150
    record = _one(template, "AWS::Route53::RecordSet")
    assert record["Name"] == f"{FAILOVER_NAME}." and record["Type"] == "A"
    assert (
        record["Failover"] == "PRIMARY" and record["HostedZoneId"] == PRODUCTION["hosted_zone_id"]
    )
    (check_id,) = resources(template, "AWS::Route53::HealthCheck")
    assert record["HealthCheckId"] == {"Fn::GetAtt": [check_id, "HealthCheckId"]}
    domain = _one(template, "AWS::ApiGateway::DomainName")
    assert domain["DomainName"] == FAILOVER_NAME and domain["SecurityPolicy"] == "TLS_1_2"
    assert domain["EndpointConfiguration"] == {"Types": ["REGIONAL"]}
    (domain_id,) = resources(template, "AWS::ApiGateway::DomainName")
    assert record["AliasTarget"]["DNSName"] == {"Fn::GetAtt": [domain_id, "RegionalDomainName"]}
    mapping = _one(template, "AWS::ApiGateway::BasePathMapping")
    assert "RestApi" in json.dumps(mapping["RestApiId"])
    certificate = _one(template, "AWS::CertificateManager::Certificate")
    assert certificate["DomainName"] == FAILOVER_NAME and certificate["ValidationMethod"] == "DNS"


def test_the_standby_answers_the_name_when_the_primary_is_unhealthy(
    failover_standby: dict[str, Any],
) -> None:
    stacks, templates = failover_standby["stacks"], failover_standby["templates"]
    assert "standby" not in stacks and stacks["api_failover"].region == REPLICA_REGION
    template = templates["api_failover"]
    record = _one(template, "AWS::Route53::RecordSet")
    assert record["Name"] == f"{FAILOVER_NAME}." and record["Failover"] == "SECONDARY"
    assert "HealthCheckId" not in record and resources(template, "AWS::Route53::HealthCheck") == {}
    assert resources(template, "AWS::CloudWatch::Alarm") == {}
    assert _one(template, "AWS::ApiGateway::DomainName")["DomainName"] == FAILOVER_NAME


def test_an_unhealthy_primary_alarms_and_starts_the_standbys_restore_in_its_region(
    failover_primary: dict[str, Any],
) -> None:
    from infra.failover import alarm_name

    template = failover_primary["templates"]["api_failover"]
    alarm = _one(template, "AWS::CloudWatch::Alarm")
    assert alarm["AlarmName"] == alarm_name(stage_config("prod"))
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Route53", "HealthCheckStatus")
    (check_id,) = resources(template, "AWS::Route53::HealthCheck")
    assert alarm["Dimensions"] == [
        {"Name": "HealthCheckId", "Value": {"Fn::GetAtt": [check_id, "HealthCheckId"]}}
    ]
    assert alarm["ComparisonOperator"] == "LessThanThreshold" and alarm["Threshold"] == 1
    minutes = stage_config("prod").standby_restore_after_minutes
    assert alarm["EvaluationPeriods"] == alarm["DatapointsToAlarm"] == minutes == 15
    topic = json.dumps(alarm["AlarmActions"])
    assert "AlarmTopic" in topic and json.dumps(alarm["OKActions"]) == topic
    rule = _one(template, "AWS::Events::Rule")
    (alarm_id,) = resources(template, "AWS::CloudWatch::Alarm")
    assert rule["EventPattern"] == {
        "source": ["aws.cloudwatch"],
        "detail-type": ["CloudWatch Alarm State Change"],
        "resources": [{"Fn::GetAtt": [alarm_id, "Arn"]}],
        "detail": {"state": {"value": ["ALARM"]}},
    }
    (target,) = rule["Targets"]
    assert render(target["Arn"]) == f"arn:aws:events:{REPLICA_REGION}:{ACCOUNT}:event-bus/default"
    # the standby's region hears that alarm, and only it, and starts the restore
    standby = failover_primary["templates"]["standby"]
    assert failover_primary["stacks"]["standby"].region == REPLICA_REGION
    there = _one(standby, "AWS::Events::Rule")
    assert [_text(arn) for arn in there["EventPattern"]["resources"]] == [
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:{alarm['AlarmName']}"
    ]
    assert there["EventPattern"]["detail"] == {"state": {"value": ["ALARM"]}}
    (machine_id,) = resources(standby, "AWS::StepFunctions::StateMachine")
    ((started,),) = [there["Targets"]]
    assert started["Arn"] == {"Ref": machine_id} and json.loads(started["Input"]) == {"suffix": ""}


def _text(value: Any) -> str:
    """A template value as text: `Fn::Join` of literals, each reference as `<its name>`."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(_text(part) for part in parts)
    if value == {"Ref": "AWS::Partition"}:
        return "aws"
    if isinstance(value, dict) and ("Ref" in value or "Fn::ImportValue" in value):
        return f"<{value.get('Ref') or value.get('Fn::ImportValue')}>"
    if isinstance(value, dict) and "Fn::GetAtt" in value:
        return "<{}>".format(".".join(value["Fn::GetAtt"]))
    raise AssertionError(f"unexpected template value {value!r}")


def _branches(standby: dict[str, Any]) -> list[dict[str, Any]]:
    """The restore's branches, one per table and bucket."""
    from infra.failover import restore_machine_name

    machine = _one(standby, "AWS::StepFunctions::StateMachine")
    assert machine["StateMachineName"] == restore_machine_name(stage_config("prod"))
    definition = json.loads(_text(machine["DefinitionString"]))
    (parallel,) = [s for s in definition["States"].values() if s["Type"] == "Parallel"]
    branches: list[dict[str, Any]] = parallel["Branches"]
    return branches


def _restored(branch: dict[str, Any]) -> tuple[str, str, str]:
    """(the name a branch restores to, the source it restores, its restore metadata)."""
    states = branch["States"]
    (newest,) = [s for n, s in states.items() if n.startswith("Newest copy of ")]
    (metadata,) = [s for n, s in states.items() if n.startswith("How ")]
    (restore,) = [n for n in states if n.startswith("Restore ")]
    assert newest["Resource"].endswith(":states:::aws-sdk:backup:listRecoveryPointsByBackupVault")
    assert newest["Arguments"]["BackupVaultName"] == "stratigos-prod-replica"
    assert "[Status = 'COMPLETED']" in newest["Assign"]["point"]  # the newest completed copy
    start = states[restore]
    assert start["Resource"].endswith(":states:::aws-sdk:backup:startRestoreJob")
    assert start["Arguments"]["IamRoleArn"] == f"arn:aws:iam::{ACCOUNT}:role/stratigos-prod-backup"
    assert start["Arguments"]["Metadata"] == "{% $metadata %}"
    return (
        restore.removeprefix("Restore "),
        newest["Arguments"]["ByResourceArn"],
        metadata["Assign"]["metadata"],
    )


def test_the_restore_brings_back_every_table_and_bucket_the_standby_reads(
    failover_primary: dict[str, Any], failover_standby: dict[str, Any]
) -> None:
    """What the restore writes is what the failover deployment reads: its tables by their
    names, its buckets by their replica names (with the replica key), from the newest
    completed copy in the replica vault of each table and bucket the backup plan covers."""
    restored = {
        name: (source, meta)
        for name, source, meta in map(
            _restored, _branches(failover_primary["templates"]["standby"])
        )
    }
    worker = function_by_name(failover_standby["templates"]["compute"], "stratigos-prod-worker")
    env = worker["Environment"]["Variables"]
    prefix = env["STRATIGOS_STORE_TABLE_PREFIX"]
    tables = [f"{prefix}{t}" for t in ("store", "checkpoints", "memories")]
    read = [
        env[f"STRATIGOS_STORE_{kind}S3_BUCKET"] for kind in ("", "DOCUMENTS_", "MODEL_ARTIFACTS_")
    ]
    buckets = [
        f"stratigos-prod-replica-{kind}-{ACCOUNT}"
        for kind in ("market", "documents", "results", "models")
    ]
    assert set(read) < set(buckets) and set(restored) == set(tables) | set(buckets)
    for table in tables:
        source, metadata = restored[table]
        assert source == f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{table}"
        assert (
            f"'TargetTableName': '{table}' & " in metadata and "'kmsMasterKeyArn': '<" in metadata
        )
    for bucket in buckets:
        source, metadata = restored[bucket]
        assert source.startswith("<") and "Bucket" in source  # the primary's bucket (cross-region)
        assert f"'DestinationBucketName': '{bucket}' & " in metadata
        assert "'NewBucket': 'true'" in metadata and "'EncryptionType': 'SSE-KMS'" in metadata
    granted = json.dumps(
        [render(identity_policies(t)) for t in failover_standby["templates"].values()]
    )
    for table in tables:  # the standby's functions read the tables restored
        assert f"table/{table}" in granted


def test_the_restores_role_holds_what_the_machine_calls_and_passes_only_the_backup_role(
    failover_primary: dict[str, Any],
) -> None:
    standby = failover_primary["templates"]["standby"]
    statements = [
        s
        for policy in resources(standby, "AWS::IAM::Policy").values()
        for s in policy["Properties"]["PolicyDocument"]["Statement"]
    ]
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert {a for a in actions if a.startswith("backup:")} == {
        "backup:ListRecoveryPointsByBackupVault",
        "backup:GetRecoveryPointRestoreMetadata",
        "backup:StartRestoreJob",
        "backup:DescribeRestoreJob",
    }
    assert not any(a.startswith(("dynamodb:", "s3:", "kms:")) for a in actions)
    (passing,) = [s for s in statements if "iam:PassRole" in as_list(s["Action"])]
    assert render(passing["Resource"]) == f"arn:aws:iam::{ACCOUNT}:role/stratigos-prod-backup"
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
    for statement in statements:
        if "backup:StartRestoreJob" in as_list(statement["Action"]):
            assert render(statement["Resource"]) == (
                f"arn:aws:backup:{REPLICA_REGION}:{ACCOUNT}:recovery-point:*"
            )
    machine = _one(standby, "AWS::StepFunctions::StateMachine")
    assert machine["TracingConfiguration"] == {"Enabled": True}
    assert machine["LoggingConfiguration"]["Level"] == "ALL"


def test_the_standby_restored_from_copies_reads_a_replicated_pepper(
    failover_primary: dict[str, Any],
) -> None:
    pepper = _one(failover_primary["templates"]["foundation"], "AWS::SecretsManager::Secret")
    assert pepper["ReplicaRegions"][0]["Region"] == REPLICA_REGION


def test_both_sides_pass_cdk_nag_and_cfn_lint(
    failover_primary: dict[str, Any], failover_standby: dict[str, Any]
) -> None:
    assert failover_primary["findings"] == [] and failover_standby["findings"] == []
    home = {
        k: v for k, v in failover_primary["templates"].items() if k not in ("standby", "replica")
    }
    assert problems(home, REGION) == []
    assert problems({"standby": failover_primary["templates"]["standby"]}, REPLICA_REGION) == []
    assert problems(failover_standby["templates"], REPLICA_REGION) == []


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"api_failover_domain": "api.elsewhere.org"}, f"must be a name in {ZONE}"),
        ({"api_failover_domain": FAILOVER_NAME, "replica_region": "none"}, "needs hosted_zone_id"),
        ({"api_failover_domain": FAILOVER_NAME, "standby_restore_after_minutes": "0"}, "1..1440"),
    ],
)
def test_a_failover_name_without_what_it_needs_is_refused(
    overrides: dict[str, str], message: str
) -> None:
    base = {k: v for k, v in PRODUCTION.items() if k != "replica_region"}
    with pytest.raises(ValueError, match=message):
        stage_config("prod", {**base, **overrides}).with_replica_region(REGION)


def test_with_replicas_the_standby_needs_no_restore() -> None:
    config = stage_config(
        "prod",
        {
            **PRODUCTION,
            **API_FAILOVER,
            "replica_region": REPLICA_REGION,
            "bucket_replication": "true",
            "table_replicas": "manual",
        },
    )
    assert config.api_failover_domain == FAILOVER_NAME and not restores_standby(config)
    assert restores_standby(stage_config("prod", {**PRODUCTION, **API_FAILOVER}))
