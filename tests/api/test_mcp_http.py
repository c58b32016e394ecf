"""`/mcp` in the API app, over a real socket (uvicorn on loopback) with the `mcp` SDK's
streamable HTTP client: the API's keys and rate limit guard it, errors are the API's; it keeps
no session (each request stands alone: a draft waits for the owner's approval in the API, even
for a client that would approve whatever it is asked); another owner reaches neither the first
owner's records nor drafts. The frames it refuses are answered in our words:
`tests/api/test_mcp_frames.py`; two server processes: `tests/api/test_mcp_serve.py`."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession, types
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import McpError

from tests.api.conftest import make_settings
from tests.support.cognito import CLIENT_ID, GROUP, Jwks, bearer
from tests.support.live_server import TLS, running_server
from tests.support.mcp_client import data, error, user_answers

SEARCH = {"universe": ["AAPL", "JNJ", "KO"], "start": "2015-01-01", "max_trials": 6}
INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": types.LATEST_PROTOCOL_VERSION,
        "capabilities": {},
        "clientInfo": {"name": "raw", "version": "1"},
    },
}
ACCEPT = {"accept": "application/json, text/event-stream"}
TIMEOUT = 120
"""Seconds a raw request may take (httpx's default of 5 is too short on a loaded machine)."""


@pytest.fixture(scope="module")
def server(api_env: Path) -> Iterator[tuple[str, str, str]]:
    """The app on loopback; the base URL and API keys of alice and bob."""
    from api.app import create_app

    app = create_app(make_settings(api_env / "mcp"))
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "mcp")
    bob, _ = store.create_api_key("bob", "mcp")
    with running_server(app) as base:
        yield base, alice, bob


def session(base: str, key: str | dict[str, str], work: Any, elicitation: Any = None) -> Any:
    """Run `work(client, session_id)` in an MCP client of the caller with `key` (an API key,
    or the headers to send); `session_id` is the one the server gave (None: it gives none)."""

    async def run() -> Any:
        headers = {"x-api-key": key} if isinstance(key, str) else key
        http = create_mcp_http_client(headers=headers)
        async with (
            http,
            streamable_http_client(f"{base}/mcp", http_client=http) as (read, write, session_id),
            ClientSession(read, write, elicitation_callback=elicitation) as client,
        ):
            await client.initialize()
            return await work(client, session_id())

    return asyncio.run(asyncio.wait_for(run(), 300))


def test_without_a_valid_key_mcp_is_refused_in_the_api_s_format(server: tuple) -> None:
    base, _, _ = server
    missing = httpx.post(
        f"{base}/mcp", json=INITIALIZE, headers=ACCEPT, timeout=TIMEOUT, verify=TLS
    )
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHENTICATED"
    assert missing.headers["www-authenticate"].startswith("ApiKey")
    wrong = httpx.post(
        f"{base}/mcp",
        json=INITIALIZE,
        headers={**ACCEPT, "x-api-key": "sk_no"},
        timeout=TIMEOUT,
        verify=TLS,
    )
    assert wrong.json()["error"]["message"] == "unknown or revoked API key"


def test_no_session_each_request_stands_alone_and_drafts_wait_for_the_api(
    server: tuple,
) -> None:
    base, alice, _ = server
    asked: list[str] = []

    async def drafts(client: ClientSession, session_id: str | None) -> tuple[Any, str | None]:
        tools = [tool.name for tool in (await client.list_tools()).tools]
        assert "portfolio_risk_report" in tools and "draft_deployment" in tools
        return data(await client.call_tool("draft_strategy_search", SEARCH)), session_id

    # a client that would approve whatever it is asked is asked nothing: its answer would come
    # back on another request, which another process may serve
    draft, session_id = session(base, alice, drafts, user_answers("accept", "approve", asked))
    with httpx.Client(base_url=base, timeout=TIMEOUT, verify=TLS) as http:
        # a call with no initialize before it is answered
        status = {"name": "draft_status", "arguments": {"draft_id": draft["draft_id"]}}
        alone = http.post(
            "/mcp",
            json={"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": status},
            headers={**ACCEPT, "x-api-key": alice},
        )
        # there is no stream to open nor session to end
        streams = [
            http.request(method, "/mcp", headers={**ACCEPT, "x-api-key": alice})
            for method in ("GET", "DELETE")
        ]
        decided = http.post(
            f"/v1/threads/{draft['draft_id']}/approve",
            json={"action": "reject"},
            headers={"x-api-key": alice, "accept": "application/json"},
        )
    assert session_id is None and asked == []
    assert draft["status"] == "pending_approval"
    assert alone.headers.get("mcp-session-id") is None
    assert _sse_result(alone)["structuredContent"]["status"] == "pending_approval"
    for refused in streams:
        assert refused.status_code == 405 and refused.headers["allow"] == "POST"
        error = refused.json()["error"]
        assert error["data"]["error"]["code"] == "METHOD_NOT_ALLOWED"
        assert error["message"] == error["data"]["error"]["message"]
    # the owner decides it where their threads are
    assert decided.status_code == 200, decided.text
    assert decided.json()["pending"] is None and decided.json()["replies"][-1].startswith("Cancel")


