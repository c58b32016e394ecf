"""Trace events from a real LangGraph run: a StateGraph with a progress-writing node, a chat
model that streams tool calls, a ToolNode, and a text-streaming fake model."""

from __future__ import annotations

import asyncio
import io
import json
import operator
import threading
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, TypedDict

import pytest
from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
    BaseMessage,
    HumanMessage,
    ToolMessage,
)
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import ToolNode
from langgraph.types import Command, Send, StreamMode, interrupt
from pydantic import ValidationError

from graphs.emit import emit_node_started, emit_progress, emit_warning, node_agents_from_graph
from traces.jsonl import check_sequence, read_jsonl, to_jsonl, write_jsonl
from traces.recorder import TraceRecorder
from traces.schema import EVENT_TYPES, TraceEvent
from traces.text import SUMMARY_MAX_CHARS

MODES: list[StreamMode] = ["updates", "messages", "custom"]
FINAL_TEXT = "The sum is five and the error was reported."
EXPLANATION_TEXT = "Sharpe 0.91 beat the runner up"


# --------------------------------------------------------------------------- fixtures: tools


@tool
def add_numbers(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@tool
def long_report(n: int) -> str:
    """Return a long report of n characters."""
    return "x" * n


# --------------------------------------------------------------------------- a tool-calling model


class ScriptedToolModel(BaseChatModel):
    """Replies with scripted AI messages, streaming text word by word and each tool call's JSON
    arguments in two pieces (name and id only on the first piece), like real providers do."""

    script: list[AIMessage]
    bad_json_call: bool = False

    @property
    def _llm_type(self) -> str:
        return "scripted-tool-model"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedToolModel:
        return self

    def _reply(self, messages: list[BaseMessage]) -> AIMessage:
        n_ai = sum(isinstance(m, AIMessage) for m in messages)
        return self.script[min(n_ai, len(self.script) - 1)]

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=self._reply(messages))])

    def _stream(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: CallbackManagerForLLMRun | None = None,
        **kwargs: Any,
    ) -> Iterator[ChatGenerationChunk]:
        reply = self._reply(messages)
        pieces: list[AIMessageChunk] = []
        words = str(reply.content).split(" ") if reply.content else []
        for i, word in enumerate(words):
            pieces.append(AIMessageChunk(content=word if i == 0 else " " + word))
        for index, call in enumerate(reply.tool_calls):
            raw = json.dumps(call["args"])
            if self.bad_json_call:
                raw = raw[:-1]  # truncated JSON
            half = len(raw) // 2
            pieces.append(
                AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {"name": call["name"], "args": raw[:half], "id": call["id"], "index": index}
                    ],
                )
            )
            pieces.append(
                AIMessageChunk(
                    content="",
                    tool_call_chunks=[
                        {"name": None, "args": raw[half:], "id": None, "index": index}
                    ],
                )
            )
        for piece in pieces:
            chunk = ChatGenerationChunk(message=piece)
            if run_manager is not None:
                run_manager.on_llm_new_token(str(piece.content), chunk=chunk)
            yield chunk


class State(TypedDict):
    messages: Annotated[list[BaseMessage], add_messages]


def _scan(state: State) -> dict[str, Any]:
    emit_node_started()
    emit_progress(1, 2, unit="batch", best=0.5, metric="Sharpe")
    emit_progress(2, 2, unit="batch", best=0.91, metric="Sharpe")
    emit_warning("universe trimmed to 3 tickers", code="universe_trimmed")
    return {"messages": []}


def _route(state: State) -> str:
    last = state["messages"][-1]
    return "tools" if isinstance(last, AIMessage) and last.tool_calls else "explanation"


