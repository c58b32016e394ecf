"""What an outside review of the AWS app found, held by the synthesized templates: every role
under the delivery's permissions boundary, CloudTrail able to use the trail's key (against AWS's
documented statements), SageMaker's jobs in the VPC, the API key pepper read only where keys are
checked, locked backups whose failures alarm, the alarms the founding documents ask for, and the
smaller findings (log groups on customer keys, the ingestion's deletes, the audit bucket's
versions, the Cognito web client, reserved concurrency, the edge's logs, the tick queue)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import PERMISSIONS_BOUNDARY
from infra.stacks.execution_policy import BOUNDARY_SERVICES
from tests.support.cdk_synth import ACCOUNT, OPTIONS, PREVIEW, REGION, STAGES, Synthesized
from tests.support.cfn_templates import (
    as_list,
    function_by_name,
    identity_policies,
    one,
    policies_of_role,
    render,
    resources,
    role_of,
    statements,
)
from tests.support.iam_eval import Request, allowed, applies

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

EVERY = (*STAGES, OPTIONS, PREVIEW)


def templates_of(synthesized: Synthesized, stage: str) -> dict[str, dict[str, Any]]:
    return synthesized.templates[stage]


def test_the_iam_reading_follows_the_documented_logic() -> None:
    """The plain reading the tests use (`tests/support/iam_eval.py`), on IAM's own examples."""
    allow = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::b/*"}
    deny = {
        "Effect": "Deny",
        "Action": "s3:*",
        "Resource": "*",
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }
    assert allowed([allow], Request("s3:getobject", "arn:aws:s3:::b/k"))
    assert not allowed([allow], Request("s3:PutObject", "arn:aws:s3:::b/k"))
    insecure = {"aws:SecureTransport": "false"}
    assert not allowed([allow, deny], Request("s3:GetObject", "arn:aws:s3:::b/k", insecure))
    vpc = {
        "Effect": "Allow",
        "Action": "sagemaker:CreateProcessingJob",
        "Resource": "*",
        "Condition": {
            "ForAllValues:StringEquals": {"sagemaker:VpcSubnets": ["a", "b"]},
            "Null": {"sagemaker:VpcSubnets": "false"},
        },
    }
    job = "sagemaker:CreateProcessingJob"
    assert allowed([vpc], Request(job, context={"sagemaker:VpcSubnets": ["a"]}))
    assert not allowed([vpc], Request(job, context={"sagemaker:VpcSubnets": ["a", "c"]}))
    assert not allowed([vpc], Request(job))  # ForAllValues alone would hold on nothing
    with pytest.raises(NotImplementedError):
        applies(
            {"Effect": "Allow", "Action": "*", "Condition": {"IpAddress": {"k": "v"}}},
            Request("s3:GetObject", context={"k": "v"}),
        )


# -- the permissions boundary --------------------------------------------------------------


@pytest.mark.parametrize("stage", EVERY)
def test_every_role_a_stage_creates_carries_the_boundary(
    synthesized: Synthesized, stage: str
) -> None:
    """Every role of every stack (CDK's own custom-resource roles included) is created with the
    delivery stack's boundary, and the boundary allows every action the role is given."""
    boundary = f"arn:aws:iam::{ACCOUNT}:policy/{PERMISSIONS_BOUNDARY}"
    count = 0
    for kind, template in templates_of(synthesized, stage).items():
        for role_id, role in resources(template, "AWS::IAM::Role").items():
            found = render(role["Properties"].get("PermissionsBoundary"))
            assert found == boundary, (stage, kind, role_id)
            count += 1
        for statement in statements(template):
            if statement["Effect"] != "Allow":
                continue
            for action in as_list(statement["Action"]):
                service = action.split(":")[0]
                assert service in BOUNDARY_SERVICES or action == "iam:PassRole", (kind, action)
    assert count > 10


# -- the audit trail's key ----------------------------------------------------------------

TRAIL = f"arn:aws:cloudtrail:{REGION}:{ACCOUNT}:trail/stratigos-audit"
DOCUMENTED = [
    {
        "Sid": "AllowCloudTrailToEncryptLogs",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:GenerateDataKey*",
        "Resource": "*",
        "Condition": {
            "StringEquals": {"aws:SourceArn": TRAIL},
            "StringLike": {
                "kms:EncryptionContext:aws:cloudtrail:arn": f"arn:aws:cloudtrail:*:{ACCOUNT}:trail/*"
            },
        },
    },
    {
        "Sid": "AllowCloudTrailToDescribeKey",
        "Effect": "Allow",
        "Principal": {"Service": "cloudtrail.amazonaws.com"},
        "Action": "kms:DescribeKey",
        "Resource": "*",
        "Condition": {"StringEquals": {"aws:SourceArn": TRAIL}},
    },
]
"""AWS CloudTrail User Guide, "Configure AWS KMS key policies for CloudTrail" ("Granting encrypt
permissions for trails" and "Enable CloudTrail to describe KMS key properties"), with this
account, region and trail written in: the statements a trail's key policy must hold."""


def test_cloudtrail_may_use_the_trail_s_key_as_aws_documents(synthesized: Synthesized) -> None:
    template = synthesized.templates["account"]["audit"]
    (key,) = resources(template, "AWS::KMS::Key").values()
    policy = [render(s) for s in key["Properties"]["KeyPolicy"]["Statement"]]
    for statement in DOCUMENTED:
        assert statement in policy, statement["Sid"]
    trail = one(template, "AWS::CloudTrail::Trail", TrailName="stratigos-audit")
    assert "KMSKeyId" in trail and trail["EnableLogFileValidation"] is True
    context = {"aws:SourceArn": TRAIL, "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL}
    cloudtrail = "cloudtrail.amazonaws.com"
    for action in ("kms:GenerateDataKey", "kms:DescribeKey"):
        assert allowed(policy, Request(action, "*", context, cloudtrail)), action
    elsewhere = context | {
        "kms:EncryptionContext:aws:cloudtrail:arn": TRAIL.replace(ACCOUNT, "999999999999")
    }
    assert not allowed(policy, Request("kms:GenerateDataKey", "*", elsewhere, cloudtrail))
    another = {"aws:SourceArn": TRAIL + "-other"}
    assert not allowed(policy, Request("kms:DescribeKey", "*", another, cloudtrail))
    assert not allowed(policy, Request("kms:Decrypt", "*", context, cloudtrail))
    bucket = one(template, "AWS::S3::Bucket", VersioningConfiguration={"Status": "Enabled"})
    assert bucket["LoggingConfiguration"]  # the audit bucket: versioned and access-logged


# -- SageMaker in the VPC -----------------------------------------------------------------


def create_job_statements(template: dict[str, Any], role: str) -> list[dict[str, Any]]:
    return [
        render(s)
        for s in policies_of_role(template, role)
        if "sagemaker:CreateProcessingJob" in as_list(s["Action"])
    ]


def test_production_s_sagemaker_jobs_run_in_the_isolated_subnets_only(
    synthesized: Synthesized,
) -> None:
    templates = templates_of(synthesized, "prod")
    network = templates["network"]
    compute = templates["compute"]
    isolated = {
        k
        for k, v in resources(network, "AWS::EC2::Subnet").items()
        if any(
            t["Value"] == "isolated"
            for t in v["Properties"]["Tags"]
            if t["Key"] == "aws-cdk:subnet-name"
        )
    }
    assert len(isolated) == 3
    group = one(network, "AWS::EC2::SecurityGroup", GroupName="stratigos-prod-sagemaker-jobs")
    assert [rule["ToPort"] for rule in group["SecurityGroupEgress"]] == [443]
    worker = function_by_name(compute, "stratigos-prod-worker")["Environment"]["Variables"]
    subnets = worker["STRATIGOS_COMPUTE_SAGEMAKER_SUBNETS"]
    assert sorted(json.dumps(subnets).count(s) for s in isolated) == [1, 1, 1]
    # every step of the pipeline in those subnets, with that group
    (pipeline,) = resources(compute, "AWS::SageMaker::Pipeline").values()
    body = json.dumps(pipeline["Properties"]["PipelineDefinition"])
    steps = body.count("NetworkConfig")
    assert steps == 5 and body.count("VpcConfig") == 5
    # the roles that create jobs may create them there only
    for role in (
        role_of(compute, "stratigos-prod-worker"),
        next(
            k
            for k, v in resources(compute, "AWS::IAM::Role").items()
            if v["Properties"].get("RoleName") == "stratigos-prod-pipeline"
        ),
    ):
        (statement,) = create_job_statements(compute, role)
        condition = statement["Condition"]
        assert condition["Null"] == {
            "sagemaker:VpcSubnets": "false",
            "sagemaker:VpcSecurityGroupIds": "false",
        }
        values = condition["ForAllValues:StringEquals"]
        assert len(values["sagemaker:VpcSubnets"]) == 3
        assert len(values["sagemaker:VpcSecurityGroupIds"]) == 1
        job = Request("sagemaker:CreateProcessingJob", statement["Resource"])
        assert not allowed([statement], job)  # outside any VPC
        public = {
            "sagemaker:VpcSubnets": ["subnet-public"],
            "sagemaker:VpcSecurityGroupIds": values["sagemaker:VpcSecurityGroupIds"],
        }
        assert not allowed([statement], Request(job.action, job.resource, public))


def test_without_a_vpc_the_jobs_run_where_sagemaker_puts_them(synthesized: Synthesized) -> None:
    """dev has no VPC (`network=off`): nothing names subnets, and no condition pretends to."""
    compute = templates_of(synthesized, "dev")["compute"]
    (pipeline,) = resources(compute, "AWS::SageMaker::Pipeline").values()
    assert "NetworkConfig" not in json.dumps(pipeline["Properties"]["PipelineDefinition"])
    worker = function_by_name(compute, "stratigos-dev-worker")["Environment"]["Variables"]
    assert "STRATIGOS_COMPUTE_SAGEMAKER_SUBNETS" not in worker


# -- the API key pepper -------------------------------------------------------------------


@pytest.mark.parametrize("stage", EVERY)
def test_only_the_functions_that_check_api_keys_read_the_pepper(
    synthesized: Synthesized, stage: str
) -> None:
    name = f"stratigos-{stage}"
    readers = set()
    for kind, template in templates_of(synthesized, stage).items():
        for policy in identity_policies(template).values():
            pepper = [
                s
                for s in policy["Properties"]["PolicyDocument"]["Statement"]
                if "secretsmanager:GetSecretValue" in as_list(s["Action"])
                and (
                    "ApiKeyPepper" in json.dumps(s["Resource"])
                    or "api-key-pepper" in json.dumps(s["Resource"])
                )
            ]
            if pepper:
                readers |= {(kind, r["Ref"]) for r in policy["Properties"].get("Roles", [])}
        for function in resources(template, "AWS::Lambda::Function").values():
            env = function["Properties"].get("Environment", {}).get("Variables", {})
            if "STRATIGOS_STORE_BACKEND" not in env:
                continue
            function_name = function["Properties"]["FunctionName"]
            checks = function_name in (f"{name}-api", f"{name}-ws")
            assert ("STRATIGOS_STORE_API_KEY_PEPPER_SECRET_ID" in env) is checks, function_name
            assert (env.get("STRATIGOS_STORE_API_KEY_CHECKS") == "false") is not checks
    api = templates_of(synthesized, stage)["api"]
    expected = {("api", role_of(api, f"{name}-api")), ("api", role_of(api, f"{name}-ws"))}
    assert readers == expected
    compute = templates_of(synthesized, stage)["compute"]
    (model,) = resources(compute, "AWS::SageMaker::Model").values()
    serving = model["Properties"]["PrimaryContainer"]["Environment"]
    (pipeline,) = resources(compute, "AWS::SageMaker::Pipeline").values()
    steps = json.dumps(pipeline["Properties"]["PipelineDefinition"])
    for env in (json.dumps(serving), steps):
        assert "API_KEY_PEPPER" not in env and "STRATIGOS_STORE_API_KEY_CHECKS" in env


# -- backups ------------------------------------------------------------------------------


@pytest.mark.parametrize(("stage", "kind"), [("prod", "recovery"), (OPTIONS, "replica")])
def test_backup_vaults_are_locked_and_refuse_deleting_recovery_points(
    synthesized: Synthesized, stage: str, kind: str
) -> None:
    template = templates_of(synthesized, stage)[kind]
    (vault,) = resources(template, "AWS::Backup::BackupVault").values()
    lock = vault["Properties"]["LockConfiguration"]
    assert lock["MinRetentionDays"] >= 1 and lock["MaxRetentionDays"] >= 35
    assert lock["ChangeableForDays"] == 3  # production's: compliance mode after three days
    policy = vault["Properties"]["AccessPolicy"]
    document = policy if isinstance(policy, dict) else json.loads(policy)
    point = f"arn:aws:backup:{REGION}:{ACCOUNT}:recovery-point:abc"
    for action in ("backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"):
        denied = [s for s in document["Statement"] if s["Effect"] == "Deny"]
        assert any(applies(s, Request(action, point)) for s in denied), action


def test_failed_backup_and_copy_jobs_reach_the_alarm_topic(synthesized: Synthesized) -> None:
    operations = templates_of(synthesized, "prod")["operations"]
    rule = one(operations, "AWS::Events::Rule", Name="stratigos-prod-backup-failures")
    pattern = rule["EventPattern"]
    assert pattern["source"] == ["aws.backup"]
    assert set(pattern["detail-type"]) == {"Backup Job State Change", "Copy Job State Change"}
    assert set(pattern["detail"]["state"]) == {"FAILED", "ABORTED", "EXPIRED"}
    (target,) = rule["Targets"]
    (topic_id,) = resources(operations, "AWS::SNS::Topic")
    assert target["Arn"] == {"Ref": topic_id} and "Arn" in target["DeadLetterConfig"]
    dev = templates_of(synthesized, "dev")["operations"]
    names = {r["Properties"].get("Name") for r in resources(dev, "AWS::Events::Rule").values()}
    assert "stratigos-dev-backup-failures" not in names  # no backups there


# -- alarms -------------------------------------------------------------------------------


def test_the_alarms_the_founding_documents_ask_for(synthesized: Synthesized) -> None:
    operations = templates_of(synthesized, "prod")["operations"]
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources(operations, "AWS::CloudWatch::Alarm").values()
    }
    text = {name: json.dumps(render(alarm)) for name, alarm in alarms.items()}
    p = "stratigos-prod-"
    assert "Invocation5XXErrors" in text[f"{p}estimates-errors"]
    assert "stratigos-prod-estimates" in text[f"{p}estimates-errors"]
    latency = alarms[f"{p}api-latency"]
    assert latency["ExtendedStatistic"] == "p95" and latency["EvaluationPeriods"] == 3
    assert latency["Dimensions"] == [
        {"Name": "ApiName", "Value": "stratigos-prod-api"},
        {"Name": "Stage", "Value": "prod"},
    ]
    throttles = text[f"{p}dynamodb-throttles"]
    for table in ("StoreTable", "CheckpointTable", "MemoryTable"):  # the foundation's exports
        assert throttles.count(table) == 2, table  # its reads and its writes
    for operation in ("Read", "Write"):
        assert throttles.count(f"{operation}ThrottleEvents") == 3
    assert text[f"{p}lambda-throttles"].count('"Throttles"') == 3
    pipeline = text[f"{p}pipeline-failures"]
    rules = {
        r["Properties"]["Name"]: (rule_id, r["Properties"])
        for rule_id, r in resources(operations, "AWS::Events::Rule").items()
    }
    for kind, status in (
        ("execution", "currentPipelineExecutionStatus"),
        ("step", "currentStepStatus"),
    ):
        rule_id, rule = rules[f"stratigos-prod-search-{kind}-failed"]
        assert rule["EventPattern"]["detail"][status] == ["Failed"]
        arns = json.dumps(rule["EventPattern"]["detail"]["pipelineArn"])
        assert arns.count("stratigos-prod-search") == 1
        assert json.dumps({"Ref": rule_id}) in pipeline  # the alarm counts this rule's matches
        assert "Arn" in rule["Targets"][0]["DeadLetterConfig"]
    _, keys = rules["stratigos-prod-key-changes"]
    assert keys["EventPattern"]["detail"]["eventName"] == ["ScheduleKeyDeletion", "DisableKey"]
    assert keys["EventPattern"]["detail-type"] == ["AWS API Call via CloudTrail"]
    (topic_id,) = resources(operations, "AWS::SNS::Topic")
    assert keys["Targets"][0]["Arn"] == {"Ref": topic_id}


# -- the smaller findings -----------------------------------------------------------------


@pytest.mark.parametrize("stage", EVERY)
def test_every_log_group_is_encrypted_with_a_customer_key(
    synthesized: Synthesized, stage: str
) -> None:
    found = 0
    for kind, template in templates_of(synthesized, stage).items():
        for group_id, group in resources(template, "AWS::Logs::LogGroup").items():
            assert "KmsKeyId" in group["Properties"], (kind, group_id)
            found += 1
    assert found >= 8
    foundation = templates_of(synthesized, stage)["foundation"]
    (key,) = resources(foundation, "AWS::KMS::Key").values()
    logs = [
        s
        for s in key["Properties"]["KeyPolicy"]["Statement"]
        if s.get("Sid") == "AllowCloudWatchLogsOfTheAccount"
    ]
    assert len(logs) == 1
    (statement,) = [render(s) for s in logs]
    ours = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/stratigos/{stage}/api"
    context = {"kms:EncryptionContext:aws:logs:arn": ours}
    service = f"logs.{REGION}.amazonaws.com"
    assert allowed([statement], Request("kms:GenerateDataKey", "*", context, service))
    elsewhere = {"kms:EncryptionContext:aws:logs:arn": ours.replace(ACCOUNT, "999999999999")}
    assert not allowed([statement], Request("kms:GenerateDataKey", "*", elsewhere, service))


@pytest.mark.parametrize("stage", STAGES)
def test_the_ingestion_never_deletes_a_version(synthesized: Synthesized, stage: str) -> None:
    data = templates_of(synthesized, stage)["data"]
    granted = [
        render(s) for s in policies_of_role(data, role_of(data, f"stratigos-{stage}-ingest"))
    ]
    version = "s3:DeleteObjectVersion"
    for statement in granted:
        for action in as_list(statement["Action"]):
            assert not (action.endswith("*") and version.startswith(action[:-1])), action
            assert action != version
    deletes = [s for s in granted if "s3:DeleteObject" in as_list(s["Action"])]
    assert len(deletes) == 1 and json.dumps(deletes[0]["Resource"]).endswith('/versions/*"]]}')


@pytest.mark.parametrize("stage", EVERY)
def test_the_web_client_uses_the_code_grant_and_its_own_scopes(
    synthesized: Synthesized, stage: str
) -> None:
    api = templates_of(synthesized, stage)["api"]
    (client,) = resources(api, "AWS::Cognito::UserPoolClient").values()
    properties = client["Properties"]
    assert properties["AllowedOAuthFlows"] == ["code"]
    assert properties["AllowedOAuthFlowsUserPoolClient"] is True
    assert properties["AllowedOAuthScopes"] == ["openid", "email", "profile"]
    assert properties["GenerateSecret"] is False
    assert properties["SupportedIdentityProviders"] == ["COGNITO"]
    callbacks = json.dumps(render(properties["CallbackURLs"]))
    assert "example.com" not in callbacks and properties["CallbackURLs"] == properties["LogoutURLs"]
    config = synthesized.stages[stage].config
    if config.domain_name:
        assert properties["CallbackURLs"] == [f"https://{config.domain_name}/"]
    else:
        assert callbacks.count("execute-api") == 1 and f"/{config.stage}/" in callbacks


@pytest.mark.parametrize("stage", STAGES)
def test_api_and_websocket_functions_have_reserved_concurrency(
    synthesized: Synthesized, stage: str
) -> None:
    api = templates_of(synthesized, stage)["api"]
    config = synthesized.stages[stage].config
    for name, reserved in (
        ("api", config.api_reserved_concurrency),
        ("ws", config.ws_reserved_concurrency),
    ):
        function = function_by_name(api, f"stratigos-{stage}-{name}")
        assert function["ReservedConcurrentExecutions"] == reserved >= 1


def test_production_keeps_its_edge_logs(synthesized: Synthesized) -> None:
    edge = templates_of(synthesized, "prod")["edge"]
    logging = [
        r
        for r in resources(edge, "AWS::S3::Bucket").values()
        if r["Properties"].get("OwnershipControls", {}).get("Rules", [{}])[0].get("ObjectOwnership")
        == "ObjectWriter"
    ]
    assert [r["DeletionPolicy"] for r in logging] == ["Retain"]


@pytest.mark.parametrize("stage", STAGES)
def test_a_tick_s_visibility_is_six_times_the_worker_s_timeout(
    synthesized: Synthesized, stage: str
) -> None:
    compute = templates_of(synthesized, stage)["compute"]
    timeout = function_by_name(compute, f"stratigos-{stage}-worker")["Timeout"]
    for queue in (f"stratigos-{stage}-schedule-ticks", f"stratigos-{stage}-jobs"):
        found = one(compute, "AWS::SQS::Queue", QueueName=queue)
        assert found["VisibilityTimeout"] >= 6 * timeout, queue
        assert found["MessageRetentionPeriod"] > 3 * found["VisibilityTimeout"], queue
