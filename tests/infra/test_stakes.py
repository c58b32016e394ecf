"""The defaults a platform that places trades needs, asserted on the synthesized templates: alarms
that reach someone (and a budget whose topic key lets AWS Budgets publish), MFA, TLS 1.2, three
zones, backups copied to a second region hourly, dead-letter queues behind every asynchronous
target, WAF logs, nothing retained by a pull request's stacks, and releases that roll back."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.support.cdk_synth import PREVIEW, PRODUCTION, REPLICA_REGION, STAGES, Synthesized
from tests.support.cfn_templates import as_list, one, render, resources

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

ALL = (*STAGES, PREVIEW)


def everything(synthesized: Synthesized, stage: str) -> dict[str, Any]:
    """Every resource of the stage's templates by logical id (ids are unique per stage here)."""
    merged: dict[str, Any] = {}
    for template in synthesized.templates[stage].values():
        merged |= template["Resources"]
    return merged


def test_production_alarms_reach_a_subscribed_address_and_slack(synthesized: Synthesized) -> None:
    raw = synthesized.templates["prod"]["operations"]
    (topic_id,) = resources(raw, "AWS::SNS::Topic")
    (subscription,) = (s["Properties"] for s in resources(raw, "AWS::SNS::Subscription").values())
    assert subscription == {
        "Protocol": "email",
        "TopicArn": {"Ref": topic_id},
        "Endpoint": PRODUCTION["alarm_email"],
    }
    slack = one(raw, "AWS::Chatbot::SlackChannelConfiguration")
    assert slack["SnsTopicArns"] == [{"Ref": topic_id}]


def test_production_without_a_refresh_says_so_and_schedules_none(synthesized: Synthesized) -> None:
    """Production here says `market_data_refresh=none` (its stand-ins): the synthesis warns of
    it (what `infra.app.main` prints) and schedules no refresh; `options` refreshes from Alpaca
    and is not warned."""
    assert PRODUCTION["market_data_refresh"] == "none"
    (warning,) = (w for w in synthesized.stages["prod"].warnings if "market_data" in w)
    assert warning.startswith("stratigos-prod: market_data_refresh=none: nothing refreshes")
    assert not any("market_data" in w for w in synthesized.stages["options"].warnings)
    for stage, refreshes in (("prod", False), ("options", True)):
        compute = synthesized.templates[stage]["compute"]
        schedules = resources(compute, "AWS::Scheduler::Schedule").values()
        names = [s["Properties"]["Name"] for s in schedules]
        assert any(n.endswith("-refresh-market-data") for n in names) is refreshes, stage


@pytest.mark.parametrize("stage", ["prod", "options"])
def test_every_publisher_of_the_alarm_topic_may_use_its_key(
    synthesized: Synthesized, stage: str
) -> None:
    """The topic is encrypted with the stage's key: CloudWatch alarms and AWS Budgets (the
    budget's subscriber) each need the key's policy to let them encrypt, or their messages are
    dropped; EventBridge likewise for the encrypted dead-letter queues."""
    operations = synthesized.templates[stage]["operations"]
    ((topic_id, topic),) = resources(operations, "AWS::SNS::Topic").items()
    assert "Fn::ImportValue" in json.dumps(topic["Properties"]["KmsMasterKeyId"])
    publishers = {"cloudwatch.amazonaws.com"}  # the alarms' actions
    for policy in resources(operations, "AWS::SNS::TopicPolicy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            if "sns:Publish" in as_list(statement["Action"]) and "Service" in statement.get(
                "Principal", {}
            ):
                publishers |= set(as_list(statement["Principal"]["Service"]))
    budget = one(operations, "AWS::Budgets::Budget")
    for notification in budget["NotificationsWithSubscribers"]:
        assert notification["Subscribers"] == [
            {"SubscriptionType": "SNS", "Address": {"Ref": topic_id}}
        ]
    assert "budgets.amazonaws.com" in publishers
    (key,) = resources(synthesized.templates[stage]["foundation"], "AWS::KMS::Key").values()
    allowed = {}
    for statement in key["Properties"]["KeyPolicy"]["Statement"]:
        for service in as_list(statement.get("Principal", {}).get("Service", [])):
            allowed[service] = statement
    for service in (*publishers, "events.amazonaws.com"):
        statement = allowed[service]
        assert {"kms:Decrypt", "kms:GenerateDataKey"} <= set(as_list(statement["Action"]))
        assert statement["Condition"]["StringEquals"]["aws:SourceAccount"]


