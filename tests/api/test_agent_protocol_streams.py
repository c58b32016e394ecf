"""Stream modes `messages`, `debug` and `events` under /agent (LangGraph Platform's shapes), alone
and with the others, driven by the real `langgraph-sdk` against uvicorn on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import make_settings
from tests.api.test_agent_protocol import SMALL, Server, human
from tests.support.live_server import running_server

ALL_MODES = ["values", "updates", "messages", "messages-tuple", "custom", "debug", "events"]


@pytest.fixture(scope="module")
def server(api_env: Path) -> Iterator[Server]:
    from api.app import create_app

    app = create_app(make_settings(api_env / "streams"))
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "streams")
    bob, _ = store.create_api_key("bob", "streams")
    with running_server(app) as base:
        yield Server(f"{base}/agent", alice, bob, store)


def _stream(server: Server, modes: list[str], text: str, **options: Any) -> tuple[str, list[Any]]:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    parts = list(
        client.runs.stream(thread_id, "assistant", input=human(text), stream_mode=modes, **options)
    )
    assert parts[0].event == "metadata" and parts[-1].event == "end"
    assert parts[-1].data["status"] == "success"
    return thread_id, parts


def test_messages_mode_sends_metadata_then_the_message_so_far(server: Server) -> None:
    _, parts = _stream(
        server, ["messages"], "an HRP portfolio of AAPL, MSFT and JPM", stream_subgraphs=True
    )
    seen: dict[str, dict[str, Any]] = {}
    partials = 0
    for part in parts[1:-1]:
        kind = part.event.split("|")[0]
        assert kind in ("messages/metadata", "messages/partial", "messages/complete"), kind
        if kind == "messages/metadata":
            ((key, value),) = part.data.items()
            assert key not in seen and value["metadata"]["langgraph_node"]
            seen[key] = {}
            continue
        (message,) = part.data
        assert message["id"] in seen  # its metadata came first
        assert message["type"] in ("ai", "tool", "human")  # whole messages, not chunks
        before = seen[message["id"]]
        if kind == "messages/partial":  # the chunks so far, added up: each extends the last
            partials += 1
            assert str(message["content"]).startswith(str(before.get("content", "")))
            assert len(message["tool_calls"]) >= len(before.get("tool_calls", []))
        seen[message["id"]] = message
    assert partials > len(seen)
    # the tool loop's messages arrive whole or streamed, in the subgraph's namespace
    assert any(p.event.startswith("messages/partial|specialist:") for p in parts)
    last = [m for m in seen.values() if m.get("type") == "ai" and m.get("content")][-1]
    assert "HRP portfolio" in last["content"]


def test_debug_mode_sends_checkpoints_and_tasks(server: Server) -> None:
    thread_id, parts = _stream(server, ["debug"], "hello")
    debug = [p.data for p in parts[1:-1]]
    assert {p.event for p in parts[1:-1]} == {"debug"}
    assert {d["type"] for d in debug} == {"checkpoint", "task", "task_result"}
    started = {d["payload"]["id"]: d["payload"]["name"] for d in debug if d["type"] == "task"}
    results = [d["payload"] for d in debug if d["type"] == "task_result"]
    assert results and all(started[r["id"]] == r["name"] for r in results)
    assert "supervisor" in started.values()
    steps = [d["step"] for d in debug]
    assert steps == sorted(steps) and steps[0] == -1
    checkpoints = [d["payload"] for d in debug if d["type"] == "checkpoint"]
    for checkpoint in checkpoints:  # the thread as a client names it, nothing else
        assert checkpoint["config"]["configurable"]["thread_id"] == thread_id
        assert set(checkpoint["config"]["configurable"]) == {
            "thread_id",
            "checkpoint_ns",
            "checkpoint_id",
        }
    state = server.sync().threads.get_state(thread_id)
    assert checkpoints[-1]["values"] == state["values"]
    assert (
        checkpoints[-1]["config"]["configurable"]["checkpoint_id"]
        == (state["checkpoint"]["checkpoint_id"])
    )


def test_events_mode_sends_each_run_between_its_start_and_end(server: Server) -> None:
    _, parts = _stream(server, ["events"], "hello")
    events = [p.data for p in parts[1:-1]]
    assert events[0]["event"] == "on_chain_start" and events[0]["name"] == "LangGraph"
    assert events[-1]["event"] == "on_chain_end" and events[-1]["name"] == "LangGraph"
    open_runs: dict[str, str] = {}
    for event in events:
        kind, _, phase = event["event"].rpartition("_")
        assert set(event["parent_ids"]) <= set(open_runs)  # every parent still running
        if phase == "start":
            open_runs[event["run_id"]] = kind
        elif phase == "end":
            assert open_runs.pop(event["run_id"]) == kind
        else:
            assert phase == "stream" and open_runs[event["run_id"]] == kind
    assert open_runs == {}
    ends = {e["run_id"]: e for e in events if e["event"] == "on_chat_model_end"}
    streamed: dict[str, list[Any]] = {}
    for event in events:
        if event["event"] == "on_chat_model_stream":
            streamed.setdefault(event["run_id"], []).append(event["data"]["chunk"])
    assert streamed and set(streamed) <= set(ends)
    for run_id, chunks in streamed.items():  # the chunks add up to the message the call ended with
        output = ends[run_id]["data"]["output"]
        assert "".join(str(c["content"]) for c in chunks) == str(output["content"])
        names = [t["name"] for c in chunks for t in c["tool_call_chunks"] if t["name"]]
        assert names == [call["name"] for call in output["tool_calls"]]
    nodes = {ends[r]["metadata"].get("langgraph_node") for r in streamed}
    assert "supervisor" in nodes


def test_every_mode_at_once_and_a_join_that_keeps_some(server: Server) -> None:
    thread_id, parts = _stream(server, ALL_MODES, "hello")
    kinds = {p.event.split("/")[0] for p in parts}
    assert kinds == {"metadata", *ALL_MODES, "end"} - {"messages-tuple"}
    client = server.sync()
    (run,) = client.runs.list(thread_id)
    assert run["kwargs"]["stream_mode"] == ALL_MODES
    replay = list(client.runs.join_stream(thread_id, run["run_id"]))
    assert [(p.event, p.data) for p in replay] == [(p.event, p.data) for p in parts]
    for mode, wanted in (
        ("messages", lambda e: e.startswith("messages/")),
        ("messages-tuple", lambda e: e == "messages"),
        ("debug", lambda e: e == "debug"),
        ("events", lambda e: e == "events"),
    ):
        kept = list(client.runs.join_stream(thread_id, run["run_id"], stream_mode=mode))
        expected = [p for p in replay if p.event in ("metadata", "end") or wanted(p.event)]
        assert [(p.id, p.event) for p in kept] == [(p.id, p.event) for p in expected], mode


@pytest.mark.parametrize("mode", ["messages", "debug", "events", "messages-tuple"])
def test_an_optimization_run_refuses_the_chat_modes(server: Server, mode: str) -> None:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        list(server.sync().runs.stream(None, "optimization", input=SMALL, stream_mode=[mode]))
    assert refused.value.response.status_code == 422
    (detail,) = refused.value.response.json()["error"]["details"]
    assert detail["field"] == "body.stream_mode"


def test_modes_langgraph_has_and_this_server_does_not_are_refused(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    for mode in ("tasks", "checkpoints", "nonsense"):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            list(client.runs.stream(thread_id, "assistant", input=human("hi"), stream_mode=mode))
        assert refused.value.response.status_code == 422
        assert refused.value.response.json()["error"]["details"][0]["field"] == "body.stream_mode"
