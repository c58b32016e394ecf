"""The Lambda entry point `api.lambda_handler.handler` on real event shapes.

The events below are written out as API Gateway (REST v1 proxy, HTTP API v2) and Lambda
Function URLs deliver them; the handler is the module's own (reloaded after the environment is
set), so it opens the store of the configured data dir exactly as a Lambda instance would.
Responses are buffered by Mangum: an SSE route answers with the whole stream at once, which is
complete only for a finished job (the streaming deployment uses the Lambda Web Adapter).
"""

from __future__ import annotations

import base64
import importlib
import json
import logging
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import pytest

from jobs.handlers import JobEvent
from settings import get_settings

ACCOUNT = "123456789012"
API_ID = "a1b2c3d4e5"
OWNER = "lambda-user"


@pytest.fixture(scope="module")
def lambda_module(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """`api.lambda_handler` reloaded on a fresh data dir (offline model, no job workers)."""
    data_dir = tmp_path_factory.mktemp("lambda") / "data"
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIGOS_DATA_DIR", str(data_dir))
        mp.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        mp.setenv("STRATIGOS_API_JOB_WORKERS", "0")
        get_settings.cache_clear()
        import api.lambda_handler

        module = importlib.reload(api.lambda_handler)
        yield module
        module.handler.app.state.context.close()
    get_settings.cache_clear()
    root.handlers[:] = saved_handlers  # configure_logging replaced the root handlers
    root.setLevel(saved_level)


@pytest.fixture(scope="module")
def store(lambda_module: ModuleType) -> Any:
    """The store the handler's app opened (the data dir of the environment)."""
    return lambda_module.handler.app.state.context.store


@pytest.fixture(scope="module")
def api_key(store: Any) -> str:
    raw, _ = store.create_api_key(OWNER, "lambda tests")
    return str(raw)


def rest_v1_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    query: dict[str, list[str]] | None = None,
    body: str | None = None,
    base64_encoded: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST API (v1) proxy integration event for `ANY /{proxy+}`."""
    headers = {
        "Accept": "*/*",
        "Host": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "X-Amzn-Trace-Id": "Root=1-67a0b1c2-0123456789abcdef01234567",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "domainName": f"{API_ID}.execute-api.us-east-1.amazonaws.com",
            "domainPrefix": API_ID,
            "extendedRequestId": "Fh3kYHb5IAMEbJw=",
            "httpMethod": method,
            "identity": {
                "accessKey": None,
                "accountId": None,
                "caller": None,
                "cognitoIdentityId": None,
                "sourceIp": "203.0.113.7",
                "user": None,
                "userAgent": "curl/8.5.0",
                "userArn": None,
            },
            "path": f"/prod{path}",
            "protocol": "HTTP/1.1",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "requestTime": "21/Nov/2026:09:30:00 +0000",
            "requestTimeEpoch": 1795253400000,
            "resourceId": "abc123",
            "resourcePath": "/{proxy+}",
            "stage": "prod",
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def http_v2_event(
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,
    raw_query: str = "",
    body: str | None = None,
    base64_encoded: bool = False,
    domain: str = f"{API_ID}.execute-api.us-east-1.amazonaws.com",
    route_key: str = "$default",
) -> dict[str, Any]:
    """An API Gateway HTTP API (payload format 2.0) event for the `$default` route; with a
    `*.lambda-url.*.on.aws` domain and route key `$default` it is a Function URL event."""
    query: dict[str, str] = {}
    for part in filter(None, raw_query.split("&")):
        name, _, value = part.partition("=")
        query[name] = f"{query[name]},{value}" if name in query else value
    headers = {
        "accept": "*/*",
        "content-length": str(len(base64.b64decode(body or "") if base64_encoded else body or "")),
        "host": domain,
        "user-agent": "python-httpx/0.28",
        "x-amzn-trace-id": "Root=1-67a0b1c2-0123456789abcdef01234567",
        "x-forwarded-for": "203.0.113.7",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
        **{k.lower(): v for k, v in (headers or {}).items()},
    }
    return {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": raw_query,
        "cookies": ["theme=dark"],
        "headers": headers,
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": ACCOUNT if "lambda-url" not in domain else "anonymous",
            "apiId": domain.split(".")[0],
            "domainName": domain,
            "domainPrefix": domain.split(".")[0],
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.7",
                "userAgent": "python-httpx/0.28",
            },
            "requestId": "JKJaXmPLvHcESHA=",
            "routeKey": route_key,
            "stage": "$default",
            "time": "21/Nov/2026:09:30:00 +0000",
            "timeEpoch": 1795253400000,
        },
        "body": body,
        "isBase64Encoded": base64_encoded,
    }


def function_url_event(method: str, path: str, **kwargs: Any) -> dict[str, Any]:
    """A Lambda Function URL event (the v2 shape on a `lambda-url` domain)."""
    domain = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws"
    return http_v2_event(method, path, domain=domain, **kwargs)


def _json(response: dict[str, Any]) -> Any:
    body = response["body"]
    if response.get("isBase64Encoded"):
        body = base64.b64decode(body).decode()
    return json.loads(body)


def _header(response: dict[str, Any], name: str) -> str:
    headers = {k.lower(): v for k, v in (response.get("headers") or {}).items()}
    multi = {k.lower(): v for k, v in (response.get("multiValueHeaders") or {}).items()}
    if name in headers:
        return str(headers[name])
    return str(multi[name][0])


@pytest.mark.parametrize("shape", ["rest_v1", "http_v2", "function_url"])
def test_health_answers_on_every_event_shape(lambda_module: ModuleType, shape: str) -> None:
    builders: dict[str, Callable[..., dict[str, Any]]] = {
        "rest_v1": rest_v1_event,
        "http_v2": http_v2_event,
        "function_url": function_url_event,
    }
    response = lambda_module.handler(builders[shape]("GET", "/v1/health"), None)
    assert response["statusCode"] == 200, response
    assert _header(response, "content-type").startswith("application/json")
    body = _json(response)
    assert body["status"] == "ok"
    assert body["store"] == "sqlite" and body["model_provider"] == "offline"


def test_submit_stores_a_pending_job_with_location(
    lambda_module: ModuleType, store: Any, api_key: str
) -> None:
    event = rest_v1_event(
        "POST",
        "/v1/optimizations",
        headers={"x-api-key": api_key, "Content-Type": "application/json"},
        body=json.dumps({"n_paths": 20, "budget": {"max_trials": 20}}),
    )
    response = lambda_module.handler(event, None)
    assert response["statusCode"] == 202, response
    job = _json(response)
    assert _header(response, "location") == f"/v1/optimizations/{job['id']}"
    stored = store.get_job(OWNER, job["id"])
    assert stored.status == "pending"  # no job workers in a Lambda instance
    assert stored.request["n_paths"] == 20


def test_a_base64_encoded_body_is_decoded(
    lambda_module: ModuleType, store: Any, api_key: str
) -> None:
    raw = json.dumps({"n_paths": 30, "seed": 7}).encode()
    event = http_v2_event(
        "POST",
        "/v1/optimizations",
        headers={"x-api-key": api_key, "content-type": "application/json"},
        body=base64.b64encode(raw).decode(),
        base64_encoded=True,
    )
    response = lambda_module.handler(event, None)
    assert response["statusCode"] == 202, response
    stored = store.get_job(OWNER, _json(response)["id"])
    assert stored.request["n_paths"] == 30 and stored.request["seed"] == 7


@pytest.mark.parametrize("shape", ["rest_v1", "http_v2", "function_url"])
def test_query_strings_reach_the_route(
    lambda_module: ModuleType, store: Any, api_key: str, shape: str
) -> None:
    job, _ = store.submit_job(OWNER, "optimization", {"n_paths": 10})
    headers = {"x-api-key": api_key}
    if shape == "rest_v1":
        event = rest_v1_event(
            "GET",
            "/v1/optimizations",
            headers=headers,
            query={"status": ["pending"], "limit": ["5"]},
        )
    else:
        builder = http_v2_event if shape == "http_v2" else function_url_event
        event = builder(
            "GET", "/v1/optimizations", headers=headers, raw_query="status=pending&limit=5"
        )
    response = lambda_module.handler(event, None)
    assert response["statusCode"] == 200, response
    jobs = _json(response)
    assert job.id in [j["id"] for j in jobs]
    assert len(jobs) <= 5 and {j["status"] for j in jobs} == {"pending"}
    # the filter is applied: no pending job is listed under status=succeeded
    if shape == "rest_v1":
        event["multiValueQueryStringParameters"] = {"status": ["succeeded"]}
        event["queryStringParameters"] = {"status": "succeeded"}
    else:
        event["rawQueryString"] = "status=succeeded"
        event["queryStringParameters"] = {"status": "succeeded"}
    assert _json(lambda_module.handler(event, None)) == []


@pytest.mark.parametrize("shape", ["rest_v1", "function_url"])
def test_unauthenticated_is_401_in_the_error_format(lambda_module: ModuleType, shape: str) -> None:
    builder = rest_v1_event if shape == "rest_v1" else function_url_event
    response = lambda_module.handler(builder("GET", "/v1/optimizations"), None)
    assert response["statusCode"] == 401
    assert _json(response)["error"]["code"] == "UNAUTHENTICATED"
    assert "x-api-key" in _header(response, "www-authenticate")


def test_sse_of_a_finished_job_is_returned_buffered(
    lambda_module: ModuleType, store: Any, api_key: str
) -> None:
    job, _ = store.submit_job(OWNER, "optimization", {"n_paths": 10})
    store.claim(OWNER, job.id, "worker-1", 30.0)
    store.append_events(
        OWNER,
        job.id,
        [
            JobEvent(job.id, 1, "run_started", {"step": "start"}),
            JobEvent(job.id, 2, "batch_done", {"trials": 20}),
        ],
    )
    result = {
        "status": "succeeded",
        "n_trials": 1,
        "trials": [{"trial": 0}],
        "best": {"config": {"target_vol": 0.1}},
    }
    store.complete_job(OWNER, job.id, result, worker="worker-1")
    event = http_v2_event(
        "GET",
        f"/v1/optimizations/{job.id}/events",
        headers={"x-api-key": api_key, "accept": "text/event-stream"},
    )
    response = lambda_module.handler(event, None)
    assert response["statusCode"] == 200, response
    assert _header(response, "content-type").startswith("text/event-stream")
    body = response["body"]
    if response["isBase64Encoded"]:
        body = base64.b64decode(body).decode()
    # Mangum buffers: the whole stream, through the end message, is in one body
    assert "id: 1\nevent: run_started\n" in body
    assert "id: 2\nevent: batch_done\n" in body
    assert body.index("event: run_started") < body.index("event: batch_done")
    assert 'event: end\ndata: {"status": "succeeded"}' in body
    # resuming after the first event skips it
    event["rawQueryString"] = "after=1"
    event["queryStringParameters"] = {"after": "1"}
    resumed = lambda_module.handler(event, None)["body"]
    assert "event: run_started" not in resumed and "event: batch_done" in resumed


def test_sse_of_an_unknown_job_is_404(lambda_module: ModuleType, api_key: str) -> None:
    event = rest_v1_event(
        "GET", "/v1/optimizations/job_nope/events", headers={"x-api-key": api_key}
    )
    response = lambda_module.handler(event, None)
    assert response["statusCode"] == 404
    assert _json(response)["error"]["code"] == "NOT_FOUND"


def test_sse_of_a_running_job_ends_with_what_is_stored(
    lambda_module: ModuleType, store: Any, api_key: str
) -> None:
    job, _ = store.submit_job(OWNER, "optimization", {"n_paths": 10})
    store.claim(OWNER, job.id, "worker-1", 30.0)
    store.append_events(OWNER, job.id, [JobEvent(job.id, 1, "run_started", {"step": "start"})])
    event = rest_v1_event(
        "GET", f"/v1/optimizations/{job.id}/events", headers={"x-api-key": api_key}
    )
    response = lambda_module.handler(event, None)  # returns at once instead of following
    assert response["statusCode"] == 200, response
    body = response["body"]
    if response["isBase64Encoded"]:
        body = base64.b64decode(body).decode()
    assert "id: 1\nevent: run_started\n" in body
    assert 'event: end\ndata: {"status": "running", "more": true}' in body
