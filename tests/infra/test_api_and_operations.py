"""Assertions on the synthesized API stack (REST and WebSocket APIs, Cognito, WAF, usage plan),
the Bedrock grants of the API and the worker, and the operations stack (cleanup, alarms)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.bedrock import BEDROCK_INVOKE_ACTIONS, EMBEDDING_INVOKE_ACTIONS, model_resource_arns
from infra.config import INFERENCE_PROFILE_REGIONS, stage_config
from tests.support.cdk_synth import ACCOUNT, KINDS, REGION, STAGES, Synthesized
from tests.support.cfn_templates import (
    actions_of,
    as_list,
    function_by_name,
    one,
    policies_of_role,
    render,
    resources,
    role_of,
    statements,
)

pytestmark = pytest.mark.xdist_group("cdk")  # one synthesis (a session fixture), on one worker

# -- API -----------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_api_routes_stream_and_require_auth(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["api"]
    config = stage_config(stage)
    fn_id = next(
        k
        for k, v in resources(raw, "AWS::Lambda::Function").items()
        if v["Properties"].get("FunctionName") == f"stratigos-{stage}-api"
    )
    # every route invokes the alias `live`, which each release moves (infra.stacks.release)
    (alias_id,) = (
        k
        for k, v in resources(raw, "AWS::Lambda::Alias").items()
        if v["Properties"]["Name"] == "live" and fn_id in json.dumps(v["Properties"])
    )
    paths = route_paths(raw)
    routes: dict[tuple[str, str], dict[str, Any]] = {}
    for method in (m["Properties"] for m in resources(raw, "AWS::ApiGateway::Method").values()):
        integration = method["Integration"]
        assert integration["Type"] == "AWS_PROXY"
        assert integration["ResponseTransferMode"] == "STREAM"
        assert integration["TimeoutInMillis"] == 900_000
        uri = json.dumps(integration["Uri"])
        assert f'{{"Ref": "{alias_id}"}}' in uri
        assert uri.endswith('"/response-streaming-invocations"]]}')
        resource = method["ResourceId"]
        path = "/" if "Fn::GetAtt" in resource else paths[resource["Ref"]]
        routes[(method["HttpMethod"], path)] = method
    assert set(routes) == {
        ("ANY", "/"),
        ("GET", "/"),
        ("ANY", "/{proxy+}"),
        ("ANY", "/v1/{proxy+}"),
        ("GET", "/v1/health"),
        ("GET", "/v1/ui-config"),
        ("GET", "/v1/vocabulary"),
        ("ANY", "/static/{proxy+}"),
        ("GET", "/static/{proxy+}"),
    }
    for (verb, path), method in routes.items():
        if verb == "GET":  # the public paths
            assert method["AuthorizationType"] == "NONE", path
            assert method["ApiKeyRequired"] is False, path
            continue
        expected = "COGNITO_USER_POOLS" if config.cognito_authorizer else "NONE"
        assert method["AuthorizationType"] == expected, path
        assert method["ApiKeyRequired"] is config.require_usage_plan_key, path
    # staging and prod: Cognito at the gateway; dev: metered app keys (the web UI's mode)
    assert config.cognito_authorizer is (stage != "dev")
    assert config.require_usage_plan_key is (stage == "dev")


def route_paths(template: dict[str, Any]) -> dict[str, str]:
    """Logical id -> full path of every AWS::ApiGateway::Resource."""
    nodes = resources(template, "AWS::ApiGateway::Resource")

    def path(logical_id: str) -> str:
        props = nodes[logical_id]["Properties"]
        parent = props["ParentId"]
        prefix = "" if "Fn::GetAtt" in parent else path(parent["Ref"])
        return f"{prefix}/{props['PathPart']}"

    return {logical_id: path(logical_id) for logical_id in nodes}


@pytest.mark.parametrize("stage", STAGES)
def test_api_function_runs_the_web_adapter_and_queues_jobs(
    synthesized: Synthesized, stage: str
) -> None:
    raw = synthesized.templates[stage]["api"]
    fn = function_by_name(raw, f"stratigos-{stage}-api")
    assert fn["PackageType"] == "Image"
    assert "ImageConfig" not in fn  # the Dockerfile's CMD: uvicorn behind the adapter
    env = fn["Environment"]["Variables"]
    assert env["AWS_LWA_INVOKE_MODE"] == "response_stream"
    assert env["AWS_LWA_PORT"] == "8080"
    assert env["AWS_LWA_READINESS_CHECK_PATH"] == "/v1/health/live"
    assert env["STRATIGOS_API_JOB_WORKERS"] == "0"
    assert "ImportValue" in json.dumps(env["STRATIGOS_JOBS_QUEUE_URL"])
    pool_id = next(iter(resources(raw, "AWS::Cognito::UserPool")))
    client_id = next(iter(resources(raw, "AWS::Cognito::UserPoolClient")))
    assert pool_id in json.dumps(env["STRATIGOS_API_COGNITO_ISSUER"])
    assert env["STRATIGOS_API_COGNITO_AUDIENCE"] == {"Ref": client_id}
    stmts = policies_of_role(raw, role_of(raw, f"stratigos-{stage}-api"))
    assert "sqs:SendMessage" in actions_of(stmts)
    # of SageMaker, only the estimates' endpoint (tests/infra/test_search_pipeline_stack.py)
    sagemaker = {a for a in actions_of(stmts) if a.startswith("sagemaker:")}
    assert sagemaker == {"sagemaker:InvokeEndpoint"}


@pytest.mark.parametrize("stage", STAGES)
def test_api_stage_tracing_logs_throttling(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["api"]
    config = stage_config(stage)
    api_stage = one(raw, "AWS::ApiGateway::Stage")
    assert api_stage["StageName"] == stage
    assert api_stage["TracingEnabled"] is True
    assert "DestinationArn" in api_stage["AccessLogSetting"]
    json.loads(api_stage["AccessLogSetting"]["Format"])  # JSON access logs
    (settings,) = api_stage["MethodSettings"]
    assert settings["ThrottlingRateLimit"] == config.api_throttle_rate
    assert settings["ThrottlingBurstLimit"] == config.api_throttle_burst
    if config.cognito_authorizer:
        authorizer = one(raw, "AWS::ApiGateway::Authorizer")
        assert authorizer["Type"] == "COGNITO_USER_POOLS"
        assert authorizer["IdentitySource"] == "method.request.header.Authorization"
        pool_id = next(iter(resources(raw, "AWS::Cognito::UserPool")))
        assert authorizer["ProviderARNs"] == [{"Fn::GetAtt": [pool_id, "Arn"]}]
    else:
        assert resources(raw, "AWS::ApiGateway::Authorizer") == {}
    pool = one(raw, "AWS::Cognito::UserPool")
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True


@pytest.mark.parametrize("stage", STAGES)
def test_api_gateway_errors_use_the_app_error_shape(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["api"]
    responses = resources(raw, "AWS::ApiGateway::GatewayResponse")
    types = {r["Properties"]["ResponseType"] for r in responses.values()}
    assert types == {"DEFAULT_4XX", "DEFAULT_5XX"}
    for response in responses.values():
        body = response["Properties"]["ResponseTemplates"]["application/json"]
        # API Gateway substitutes $context variables; messageString arrives quoted
        rendered = body.replace("$context.error.messageString", '"Unauthorized"')
        rendered = rendered.replace("$context.error.responseType", "UNAUTHORIZED")
        rendered = rendered.replace("$context.requestId", "r-1")
        assert json.loads(rendered) == {
            "error": {
                "code": "UNAUTHORIZED",
                "message": "Unauthorized",
                "details": {"request_id": "r-1"},
            }
        }


@pytest.mark.parametrize("stage", STAGES)
def test_api_usage_plan_and_waf(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["api"]
    config = stage_config(stage)
    plan = one(raw, "AWS::ApiGateway::UsagePlan")
    assert plan["Throttle"] == {
        "BurstLimit": config.api_throttle_burst,
        "RateLimit": config.api_throttle_rate,
    }
    assert plan["Quota"] == {"Limit": config.usage_plan_quota_per_day, "Period": "DAY"}
    stage_id = next(iter(resources(raw, "AWS::ApiGateway::Stage")))
    assert plan["ApiStages"][0]["Stage"] == {"Ref": stage_id}
    acl_id, acl = next(iter(resources(raw, "AWS::WAFv2::WebACL").items()))
    assert acl["Properties"]["Scope"] == "REGIONAL"
    rules = {r["Name"]: r for r in acl["Properties"]["Rules"]}
    rate = rules["RateLimitPerIp"]
    assert rate["Action"] == {"Block": {}}
    assert rate["Statement"]["RateBasedStatement"]["Limit"] == config.waf_rate_limit_per_5min
    assert rate["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "AWSManagedRulesCommonRuleSet" in rules
    association = one(raw, "AWS::WAFv2::WebACLAssociation")
    assert association["WebACLArn"] == {"Fn::GetAtt": [acl_id, "Arn"]}
    assert stage_id in json.dumps(association["ResourceArn"])


@pytest.mark.parametrize("stage", STAGES)
def test_websocket_api(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["api"]
    api = one(raw, "AWS::ApiGatewayV2::Api", Name=f"stratigos-{stage}-ws")
    assert api["ProtocolType"] == "WEBSOCKET"
    routes = {
        r["Properties"]["RouteKey"] for r in resources(raw, "AWS::ApiGatewayV2::Route").values()
    }
    assert routes == {"$connect", "$disconnect", "$default"}
    fn = function_by_name(raw, f"stratigos-{stage}-ws")
    assert fn["ImageConfig"]["Command"] == ["api.ws_gateway.handler"]
    stmts = policies_of_role(raw, role_of(raw, f"stratigos-{stage}-ws"))
    assert "execute-api:ManageConnections" in actions_of(stmts)
    assert not any(a.startswith("bedrock:") for a in actions_of(stmts))


# -- Bedrock -------------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_bedrock_invoke_limited_to_the_configured_models(
    synthesized: Synthesized, stage: str
) -> None:
    config = stage_config(stage)
    expected = model_resource_arns(
        config.model_ids,
        region=REGION,
        account=ACCOUNT,
        inference_profile_regions=INFERENCE_PROFILE_REGIONS,
    )
    embedding = [f"arn:aws:bedrock:{REGION}::foundation-model/amazon.titan-embed-text-v2:0"]
    granted: dict[str, int] = {"chat": 0, "embedding": 0}
    for kind in KINDS:
        for stmt in statements(synthesized.templates[stage][kind]):
            actions = as_list(stmt["Action"])
            if not any(a.startswith("bedrock:") for a in actions):
                continue
            resources = sorted(render(as_list(stmt["Resource"])))
            if resources == embedding:  # the research index's embeddings: InvokeModel only
                granted["embedding"] += 1
                assert actions == list(EMBEDDING_INVOKE_ACTIONS) == ["bedrock:InvokeModel"]
                continue
            granted["chat"] += 1
            assert sorted(actions) == sorted(BEDROCK_INVOKE_ACTIONS)
            assert resources == expected
    assert granted == {"chat": 2, "embedding": 2}  # the API and the worker


@pytest.mark.parametrize("stage", STAGES)
def test_the_api_and_the_worker_may_embed_and_get_the_embedding_settings(
    synthesized: Synthesized, stage: str
) -> None:
    config = stage_config(stage)
    titan = f"arn:aws:bedrock:{REGION}::foundation-model/{config.embedding_model_id}"
    names = {"api": f"stratigos-{stage}-api", "compute": f"stratigos-{stage}-worker"}
    for kind, name in names.items():
        raw = synthesized.templates[stage][kind]
        stmts = policies_of_role(raw, role_of(raw, name))
        invoke = [s for s in stmts if render(as_list(s["Resource"])) == [titan]]
        assert [as_list(s["Action"]) for s in invoke] == [["bedrock:InvokeModel"]], name
        env = function_by_name(raw, name)["Environment"]["Variables"]
        assert env["STRATIGOS_EMBEDDING_PROVIDER"] == "bedrock"
        assert env["STRATIGOS_BEDROCK_EMBEDDING_MODEL_ID"] == "amazon.titan-embed-text-v2:0"
        assert env["STRATIGOS_EMBEDDING_DIMENSIONS"] == "1024"
        assert env["STRATIGOS_BEDROCK_REGION"] == REGION
    ws = synthesized.templates[stage]["api"]
    ws_stmts = policies_of_role(ws, role_of(ws, f"stratigos-{stage}-ws"))
    assert not any(a.startswith("bedrock:") for a in actions_of(ws_stmts))


# -- operations ----------------------------------------------------------------------------


@pytest.mark.parametrize("stage", STAGES)
def test_operations_cleanup_schedule(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["operations"]
    fn_id = next(
        k
        for k, v in resources(raw, "AWS::Lambda::Function").items()
        if v["Properties"].get("FunctionName") == f"stratigos-{stage}-cleanup"
    )
    assert raw["Resources"][fn_id]["Properties"]["ImageConfig"]["Command"] == [
        "jobs.lambda_handlers.cleanup"
    ]
    env = raw["Resources"][fn_id]["Properties"]["Environment"]["Variables"]
    assert "ImportValue" in json.dumps(env["STRATIGOS_JOBS_QUEUE_URL"])  # re-announces jobs
    role = raw["Resources"][fn_id]["Properties"]["Role"]["Fn::GetAtt"][0]
    assert "sqs:SendMessage" in actions_of(policies_of_role(raw, role))
    rule = one(raw, "AWS::Events::Rule", Name=f"stratigos-{stage}-daily-cleanup")
    assert rule["ScheduleExpression"] == "cron(0 3 * * ? *)"
    (target,) = rule["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [fn_id, "Arn"]}


@pytest.mark.parametrize("stage", STAGES)
def test_operations_alarms_notify_the_topic(synthesized: Synthesized, stage: str) -> None:
    raw = synthesized.templates[stage]["operations"]
    topic_id, topic = next(iter(resources(raw, "AWS::SNS::Topic").items()))
    assert "Fn::ImportValue" in topic["Properties"]["KmsMasterKeyId"]
    alarms = {
        a["Properties"]["AlarmName"]: a["Properties"]
        for a in resources(raw, "AWS::CloudWatch::Alarm").values()
    }
    p = f"stratigos-{stage}-"
    assert set(alarms) == {
        *(f"{p}{fn}-error-rate" for fn in ("api", "ws", "worker", "cleanup")),
        f"{p}jobs-dlq-depth",
        f"{p}events-dlq-depth",  # tests/infra/test_stakes.py
        f"{p}worker-events-dlq-depth",  # tests/infra/test_search_pipeline_stack.py
        f"{p}api-5xx",
        f"{p}sagemaker-job-failures",
        # deployed strategies (tests/infra/test_deployed_strategies.py)
        f"{p}schedule-dlq-depth",
        f"{p}execution-dead-letters",
        f"{p}schedule-stuck",
        f"{p}reconciliation-mismatch",
        # the application's own metrics (tests/infra/test_production.py)
        f"{p}stuck-runs",
        f"{p}model-cost-anomaly",
        f"{p}token-spike",
        # AWS's own signals (tests/infra/test_hardening.py)
        f"{p}pipeline-failures",
        f"{p}estimates-errors",
        f"{p}api-latency",
        f"{p}dynamodb-throttles",
        f"{p}lambda-throttles",
    }
    for alarm in alarms.values():
        assert alarm["AlarmActions"] == [{"Ref": topic_id}]
    for fn in ("api", "ws", "worker", "cleanup"):
        alarm = alarms[f"{p}{fn}-error-rate"]
        assert alarm["Threshold"] == 1 and alarm["ComparisonOperator"] == "GreaterThanThreshold"
        (expression,) = [m for m in alarm["Metrics"] if "Expression" in m]
        assert "100 * errors / invocations" in expression["Expression"]
        names = {
            m["MetricStat"]["Metric"]["MetricName"] for m in alarm["Metrics"] if "MetricStat" in m
        }
        assert names == {"Errors", "Invocations"}
    dlq = alarms[f"{p}jobs-dlq-depth"]
    assert dlq["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert dlq["Threshold"] == 1 and dlq["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarms[f"{p}api-5xx"]["MetricName"] == "5XXError"
    failures = alarms[f"{p}sagemaker-job-failures"]
    assert failures["Namespace"] == "AWS/Events" and failures["MetricName"] == "TriggeredRules"
    rule = one(raw, "AWS::Events::Rule", Name=f"stratigos-{stage}-sagemaker-failures")
    assert rule["EventPattern"]["detail"] == {
        "ProcessingJobStatus": ["Failed"],
        "ProcessingJobName": [{"prefix": f"stratigos-{stage}-batch"}],
    }


def test_image_build_context_is_trimmed(synthesized: Synthesized) -> None:
    """The staged Docker build contexts hold the project, not the venv, git, the tests or the
    tests' tools (node packages under .cache and .mcp-inspector: a third of a gigabyte)."""
    assets = json.loads((synthesized.outdir / "stratigos-prod-api.assets.json").read_text())
    files = {a["source"]["dockerFile"]: a for a in assets["dockerImages"].values()}
    assert set(files) == {"infra/docker/api.Dockerfile", "infra/docker/lambda.Dockerfile"}
    image = files["infra/docker/api.Dockerfile"]
    context = synthesized.outdir / image["source"]["directory"]
    for needed in ("pyproject.toml", "README.md", "jobs/entrypoint.py", "api/app.py"):
        assert (context / needed).is_file(), needed
    assert (context / "infra/docker/api.Dockerfile").is_file()
    excluded_dirs = (".venv", ".git", "tests", "infra/cdk.out", ".cache", ".mcp-inspector")
    for excluded in excluded_dirs:
        assert not (context / excluded).exists(), excluded