def build_graph(model: BaseChatModel, *, checkpointer: Any = None) -> Any:
    bound = model.bind_tools([add_numbers, long_report])
    explainer = GenericFakeChatModel(messages=iter([AIMessage(content=EXPLANATION_TEXT)]))

    def optimizer(state: State) -> dict[str, Any]:
        return {"messages": [bound.invoke(state["messages"])]}

    def explanation(state: State) -> dict[str, Any]:
        return {"messages": [explainer.invoke(state["messages"])]}

    builder = StateGraph(State)
    builder.add_node("scan", _scan, metadata={"agent": "market_analysis"})
    builder.add_node("optimizer_agent", optimizer, metadata={"agent": "optimizer"})
    builder.add_node(
        "optimizer_tools", ToolNode([add_numbers, long_report]), metadata={"agent": "optimizer"}
    )
    builder.add_node("explanation", explanation)
    builder.add_edge(START, "scan")
    builder.add_edge("scan", "optimizer_agent")
    builder.add_conditional_edges(
        "optimizer_agent", _route, {"tools": "optimizer_tools", "explanation": "explanation"}
    )
    builder.add_edge("optimizer_tools", "optimizer_agent")
    builder.add_edge("explanation", END)
    return builder.compile(checkpointer=checkpointer)


def tool_script() -> list[AIMessage]:
    return [
        AIMessage(
            content="Computing now",
            tool_calls=[
                {"name": "add_numbers", "args": {"a": 2, "b": 3}, "id": "call_add"},
                {"name": "add_numbers", "args": {"a": "two", "b": 3}, "id": "call_bad"},
                {"name": "long_report", "args": {"n": 2000}, "id": "call_long"},
            ],
        ),
        AIMessage(content=FINAL_TEXT),
    ]


def run_sync(graph: Any, recorder: TraceRecorder) -> list[TraceEvent]:
    events = [recorder.run_started("test", request_hash="abc")]
    stream = graph.stream({"messages": [HumanMessage("go")]}, stream_mode=MODES, subgraphs=True)
    events += recorder.record(stream)
    events += recorder.run_finished("succeeded", result_id="res_1")
    return events


@pytest.fixture(scope="module")
def events() -> list[TraceEvent]:
    graph = build_graph(ScriptedToolModel(script=tool_script()))
    return run_sync(graph, TraceRecorder("run-1"))


def _compress(events: Sequence[TraceEvent]) -> list[tuple[str, str | None]]:
    """(type, node) per event with runs of message deltas collapsed to one."""
    out: list[tuple[str, str | None]] = []
    for e in events:
        item = (e.type, e.node)
        if e.type == "message_delta" and out and out[-1] == item:
            continue
        out.append(item)
    return out


# --------------------------------------------------------------------------- the real graph


def test_event_order_and_nodes(events: list[TraceEvent]) -> None:
    tool_results = [("tool_result", "optimizer_tools")] * 3
    assert _compress(events) == [
        ("run_started", None),
        ("node_started", "scan"),
        ("progress", "scan"),
        ("progress", "scan"),
        ("warning", "scan"),
        ("node_finished", "scan"),
        ("node_started", "optimizer_agent"),
        ("message_delta", "optimizer_agent"),
        ("tool_call", "optimizer_agent"),
        ("tool_call", "optimizer_agent"),
        ("tool_call", "optimizer_agent"),
        ("node_finished", "optimizer_agent"),
        ("node_started", "optimizer_tools"),
        *tool_results,
        ("node_finished", "optimizer_tools"),
        ("node_started", "optimizer_agent"),
        ("message_delta", "optimizer_agent"),
        ("node_finished", "optimizer_agent"),
        ("node_started", "explanation"),
        ("message_delta", "explanation"),
        ("node_finished", "explanation"),
        ("run_finished", None),
    ]


def test_seq_numbers_gap_free(events: list[TraceEvent]) -> None:
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    check_sequence(events)
    assert {e.run_id for e in events} == {"run-1"}
    assert all(e.ts.tzinfo is not None for e in events)
    assert [e.ts for e in events] == sorted(e.ts for e in events)


def test_agents_from_metadata_and_role_names(events: list[TraceEvent]) -> None:
    by_node = {e.node: e.agent for e in events if e.node is not None}
    assert by_node == {
        "scan": "market_analysis",
        "optimizer_agent": "optimizer",
        "optimizer_tools": "optimizer",
        "explanation": "explanation",  # node named after a role
    }


