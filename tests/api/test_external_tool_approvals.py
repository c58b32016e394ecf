"""An approval of a call of an external MCP tool (the assistant as an MCP client, against a
loopback stand-in broker) on the API's chat surfaces: it is approved or rejected as asked, never
edited, since only the very call approved is ever sent. An edit is refused in the project's
format on the Agent Protocol (our decision and a `HumanResponse`) and on /v1, the call stays
pending and unsent, and the approval then sends exactly that call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import assert_error, make_settings
from tests.support.live_server import running_server
from tests.support.mcp_broker import broker, trader

ASK = "what does the market look like for AAPL?"
EDIT = {"arguments": {"ticker": "AAPL", "quantity": 1000}}


@pytest.fixture
def orders() -> list[tuple[str, int]]:
    return []


@pytest.fixture
def client(
    api_env: Path, orders: list[tuple[str, int]], policy_override: Any
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """The app with the broker's MCP server configured for the chat's market specialist (a
    model that quotes and buys through it), and alice's key."""
    from api.app import create_app

    policy_override("market_analysis", trader)
    with running_server(broker(orders)) as base:
        server = {
            "name": "broker",
            "transport": "streamable_http",
            "url": f"{base}/mcp",
            "read_only_tools": ["last_price"],
            "roles": ["market_analysis"],
        }
        settings = make_settings(api_env / "external", mcp={"servers": [server]})
        with TestClient(create_app(settings), raise_server_exceptions=False) as test_client:
            key, _ = test_client.app.state.context.store.create_api_key("alice", "t")  # type: ignore[attr-defined]
            yield test_client, {"x-api-key": key}


def _run(api: TestClient, headers: dict[str, str], thread: str, **body: Any) -> Any:
    return api.post(
        f"/agent/threads/{thread}/runs/wait",
        json={"assistant_id": "assistant", **body},
        headers=headers,
    )


def test_an_external_tool_call_is_approved_as_asked_never_edited(
    client: tuple[TestClient, dict[str, str]], orders: list[tuple[str, int]]
) -> None:
    api, alice = client
    thread = api.post("/agent/threads", json={}, headers=alice).json()["thread_id"]
    asked = _run(api, alice, thread, input={"messages": [{"role": "user", "content": ASK}]})
    assert asked.status_code == 200, asked.text
    ((approval,),) = [i["value"] for i in asked.json()["__interrupt__"]]
    assert approval["kind"] == "external_tool" and approval["actions"] == ["approve", "reject"]
    assert approval["action_request"]["action"] == "call_external_tool"
    assert approval["config"]["allow_edit"] is False  # what Agent Protocol clients offer
    assert orders == []

    ours = _run(api, alice, thread, command={"resume": {"action": "edit", "request": EDIT}})
    body = assert_error(ours, 422, "VALIDATION_ERROR", "body.command.resume.action")
    assert body["message"].startswith("edit is not an answer to this approval (Call place_order")
    assert body["message"].endswith("answer approve or reject")
    human = [{"type": "edit", "args": {"action": "call_external_tool", "args": EDIT}}]
    assert_error(
        _run(api, alice, thread, command={"resume": human}),
        422,
        "VALIDATION_ERROR",
        "body.command.resume.action",
    )
    rest = api.post(
        f"/v1/threads/{thread}/approve",
        json={"action": "edit", "changes": EDIT},
        headers={**alice, "accept": "application/json"},
    )
    assert_error(rest, 422, "VALIDATION_ERROR", "body.action")
    # nothing was sent, and the very call still waits for its answer
    assert orders == []
    pending = api.get(f"/v1/threads/{thread}", headers=alice).json()["pending"]
    assert pending["request"]["arguments"] == {"quantity": 10, "ticker": "AAPL"}

    done = _run(api, alice, thread, command={"resume": [{"type": "accept"}]})
    assert done.status_code == 200, done.text
    assert orders == [("AAPL", 10)]
    assert done.json()["messages"][-1]["content"].endswith("order for 10 AAPL accepted")