@pytest.mark.parametrize("stage", STAGES)
def test_cognito_requires_mfa_where_the_stakes_are(synthesized: Synthesized, stage: str) -> None:
    pool = one(synthesized.templates[stage]["api"], "AWS::Cognito::UserPool")
    assert pool["MfaConfiguration"] == ("OPTIONAL" if stage == "dev" else "ON")
    assert pool["EnabledMfas"] == ["SOFTWARE_TOKEN_MFA"]


@pytest.mark.parametrize("stage", STAGES)
def test_tls_1_2_at_least(synthesized: Synthesized, stage: str) -> None:
    api = one(synthesized.templates[stage]["api"], "AWS::ApiGateway::RestApi")
    assert api["SecurityPolicy"] == "TLS_1_2"
    if stage == "prod":  # its custom domain's certificate allows a TLS 1.2 floor
        edge = synthesized.templates[stage]["edge"]
        viewer = one(edge, "AWS::CloudFront::Distribution")["DistributionConfig"][
            "ViewerCertificate"
        ]
        assert viewer["MinimumProtocolVersion"] == "TLSv1.2_2021"
        assert (
            one(edge, "AWS::CertificateManager::Certificate")["DomainName"]
            == PRODUCTION["domain_name"]
        )


def test_production_spans_three_availability_zones(synthesized: Synthesized) -> None:
    network = synthesized.templates["prod"]["network"]
    subnets = [s["Properties"] for s in resources(network, "AWS::EC2::Subnet").values()]
    assert len({json.dumps(s["AvailabilityZone"]) for s in subnets}) == 3
    assert len(resources(network, "AWS::EC2::NatGateway")) == 3


def test_production_copies_hourly_and_daily_backups_to_a_second_region(
    synthesized: Synthesized,
) -> None:
    plan = one(synthesized.templates["prod"]["recovery"], "AWS::Backup::BackupPlan")
    rules = {rule["RuleName"]: rule for rule in plan["BackupPlan"]["BackupPlanRule"]}
    assert rules["hourly"]["ScheduleExpression"] == "cron(0 * * * ? *)"  # RPO: one hour
    for rule in rules.values():
        (copy,) = rule["CopyActions"]
        target = json.dumps(render(copy["DestinationBackupVaultArn"]))
        assert f":{REPLICA_REGION}:" in target and "backup-vault:stratigos-prod-replica" in target
    vault = one(synthesized.templates["prod"]["replica"], "AWS::Backup::BackupVault")
    assert vault["BackupVaultName"] == "stratigos-prod-replica"


@pytest.mark.parametrize("stage", ALL)
def test_every_asynchronous_target_has_a_dead_letter_queue(
    synthesized: Synthesized, stage: str
) -> None:
    merged = everything(synthesized, stage)
    rules = [r["Properties"] for r in merged.values() if r["Type"] == "AWS::Events::Rule"]
    assert len(rules) >= 4  # cleanup, stuck-run check, SageMaker failures, ingestion
    invoked = set()
    for rule in rules:
        for target in rule["Targets"]:
            assert "Arn" in target["DeadLetterConfig"], rule["Name"]
            assert target["RetryPolicy"]["MaximumRetryAttempts"] == 2
            arn = target["Arn"]
            if (
                "Fn::GetAtt" in arn
                and merged[arn["Fn::GetAtt"][0]]["Type"] == "AWS::Lambda::Function"
            ):
                invoked.add(arn["Fn::GetAtt"][0])
    assert len(invoked) == 3  # the cleanup, the ingestion, the worker (pipeline executions' ends)
    for function in invoked:  # Lambda's own retries of the invocation end in a queue too
        assert "TargetArn" in merged[function]["Properties"]["DeadLetterConfig"], function
        (config,) = (
            r["Properties"]
            for r in merged.values()
            if r["Type"] == "AWS::Lambda::EventInvokeConfig"
            and r["Properties"]["FunctionName"] == {"Ref": function}
        )
        assert config["MaximumRetryAttempts"] == 2
    queues = {
        r["Properties"].get("QueueName") for r in merged.values() if r["Type"] == "AWS::SQS::Queue"
    }
    name = synthesized.stages[stage].config.prefix
    assert {f"{name}-events-dlq", f"{name}-ingest-dlq", f"{name}-worker-events-dlq"} <= queues