def test_another_owner_reaches_no_record_or_draft_of_the_first(server: tuple) -> None:
    base, alice, bob = server

    async def alices(client: ClientSession, _: str | None) -> str:
        return str(data(await client.call_tool("draft_strategy_search", SEARCH))["draft_id"])

    draft_id = session(base, alice, alices)

    async def bobs(client: ClientSession, _: str | None) -> tuple[dict[str, Any], str]:
        status = error(await client.call_tool("draft_status", {"draft_id": draft_id}))
        try:
            await client.read_resource(f"stratigos://runs/{draft_id}")  # type: ignore[arg-type]
        except McpError as exc:
            return status, exc.error.message
        raise AssertionError("bob read a record of alice's")

    status, refused = session(base, bob, bobs)
    assert status["code"] == "NOT_FOUND" and status["message"] == f"draft {draft_id!r} not found"
    assert refused.endswith("not found")
    # the REST API refuses bob the same draft (one owner check, two surfaces)
    rest = httpx.get(
        f"{base}/v1/threads/{draft_id}", headers={"x-api-key": bob}, timeout=TIMEOUT, verify=TLS
    )
    assert rest.status_code == 404 and rest.json()["error"]["code"] == "NOT_FOUND"
    mine = httpx.get(
        f"{base}/v1/threads/{draft_id}", headers={"x-api-key": alice}, timeout=TIMEOUT, verify=TLS
    ).json()
    assert mine["pending"]["summary"].startswith("Strategy search on AAPL, JNJ and KO")
    # alice decides it where her threads are: the API's approval of a pending thread
    approved = httpx.post(
        f"{base}/v1/threads/{draft_id}/approve",
        json={"action": "reject"},
        headers={"x-api-key": alice, "accept": "application/json"},
        timeout=TIMEOUT,
        verify=TLS,
    )
    assert approved.status_code == 200 and approved.json()["replies"][-1].startswith("Cancelled")


def test_mcp_requests_count_against_the_api_s_rate_limit(api_env: Path) -> None:
    from api.app import create_app

    limited = make_settings(
        api_env / "limited", api={"rate_limit_per_minute": 1, "rate_limit_burst": 2}
    )
    app = create_app(limited)
    # the limiter the settings made, on a clock that stands still: however slow the machine,
    # no token comes back between the requests
    app.state.context.rate_limiter.clock = lambda: 0.0
    key, _ = app.state.context.store.create_api_key("carol", "mcp")
    headers = {**ACCEPT, "x-api-key": key}
    with (
        running_server(app) as base,
        httpx.Client(base_url=base, timeout=TIMEOUT, verify=TLS) as http,
    ):
        answers = [
            http.get("/v1/threads", headers=headers),  # one bucket for REST and MCP
            http.post("/mcp", json=INITIALIZE, headers=headers),
            http.post("/mcp", json=INITIALIZE, headers=headers),
            http.get("/v1/threads", headers=headers),
        ]
    assert [a.status_code for a in answers] == [200, 200, 429, 429]
    assert answers[2].json()["error"]["code"] == "RATE_LIMITED"
    assert int(answers[2].headers["retry-after"]) == 60  # a whole token at 1 a minute


@pytest.fixture(scope="module")
def jwks() -> Iterator[Jwks]:
    server = Jwks()
    yield server
    server.close()


def test_a_cognito_token_opens_mcp_as_its_user_and_only_for_the_group(
    api_env: Path, jwks: Jwks
) -> None:
    from api.app import create_app

    cognito = {"issuer": jwks.issuer, "audience": CLIENT_ID, "required_group": GROUP}
    app = create_app(make_settings(api_env / "cognito", api={"cognito": cognito}))
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "mcp")
    pm = bearer(jwks.token("access", sub="pm-1"))

    async def drafts(client: ClientSession, _: str) -> dict[str, Any]:
        return data(await client.call_tool("draft_strategy_search", SEARCH))

    with (
        running_server(app) as base,
        httpx.Client(base_url=base, timeout=TIMEOUT, verify=TLS) as http,
    ):
        draft = session(base, pm, drafts)
        outsider = bearer(jwks.token("access", sub="pm-2", groups=["readers"]))
        forbidden = http.post("/mcp", json=INITIALIZE, headers={**ACCEPT, **outsider})
        forged = bearer(jwks.token("access", sub="pm-1", key=jwks.other_key))
        unsigned = http.post("/mcp", json=INITIALIZE, headers={**ACCEPT, **forged})
        # the draft is the token user's thread: theirs on the REST API, nobody else's
        theirs = http.get(f"/v1/threads/{draft['draft_id']}", headers=pm)
        alices = http.get(f"/v1/threads/{draft['draft_id']}", headers={"x-api-key": alice})
        owned = store.get_thread("cognito:pm-1", draft["draft_id"])
    assert draft["status"] == "pending_approval" and owned.id == draft["draft_id"]
    assert theirs.status_code == 200 and theirs.json()["pending"] is not None
    assert alices.status_code == 404 and alices.json()["error"]["code"] == "NOT_FOUND"
    assert forbidden.status_code == 403 and forbidden.json()["error"]["code"] == "FORBIDDEN"
    assert GROUP in forbidden.json()["error"]["message"]
    assert unsigned.status_code == 401 and unsigned.json()["error"]["code"] == "UNAUTHENTICATED"


def _sse_result(response: httpx.Response) -> dict[str, Any]:
    """The JSON-RPC result of a streamable HTTP answer (one SSE message, or JSON)."""
    assert response.status_code == 200, response.text
    if response.headers["content-type"].startswith("application/json"):
        return dict(response.json()["result"])
    (line,) = [x for x in response.text.splitlines() if x.startswith("data:")]
    return dict(json.loads(line[len("data:") :])["result"])