def test_progress_and_warning_data(events: list[TraceEvent]) -> None:
    progress = [e.data for e in events if e.type == "progress"]
    assert progress == [
        {"done": 1, "total": 2, "unit": "batch", "best": 0.5, "metric": "Sharpe"},
        {"done": 2, "total": 2, "unit": "batch", "best": 0.91, "metric": "Sharpe"},
    ]
    (warning,) = [e for e in events if e.type == "warning"]
    assert warning.data == {"message": "universe trimmed to 3 tickers", "code": "universe_trimmed"}


def test_tool_calls_assembled_from_chunks(events: list[TraceEvent]) -> None:
    calls = [e.data for e in events if e.type == "tool_call"]
    assert calls == [
        {"tool": "add_numbers", "args": {"a": 2, "b": 3}, "call_id": "call_add"},
        {"tool": "add_numbers", "args": {"a": "two", "b": 3}, "call_id": "call_bad"},
        {"tool": "long_report", "args": {"n": 2000}, "call_id": "call_long"},
    ]


def test_tool_results(events: list[TraceEvent]) -> None:
    results = {e.data["call_id"]: e.data for e in events if e.type == "tool_result"}
    assert set(results) == {"call_add", "call_bad", "call_long"}
    assert results["call_add"] == {
        "tool": "add_numbers",
        "call_id": "call_add",
        "summary": "5",
        "is_error": False,
    }
    bad = results["call_bad"]
    assert bad["is_error"] is True and bad["tool"] == "add_numbers"
    assert "add_numbers" in bad["summary"] and "'two'" in bad["summary"]  # the validation error
    long = results["call_long"]
    assert long["is_error"] is False
    assert len(long["summary"]) == SUMMARY_MAX_CHARS
    assert long["summary"] == "x" * (SUMMARY_MAX_CHARS - 1) + "…"


def test_message_deltas_rebuild_the_texts(events: list[TraceEvent]) -> None:
    def text_of(node: str) -> list[str]:
        by_message: dict[str | None, str] = {}
        for e in events:
            if e.type == "message_delta" and e.node == node:
                by_message[e.data["message_id"]] = (
                    by_message.get(e.data["message_id"], "") + e.data["text"]
                )
        return list(by_message.values())

    assert text_of("optimizer_agent") == ["Computing now", FINAL_TEXT]
    assert text_of("explanation") == [EXPLANATION_TEXT]
    # streamed word by word, not as one block
    assert sum(e.type == "message_delta" and e.node == "optimizer_agent" for e in events) > 2


def test_node_finished_keys(events: list[TraceEvent]) -> None:
    finished = [e for e in events if e.type == "node_finished"]
    assert all(e.data == {"parents": [], "keys": ["messages"]} for e in finished)


def test_async_stream_gives_the_same_events(events: list[TraceEvent]) -> None:
    graph = build_graph(ScriptedToolModel(script=tool_script()))

    async def run() -> list[TraceEvent]:
        recorder = TraceRecorder("run-1")
        out = [recorder.run_started("test", request_hash="abc")]
        stream = graph.astream(
            {"messages": [HumanMessage("go")]}, stream_mode=MODES, subgraphs=True
        )
        out += [e async for e in recorder.arecord(stream)]
        out += recorder.run_finished("succeeded", result_id="res_1")
        return out

    async_events = asyncio.run(run())

    def strip(e: TraceEvent) -> tuple[Any, ...]:
        data = {k: v for k, v in e.data.items() if k != "message_id"}
        return (e.seq, e.type, e.node, e.agent, json.dumps(data, sort_keys=True))

    # tool results may arrive in another order from the parallel tool calls
    assert sorted(map(strip, async_events)) == sorted(map(strip, events))
    assert [e.type for e in async_events] == [e.type for e in events]


