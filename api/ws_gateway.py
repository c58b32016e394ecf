"""AWS API Gateway WebSocket API handler for job status: `api.ws_gateway.handler`.

Routes (the event's `requestContext.routeKey`):
- `$connect`: authenticates the `x-api-key` header (or a `Authorization: Bearer` token; or,
  for browsers, the `api_key` query parameter of the connection URL) and remembers the
  connection's owner for two hours (the API Gateway maximum); 401 refuses the connection.
- `$default`: a JSON message `{"action": "status", "job_id": ..., "after": SEQ}` is answered on
  the connection with `{"type": "status", "job": {...}, "events": [...], "last_seq": N}`: the
  job's status and progress and up to 200 trace events after `after`. Clients poll by sending
  it again with the returned `last_seq`. Other messages get `{"type": "error", ...}`.
- `$disconnect`: forgets the connection.

Messages are sent back with `apigatewaymanagementapi.post_to_connection` at the connection's
callback URL (`https://<domainName>/<stage>`, or `STRATIGOS_WS_CALLBACK_URL`).
"""

from __future__ import annotations

import json
import os
from typing import Any

from botocore.exceptions import ClientError

from api.auth import Authenticator
from api.errors import ApiError
from api.schemas.optimizations import job_view
from settings import get_settings
from store import NotFoundError, Store

CONNECTION_TTL_SECONDS = 2 * 3600.0
CONNECTIONS_OWNER = "ws-connections"
"""The cache namespace of WebSocket connections (connection id -> owner)."""

_store: Store | None = None


def _open() -> tuple[Store, Authenticator]:
    global _store
    settings = get_settings()
    if _store is None:
        from store.factory import open_store

        settings.ensure_data_dir()
        _store = open_store(settings)
    return _store, Authenticator(_store, settings)


def _client(event: dict[str, Any]) -> Any:
    import boto3

    context = event["requestContext"]
    url = os.environ.get("STRATIGOS_WS_CALLBACK_URL") or (
        f"https://{context['domainName']}/{context['stage']}"
    )
    return boto3.client("apigatewaymanagementapi", endpoint_url=url)


def _send(event: dict[str, Any], message: dict[str, Any]) -> None:
    _client(event).post_to_connection(
        ConnectionId=event["requestContext"]["connectionId"],
        Data=json.dumps(message, default=str).encode(),
    )


def _header(event: dict[str, Any], name: str) -> str | None:
    for key, value in (event.get("headers") or {}).items():
        if key.lower() == name:
            return str(value)
    return None


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    """The WebSocket API's Lambda handler."""
    store, authenticator = _open()
    request = event["requestContext"]
    route, connection = request["routeKey"], request["connectionId"]
    if route == "$connect":
        query = event.get("queryStringParameters") or {}
        api_key = _header(event, "x-api-key") or query.get("api_key")
        try:
            principal = authenticator.authenticate(api_key, _header(event, "authorization"))
        except ApiError as exc:
            return {"statusCode": exc.status, "body": exc.message}
        store.cache_put(
            CONNECTIONS_OWNER, connection, {"owner": principal.owner}, CONNECTION_TTL_SECONDS
        )
        return {"statusCode": 200}
    if route == "$disconnect":
        store.cache_put(CONNECTIONS_OWNER, connection, None, 1.0)
        return {"statusCode": 200}
    known = store.cache_get(CONNECTIONS_OWNER, connection)
    if not known:
        return {"statusCode": 401, "body": "unknown connection; reconnect"}
    try:
        _send(event, _answer(store, str(known["owner"]), event.get("body") or ""))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "GoneException":
            raise
        store.cache_put(CONNECTIONS_OWNER, connection, None, 1.0)  # the client has left
        return {"statusCode": 410, "body": "the connection is gone"}
    return {"statusCode": 200}


def _answer(store: Store, owner: str, body: str) -> dict[str, Any]:
    try:
        message = json.loads(body)
        if not isinstance(message, dict) or message.get("action") != "status":
            raise ValueError('send {"action": "status", "job_id": ..., "after": SEQ}')
        job_id = str(message["job_id"])
        after = int(message.get("after", 0))
    except (ValueError, KeyError, TypeError, OverflowError) as exc:
        return {"type": "error", "error": {"code": "VALIDATION_ERROR", "message": str(exc)}}
    try:
        job = store.get_job(owner, job_id)
    except NotFoundError:
        return {
            "type": "error",
            "error": {"code": "NOT_FOUND", "message": f"optimization {job_id!r} not found"},
        }
    events = store.events(owner, job_id, after_seq=max(0, after), limit=200)
    return {
        "type": "status",
        "job": job_view(job).model_dump(mode="json"),
        "events": [json.loads(e.payload) for e in events],
        "last_seq": events[-1].seq if events else after,
    }
