"""An agent's thinking is kept in the run's trace as `reasoning` events, never as its text: from
whole and streamed messages, cut to its first 1,000 characters with its full size; and in the
trace of real runs of both graphs on the current Claude generation (the local endpoint)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, AIMessageChunk

from api.reports.terminal import render_event
from devtools.local_bedrock import LocalBedrock, serve
from devtools.local_bedrock.faults import FaultPlan
from settings import get_settings
from tests.support.aws import local_endpoint_env
from traces.jsonl import read_jsonl
from traces.recorder import TraceRecorder
from traces.schema import TraceEvent
from traces.text import REASONING_MAX_CHARS

META = {"langgraph_node": "plan", "agent": "optimizer"}


def thought(text: str = "", **extra: Any) -> dict[str, Any]:
    return {"type": "reasoning_content", "reasoning_content": {"text": text, **extra}}


def recorder() -> TraceRecorder:
    return TraceRecorder("run_r", clock=lambda: datetime(2026, 11, 25, tzinfo=UTC))


def of_type(events: list[TraceEvent], kind: str) -> list[TraceEvent]:
    return [e for e in events if e.type == kind]


def test_a_whole_message_s_thinking_comes_before_its_text_and_apart_from_it() -> None:
    message = AIMessage(
        content=[thought("Weigh the bear case first.", signature="sig"), {"type": "text", "text": "Done."}],
        id="m-1",
    )  # fmt: skip
    events = recorder().events_from_chunk(("messages", (message, META)))
    kinds = [e.type for e in events]
    assert kinds == ["node_started", "reasoning", "message_delta"]
    (reasoning,) = of_type(events, "reasoning")
    assert reasoning.data == {
        "text": "Weigh the bear case first.", "chars": 26, "redacted": False, "message_id": "m-1",
    }  # fmt: skip
    assert (reasoning.node, reasoning.agent) == ("plan", "optimizer")
    assert of_type(events, "message_delta")[0].data["text"] == "Done."
    assert render_event(reasoning) is None  # the terminal never prints thinking as an answer


def test_streamed_thinking_is_joined_and_kept_once_the_message_completes() -> None:
    rec = recorder()
    long = "x" * (REASONING_MAX_CHARS + 500)
    chunks = [
        AIMessageChunk(content=[thought(long[:700])], id="m-2"),
        AIMessageChunk(content=[thought(long[700:])], id="m-2"),
        AIMessageChunk(content=[thought(signature="sig")], id="m-2"),
        AIMessageChunk(content=[{"type": "text", "text": "The plan."}], id="m-2"),
        AIMessageChunk(content="", id="m-2", chunk_position="last"),
    ]
    events = [e for chunk in chunks for e in rec.events_from_chunk(("messages", (chunk, META)))]
    (reasoning,) = of_type(events, "reasoning")
    assert reasoning.data["chars"] == len(long)
    assert len(reasoning.data["text"]) == REASONING_MAX_CHARS
    assert reasoning.data["text"].endswith("…") and reasoning.data["text"][:-1] in long
    assert [e.data["text"] for e in of_type(events, "message_delta")] == ["The plan."]
    redacted = AIMessage(content=[{"type": "redacted_thinking", "data": "opaque"}], id="m-3")
    (hidden,) = of_type(rec.events_from_chunk(("messages", (redacted, META))), "reasoning")
    assert hidden.data == {"text": "", "chars": 0, "redacted": True, "message_id": "m-3"}
    # a resumed trace does not repeat a message it holds
    again = TraceRecorder.resume([*events, hidden])
    assert of_type(again.events_from_chunk(("messages", (redacted, META))), "reasoning") == []


@pytest.fixture
def current_generation(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[LocalBedrock]:
    """The process on Bedrock's current generation (the defaults) through the local endpoint."""
    local_endpoint_env(monkeypatch, tmp_path)
    with serve(faults=FaultPlan()) as bedrock:
        for name, value in {
            "STRATIGOS_MODEL_PROVIDER": "bedrock",
            "STRATIGOS_BEDROCK_ENDPOINT_URL": bedrock.url,
            "STRATIGOS_DATA_DIR": str(tmp_path / "data"),
        }.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        yield bedrock
    get_settings.cache_clear()


def thinking_of(events: list[TraceEvent]) -> dict[str, int]:
    """How many `reasoning` events each agent has; and no thinking text in any message."""
    texts = {e.data["text"] for e in of_type(events, "reasoning")}
    assert all(e.data["text"] not in texts for e in of_type(events, "message_delta"))
    counts: dict[str, int] = {}
    for event in of_type(events, "reasoning"):
        assert event.data["chars"] > 0 and "offline rules" in event.data["text"]
        counts[str(event.agent)] = counts.get(str(event.agent), 0) + 1
    return counts


def test_runs_of_both_graphs_keep_their_agents_thinking(current_generation: LocalBedrock) -> None:
    from graphs.chat import ChatSession
    from graphs.optimization_run import run_optimization
    from graphs.request import OptimizationRequest
    from tests.graphs.test_optimization import SMALL

    run = run_optimization(OptimizationRequest.model_validate(SMALL))
    assert run.status == "succeeded"
    optimization = thinking_of(read_jsonl(run.directory / "events.jsonl"))
    # the roles that think (adaptively) on Claude 5.5; the market read does not
    assert optimization.get("optimizer", 0) >= 1 and optimization.get("explanation", 0) >= 1
    assert "market_analysis" not in optimization
    events: list[TraceEvent] = []
    session = ChatSession("thinking-thread", settings=get_settings())
    session.send(
        "build me a max sharpe portfolio of AAPL, MSFT, JNJ and KO since 2018",
        on_event=events.append,
    )
    chat = thinking_of(events)
    assert sum(chat.values()) >= 1 and "supervisor" not in chat