def test_json_lines_round_trip(events: list[TraceEvent], tmp_path: Any) -> None:
    text = to_jsonl(events)
    assert text.count("\n") == len(events)
    assert read_jsonl(text.splitlines()) == events
    path = tmp_path / "trace.jsonl"
    assert write_jsonl(events[:5], path) == 5
    assert write_jsonl(events[5:], path) == len(events) - 5  # appends
    assert read_jsonl(path) == events
    buf = io.StringIO()
    write_jsonl(events, buf)
    assert buf.getvalue() == text
    for line in text.splitlines():
        raw = json.loads(line)
        assert raw["schema_version"] == "1"
        assert raw["ts"].endswith("Z")
        assert set(raw) == {
            "schema_version",
            "run_id",
            "seq",
            "ts",
            "type",
            "node",
            "agent",
            "data",
            "text",
        }
        assert raw["text"] and "{" not in raw["text"].replace(raw["data"].get("text", ""), "")


def test_updates_only_stream_with_messages_from_updates() -> None:
    graph = build_graph(ScriptedToolModel(script=tool_script()))
    recorder = TraceRecorder("run-u", messages_from_updates=True)
    evs = list(
        recorder.record(graph.stream({"messages": [HumanMessage("go")]}, stream_mode=["updates"]))
    )
    check_sequence(evs)
    calls = [e.data["call_id"] for e in evs if e.type == "tool_call"]
    results = sorted(e.data["call_id"] for e in evs if e.type == "tool_result")
    assert calls == ["call_add", "call_bad", "call_long"]
    assert results == ["call_add", "call_bad", "call_long"]
    texts = [e.data["text"] for e in evs if e.type == "message_delta"]
    assert texts == ["Computing now", FINAL_TEXT, EXPLANATION_TEXT]
    # without the option an updates-only stream has just the node events
    plain = list(
        TraceRecorder("run-v").record(
            build_graph(ScriptedToolModel(script=tool_script())).stream(
                {"messages": [HumanMessage("go")]}, stream_mode=["updates"]
            )
        )
    )
    assert {e.type for e in plain} == {"node_started", "node_finished"}


def test_invalid_tool_call_json_becomes_a_warning() -> None:
    script = [
        AIMessage(
            content="", tool_calls=[{"name": "add_numbers", "args": {"a": 1, "b": 2}, "id": "c1"}]
        ),
        AIMessage(content="done"),
    ]
    graph = build_graph(ScriptedToolModel(script=script, bad_json_call=True))
    evs = run_sync(graph, TraceRecorder("run-bad"))
    check_sequence(evs)
    assert not [e for e in evs if e.type == "tool_call"]
    (warning,) = [e for e in evs if e.type == "warning" and e.data["code"] == "invalid_tool_call"]
    assert warning.node == "optimizer_agent" and warning.agent == "optimizer"
    assert "add_numbers" in warning.data["message"]


def test_interrupt_is_collected_not_emitted() -> None:
    def ask(state: State) -> dict[str, Any]:
        answer = interrupt({"question": "launch 200 trials?"})
        return {"messages": [AIMessage(content=f"user said {answer}")]}

    builder = StateGraph(State)
    builder.add_node("supervisor", ask)
    builder.add_edge(START, "supervisor")
    graph = builder.compile(checkpointer=InMemorySaver())
    config: RunnableConfig = {"configurable": {"thread_id": "t1"}}
    recorder = TraceRecorder("run-i")
    first = [recorder.run_started("assistant")]
    first += recorder.record(
        graph.stream({"messages": [HumanMessage("hi")]}, config, stream_mode=MODES, subgraphs=True)
    )
    assert [i.value for i in recorder.interrupts] == [{"question": "launch 200 trials?"}]
    first += recorder.run_finished("interrupted", reason="waiting for approval")
    assert [e.type for e in first] == ["run_started", "run_finished"]
    assert first[-1].data == {
        "status": "interrupted",
        "result_id": None,
        "reason": "waiting for approval",
    }

    resumed = TraceRecorder.resume(first)
    assert resumed.next_seq == 3 and resumed.run_id == "run-i"
    second = [resumed.run_started("assistant")]
    second += resumed.record(
        graph.stream(Command(resume="yes"), config, stream_mode=MODES, subgraphs=True)
    )
    check_sequence(first + second)
    assert second[0].data["resumed"] is True
    assert [e.type for e in second] == [
        "run_started",
        "node_started",
        "message_delta",
        "node_finished",
    ]
    assert second[2].data["text"] == "user said yes" and second[2].agent == "supervisor"


