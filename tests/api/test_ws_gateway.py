"""The API Gateway WebSocket API handler `api.ws_gateway.handler` against a moto server.

The store is the real SQLite store in a temp dir; answers go out with
`apigatewaymanagementapi.post_to_connection` to a moto server on 127.0.0.1
(`STRATIGOS_WS_CALLBACK_URL`). The moto server runs in this process, so what it received is
read from its backend (`moto.apigatewaymanagementapi.models`): the data posted to each
connection, concatenated.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from moto.apigatewaymanagementapi.models import apigatewaymanagementapi_backends
from moto.core import DEFAULT_ACCOUNT_ID

import api.ws_gateway as ws
from jobs.handlers import JobEvent
from settings import get_settings
from store import Store
from tests.support.aws import FAKE_AWS_ENV, moto_server

DOMAIN = "w1x2y3z4.execute-api.us-east-1.amazonaws.com"


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="module")
def ws_env(moto_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Process settings of the handler: SQLite store in a temp dir, callbacks to moto."""
    data_dir = tmp_path_factory.mktemp("ws") / "data"
    with pytest.MonkeyPatch.context() as mp:
        for name, value in FAKE_AWS_ENV.items():
            mp.setenv(name, value)
        mp.setenv("STRATIGOS_DATA_DIR", str(data_dir))
        mp.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        mp.setenv("STRATIGOS_WS_CALLBACK_URL", moto_url)
        get_settings.cache_clear()
        mp.setattr(ws, "_store", None)
        yield data_dir
        if ws._store is not None:
            ws._store.close()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def store(ws_env: Path) -> Store:
    """The handler's own store (opened as on a cold start)."""
    ws.handler(connect_event("warm-up", {"x-api-key": "nobody"}))
    assert ws._store is not None
    return ws._store


@pytest.fixture(scope="module")
def keys(store: Store) -> dict[str, str]:
    return {
        "ann": store.create_api_key("ann", "ws")[0],
        "ben": store.create_api_key("ben", "ws")[0],
    }


def _context(route: str, connection: str, event_type: str) -> dict[str, Any]:
    return {
        "routeKey": route,
        "eventType": event_type,
        "extendedRequestId": "Fh3kYHb5IAMEbJw=",
        "requestTime": "21/Nov/2026:09:30:00 +0000",
        "messageDirection": "IN",
        "stage": "prod",
        "connectedAt": 1795253400000,
        "requestTimeEpoch": 1795253400123,
        "identity": {"userAgent": "Mozilla/5.0", "sourceIp": "203.0.113.7"},
        "requestId": "Fh3kYH7PoAMFqUg=",
        "domainName": DOMAIN,
        "connectionId": connection,
        "apiId": DOMAIN.split(".")[0],
    }


def connect_event(
    connection: str, headers: dict[str, str] | None = None, query: dict[str, str] | None = None
) -> dict[str, Any]:
    """A `$connect` event as API Gateway sends it."""
    headers = {
        "Host": DOMAIN,
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        "Sec-WebSocket-Version": "13",
        "X-Forwarded-For": "203.0.113.7",
        "X-Forwarded-Port": "443",
        "X-Forwarded-Proto": "https",
        **(headers or {}),
    }
    return {
        "headers": headers,
        "multiValueHeaders": {k: [v] for k, v in headers.items()},
        "queryStringParameters": query,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "requestContext": _context("$connect", connection, "CONNECT"),
        "isBase64Encoded": False,
    }


def message_event(connection: str, body: str) -> dict[str, Any]:
    """A `$default` (MESSAGE) event."""
    context = _context("$default", connection, "MESSAGE")
    context["messageId"] = "Fh3kYdLmoAMCKxQ="
    return {"requestContext": context, "body": body, "isBase64Encoded": False}


def disconnect_event(connection: str) -> dict[str, Any]:
    """A `$disconnect` event."""
    context = _context("$disconnect", connection, "DISCONNECT")
    context.update(disconnectStatusCode=1001, disconnectReason="Going away")
    return {"headers": {"Host": DOMAIN}, "requestContext": context, "isBase64Encoded": False}


def received(connection: str) -> bytes:
    """What the moto server received for `connection` (all posts, concatenated)."""
    backend = apigatewaymanagementapi_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    # moto keys connections by the id as it appears in the URL path ("=" -> "%3D")
    for key in (connection, quote(connection, safe="")):
        if key in backend.connections:
            return backend.connections[key].data
    return b""


