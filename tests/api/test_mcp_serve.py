"""MCP over HTTP against a real `stratigos serve` with two server processes on one port (its
default on two cores): every request may reach either process, and each is answered.

Forty MCP requests, each on a connection of its own (the `mcp` SDK's streamable HTTP client on
an HTTP client that keeps no connection alive), so the kernel hands each to whichever process
accepts first: a draft made in one request is found by the next, whoever serves it. A client's
calls after an idle longer than the server's keep-alive open new connections too: one client
making seven calls, each on a new connection, stands for them (a portfolio built by the first,
measured by the others: `api.mcp.artifacts`), and calls sent to a chosen process
(`tests.support.serving_process`) use what the other process built. Another owner reaches
nothing of the first's through either process."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from tests.api.test_serve_workers import STARTUP_SECONDS
from tests.support.live_server import TLS
from tests.support.mcp_client import data, error
from tests.support.mcp_serve import owner_keys, shared_serving
from tests.support.serving_process import pinned_connection

SEARCH = {"universe": ["AAPL", "JNJ", "KO"], "start": "2015-01-01", "max_trials": 6}
FRESH_SESSIONS = 19
"""Clients that each open a session and ask for the draft: with the draft's own two requests,
forty requests."""


pytestmark = pytest.mark.xdist_group("two-process-serve")  # one server: tests.support.mcp_serve


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str, set[int]]:
    """`stratigos serve` with two processes (the group's); its base URL, the keys of this
    module's two owners and its server processes."""
    running = shared_serving(tmp_path_factory)
    keys = owner_keys(running.data_dir, ["mcp-alice", "mcp-bob"])
    return running.base, keys["mcp-alice"], keys["mcp-bob"], set(running.processes)


def fresh_connections(key: str) -> httpx.AsyncClient:
    """An HTTP client that opens a new connection for every request."""
    return httpx.AsyncClient(
        headers={"x-api-key": key},
        timeout=httpx.Timeout(STARTUP_SECONDS),
        limits=httpx.Limits(max_keepalive_connections=0),
        verify=TLS,
    )


async def in_session(base: str, key: str, work: Any) -> Any:
    """`work(client)` in an MCP client session of the caller with `key`."""
    async with (
        fresh_connections(key) as http,
        streamable_http_client(f"{base}/mcp", http_client=http) as (read, write, session_id),
        ClientSession(read, write) as client,
    ):
        await client.initialize()
        assert session_id() is None  # nothing binds the client to one process
        return await work(client)


def test_forty_requests_on_fresh_connections_to_two_processes_all_succeed(
    serve: tuple[str, str, str, set[int]],
) -> None:
    base, alice, _, _ = serve

    async def draft(client: ClientSession) -> str:
        return str(data(await client.call_tool("draft_strategy_search", SEARCH))["draft_id"])

    async def status_of(draft_id: str) -> Any:
        async def ask(client: ClientSession) -> Any:
            return data(await client.call_tool("draft_status", {"draft_id": draft_id}))

        return await in_session(base, alice, ask)

    async def run() -> tuple[str, list[Any]]:
        draft_id = await in_session(base, alice, draft)  # initialize and the draft: 2 requests
        statuses = [await status_of(draft_id) for _ in range(FRESH_SESSIONS)]  # 2 each
        return draft_id, statuses

    draft_id, statuses = asyncio.run(asyncio.wait_for(run(), 600))
    assert len(statuses) == FRESH_SESSIONS
    for status in statuses:
        assert status["draft_id"] == draft_id and status["status"] == "pending_approval"


def test_a_client_s_calls_each_on_a_new_connection_all_succeed(
    serve: tuple[str, str, str, set[int]],
) -> None:
    base, alice, _, _ = serve
    hrp = {"method": "hrp", "universe": ["AAPL", "JNJ", "KO"]}

    async def six_calls(client: ClientSession) -> tuple[str, list[Any]]:
        # a portfolio built by one call, measured by the next six, wherever each goes
        built = data(await client.call_tool("optimize_portfolio", hrp))["portfolio_id"]
        risk = {"portfolio_id": built, "start": "2019-01-01"}
        return built, [
            data(await client.call_tool("portfolio_risk_report", risk)) for _ in range(6)
        ]

    built, reports = asyncio.run(asyncio.wait_for(in_session(base, alice, six_calls), 600))
    assert len(reports) == 6 and all(report["portfolio_id"] == built for report in reports)
    assert len({report["cvar_historical"] for report in reports}) == 1  # the same portfolio


def test_another_owner_reaches_nothing_of_the_first_through_either_process(
    serve: tuple[str, str, str, set[int]],
) -> None:
    base, alice, bob, _ = serve

    async def drafts(client: ClientSession) -> str:
        return str(data(await client.call_tool("draft_strategy_search", SEARCH))["draft_id"])

    async def asks(draft_id: str) -> list[dict[str, Any]]:
        async def ask(client: ClientSession) -> dict[str, Any]:
            return error(await client.call_tool("draft_status", {"draft_id": draft_id}))

        return [await in_session(base, bob, ask) for _ in range(6)]

    async def run() -> tuple[str, list[dict[str, Any]]]:
        draft_id = await in_session(base, alice, drafts)
        return draft_id, await asks(draft_id)

    draft_id, refusals = asyncio.run(asyncio.wait_for(run(), 600))
    for refused in refusals:
        assert refused["code"] == "NOT_FOUND"
        assert refused["message"] == f"draft {draft_id!r} not found"


def test_what_one_process_built_the_other_measures_alike(
    serve: tuple[str, str, str, set[int]],
) -> None:
    """Each call sent to the process chosen: a portfolio and a scenario set built by the first
    are measured by the second as by the first (rebuilt from their recipes, `tools.recipes`),
    and what the second builds gets an id of its own, which the first then finds."""
    base, alice, _, processes = serve
    first, second = sorted(processes)

    def call(pid: int, name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        connection = pinned_connection(base, pid, processes, STARTUP_SECONDS)
        frame = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
        body = json.dumps({**frame, "params": {"name": name, "arguments": arguments}})
        headers = {"accept": "application/json, text/event-stream", "x-api-key": alice}
        try:
            connection.request(
                "POST", "/mcp", body=body, headers=headers | {"content-type": "application/json"}
            )
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        assert response.status == 200, text
        (line,) = [x for x in text.splitlines() if x.startswith("data:")] or [f"data:{text}"]
        result = json.loads(line.removeprefix("data:"))["result"]
        assert not result.get("isError"), result
        return dict(result["structuredContent"])

    hrp = {"method": "hrp", "universe": ["AAPL", "JNJ", "KO"]}
    built = call(first, "optimize_portfolio", hrp)["portfolio_id"]
    paths = {"universe": ["AAPL", "KO"], "n_paths": 8, "horizon": 126}
    scenarios = call(first, "generate_market_scenarios", paths)["scenario_set_id"]
    own = call(second, "optimize_portfolio", {"method": "min_volatility", "universe": ["KO", "PG"]})
    assert own["portfolio_id"] != built
    risk = {"portfolio_id": built, "start": "2019-01-01"}
    backtest = {"config": {"target_vol": 0.1}, "scenario_set_id": scenarios}
    theirs = {"portfolio_id": own["portfolio_id"], "start": "2019-01-01"}
    for name, arguments in (("portfolio_risk_report", risk), ("backtest_strategy", backtest)):
        assert call(second, name, arguments) == call(first, name, arguments), name
    measured = call(first, "portfolio_risk_report", theirs)
    assert measured == call(second, "portfolio_risk_report", theirs)
    assert set(measured["risk_contributions"]) == {"KO", "PG"}