def test_resume_skips_already_recorded_messages(events: list[TraceEvent]) -> None:
    cut = next(i for i, e in enumerate(events) if e.type == "tool_result")
    recorded_id = next(e.data["message_id"] for e in events[:cut] if e.type == "message_delta")
    meta = {"langgraph_node": "optimizer_agent"}

    recorder = TraceRecorder.resume(events[:cut])
    assert recorder.next_seq == events[cut].seq and recorder.run_id == "run-1"
    # a message already in the trace is not emitted again
    old = AIMessage(content="Computing now", id=recorded_id)
    out = recorder.events_from_chunk(((), "messages", (old, meta)))
    assert [e.type for e in out] == ["node_started"]
    # in messages mode a node re-run after the resume really calls its tool again: shown
    again = AIMessage(
        content="",
        id="m-again",
        tool_calls=[{"name": "add_numbers", "args": {"a": 2, "b": 3}, "id": "call_add"}],
    )
    out = recorder.events_from_chunk(((), "messages", (again, meta)))
    assert [e.type for e in out] == ["tool_call"]
    result = ToolMessage(content="5", tool_call_id="call_add", name="add_numbers", id="t-1")
    out = recorder.events_from_chunk(((), "messages", (result, {"langgraph_node": "t"})))
    assert [e.type for e in out] == ["node_started", "tool_result"]
    assert recorder.events_from_chunk(((), "messages", (result, {"langgraph_node": "t"}))) == []

    # updates may repeat earlier history: with messages_from_updates, call ids already in the
    # trace are skipped, new ones are not
    recorder = TraceRecorder.resume(events[: cut + 1], messages_from_updates=True)
    answered = events[cut].data["call_id"]  # its tool_result is in the trace
    new_call = {"name": "long_report", "args": {"n": 3}, "id": "call_new"}
    history = [
        AIMessage(content="", id="m-x", tool_calls=[*again.tool_calls, new_call]),
        ToolMessage(content="5", tool_call_id=answered, name="add_numbers", id="t-2"),
    ]
    out = recorder.events_from_chunk(((), "updates", {"optimizer_agent": {"messages": history}}))
    assert [(e.type, e.data.get("call_id")) for e in out] == [
        ("node_started", None),
        ("tool_call", "call_new"),
        ("node_finished", None),
    ]
    with pytest.raises(ValueError, match="empty"):
        TraceRecorder.resume([])


def test_node_agents_from_graph() -> None:
    graph = build_graph(ScriptedToolModel(script=tool_script()))
    assert node_agents_from_graph(graph) == {
        "scan": "market_analysis",
        "optimizer_agent": "optimizer",
        "optimizer_tools": "optimizer",
    }


# --------------------------------------------------------------------------- custom events


def test_custom_events_validation_keeps_sequence_gap_free() -> None:
    recorder = TraceRecorder("run-c", start_seq=10, node_agents={"batch": "optimizer"})
    out = recorder.events_from_chunk(((), "custom", {"type": "node_started", "node": "batch"}))
    out += recorder.events_from_chunk(((), "custom", {"type": "progress", "done": -1, "total": 4}))
    out += recorder.events_from_chunk(((), "custom", {"type": "progress", "done": 3, "total": 4}))
    out += recorder.events_from_chunk(((), "custom", {"type": "something_else", "x": 1}))
    out += recorder.events_from_chunk(((), "custom", "not a dict"))
    out += recorder.events_from_chunk(((), "custom", {"type": "node_started"}))
    assert [e.seq for e in out] == [10, 11, 12, 13]
    assert [e.type for e in out] == ["node_started", "warning", "progress", "warning"]
    assert out[0].agent == "optimizer" and out[0].node == "batch"
    assert out[1].data["code"] == "bad_event" and "done" in out[1].data["message"]
    # progress without a node name is attributed to the node running in that namespace
    assert out[2].node == "batch" and out[2].data["unit"] == "trials"


