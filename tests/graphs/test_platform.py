"""The graphs, the memory store and the checkpointer as LangGraph Platform serves them
(`langgraph.json`), without the server: compiled without persistence, an assistant thread bound
to the local owner with the project's long-term memory and checkpointed in the project's file
through a checkpointer with async methods only (as the server hands it to runs), the AWS
backend refused, a reused run id refused. (`test_langgraph_dev.py` runs them in
`langgraph dev` itself.)"""

from __future__ import annotations

import asyncio
import importlib
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)

from devtools.recording import SMALL_REQUEST
from graphs.assistant import build_assistant_graph
from graphs.optimization import build_optimization_graph
from graphs.platform import assistant, optimization
from graphs.request import OptimizationRequest
from graphs.resources import RunIdInUseError, release, resources
from services.memories import list_memories
from services.profiles import get_profile
from settings import LOCAL_OWNER, get_settings
from store.checkpoints import checkpointer
from store.factory import open_store
from store.memories import memory_store
from store.platform import PlatformBackendError, checkpoints, memories

ROOT = Path(__file__).resolve().parents[2]


def test_langgraph_json_names_the_served_graphs_the_memory_store_and_the_checkpointer() -> None:
    config = json.loads((ROOT / "langgraph.json").read_text())
    # graphs as "module:attribute", the store and the checkpointer as "module.attribute" (what
    # langgraph-api reads)
    targets = [
        *(target.split(":") for target in config["graphs"].values()),
        config["store"]["path"].rsplit(".", 1),
        config["checkpointer"]["path"].rsplit(".", 1),
    ]
    assert set(config["graphs"]) == {"optimization", "assistant"}
    assert targets == [
        ["graphs.platform", "optimization"],
        ["graphs.platform", "assistant"],
        ["store.platform", "memories"],
        ["store.platform", "checkpoints"],
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


class AsyncOnly(BaseCheckpointSaver[str]):
    """`inner` as langgraph-api 0.16 hands a custom checkpointer to runs: its async methods
    only (the sync ones are `BaseCheckpointSaver`'s, which raise `NotImplementedError`)."""

    def __init__(self, inner: BaseCheckpointSaver[str]) -> None:
        super().__init__(serde=inner.serde)
        self.inner = inner

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        return await self.inner.aget_tuple(config)

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        async for item in self.inner.alist(config, filter=filter, before=before, limit=limit):
            yield item

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        return await self.inner.aput(config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        await self.inner.aput_writes(config, writes, task_id, task_path)

    def get_next_version(self, current: str | None, channel: None) -> str:
        return self.inner.get_next_version(current, channel)


def test_an_assistant_thread_runs_as_the_local_owner_with_the_project_persistence(
    offline_data_dir: Path,
) -> None:
    """The way the server runs it: the factory with the run's config, then the graph with the
    checkpointer and the store of `langgraph.json` (the checkpointer's async methods only),
    asynchronously. A turn whose specialist calls a tool (its loop saves nothing, so it never
    needs the sync methods) and a turn that remembers; both in the project's files."""
    config: dict[str, Any] = {"configurable": {"thread_id": "platform-thread"}}
    asks = [
        "What is the CVaR of AAPL and KO since 2019?",
        "remember that I never hold energy stocks",
    ]

    async def turns() -> list[Any]:
        graph = await assistant(config)
        async with checkpoints() as saver, memories() as store:
            served = graph.copy(update={"checkpointer": AsyncOnly(saver), "store": store})
            return [
                (await served.ainvoke({"messages": [HumanMessage(text)]}, config))["messages"]
                for text in asks
            ]

    risk, remembered = asyncio.run(turns())
    assert [m.name for m in risk if m.type == "tool"] == ["portfolio_risk_report"]
    assert "CVaR" in str(risk[-1].content)
    reply = str(remembered[-1].content)
    assert "energy" in reply and "every portfolio" in reply
    settings = get_settings()
    assert get_profile(open_store(settings), LOCAL_OWNER).exclusions == ["energy"]
    with memory_store(settings) as stored:
        (memory,) = list_memories(stored, LOCAL_OWNER)
    assert memory.text == "I never hold energy stocks" and memory.exclusions == ["energy"]
    with checkpointer(settings) as saver:  # the project's checkpoint file, its own saver
        saved = build_assistant_graph(saver).get_state(config).values["messages"]
        namespaces = {c.config["configurable"]["checkpoint_ns"] for c in saver.list(config)}
    assert [m.id for m in saved] == [m.id for m in remembered]
    assert isinstance(saved[-1], AIMessage) and saved[-1].content == reply
    assert namespaces == {""}  # the specialists' tool loops kept no checkpoints


@pytest.mark.parametrize("opener", [memories, checkpoints], ids=["memories", "checkpoints"])
def test_the_persistence_refuses_the_aws_backend(
    opener: Callable[[], AbstractAsyncContextManager[Any]],
    offline_data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("STRATIGOS_STORE_BACKEND", "aws")
    monkeypatch.setenv("STRATIGOS_ENVIRONMENT", "development")
    get_settings.cache_clear()

    async def open_it() -> None:
        async with opener():
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
