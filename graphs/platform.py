"""The `optimization` and `assistant` graphs as LangGraph Platform serves them (`langgraph.json`,
`langgraph dev`; docs/langgraph-platform.md).

The server supplies persistence: it refuses a graph compiled with a checkpointer or a store and
hands every run the checkpointer and the store `langgraph.json` names (`store.platform`: the
project's checkpoint file and long-term memory). So both graphs are compiled here without
either, and are otherwise the graphs `stratigos` runs.

`langgraph dev` has no Stratigos sign-in: every assistant thread runs as `LOCAL_OWNER` (the
owner the command line acts as) in the configured data directory (`STRATIGOS_DATA_DIR`), so the
chat sees the local owner's saved portfolios, profile and memories, and the searches it approves
become that owner's jobs, in the store `stratigos` reads. An optimization thread's input is the
graph's state: ``{"run_id": ..., "request": <OptimizationRequest JSON>}``, one run id per
request; its result is the thread's `result` value (the run's files and reports are the
`stratigos optimize` driver's).
"""

from __future__ import annotations

import asyncio
from functools import cache
from typing import Any

from langchain_core.runnables import RunnableConfig

from graphs.assistant import build_assistant_graph
from graphs.optimization import build_optimization_graph
from graphs.thread_bindings import bind_owner
from settings import LOCAL_OWNER, get_settings
from store import Store
from store.factory import open_store


@cache
def _optimization() -> Any:
    return build_optimization_graph()


@cache
def _assistant() -> Any:
    return build_assistant_graph()


@cache
def _local_store(data_dir: str) -> Store:
    """The project's store of the data directory `data_dir` (opened once per process)."""
    return open_store(get_settings())


def optimization() -> Any:
    """The compiled `optimization` graph, without a checkpointer (the server supplies one)."""
    return _optimization()


def bind_local_owner(thread_id: str) -> None:
    """Run assistant thread `thread_id` as `LOCAL_OWNER`, in the configured data directory's
    store (opened on first use)."""
    bind_owner(thread_id, LOCAL_OWNER, _local_store(str(get_settings().data_dir)))


async def assistant(config: RunnableConfig) -> Any:
    """The compiled `assistant` graph, without a checkpointer or store (the server supplies
    them), its thread (`config`'s ``thread_id``, when there is one) bound to `LOCAL_OWNER`.

    Async, and the binding (which may open the store's file) on a worker thread: the server
    calls graph factories on its event loop, where `langgraph dev` refuses blocking I/O."""
    thread_id = (config.get("configurable") or {}).get("thread_id")
    if thread_id:
        await asyncio.to_thread(bind_local_owner, str(thread_id))
    return _assistant()


__all__ = ["assistant", "bind_local_owner", "optimization"]
