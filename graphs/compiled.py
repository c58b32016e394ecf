"""A LangGraph graph compiled once per process and bound to a checkpointer and store per use.

Compiling a `StateGraph` costs tens of milliseconds (LangGraph inspects every node's code); a
chat turn, a job or an evaluation case binds the same graph to its own checkpointer. A bound
graph is a copy of the compiled one (`Pregel.copy`, as LangGraph's own `with_config` makes),
sharing its nodes and channels, which a run never changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from langgraph.graph import StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.store.base import BaseStore


def strict_msgpack() -> bool:
    """Whether LangGraph's strict msgpack mode (`LANGGRAPH_STRICT_MSGPACK`) is on: compiling
    then wraps the checkpointer's serializer with the graph's allow-list, so a graph bound to a
    checkpointer must be compiled with it."""
    from langgraph.checkpoint.serde import _msgpack

    return bool(getattr(_msgpack, "STRICT_MSGPACK_ENABLED", False))


class CompiledOnce:
    """`builder()`'s graph, compiled on first use; calling it gives the graph bound to a
    checkpointer and a long-term store (None: none)."""

    def __init__(self, builder: Callable[[], StateGraph[Any]]) -> None:
        self._builder = builder
        self._compiled: CompiledStateGraph[Any] | None = None
        self._lock = threading.Lock()

    def __call__(
        self, checkpointer: Any = None, store: BaseStore | None = None
    ) -> CompiledStateGraph[Any]:
        if strict_msgpack():
            return self._builder().compile(checkpointer=checkpointer, store=store)
        with self._lock:
            if self._compiled is None:
                self._compiled = self._builder().compile()
        return self._compiled.copy({"checkpointer": checkpointer, "store": store})
