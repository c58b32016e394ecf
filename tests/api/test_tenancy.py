"""One owner's records, and the approvals of their drafts, across the API's surfaces: the REST
API (/v1), the Agent Protocol (/agent) and MCP (/mcp, with the `mcp` SDK's client), on one
app over a real socket (uvicorn on loopback) with two owners' keys.

- A draft (a chat thread), a saved portfolio, an optimization job and an Agent Protocol run of
  alice's are hers on every surface and "not found" to bob on every one: read, listed, named
  in a tool's arguments, or answered.
- A search drafted through MCP is approved through the Agent Protocol (its job runs), and a
  deployment of its winner drafted through MCP is approved through /v1: one thread, one
  approval, whichever surface answers it; bob can answer neither.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client
from mcp.shared.exceptions import McpError

from api.agent_protocol.run_records import RunTiming
from tests.api.conftest import assert_error, make_settings
from tests.support.live_server import TLS, running_server
from tests.support.mcp_client import data, error

SEARCH = {"universe": ["AAPL", "JNJ", "KO"], "start": "2015-01-01", "max_trials": 6}
JOB = {"universe": ["AAPL", "KO"], "n_paths": 20, "budget": {"max_trials": 4, "batch_size": 4}}
PORTFOLIO = {"name": "Staples", "weights": [{"asset": "KO", "weight": 0.5}, {"asset": "PG", "weight": 0.5}]}  # fmt: skip
TIMEOUT = 300
"""Seconds a request may take (an approved search runs within it)."""


@dataclass(frozen=True)
class Surfaces:
    """The live app: its base URL, a client, and the keys of alice and bob."""

    base: str
    http: httpx.Client
    alice: dict[str, str]
    bob: dict[str, str]

    def mcp(self, caller: dict[str, str], name: str, arguments: dict[str, Any]) -> Any:
        """Call MCP tool `name` as `caller` (a session of its own)."""
        return self.mcp_session(caller, lambda s: s.call_tool(name, arguments))

    def mcp_session(self, caller: dict[str, str], work: Any) -> Any:
        """Run `work(session)` in an MCP session of `caller`."""

        async def run() -> Any:
            http = create_mcp_http_client(headers=caller)
            async with (
                http,
                streamable_http_client(f"{self.base}/mcp", http_client=http) as (read, write, _),
                ClientSession(read, write) as session,
            ):
                await session.initialize()
                return await work(session)

        return asyncio.run(asyncio.wait_for(run(), TIMEOUT))

    def resume(self, caller: dict[str, str], thread: str, resume: Any) -> httpx.Response:
        """Answer the approval `thread` waits for through the Agent Protocol."""
        body = {"assistant_id": "assistant", "command": {"resume": resume}}
        return self.http.post(f"/agent/threads/{thread}/runs/wait", json=body, headers=caller)

    def approve(self, caller: dict[str, str], thread: str, action: str) -> httpx.Response:
        """Answer the approval `thread` waits for through /v1."""
        headers = {**caller, "accept": "application/json"}
        return self.http.post(f"/v1/threads/{thread}/approve", json={"action": action}, headers=headers)  # fmt: skip


@pytest.fixture(scope="module")
def surfaces(api_env: Path) -> Iterator[Surfaces]:
    from api.app import create_app

    app = create_app(make_settings(api_env / "tenancy"))
    app.state.context.run_timing = RunTiming(poll_seconds=0.05)
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "surfaces")
    bob, _ = store.create_api_key("bob", "surfaces")
    with (
        running_server(app) as base,
        httpx.Client(base_url=base, timeout=TIMEOUT, verify=TLS) as http,
    ):
        yield Surfaces(base, http, {"x-api-key": alice}, {"x-api-key": bob})


def _alices_records(surfaces: Surfaces) -> dict[str, str]:
    """A draft (MCP), a portfolio and a job (/v1), a chat thread and its run (/agent)."""
    http, alice = surfaces.http, surfaces.alice
    draft = data(surfaces.mcp(alice, "draft_strategy_search", SEARCH))
    portfolio = http.post("/v1/portfolios", json=PORTFOLIO, headers=alice)
    job = http.post("/v1/optimizations", json=JOB, headers=alice)
    thread = http.post("/agent/threads", json={}, headers=alice).json()["thread_id"]
    hello = {"assistant_id": "assistant", "input": {"messages": [{"role": "user", "content": "hi"}]}}  # fmt: skip
    run = http.post(f"/agent/threads/{thread}/runs", json=hello, headers=alice)
    assert portfolio.status_code == 201 and job.status_code == 202 and run.status_code == 200
    http.get(f"/agent/threads/{thread}/runs/{run.json()['run_id']}/join", headers=alice)
    return {
        "draft": draft["draft_id"],
        "portfolio": portfolio.json()["id"],
        "job": job.json()["id"],
        "thread": thread,
        "run": run.json()["run_id"],
    }


def _rest_and_agent_paths(ids: dict[str, str]) -> list[str]:
    return [
        f"/v1/threads/{ids['draft']}",
        f"/v1/portfolios/{ids['portfolio']}",
        f"/v1/optimizations/{ids['job']}",
        f"/v1/threads/{ids['thread']}",
        f"/agent/threads/{ids['draft']}",
        f"/agent/threads/{ids['draft']}/state",
        f"/agent/threads/{ids['thread']}",
        f"/agent/threads/{ids['thread']}/runs/{ids['run']}",
    ]


async def _mcp_reach(session: ClientSession, ids: dict[str, str]) -> dict[str, Any]:
    """What an MCP session reaches of `ids`: tool answers, resources read and listed."""
    calls = {
        "draft_status": {"draft_id": ids["draft"]},
        "portfolio_risk_report": {"portfolio_id": ids["portfolio"]},
        "draft_deployment": {"optimization_id": ids["job"], "capital": 10_000},
    }
    reached: dict[str, Any] = {n: await session.call_tool(n, a) for n, a in calls.items()}
    for kind, key in (("portfolios", "portfolio"), ("runs", "job")):
        try:
            await session.read_resource(f"stratigos://{kind}/{ids[key]}")  # type: ignore[arg-type]
            reached[kind] = "read"
        except McpError as exc:
            reached[kind] = exc.error.message
    reached["listed"] = [str(r.uri) for r in (await session.list_resources()).resources]
    return reached


def test_one_owner_s_records_are_not_found_by_another_on_every_surface(
    surfaces: Surfaces,
) -> None:
    ids = _alices_records(surfaces)
    http, alice, bob = surfaces.http, surfaces.alice, surfaces.bob
    for path in _rest_and_agent_paths(ids):
        assert http.get(path, headers=alice).status_code == 200, path
        assert_error(http.get(path, headers=bob), 404, "NOT_FOUND")
    # nor listed, nor found by a search
    for caller, seen in ((alice, set(ids.values())), (bob, set())):
        listed = {
            *(t["id"] for t in http.get("/v1/threads", headers=caller).json()),
            *(p["id"] for p in http.get("/v1/portfolios", headers=caller).json()["items"]),
            *(j["id"] for j in http.get("/v1/optimizations", headers=caller).json()),
            *(t["thread_id"] for t in http.post("/agent/threads/search", json={}, headers=caller).json()),
        }  # fmt: skip
        assert listed == seen - {ids["run"]}

    hers = surfaces.mcp_session(alice, lambda s: _mcp_reach(s, ids))
    assert data(hers["draft_status"])["status"] == "pending_approval"
    assert data(hers["portfolio_risk_report"])["portfolio_id"] == ids["portfolio"]
    assert hers["portfolios"] == hers["runs"] == "read"
    assert f"stratigos://portfolios/{ids['portfolio']}" in hers["listed"]
    his = surfaces.mcp_session(bob, lambda s: _mcp_reach(s, ids))
    for name in ("draft_status", "portfolio_risk_report", "draft_deployment"):
        assert error(his[name])["code"] == "NOT_FOUND", (name, error(his[name]))
    assert his["portfolios"] == f"resource 'stratigos://portfolios/{ids['portfolio']}' not found"
    assert his["runs"] == f"resource 'stratigos://runs/{ids['job']}' not found"
    assert his["listed"] == ["stratigos://profile"]

    # nor answered: a chat naming her portfolio measures it for her, not for bob
    ask = {"role": "user", "content": f"what is the 95% CVaR of {ids['portfolio']}?"}
    for caller in (alice, bob):
        thread = http.post("/agent/threads", json={}, headers=caller).json()["thread_id"]
        body = {"assistant_id": "assistant", "input": {"messages": [ask]}}
        answer = http.post(f"/agent/threads/{thread}/runs/wait", json=body, headers=caller)
        reply = answer.json()["messages"][-1]["content"]
        if caller is alice:
            named = f"{PORTFOLIO['name']} ({ids['portfolio']})"  # her saved portfolio's name
            assert reply.startswith(f"{named}: At 95% confidence the one-day VaR"), reply
        else:
            assert f"no portfolio {ids['portfolio']!r}" in reply and "one-day VaR" not in reply


def test_an_mcp_draft_is_approved_through_the_agent_protocol_and_through_v1(
    surfaces: Surfaces,
) -> None:
    alice, bob = surfaces.alice, surfaces.bob
    search = data(surfaces.mcp(alice, "draft_strategy_search", SEARCH))["draft_id"]
    # bob can answer it on no surface, and it waits
    assert_error(surfaces.resume(bob, search, [{"type": "accept"}]), 404, "NOT_FOUND")
    assert_error(surfaces.approve(bob, search, "approve"), 404, "NOT_FOUND")
    assert data(surfaces.mcp(alice, "draft_status", {"draft_id": search}))["status"] == (
        "pending_approval"
    )

    ran = surfaces.resume(alice, search, [{"type": "accept"}])
    assert ran.status_code == 200, ran.text
    status = data(surfaces.mcp(alice, "draft_status", {"draft_id": search}))
    assert status["status"] == "approved"
    assert f"Run {status['run_id']} succeeded." in ran.json()["messages"][-1]["content"]
    job = surfaces.http.get(f"/v1/optimizations/{status['run_id']}", headers=alice).json()
    assert job["status"] == "succeeded"

    wanted = {"optimization_id": status["run_id"], "capital": 50_000, "every": "month"}
    deployment = data(surfaces.mcp(alice, "draft_deployment", wanted))["draft_id"]
    assert_error(surfaces.approve(bob, deployment, "approve"), 404, "NOT_FOUND")
    assert_error(surfaces.resume(bob, deployment, "approve"), 404, "NOT_FOUND")
    deployed = surfaces.approve(alice, deployment, "approve")
    assert deployed.status_code == 200, deployed.text
    deployment_id = re.findall(r"^Deployed as (dep_\w+) ", deployed.json()["replies"][-1])[0]
    mine = surfaces.http.get(f"/v1/deployments/{deployment_id}", headers=alice).json()
    assert mine["status"] == "active" and mine["spec"]["capital"] == 50_000
    assert_error(
        surfaces.http.get(f"/v1/deployments/{deployment_id}", headers=bob), 404, "NOT_FOUND"
    )
    assert data(surfaces.mcp(alice, "draft_status", {"draft_id": deployment}))["status"] == (
        "approved"
    )
