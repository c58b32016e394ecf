"""An agent's tool loop inside a checkpointed graph: it runs under the parent's `sync` durability,
still streams as a subgraph, and keeps no checkpoints of its own (agents.agent_loop.run_tool_loop)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.checkpoint.sqlite import SqliteSaver
from langgraph.graph import START, MessagesState, StateGraph

from agents.agent_loop import run_tool_loop, tool_loop
from agents.offline import (
    OfflineChatModel,
    PolicyInput,
    register_policy,
    reply,
    tool_call,
    unregister_policy,
)

ROLE = "test_loop_adder"


@tool
def add(a: int, b: int) -> dict[str, int]:
    """Add two integers."""
    return {"sum": a + b}


def adder_policy(inp: PolicyInput) -> AIMessage:
    """Call `add` once with the two numbers of the request, then report its result."""
    result = inp.last_result("add")
    if result is None:
        a, b = (int(w) for w in inp.last_human_text().split() if w.isdigit())
        return reply("Adding.", tool_call("add", {"a": a, "b": b}))
    return reply(f"The sum is {result.data['sum']}.")


@pytest.fixture(autouse=True)
def _adder_policy() -> Iterator[None]:
    register_policy(ROLE)(adder_policy)
    yield
    unregister_policy(ROLE)


def test_a_tool_loop_in_a_sync_durable_checkpointed_graph_saves_nothing_of_its_own(
    tmp_path: Path,
) -> None:
    def agent(state: MessagesState, config: RunnableConfig) -> dict[str, list[BaseMessage]]:
        given = list(state["messages"])
        loop = run_tool_loop(OfflineChatModel(role=ROLE), [add], ROLE, given, config)
        return {"messages": loop[len(given) :]}

    builder = StateGraph(MessagesState)
    builder.add_node("agent", agent)
    builder.add_edge(START, "agent")
    config: dict[str, Any] = {"configurable": {"thread_id": "loop-thread"}}
    connection = sqlite3.connect(tmp_path / "checkpoints.sqlite", check_same_thread=False)
    try:
        saver = SqliteSaver(connection)
        graph = builder.compile(checkpointer=saver)
        chunks = list(
            graph.stream(
                {"messages": [HumanMessage("add 5 and 6")]},
                config,
                stream_mode="updates",
                subgraphs=True,
                durability="sync",  # as graphs.optimization_run streams the optimization graph
            )
        )
        messages = graph.get_state(config).values["messages"]
        namespaces = {c.config["configurable"]["checkpoint_ns"] for c in saver.list(config)}
    finally:
        connection.close()
    assert [m.type for m in messages] == ["human", "ai", "tool", "ai"]
    assert messages[-1].content == "The sum is 11."
    inner = [namespace for namespace, _ in chunks if namespace]
    assert inner and all(ns[0].startswith("agent:") for ns in inner)  # streamed as a subgraph
    assert namespaces == {""}  # only the parent graph's checkpoints


def _adder_tool(offset: int) -> Any:
    """An `add` tool whose sum is off by `offset` (a run's own tool, built for that run)."""

    @tool
    def add(a: int, b: int) -> dict[str, int]:
        """Add two integers."""
        return {"sum": a + b + offset}

    return add


def test_the_loop_is_compiled_once_and_each_run_calls_its_own_tools() -> None:
    """Runs at once on different threads, each with its own tools, get their own tools' results
    from the one compiled loop."""
    assert tool_loop() is tool_loop()

    def run(offset: int) -> str:
        given = [HumanMessage(f"add {offset} and 10")]
        loop = run_tool_loop(OfflineChatModel(role=ROLE), [_adder_tool(offset)], ROLE, given)
        return str(loop[-1].content)

    offsets = list(range(12))
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(run, offsets))
    assert answers == [f"The sum is {2 * k + 10}." for k in offsets]