def test_custom_progress_names_its_node_and_subgraph_parents() -> None:
    recorder = TraceRecorder("run-s")
    ns = ("search:abc123",)
    out = recorder.events_from_chunk(
        (
            ns,
            "custom",
            {"type": "progress", "done": 1, "total": 2, "node": "batch", "agent": "optimizer"},
        )
    )
    out += recorder.events_from_chunk((ns, "updates", {"batch": {"trials": []}}))
    out += recorder.events_from_chunk(((), "updates", {"search": None}))
    assert [(e.type, e.node, e.agent) for e in out] == [
        ("node_started", "search", "optimizer"),  # the enclosing node starts first
        ("node_started", "batch", "optimizer"),
        ("progress", "batch", "optimizer"),
        ("node_finished", "batch", "optimizer"),
        ("node_finished", "search", "optimizer"),
    ]
    assert out[0].data == {"parents": []}
    assert out[1].data == {"parents": ["search"]}
    assert out[3].data == {"parents": ["search"], "keys": ["trials"]}
    assert out[4].data == {"parents": [], "keys": []}


def test_real_subgraph_nesting() -> None:
    """A node running a compiled subgraph (as agents.agent_loop does): the parent node starts before
    the inner nodes' events and finishes after them; inner nodes inherit the parent's agent."""

    class Inner(TypedDict):
        n: int

    def work(state: Inner) -> dict[str, Any]:
        emit_progress(state["n"], 4, unit="batch")
        return {"n": state["n"] + 1}

    inner_builder = StateGraph(Inner)
    inner_builder.add_node("work", work)
    inner_builder.add_edge(START, "work")
    inner = inner_builder.compile()

    def search(state: Inner, config: RunnableConfig) -> dict[str, Any]:
        return {"n": inner.invoke({"n": state["n"]}, config)["n"]}

    builder = StateGraph(Inner)
    builder.add_node("search", search, metadata={"agent": "optimizer"})
    builder.add_edge(START, "search")
    graph = builder.compile()
    evs = list(
        TraceRecorder("run-sub").record(graph.stream({"n": 3}, stream_mode=MODES, subgraphs=True))
    )
    check_sequence(evs)
    assert [(e.type, e.node, e.agent, e.data.get("parents")) for e in evs] == [
        ("node_started", "search", "optimizer", []),
        ("node_started", "work", "optimizer", ["search"]),
        ("progress", "work", "optimizer", None),
        ("node_finished", "work", "optimizer", ["search"]),
        ("node_finished", "search", "optimizer", []),
    ]
    assert evs[2].data["done"] == 3 and evs[2].data["total"] == 4


class FanState(TypedDict):
    batches: list[int]
    results: Annotated[list[int], operator.add]