def new_connection() -> str:
    return f"conn{uuid.uuid4().hex[:12]}="


def connected(keys: dict[str, str], who: str) -> str:
    connection = new_connection()
    assert ws.handler(connect_event(connection, {"x-api-key": keys[who]})) == {"statusCode": 200}
    return connection


def test_connect_with_a_good_key_is_200_and_a_bad_key_401(keys: dict[str, str]) -> None:
    connection = new_connection()
    assert ws.handler(connect_event(connection, {"X-Api-Key": keys["ann"]}))["statusCode"] == 200
    refused = ws.handler(connect_event(new_connection(), {"x-api-key": "sk_bad"}))
    assert refused["statusCode"] == 401 and "API key" in refused["body"]
    missing = ws.handler(connect_event(new_connection()))
    assert missing["statusCode"] == 401


def test_browsers_may_connect_with_the_api_key_query_parameter(keys: dict[str, str]) -> None:
    connection = new_connection()
    response = ws.handler(connect_event(connection, query={"api_key": keys["ben"]}))
    assert response["statusCode"] == 200


def test_status_message_is_answered_on_the_connection(store: Store, keys: dict[str, str]) -> None:
    job, _ = store.submit_job("ann", "optimization", {"n_paths": 10})
    store.claim("ann", job.id, "worker-1", 30.0)
    store.append_events(
        "ann",
        job.id,
        [JobEvent(job.id, 1, "run_started"), JobEvent(job.id, 2, "batch_done", {"n": 20})],
    )
    connection = connected(keys, "ann")
    body = json.dumps({"action": "status", "job_id": job.id, "after": 0})
    assert ws.handler(message_event(connection, body)) == {"statusCode": 200}
    answer = json.loads(received(connection))
    assert answer["type"] == "status"
    assert answer["job"]["id"] == job.id and answer["job"]["status"] == "running"
    assert [e["type"] for e in answer["events"]] == ["run_started", "batch_done"]
    assert answer["last_seq"] == 2
    # polling again with last_seq sends only what is new
    store.append_events("ann", job.id, [JobEvent(job.id, 3, "batch_done", {"n": 40})])
    before = len(received(connection))
    body = json.dumps({"action": "status", "job_id": job.id, "after": 2})
    ws.handler(message_event(connection, body))
    second = json.loads(received(connection)[before:])
    assert [e["seq"] for e in second["events"]] == [3] and second["last_seq"] == 3


def test_another_owners_job_is_not_found(store: Store, keys: dict[str, str]) -> None:
    job, _ = store.submit_job("ann", "optimization", {"n_paths": 10})
    connection = connected(keys, "ben")
    ws.handler(message_event(connection, json.dumps({"action": "status", "job_id": job.id})))
    answer = json.loads(received(connection))
    assert answer["type"] == "error"
    assert answer["error"]["code"] == "NOT_FOUND" and job.id in answer["error"]["message"]
    assert "events" not in answer


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[1, 2]",
        json.dumps({"action": "subscribe", "job_id": "job_x"}),
        json.dumps({"action": "status"}),
        json.dumps({"action": "status", "job_id": "job_x", "after": "soon"}),
        "",
    ],
)
def test_malformed_messages_get_a_validation_error(keys: dict[str, str], body: str) -> None:
    connection = connected(keys, "ann")
    assert ws.handler(message_event(connection, body)) == {"statusCode": 200}
    answer = json.loads(received(connection))
    assert answer["type"] == "error" and answer["error"]["code"] == "VALIDATION_ERROR"
    assert answer["error"]["message"]


def test_after_disconnect_the_connection_is_unknown(keys: dict[str, str]) -> None:
    connection = connected(keys, "ann")
    assert ws.handler(disconnect_event(connection)) == {"statusCode": 200}
    response = ws.handler(
        message_event(connection, json.dumps({"action": "status", "job_id": "x"}))
    )
    assert response["statusCode"] == 401
    assert received(connection) == b""  # nothing was posted to a forgotten connection


def test_a_connection_never_opened_is_401() -> None:
    response = ws.handler(message_event(new_connection(), "{}"))
    assert response["statusCode"] == 401