ASYNC_INVOKERS = {
    "events.amazonaws.com",
    "scheduler.amazonaws.com",
    "s3.amazonaws.com",
    "sns.amazonaws.com",
    "logs.amazonaws.com",
    "ses.amazonaws.com",
    "iot.amazonaws.com",
}
"""Services that invoke a Lambda function asynchronously (Lambda queues the event and retries it:
without a dead-letter queue a failed event is gone)."""


@pytest.mark.parametrize("stage", [*ALL, "options"])
def test_no_asynchronous_path_loses_a_failed_message(synthesized: Synthesized, stage: str) -> None:
    """Beyond EventBridge rules: every function a service invokes asynchronously has its own
    dead-letter queue, every schedule of EventBridge Scheduler dead-letters what it cannot
    deliver, and every queue a function consumes redrives what keeps failing."""
    merged = everything(synthesized, stage)
    invoked = [
        permission["Properties"]["FunctionName"]
        for permission in (r for r in merged.values() if r["Type"] == "AWS::Lambda::Permission")
        if permission["Properties"]["Principal"] in ASYNC_INVOKERS
    ]
    assert invoked  # the cleanup and the ingestion at least
    for reference in invoked:
        function_id = reference.get("Ref") or reference["Fn::GetAtt"][0]
        function = merged[function_id]
        assert function["Type"] == "AWS::Lambda::Function"
        assert "TargetArn" in function["Properties"]["DeadLetterConfig"], function_id
    for subscription in (r for r in merged.values() if r["Type"] == "AWS::SNS::Subscription"):
        assert subscription["Properties"]["Protocol"] in ("email", "https"), subscription
    schedules = [
        r["Properties"] for r in merged.values() if r["Type"] == "AWS::Scheduler::Schedule"
    ]
    assert schedules  # the schedule tick at least
    for schedule in schedules:
        target = schedule["Target"]
        assert "Arn" in target["DeadLetterConfig"], schedule["Name"]
        assert target["RetryPolicy"]["MaximumRetryAttempts"] >= 1
    mappings = [
        r["Properties"] for r in merged.values() if r["Type"] == "AWS::Lambda::EventSourceMapping"
    ]
    assert mappings  # the job queue and the schedule ticks at least
    for mapping in mappings:
        (queue_id, attribute) = mapping["EventSourceArn"]["Fn::GetAtt"]
        queue = merged[queue_id]
        assert (queue["Type"], attribute) == ("AWS::SQS::Queue", "Arn")
        redrive = queue["Properties"]["RedrivePolicy"]
        (dead_letters_id, _) = redrive["deadLetterTargetArn"]["Fn::GetAtt"]
        assert merged[dead_letters_id]["Type"] == "AWS::SQS::Queue"
        assert 1 <= redrive["maxReceiveCount"] <= 5


