"""CodeDeploy's `BeforeAllowTraffic` hook of the API function (`infra.stacks.release`): before
any caller reaches a new version, invoke that version with API Gateway's requests for
`SMOKE_PATHS` and report `Succeeded` only when each answers 2xx; `Failed` rolls the deployment
back (CodeDeploy), which fails the stack update (CloudFormation rolls it back too).

Runs on Lambda's Python runtime with boto3 alone; `FUNCTION_NAME` names the API function. Kept
apart from the application: it is the gate in front of it.
"""

from __future__ import annotations

import json
import os
from typing import Any

SMOKE_PATHS = ("/v1/health/live", "/v1/health")
"""Liveness (the process answers) and readiness (the store can be read and written)."""


def request(path: str) -> dict[str, Any]:
    """A REST API proxy event for `GET path`, as API Gateway sends it."""
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": "GET",
        "headers": {"Host": "smoke.invalid", "User-Agent": "stratigos-smoke"},
        "multiValueHeaders": {},
        "queryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "requestContext": {
            "resourcePath": "/{proxy+}",
            "httpMethod": "GET",
            "path": path,
            "stage": "smoke",
            "requestId": "smoke",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": None,
        "isBase64Encoded": False,
    }


def status_of(payload: bytes) -> int:
    """The HTTP status in a function's answer: a proxy response's JSON, or the JSON prelude of
    a streamed one (`{"statusCode": ...}` before its body); 0 when there is none."""
    try:
        head, _ = json.JSONDecoder().raw_decode(payload.decode("utf-8", "replace").lstrip())
    except ValueError:
        return 0
    status = head.get("statusCode") if isinstance(head, dict) else None
    return status if isinstance(status, int) else 0


def target_version(deployment: dict[str, Any]) -> str:
    """The version a Lambda deployment shifts to, from its AppSpec (`get_deployment`'s)."""
    content = deployment["deploymentInfo"]["revision"]["appSpecContent"]["content"]
    for resource in json.loads(content)["Resources"]:
        for spec in resource.values():
            return str(spec["Properties"]["TargetVersion"])
    raise ValueError("the deployment's AppSpec names no target version")


def smoke(invoke: Any, function: str, version: str) -> list[str]:
    """What failed when `invoke` (`lambda.invoke`) sent `version` of `function` each request."""
    failures = []
    for path in SMOKE_PATHS:
        answer = invoke(
            FunctionName=function, Qualifier=version, Payload=json.dumps(request(path)).encode()
        )
        status = status_of(answer["Payload"].read())
        if answer.get("FunctionError") or not 200 <= status < 300:
            failures.append(f"GET {path}: {answer.get('FunctionError') or status}")
    return failures


def handler(event: dict[str, Any], context: Any = None) -> None:
    """The hook: smoke-test the deployment's target version, report the outcome."""
    import boto3

    codedeploy = boto3.client("codedeploy")
    status = "Failed"
    try:
        deployment = codedeploy.get_deployment(deploymentId=event["DeploymentId"])
        version = target_version(deployment)
        failures = smoke(boto3.client("lambda").invoke, os.environ["FUNCTION_NAME"], version)
        print(json.dumps({"version": version, "failures": failures}))
        status = "Failed" if failures else "Succeeded"
    finally:
        codedeploy.put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status,
        )
