"""The assistant as an MCP client: a loopback MCP server (a stand-in broker built on the `mcp`
SDK, served by uvicorn) configured for the owner; its read-only tool runs at once, its order
tool only once the owner approves that very call, and a server that cannot be reached leaves
the chat working without its tools until they are loaded again."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage
from langgraph.types import Command

from agents.offline.policies import PolicyInput, get_policy
from graphs import thread_bindings
from graphs.assistant import build_assistant_graph
from graphs.chat import ChatSession
from services.errors import InputError
from settings import Settings
from store.checkpoints import checkpointer
from store.sqlite import SQLiteStore
from tests.support.live_server import closed_port, loopback_socket, running_server
from tests.support.mcp_broker import broker, trader

ASK = "what does the market look like for AAPL?"


@pytest.fixture
def orders() -> list[tuple[str, int]]:
    return []


@pytest.fixture
def broker_url(orders: list[tuple[str, int]]) -> Iterator[str]:
    with running_server(broker(orders)) as base:
        yield f"{base}/mcp"


def session(tmp_path: Path, url: str, thread: str) -> ChatSession:
    server = {
        "name": "broker",
        "transport": "streamable_http",
        "url": url,
        "read_only_tools": ["last_price"],
        "roles": ["market_analysis"],
    }
    settings = Settings.model_validate(
        {
            "data_dir": tmp_path / "data",
            "models": {"provider": "offline"},
            "mcp": {"servers": [server]},
        }
    )
    store = SQLiteStore(tmp_path / "store.sqlite")
    return ChatSession(thread, settings=settings, owner="alice", store=store)


def test_an_order_is_sent_only_once_the_owner_approves_that_call(
    tmp_path: Path, broker_url: str, orders: list[tuple[str, int]], policy_override: Any
) -> None:
    policy_override("market_analysis", trader)
    chat = session(tmp_path, broker_url, "mcp-orders")
    turn = chat.send(ASK)
    assert turn.pending is not None and turn.pending["kind"] == "external_tool"
    assert turn.pending["summary"] == (
        'Call place_order on the MCP server broker with {"quantity": 10, "ticker": "AAPL"}.'
    )
    assert orders == []  # the quote ran, the order waits

    # a decision that does not name the call (a raw resume) approves nothing: asked again
    with checkpointer(chat.settings) as saver:
        build_assistant_graph(saver).invoke(Command(resume={"action": "approve"}), chat.config)
    assert orders == [] and chat.pending() is not None
    # nor does an edit: only the very call asked about is ever sent (the CLI's --edit)
    with pytest.raises(InputError, match=r"^edit is not an answer to this approval"):
        chat.decide("edit", changes={"arguments": {"ticker": "AAPL", "quantity": 1000}})
    assert orders == [] and chat.pending() is not None

    done = chat.decide("approve")
    assert orders == [("AAPL", 10)]
    assert done.replies[-1] == "AAPL last traded at 150.25 / order for 10 AAPL accepted"

    chat.send(ASK)
    rejected = chat.decide("reject")
    assert orders == [("AAPL", 10)]  # nothing more was sent
    assert "did not approve this call of broker_place_order" in rejected.replies[-1]


def test_an_unreachable_server_leaves_the_chat_without_its_tools(
    tmp_path: Path, policy_override: Any
) -> None:
    handed: list[list[str]] = []
    market = get_policy("market_analysis")

    def watched(inp: PolicyInput) -> AIMessage:
        handed.append(inp.tool_names)
        return market(inp)

    policy_override("market_analysis", watched)
    with closed_port() as port:
        chat = session(tmp_path, f"http://127.0.0.1:{port}/mcp", "mcp-down")
        turn = chat.send(ASK)
    assert turn.pending is None and "AAPL" in turn.replies[-1]  # answered with its own tools
    assert handed and all(not name.startswith("broker_") for names in handed for name in names)
    assert "market_statistics" in handed[0]


def test_a_server_reached_later_is_used_once_its_tools_are_loaded_again(
    tmp_path: Path,
    orders: list[tuple[str, int]],
    policy_override: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A thread's tools of external servers are kept `EXTERNAL_TOOLS_SECONDS` only: a server
    that could not be reached at first is used once they are loaded again (as a process that
    loads them then, another server process say, would)."""
    handed: list[list[str]] = []
    market = get_policy("market_analysis")

    def watched(inp: PolicyInput) -> AIMessage:
        handed.append(inp.tool_names)
        return market(inp)

    policy_override("market_analysis", watched)
    now = [0.0]
    monkeypatch.setattr(thread_bindings, "clock", lambda: now[0])
    sock = loopback_socket()  # bound, not yet listening: connections are refused
    chat = session(tmp_path, f"http://127.0.0.1:{sock.getsockname()[1]}/mcp", "mcp-later")
    chat.send(ASK)
    with running_server(broker(orders), sock=sock):
        chat.send(ASK)
        now[0] += thread_bindings.EXTERNAL_TOOLS_SECONDS
        chat.send(ASK)
    broker_tools = [{n for n in names if n.startswith("broker_")} for names in handed]
    assert broker_tools[0] == set() and broker_tools[-1] == {
        "broker_last_price",
        "broker_place_order",
    }
    assert broker_tools[1] == set()  # kept meanwhile: the server was not asked again
