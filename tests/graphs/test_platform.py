"""The graphs and the memory store as LangGraph Platform serves them (`langgraph.json`), without
the server: compiled without persistence, an assistant thread bound to the local owner with the
project's long-term memory, the AWS backend refused, a reused run id refused.
(`test_langgraph_dev.py` runs them in `langgraph dev` itself.)"""

from __future__ import annotations

import asyncio
import importlib
import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

from devtools.recording import SMALL_REQUEST
from graphs.assistant import build_assistant_graph
from graphs.optimization import build_optimization_graph
from graphs.platform import assistant, optimization
from graphs.request import OptimizationRequest
from graphs.resources import RunIdInUseError, release, resources
from services.memories import list_memories
from services.profiles import get_profile
from settings import LOCAL_OWNER, get_settings
from store.factory import open_store
from store.memories import memory_store
from store.platform import PlatformBackendError, memories

ROOT = Path(__file__).resolve().parents[2]


def test_langgraph_json_names_the_served_graphs_and_the_memory_store() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    # graphs as "module:attribute", the store as "module.attribute" (what langgraph-api reads)
    targets = [
        *(target.split(":") for target in config["graphs"].values()),
        config["store"]["path"].rsplit(".", 1),
    ]
    assert set(config["graphs"]) == {"optimization", "assistant"}
    assert "checkpointer" not in config  # the server's own: see docs/langgraph-platform.md
    assert targets == [
        ["graphs.platform", "optimization"],
        ["graphs.platform", "assistant"],
        ["store.platform", "memories"],
    ]
    for module, name in targets:
        assert callable(getattr(importlib.import_module(module), name))


def test_the_served_graphs_are_the_project_graphs_compiled_without_persistence() -> None:
    served = {"optimization": optimization(), "assistant": asyncio.run(assistant({}))}
    built = {"optimization": build_optimization_graph(), "assistant": build_assistant_graph()}
    for name, graph in served.items():
        assert graph.checkpointer is None and graph.store is None, name
        assert set(graph.get_graph().nodes) == set(built[name].get_graph().nodes), name
    assert optimization() is served["optimization"]  # compiled once per process


def test_an_assistant_thread_runs_as_the_local_owner_with_the_project_memory(
    offline_data_dir: Path,
) -> None:
    """The way the server runs it: the factory with the run's config, then the graph with the
    server's checkpointer and the store of `langgraph.json`, asynchronously."""
    config: dict[str, Any] = {"configurable": {"thread_id": "platform-thread"}}

    async def turn() -> dict[str, Any]:
        graph = await assistant(config)
        async with memories() as store:
            served = graph.copy(update={"checkpointer": InMemorySaver(), "store": store})
            message = HumanMessage("remember that I never hold energy stocks")
            return await served.ainvoke({"messages": [message]}, config)

    reply = str(asyncio.run(turn())["messages"][-1].content)
    assert "energy" in reply and "every portfolio" in reply
    settings = get_settings()
    assert get_profile(open_store(settings), LOCAL_OWNER).exclusions == ["energy"]
    with memory_store(settings) as stored:
        (memory,) = list_memories(stored, LOCAL_OWNER)
    assert memory.text == "I never hold energy stocks" and memory.exclusions == ["energy"]


def test_the_memory_store_refuses_the_aws_backend(
    offline_data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRATIGOS_STORE_BACKEND", "aws")
    get_settings.cache_clear()

    async def open_it() -> None:
        async with memories():
            pass

    with pytest.raises(PlatformBackendError, match="STRATIGOS_STORE_BACKEND=aws"):
        asyncio.run(open_it())


def test_a_run_id_in_use_by_another_request_is_refused(offline_data_dir: Path) -> None:
    request = OptimizationRequest.model_validate(SMALL_REQUEST)
    try:
        built = resources("platform-run", request)
        as_json = json.loads(request.model_dump_json())
        assert resources("platform-run", as_json) is built  # the same request, from a checkpoint
        other = {**as_json, "seed": 8}
        with pytest.raises(RunIdInUseError, match="'platform-run' is in use"):
            resources("platform-run", other)
    finally:
        release("platform-run")