@pytest.mark.parametrize("stage", [*STAGES, "options"])
def test_both_web_acls_log_every_request_without_credentials(
    synthesized: Synthesized, stage: str
) -> None:
    prefix = synthesized.stages[stage].config.prefix
    acls = 0
    for template in synthesized.templates[stage].values():
        for acl_id, acl in resources(template, "AWS::WAFv2::WebACL").items():
            acls += 1
            (logging,) = (
                r["Properties"]
                for r in resources(template, "AWS::WAFv2::LoggingConfiguration").values()
                if r["Properties"]["ResourceArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
            )
            name = f"aws-waf-logs-{prefix}-{acl['Properties']['Name'].removeprefix(prefix + '-')}"
            assert json.dumps(logging["LogDestinationConfigs"]).count(name) == 1
            one(template, "AWS::Logs::LogGroup", LogGroupName=name)
            redacted = {f["SingleHeader"]["Name"] for f in logging["RedactedFields"]}
            assert redacted == {"authorization", "x-api-key"}
    assert acls == (1 if stage == "dev" else 2)  # the REST API's, and the distribution's


def test_blocked_countries_are_refused_first(synthesized: Synthesized) -> None:
    from aws_cdk import App, Stack
    from aws_cdk import aws_wafv2 as wafv2
    from aws_cdk.assertions import Template

    from infra.config import stage_config
    from infra.stacks.waf import visibility, web_acl_rules

    config = stage_config("prod", {"blocked_countries": "KP,IR"})
    stack = Stack(App(), "Rules")
    wafv2.CfnWebACL(
        stack,
        "Acl",
        scope="REGIONAL",
        default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        rules=web_acl_rules(config),
        visibility_config=visibility(config, "api"),
    )
    (acl,) = Template.from_stack(stack).find_resources("AWS::WAFv2::WebACL").values()
    rules = acl["Properties"]["Rules"]
    assert rules[0]["Statement"]["GeoMatchStatement"]["CountryCodes"] == ["KP", "IR"]
    assert rules[0]["Action"] == {"Block": {}}
    assert [r["Priority"] for r in rules] == [0, 1, 2, 3]
    assert web_acl_rules(stage_config("prod"))[0].name == "RateLimitPerIp"


def test_a_pull_request_s_stacks_retain_nothing(synthesized: Synthesized) -> None:
    for kind, template in synthesized.templates[PREVIEW].items():
        for logical_id, resource in template["Resources"].items():
            for policy in ("DeletionPolicy", "UpdateReplacePolicy"):
                assert resource.get(policy, "Delete") == "Delete", (kind, logical_id, policy)
    for stage in ALL:  # API Gateway's logging role is the account's (infra.stacks.delivery)
        for template in synthesized.templates[stage].values():
            assert not resources(template, "AWS::ApiGateway::Account")
            for api in resources(template, "AWS::ApiGateway::RestApi").values():
                assert "CloudWatchRoleArn" not in json.dumps(api)
    delivery = synthesized.templates["account"]["delivery"]
    account = one(delivery, "AWS::ApiGateway::Account")
    assert "ApiGatewayLogging" in json.dumps(account["CloudWatchRoleArn"])


@pytest.mark.parametrize("stage", ALL)
def test_an_api_release_is_smoke_tested_and_rolls_back(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["api"]
    prefix = synthesized.stages[stage].config.prefix
    group = one(raw, "AWS::CodeDeploy::DeploymentGroup")
    canary = stage in ("staging", "prod")
    assert group["DeploymentConfigName"] == (
        "CodeDeployDefault.LambdaCanary10Percent5Minutes"
        if canary
        else "CodeDeployDefault.LambdaAllAtOnce"
    )
    assert set(group["AutoRollbackConfiguration"]["Events"]) == {
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_REQUEST",
        "DEPLOYMENT_STOP_ON_ALARM",
    }
    alarms = {
        raw["Resources"][a["Name"]["Ref"]]["Properties"]["AlarmName"]
        for a in group["AlarmConfiguration"]["Alarms"]
    }
    assert group["AlarmConfiguration"]["Enabled"] is True
    assert alarms == {f"{prefix}-api-release-errors", f"{prefix}-api-release-5xx"}
    (alias,) = (r for r in resources(raw, "AWS::Lambda::Alias").values())
    hook = alias["UpdatePolicy"]["CodeDeployLambdaAliasUpdate"]["BeforeAllowTrafficHook"]
    hook_function = raw["Resources"][hook["Ref"]]["Properties"]
    assert hook_function["FunctionName"] == f"{prefix}-api-smoke"
    assert hook_function["Handler"] == "smoke.handler"
    assert hook_function["Runtime"] == "python3.14"
