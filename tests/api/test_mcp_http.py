"""`/mcp` in the API app, over a real socket (uvicorn on loopback) with the `mcp` SDK's
streamable HTTP client: the API's keys and rate limit guard it, errors are the API's; an
approval round trip asked through the client runs the search with progress notifications;
another owner reaches neither the first owner's records, nor drafts, nor MCP session."""

from __future__ import annotations

import asyncio
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
from tests.api.mcp_support import data, error, user_answers
from tests.support.live_server import running_server

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


def session(base: str, key: str, work: Any, elicitation: Any = None) -> Any:
    """Run `work(client, session_id)` in an MCP session of the caller with `key`."""

    async def run() -> Any:
        http = create_mcp_http_client(headers={"x-api-key": key})
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
    missing = httpx.post(f"{base}/mcp", json=INITIALIZE, headers=ACCEPT)
    assert missing.status_code == 401
    assert missing.json()["error"]["code"] == "UNAUTHENTICATED"
    assert missing.headers["www-authenticate"].startswith("ApiKey")
    wrong = httpx.post(f"{base}/mcp", json=INITIALIZE, headers={**ACCEPT, "x-api-key": "sk_no"})
    assert wrong.json()["error"]["message"] == "unknown or revoked API key"


def test_an_approval_asked_through_the_client_runs_the_search_with_progress(
    server: tuple,
) -> None:
    base, alice, _ = server
    asked: list[str] = []
    reported: list[float] = []

    async def work(client: ClientSession, _: str) -> tuple[list[str], dict[str, Any], str]:
        async def on_progress(progress: float, total: float | None, message: str | None) -> None:
            reported.append(progress)

        tools = [tool.name for tool in (await client.list_tools()).tools]
        ran = data(
            await client.call_tool("draft_strategy_search", SEARCH, progress_callback=on_progress)
        )
        run = (await client.read_resource(f"stratigos://runs/{ran['run_id']}")).contents[0]  # type: ignore[arg-type]
        assert isinstance(run, types.TextResourceContents)
        return tools, ran, run.text

    tools, ran, run = session(base, alice, work, user_answers("accept", "approve", asked))
    assert "portfolio_risk_report" in tools and "draft_deployment" in tools
    assert ran["status"] == "approved" and asked == [f"Approval needed: {ran['summary']}"]
    assert reported[-1] == 6.0
    assert '"status": "succeeded"' in run


def test_another_owner_reaches_no_record_draft_or_session_of_the_first(server: tuple) -> None:
    base, alice, bob = server

    async def alices(client: ClientSession, session_id: str) -> tuple[str, str]:
        draft = data(await client.call_tool("draft_strategy_search", SEARCH))
        # bob, with alice's session id, is answered as if it did not exist
        hijack = httpx.post(
            f"{base}/mcp",
            json={"jsonrpc": "2.0", "id": 7, "method": "tools/list"},
            headers={**ACCEPT, "x-api-key": bob, "mcp-session-id": session_id},
        )
        assert hijack.status_code == 404
        return draft["draft_id"], session_id

    draft_id, _ = session(base, alice, alices)

    async def bobs(client: ClientSession, _: str) -> tuple[dict[str, Any], str]:
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
    rest = httpx.get(f"{base}/v1/threads/{draft_id}", headers={"x-api-key": bob})
    assert rest.status_code == 404 and rest.json()["error"]["code"] == "NOT_FOUND"
    mine = httpx.get(f"{base}/v1/threads/{draft_id}", headers={"x-api-key": alice}).json()
    assert mine["pending"]["summary"].startswith("Strategy search on 3 assets")
    # alice approves it where her threads are: the API's approval of a pending thread
    approved = httpx.post(
        f"{base}/v1/threads/{draft_id}/approve",
        json={"action": "reject"},
        headers={"x-api-key": alice, "accept": "application/json"},
        timeout=60,
    )
    assert approved.status_code == 200 and approved.json()["replies"][-1].startswith("Cancelled")


def test_mcp_requests_count_against_the_api_s_rate_limit(api_env: Path) -> None:
    from api.app import create_app

    limited = make_settings(
        api_env / "limited", api={"rate_limit_per_minute": 1, "rate_limit_burst": 2}
    )
    app = create_app(limited)
    key, _ = app.state.context.store.create_api_key("carol", "mcp")
    with running_server(app) as base:
        answers = [
            httpx.post(f"{base}/mcp", json=INITIALIZE, headers={**ACCEPT, "x-api-key": key})
            for _ in range(3)
        ]
    assert [a.status_code for a in answers[:2]] == [200, 200]
    assert answers[2].status_code == 429 and answers[2].json()["error"]["code"] == "RATE_LIMITED"
    assert int(answers[2].headers["retry-after"]) >= 1
