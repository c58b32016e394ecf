"""A graph compiled once per process, bound to each use's own checkpointer and store."""

from __future__ import annotations

from typing import TypedDict

from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.store.memory import InMemoryStore

from graphs.assistant import build_assistant_graph
from graphs.compiled import CompiledOnce
from graphs.optimization import build_optimization_graph


class Count(TypedDict):
    n: int


def test_each_use_keeps_its_own_checkpoints_and_the_graph_is_compiled_once() -> None:
    built: list[int] = []

    def builder() -> StateGraph[Count]:
        built.append(1)
        graph = StateGraph(Count)
        graph.add_node("add", lambda state: {"n": state["n"] + 1})
        graph.add_edge(START, "add")
        graph.add_edge("add", END)
        return graph

    counter = CompiledOnce(builder)
    first, second = InMemorySaver(), InMemorySaver()
    thread = {"configurable": {"thread_id": "t"}}
    assert counter(first).invoke({"n": 1}, thread) == {"n": 2}
    assert counter(second).invoke({"n": 10}, thread) == {"n": 11}
    assert counter(first).get_state(thread).values == {"n": 2}
    assert counter(second).get_state(thread).values == {"n": 11}
    assert counter().checkpointer is None
    assert len(built) == 1


def test_the_shipped_graphs_are_bound_to_what_each_call_passes() -> None:
    saver, store = InMemorySaver(), InMemoryStore()
    assistant = build_assistant_graph(saver, store)
    assert assistant.checkpointer is saver and assistant.store is store
    plain = build_assistant_graph()
    assert plain.checkpointer is None and plain.store is None
    assert plain.nodes["supervisor"] is assistant.nodes["supervisor"]  # one compilation
    optimization = build_optimization_graph(saver)
    assert optimization.checkpointer is saver
    assert build_optimization_graph().checkpointer is None