def test_send_fan_out_counts_each_execution() -> None:
    """Parallel executions of one node (Send fan-out): one node_started and one node_finished
    per execution, progress attributed to the node, the aggregate node after them."""

    barrier = threading.Barrier(3, timeout=20)  # the three executions overlap in time

    def evaluate(state: dict[str, int]) -> dict[str, Any]:
        emit_node_started()
        emit_progress(state["batch"] + 1, 3, unit="batch")
        barrier.wait()
        return {"results": [state["batch"] * 10]}

    def aggregate(state: FanState) -> dict[str, Any]:
        return {"batches": []}

    def fan_out(state: FanState) -> list[Send]:
        return [Send("evaluate", {"batch": b}) for b in state["batches"]]

    builder = StateGraph(FanState)
    builder.add_node("evaluate", evaluate, metadata={"agent": "optimizer"})
    builder.add_node("aggregate", aggregate)
    builder.add_conditional_edges(START, fan_out, ["evaluate"])
    builder.add_edge("evaluate", "aggregate")
    graph = builder.compile()
    evs = list(
        TraceRecorder("run-fan").record(
            graph.stream({"batches": [0, 1, 2], "results": []}, stream_mode=MODES, subgraphs=True)
        )
    )
    check_sequence(evs)
    evaluate_events = [e for e in evs if e.node == "evaluate"]
    assert sum(e.type == "node_started" for e in evaluate_events) == 3
    assert sum(e.type == "node_finished" for e in evaluate_events) == 3
    assert sorted(e.data["done"] for e in evaluate_events if e.type == "progress") == [1, 2, 3]
    assert all(e.agent == "optimizer" for e in evaluate_events)
    # each execution's node_started precedes its progress; no execution finishes before all
    # three reported (the barrier), so three node_started come before the first node_finished
    started = progressed = running = 0
    for e in evaluate_events:
        started += e.type == "node_started"
        progressed += e.type == "progress"
        assert started >= progressed
        running += {"node_started": 1, "node_finished": -1}.get(e.type, 0)
        assert running >= 0
    assert running == 0
    first_finish = next(i for i, e in enumerate(evaluate_events) if e.type == "node_finished")
    assert sum(e.type == "node_started" for e in evaluate_events[:first_finish]) == 3
    assert [(e.type, e.node) for e in evs[-2:]] == [
        ("node_started", "aggregate"),
        ("node_finished", "aggregate"),
    ]


def test_chunk_shapes() -> None:
    recorder = TraceRecorder("run-shapes")
    payload = {"type": "warning", "message": "m", "code": None}
    a = recorder.events_from_chunk(("custom", payload))
    b = recorder.events_from_chunk({"type": "custom", "ns": (), "data": payload})
    c = recorder.events_from_chunk(((), "values", {"messages": []}))
    assert [e.type for e in a + b] == ["warning", "warning"] and c == []
    with pytest.raises(TypeError, match="stream item"):
        recorder.events_from_chunk(42)


def test_driver_helpers() -> None:
    recorder = TraceRecorder("run-d")
    err = recorder.error(ValueError("bad universe"))
    assert err.data == {"message": "bad universe", "code": "ValueError"}
    warn = recorder.warning("slow", "budget", node="n", agent="optimizer")
    assert (warn.seq, warn.node, warn.agent) == (2, "n", "optimizer")
    (fin,) = recorder.run_finished("partial", reason="trial budget spent")
    assert fin.seq == 3 and fin.data["status"] == "partial"
    assert recorder.last_seq == 3
    with pytest.raises(ValidationError):
        recorder.run_finished("done")  # type: ignore[arg-type]
    assert recorder.next_seq == 4  # a rejected event takes no number
    with pytest.raises(ValueError):
        TraceRecorder("", start_seq=1)
    with pytest.raises(ValueError):
        TraceRecorder("r", start_seq=0)


# --------------------------------------------------------------------------- the model


def _event(**kw: Any) -> TraceEvent:
    base: dict[str, Any] = {"run_id": "r", "seq": 1, "ts": datetime(2026, 1, 2, tzinfo=UTC)}
    base.update(kw)
    return TraceEvent(**base)


def test_trace_event_validates_data_per_type() -> None:
    e = _event(type="progress", data={"done": 3, "total": 4})
    assert e.data == {"done": 3, "total": 4, "unit": "trials", "best": None, "metric": None}
    e = _event(type="progress", data={"done": 0, "best": float("-inf")})
    assert e.data["best"] is None  # no feasible trial yet
    with pytest.raises(ValidationError):
        _event(type="progress", data={"done": 3, "bogus": 1})
    with pytest.raises(ValidationError):
        _event(type="tool_result", data={"summary": "x" * (SUMMARY_MAX_CHARS + 1)})
    with pytest.raises(ValidationError):
        _event(type="run_finished", data={"status": "ok"})
    with pytest.raises(ValidationError):
        _event(type="nope", data={})
    with pytest.raises(ValidationError):
        _event(type="warning", data={"message": "m"}, agent="trader")
    with pytest.raises(ValidationError):
        _event(type="warning", data={"message": "m"}, seq=0)
    with pytest.raises(ValidationError):
        _event(type="warning", data={"message": "m"}, ts=datetime(2026, 1, 2))  # naive
    with pytest.raises(ValidationError):
        _event(type="warning", data={"message": "m"}, extra_field=1)


