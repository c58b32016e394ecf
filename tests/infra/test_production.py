"""The production shape of the founding documents, asserted on the synthesized templates: the
private network, concurrency, market-data ingestion and refresh, metrics and cost alarms, the
edge, recovery and audit, and the delivery roles (one synthesis per session)."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from infra.config import stage_config
from tests.support.cdk_synth import OPTIONS, SLACK, STAGES, Synthesized
from tests.support.cfn_templates import (
    as_list,
    function_by_name,
    identity_policies,
    one,
    resources,
    statements,
)

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

NETWORKED = ("staging", "prod")


def functions(synthesized: Synthesized, stage: str) -> dict[str, dict[str, Any]]:
    """Every function of the stage's own (container images) by its name's last part."""
    found = {}
    for template in synthesized.templates[stage].values():
        for fn in resources(template, "AWS::Lambda::Function").values():
            props = fn["Properties"]
            if props.get("PackageType") == "Image":
                found[props["FunctionName"].removeprefix(f"stratigos-{stage}-")] = props
    return found


# -- network -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", NETWORKED)
def test_the_vpc_has_isolated_and_nat_subnets_and_the_endpoints(
    synthesized: Synthesized, stage: str
) -> None:
    from infra.stacks.network import INTERFACE_ENDPOINTS  # the CDK: here, not at collection

    raw = synthesized.templates[stage]["network"]
    config = stage_config(stage)
    subnets = [s["Properties"] for s in resources(raw, "AWS::EC2::Subnet").values()]
    kinds = [
        next(t["Value"] for t in s["Tags"] if t["Key"] == "aws-cdk:subnet-type") for s in subnets
    ]
    assert sorted(kinds) == sorted(["Public", "Private", "Isolated"] * config.max_azs)
    assert len({json.dumps(s["AvailabilityZone"]) for s in subnets}) == config.max_azs
    assert len(resources(raw, "AWS::EC2::NatGateway")) == config.nat_gateways
    endpoints = [e["Properties"] for e in resources(raw, "AWS::EC2::VPCEndpoint").values()]
    gateways = {
        json.dumps(e["ServiceName"]) for e in endpoints if e["VpcEndpointType"] == "Gateway"
    }
    assert any(".s3" in g for g in gateways) and any(".dynamodb" in g for g in gateways)
    interfaces = [e for e in endpoints if e["VpcEndpointType"] == "Interface"]
    assert len(interfaces) == len(INTERFACE_ENDPOINTS) + 1  # and X-Ray: tracing is on
    names = " ".join(json.dumps(e["ServiceName"]) for e in interfaces)
    for service in ("bedrock-runtime", "sqs", "secretsmanager", "logs", "sts", "xray"):
        assert f".{service}" in names
    assert all(e["PrivateDnsEnabled"] for e in interfaces)
    flow = one(raw, "AWS::EC2::FlowLog", TrafficType="REJECT")
    assert flow["LogDestinationType"] == "cloud-watch-logs"


@pytest.mark.parametrize("stage", NETWORKED)
def test_security_groups_allow_https_out_only_and_endpoints_from_functions(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["network"]
    groups = {k: v["Properties"] for k, v in resources(raw, "AWS::EC2::SecurityGroup").items()}
    for name, props in groups.items():
        assert "SecurityGroupIngress" not in props or props["SecurityGroupIngress"] == []
        if "Function" in name:
            assert props["SecurityGroupEgress"] == [
                {"CidrIp": "0.0.0.0/0", "Description": "HTTPS only", "FromPort": 443,
                 "IpProtocol": "tcp", "ToPort": 443}
            ]  # fmt: skip
    ingress = [i["Properties"] for i in resources(raw, "AWS::EC2::SecurityGroupIngress").values()]
    assert len(ingress) == 3  # the two function groups and the SageMaker jobs' group
    for rule in ingress:
        assert (rule["FromPort"], rule["ToPort"]) == (443, 443)
        assert rule["SourceSecurityGroupId"]["Fn::GetAtt"][0].startswith(
            ("Isolated", "Egress", "Jobs")
        )


@pytest.mark.parametrize("stage", STAGES)
def test_functions_sit_where_their_traffic_allows(synthesized: Synthesized, stage: str) -> None:
    found = functions(synthesized, stage)
    if stage == "dev":  # the cheap stack: no VPC at all
        assert "network" not in synthesized.templates[stage]
        assert all("VpcConfig" not in props for props in found.values())
        return
    placement = {name: json.dumps(props["VpcConfig"]) for name, props in found.items()}
    for name in ("api", "worker", "ws"):  # brokers, webhooks, SES, Cognito: through NAT
        assert "EgressFunctionGroup" in placement[name] and "Vpcprivate" in placement[name], name
    for name in ("cleanup", "ingest"):  # AWS only, through the endpoints
        assert "IsolatedFunctionGroup" in placement[name] and "Vpcisolated" in placement[name]


@pytest.mark.parametrize("stage", STAGES)
def test_reserved_concurrency(synthesized: Synthesized, stage: str) -> None:
    found = functions(synthesized, stage)
    config = stage_config(stage)
    assert found["worker"].get("ReservedConcurrentExecutions") == config.worker_reserved_concurrency
    assert found["cleanup"]["ReservedConcurrentExecutions"] == 1
    assert found["ingest"]["ReservedConcurrentExecutions"] == 1  # one version written at a time


# -- market data ---------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_every_function_that_reads_prices_is_given_the_bucket(
    synthesized: Synthesized, stage: str
) -> None:
    found = functions(synthesized, stage)
    for name in ("api", "worker", "ingest"):
        env = found[name]["Environment"]["Variables"]
        assert env["STRATIGOS_MARKET_DATA"] == "ingested"
        location = json.dumps(env["STRATIGOS_MARKET_DATA_DIR"])
        assert "MarketDataBucket" in location and "/versions" in location


@pytest.mark.parametrize("stage", STAGES)
def test_a_file_under_incoming_triggers_the_ingestion(synthesized: Synthesized, stage: str) -> None:
    foundation = synthesized.templates[stage]["foundation"]
    bucket = next(
        v for k, v in resources(foundation, "AWS::S3::Bucket").items() if k.startswith("MarketData")
    )
    notifications = resources(foundation, "Custom::S3BucketNotifications")
    (config,) = [n["Properties"]["NotificationConfiguration"] for n in notifications.values()]
    assert config == {"EventBridgeConfiguration": {}}
    assert bucket["Properties"]["VersioningConfiguration"] == {"Status": "Enabled"}
    raw = synthesized.templates[stage]["data"]
    rule = one(raw, "AWS::Events::Rule", Name=f"stratigos-{stage}-ingest-market-data")
    assert rule["EventPattern"]["detail-type"] == ["Object Created"]
    assert rule["EventPattern"]["detail"]["object"] == {"key": [{"prefix": "incoming/"}]}
    fn = function_by_name(raw, f"stratigos-{stage}-ingest")
    assert fn["ImageConfig"]["Command"] == ["api.market_data_ingest.handler"]
    assert rule["Targets"][0]["Arn"]["Fn::GetAtt"][0].startswith("Ingest")
    # it reads incoming/ and writes versions/ and review/ only
    text = json.dumps(identity_policies(raw))
    for prefix in ("/incoming/*", "/versions/*", "/review/*"):
        assert prefix in text
    assert '"/*"' not in text


def test_the_refresh_from_alpaca_runs_after_each_trading_day_through_the_ingestion(
    synthesized: Synthesized,
) -> None:
    """Where the stage refreshes from Alpaca (the options instance), the schedule wakes the
    worker after each close, and the worker may only put its file under incoming/ (where the
    ingestion function takes it, the one writer of versions) and its record beside them."""
    from infra.stacks.common import REFRESH_RECORD
    from services.market_data.versions import REFRESH

    assert REFRESH_RECORD == REFRESH
    raw = synthesized.templates[OPTIONS]["compute"]
    name = f"stratigos-{OPTIONS}-refresh-market-data"
    schedule = one(raw, "AWS::Scheduler::Schedule", Name=name)
    assert schedule["ScheduleExpression"] == "cron(20 16 ? * MON-FRI *)"
    assert schedule["ScheduleExpressionTimezone"] == "America/New_York"
    assert json.loads(schedule["Target"]["Input"]) == {"kind": "market_data_refresh"}
    env = function_by_name(raw, f"stratigos-{OPTIONS}-worker")["Environment"]["Variables"]
    assert env["STRATIGOS_MARKET_DATA"] == "ingested"
    assert env["STRATIGOS_MARKET_DATA_REFRESH"] == "alpaca"
    assert env["STRATIGOS_ALPACA_OWNER"] == "alice"
    incoming = json.dumps(env["STRATIGOS_MARKET_DATA_INCOMING"])
    assert incoming.startswith('{"Fn::Join"') and incoming.endswith('/incoming"]]}')
    writes = [
        json.dumps(stmt["Resource"])
        for stmt in statements(raw)
        if "s3:PutObject" in as_list(stmt["Action"])
        and "MarketDataBucket" in json.dumps(stmt["Resource"])
    ]
    assert sorted(re.findall(r'"/([^"]+)"', w)[-1] for w in writes) == [
        "incoming/*",
        "versions/refresh.json",
    ]


@pytest.mark.parametrize("stage", STAGES)
def test_without_a_refresh_source_there_is_no_refresh_schedule(
    synthesized: Synthesized, stage: str
) -> None:
    """A stage whose market data comes from files alone (the default) schedules no refresh,
    which would have nothing to pull; its data stack still ingests every file."""
    raw = synthesized.templates[stage]["compute"]
    names = {s["Properties"]["Name"] for s in resources(raw, "AWS::Scheduler::Schedule").values()}
    assert names == {f"stratigos-{stage}-fire-due-schedules"}
    env = function_by_name(raw, f"stratigos-{stage}-worker")["Environment"]["Variables"]
    assert "STRATIGOS_MARKET_DATA_REFRESH" not in env
    assert "data" in synthesized.templates[stage]


# -- metrics, alarms, cost -----------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_functions_emit_emf_in_the_stage_namespace(synthesized: Synthesized, stage: str) -> None:
    for props in functions(synthesized, stage).values():
        env = props["Environment"]["Variables"]
        assert env["STRATIGOS_METRICS"] == "emf"
        assert env["STRATIGOS_METRICS_NAMESPACE"] == f"Stratigos/{stage}"


@pytest.mark.parametrize("stage", STAGES)
def test_business_alarms_dashboard_stuck_check_and_slack(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["operations"]
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources(raw, "AWS::CloudWatch::Alarm").values()
    }
    stuck = alarms[f"stratigos-{stage}-stuck-runs"]
    assert (stuck["Namespace"], stuck["MetricName"]) == (f"Stratigos/{stage}", "StuckRuns")
    assert stuck["Threshold"] == 1
    for name, metric in (("model-cost-anomaly", "ModelCost"), ("token-spike", "InputTokens")):
        alarm = alarms[f"stratigos-{stage}-{name}"]
        assert alarm["ComparisonOperator"] == "GreaterThanUpperThreshold"
        assert any("ANOMALY_DETECTION_BAND" in m.get("Expression", "") for m in alarm["Metrics"])
        assert metric in json.dumps(alarm["Metrics"])
    dashboard = one(raw, "AWS::CloudWatch::Dashboard", DashboardName=f"stratigos-{stage}")
    body = json.dumps(dashboard["DashboardBody"])
    for metric in ("OptimizationsRun", "TrialsEvaluated", "OrdersRejected", "ModelCost"):
        assert metric in body
    check = one(raw, "AWS::Events::Rule", Name=f"stratigos-{stage}-stuck-run-check")
    assert check["ScheduleExpression"] == "rate(15 minutes)"
    assert json.loads(check["Targets"][0]["Input"]) == {"retention": False}
    slack = one(raw, "AWS::Chatbot::SlackChannelConfiguration")
    assert slack["SlackWorkspaceId"] == SLACK["slack_workspace_id"]
    assert len(slack["SnsTopicArns"]) == 1


def test_production_has_a_monthly_budget_that_tells_the_topic(synthesized: Synthesized) -> None:
    raw = synthesized.templates["prod"]["operations"]
    budget = one(raw, "AWS::Budgets::Budget")
    assert budget["Budget"]["BudgetLimit"] == {"Amount": 1000, "Unit": "USD"}
    kinds = {
        n["Notification"]["NotificationType"]: n for n in budget["NotificationsWithSubscribers"]
    }
    assert kinds["ACTUAL"]["Notification"]["Threshold"] == 80
    assert kinds["FORECASTED"]["Notification"]["Threshold"] == 100
    policy = json.dumps(resources(raw, "AWS::SNS::TopicPolicy"))
    assert "budgets.amazonaws.com" in policy
    assert resources(synthesized.templates["dev"]["operations"], "AWS::Budgets::Budget") == {}


# -- edge ----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", NETWORKED)
def test_the_distribution_serves_the_ui_from_a_private_bucket_and_streams_the_api(
    synthesized: Synthesized, stage: str
) -> None:
    from infra.stacks.edge import IMMUTABLE_PATHS  # aws_cdk: imported once synthesized

    raw = synthesized.templates[stage]["edge"]
    dist = one(raw, "AWS::CloudFront::Distribution")["DistributionConfig"]
    origins = {o["Id"]: o for o in dist["Origins"]}
    api = next(o for o in origins.values() if "CustomOriginConfig" in o)
    assert "RestApi" in json.dumps(api["DomainName"])  # the stage of the REST API
    assert api["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    assert api["CustomOriginConfig"]["OriginReadTimeout"] == 60
    web = next(o for o in origins.values() if "S3OriginConfig" in o)
    assert "OriginAccessControlId" in web
    assert dist["DefaultCacheBehavior"]["TargetOriginId"] == api["Id"]
    assert dist["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "https-only"
    assert dist["DefaultCacheBehavior"]["Compress"] is False
    assert len(dist["DefaultCacheBehavior"]["AllowedMethods"]) == 7
    cached = {b["PathPattern"]: b for b in dist["CacheBehaviors"]}
    assert set(cached) == {"/index.html", "/static/*", *IMMUTABLE_PATHS}
    assert all(cached[p]["TargetOriginId"] == web["Id"] for p in ("/index.html", "/static/*"))
    assert all(cached[p]["TargetOriginId"] == api["Id"] for p in IMMUTABLE_PATHS)
    assert dist["DefaultRootObject"] == "index.html"
    assert dist["Logging"]["Prefix"] == "cloudfront/"
    acl = one(raw, "AWS::WAFv2::WebACL", Scope="CLOUDFRONT")
    assert {r["Name"] for r in acl["Rules"]} >= {"RateLimitPerIp", "AWSManagedRulesCommonRuleSet"}
    assert dist["WebACLId"]["Fn::GetAtt"][0].startswith("WebAcl")
    oac = one(raw, "AWS::CloudFront::OriginAccessControl")["OriginAccessControlConfig"]
    assert oac["SigningBehavior"] == "always"
    bucket_policy = json.dumps(resources(raw, "AWS::S3::BucketPolicy"))
    assert "cloudfront.amazonaws.com" in bucket_policy and "AWS:SourceArn" in bucket_policy
    deployment = one(raw, "Custom::CDKBucketDeployment")
    assert deployment["DistributionPaths"] == ["/index.html", "/static/*"]


# -- recovery, audit, delivery -------------------------------------------------------------


def test_production_backs_up_its_tables_and_versioned_buckets(synthesized: Synthesized) -> None:
    raw = synthesized.templates["prod"]["recovery"]
    plan = one(raw, "AWS::Backup::BackupPlan")["BackupPlan"]
    rules = {rule["RuleName"]: rule for rule in plan["BackupPlanRule"]}
    assert rules["daily"]["Lifecycle"] == {"DeleteAfterDays": 35}
    assert rules["daily"]["ScheduleExpression"] == "cron(0 5 * * ? *)"
    assert rules["hourly"]["Lifecycle"] == {"DeleteAfterDays": 2}
    assert rules["hourly"]["ScheduleExpression"] == "cron(0 * * * ? *)"
    selection = one(raw, "AWS::Backup::BackupSelection")["BackupSelection"]
    chosen = json.dumps(selection["Resources"])
    for name in ("StoreTable", "CheckpointTable", "MemoryTable", "MarketDataBucket",
                 "DocumentsBucket", "ResultsBucket", "ModelArtifactsBucket"):  # fmt: skip
        assert name in chosen
    assert "OffloadBucket" not in chosen and "ResearchIndexBucket" not in chosen
    vault = one(raw, "AWS::Backup::BackupVault")
    assert vault["BackupVaultName"] == "stratigos-prod" and "EncryptionKeyArn" in vault
    assert "recovery" not in synthesized.templates["dev"]


def test_the_audit_stack_has_a_validated_trail_and_config_rules(synthesized: Synthesized) -> None:
    raw = synthesized.templates["account"]["audit"]
    trail = one(raw, "AWS::CloudTrail::Trail")
    assert trail["IsMultiRegionTrail"] and trail["EnableLogFileValidation"]
    assert trail["IncludeGlobalServiceEvents"] and "KMSKeyId" in trail
    recorder = one(raw, "AWS::Config::ConfigurationRecorder")
    assert recorder["RecordingGroup"]["AllSupported"] is True
    rules = {
        r["Properties"]["Source"]["SourceIdentifier"]
        for r in resources(raw, "AWS::Config::ConfigRule").values()
    }
    assert {"S3_BUCKET_SSL_REQUESTS_ONLY", "DYNAMODB_PITR_ENABLED", "CLOUD_TRAIL_ENABLED"} <= rules