def test_trace_event_json_round_trip_and_utc() -> None:
    paris = timezone(timedelta(hours=1))
    e = _event(
        type="tool_call",
        ts=datetime(2026, 1, 2, 13, 0, tzinfo=paris),
        node="n",
        agent="risk_manager",
        data={"tool": "portfolio_risk_report", "args": {"level": 0.95}, "call_id": "c"},
    )
    assert e.ts == datetime(2026, 1, 2, 12, 0, tzinfo=UTC) and e.ts.tzinfo == UTC
    line = e.to_json()
    assert json.loads(line)["ts"] == "2026-01-02T12:00:00Z"
    assert TraceEvent.from_json(line) == e
    with pytest.raises(ValidationError):
        e.seq = 2  # frozen


def test_every_type_has_a_data_shape() -> None:
    from traces.schema import DATA_MODELS

    assert set(DATA_MODELS) == set(EVENT_TYPES)


def test_emit_helpers_write_inside_a_graph_and_are_noops_outside() -> None:
    from typing import TypedDict

    from langgraph.graph import END, START, StateGraph

    class State(TypedDict):
        x: int

    def node(state: State) -> State:
        emit_node_started("optimizer")
        emit_progress(1, 2)
        emit_warning("x")
        return {"x": 1}

    builder = StateGraph(State)
    builder.add_node("work", node)
    builder.add_edge(START, "work")
    builder.add_edge("work", END)
    written = list(builder.compile().stream({"x": 0}, stream_mode="custom"))
    assert [(w["type"], w["node"]) for w in written] == [
        ("node_started", "work"),
        ("progress", "work"),
        ("warning", "work"),
    ]
    assert written[1]["done"] == 1 and written[2]["message"] == "x"
    # outside a graph nothing listens: the same calls neither fail nor write anywhere
    assert emit_node_started("optimizer") is None
    assert emit_progress(1, 2) is None and emit_warning("x") is None


# --------------------------------------------------------------------------- the offline model


def test_offline_model_tool_calls_and_text_stream() -> None:
    """The project's OfflineChatModel streams tool_call_chunks in pieces; the recorder
    reassembles them and the ToolNode's results follow."""
    from agents.offline.model import OfflineChatModel
    from agents.offline.policies import PolicyInput, reply, tool_call

    def policy(inp: PolicyInput) -> AIMessage:
        if any(isinstance(m, ToolMessage) for m in inp.messages):
            return reply(FINAL_TEXT)
        return reply(
            "Computing now",
            tool_call("add_numbers", {"a": 20, "b": 22}),
            tool_call("long_report", {"n": 700}),
        )

    model = OfflineChatModel(role="optimizer", policy=policy, args_chunk_chars=5)
    evs = run_sync(build_graph(model), TraceRecorder("run-off"))
    check_sequence(evs)
    calls = [e for e in evs if e.type == "tool_call"]
    assert [(c.data["tool"], c.data["args"]) for c in calls] == [
        ("add_numbers", {"a": 20, "b": 22}),
        ("long_report", {"n": 700}),
    ]
    assert all(c.data["call_id"] and c.agent == "optimizer" for c in calls)
    results = {e.data["call_id"]: e.data for e in evs if e.type == "tool_result"}
    assert results[calls[0].data["call_id"]]["summary"] == "42"
    assert len(results[calls[1].data["call_id"]]["summary"]) == SUMMARY_MAX_CHARS
    first_result = next(i for i, e in enumerate(evs) if e.type == "tool_result")
    assert max(i for i, e in enumerate(evs) if e.type == "tool_call") < first_result
    texts: dict[str | None, str] = {}
    for e in evs:
        if e.type == "message_delta" and e.node == "optimizer_agent":
            texts[e.data["message_id"]] = texts.get(e.data["message_id"], "") + e.data["text"]
    assert list(texts.values()) == ["Computing now", FINAL_TEXT]
