"""The Agent Protocol under /agent, driven by the real `langgraph-sdk` clients (async and sync)
against uvicorn on loopback: assistants, a chat turn via runs.wait, a streamed run (values,
updates, messages-tuple), an approval through an interrupt and resume, join and cancel, and
tenancy, auth and validation errors."""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_client, get_sync_client

from api.agent_protocol.run_records import RunTiming
from store import Store
from tests.api.conftest import make_settings, slow
from tests.support.live_server import TLS, running_server

ASK = "find the target-vol setting that holds up in a bear market"
SMALL = {"budget": {"max_trials": 40, "batch_size": 10}, "n_paths": 20, "seed": 3}
NAMESPACE_GRAPH = uuid.UUID("6ba7b821-9dad-11d1-80b4-00c04fd430c8")  # LangGraph Platform's


class Server:
    """The live server's Agent Protocol URL, two owners' API keys and its store."""

    def __init__(self, url: str, alice: str, bob: str, store: Store) -> None:
        self.url = url
        self.alice = alice
        self.bob = bob
        self.store = store
        self._sync: dict[str, Any] = {}

    def client(self, key: str | None = None) -> Any:
        return get_client(url=self.url, api_key=key or self.alice)

    def sync(self, key: str | None = None) -> Any:
        """The sync client of `key` (Alice's by default), one per key for the module: each new
        client loads the CA bundle (20-50 ms of CPU; the tests asked for one a hundred times)."""
        key = key or self.alice
        if key not in self._sync:
            self._sync[key] = get_sync_client(url=self.url, api_key=key)
        return self._sync[key]

    def close(self) -> None:
        """Close the sync clients."""
        for client in self._sync.values():
            client.close()


@pytest.fixture(scope="module")
def server(api_env: Path) -> Iterator[Server]:
    from api.app import create_app

    app = create_app(make_settings(api_env / "agent"))
    app.state.context.run_timing = RunTiming(poll_seconds=0.05)  # optimization runs poll jobs
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "agent protocol")
    bob, _ = store.create_api_key("bob", "agent protocol")
    with running_server(app) as base:
        served = Server(f"{base}/agent", alice, bob, store)
        yield served
        served.close()


def human(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def test_assistants_have_langgraph_ids(server: Server) -> None:
    client = server.sync()
    found = client.assistants.search()
    assert {a["graph_id"] for a in found} == {"assistant", "optimization"}
    for assistant in found:
        assert assistant["assistant_id"] == str(uuid.uuid5(NAMESPACE_GRAPH, assistant["graph_id"]))
    chat = client.assistants.get(str(uuid.uuid5(NAMESPACE_GRAPH, "assistant")))
    assert chat["graph_id"] == "assistant"
    assert client.assistants.search(graph_id="optimization")[0]["name"] == "optimization"


def test_a_chat_turn_with_runs_wait(server: Server) -> None:
    client = server.sync()
    thread = client.threads.create(metadata={"title": "hello"})
    assert thread["metadata"]["graph_id"] == "assistant"
    assert thread["metadata"]["title"] == "hello"
    assert thread["status"] == "idle"
    message = {"type": "human", "content": [{"type": "text", "text": "hello"}], "id": "m-1"}
    values = client.runs.wait(thread["thread_id"], "assistant", input={"messages": [message]})
    assert values["messages"][0]["id"] == "m-1"
    kinds = [m["type"] for m in values["messages"]]
    assert kinds[0] == "human" and kinds[-1] == "ai"
    assert values["messages"][0]["content"] == "hello"
    assert all(m["id"] for m in values["messages"])
    assert values["messages"][-1]["content"]
    state = client.threads.get_state(thread["thread_id"])
    assert state["values"]["messages"] == values["messages"]
    assert state["next"] == [] and state["checkpoint"]["thread_id"] == thread["thread_id"]
    history = client.threads.get_history(thread["thread_id"], limit=3)
    assert len(history) == 3 and history[0]["values"] == state["values"]
    # the same thread over /v1
    detail = httpx.get(
        server.url.replace("/agent", f"/v1/threads/{thread['thread_id']}"),
        headers={"x-api-key": server.alice},
        verify=TLS,
    ).json()
    assert detail["messages"][0]["content"] == "hello"
    found = client.threads.search(metadata={"graph_id": "assistant"}, limit=100)
    assert thread["thread_id"] in [t["thread_id"] for t in found]


def test_a_streamed_run_sends_values_updates_and_message_tuples(server: Server) -> None:
    async def main() -> list[Any]:
        client = server.client()
        thread = await client.threads.create()
        return [
            part
            async for part in client.runs.stream(
                thread["thread_id"],
                "assistant",
                input=human("hello"),
                stream_mode=["values", "updates", "messages-tuple"],
            )
        ]

    parts = asyncio.run(main())
    events = [p.event for p in parts]
    assert events[0] == "metadata" and parts[0].data["run_id"]
    assert events[-1] == "end"
    assert {"values", "updates", "messages"} <= set(events)
    values = [p.data for p in parts if p.event == "values"]
    assert values[0]["messages"][0]["type"] == "human"
    assert values[-1]["messages"][-1]["type"] == "ai"
    updates = [p.data for p in parts if p.event == "updates"]
    assert "supervisor" in {node for u in updates for node in u}
    tuples = [p.data for p in parts if p.event == "messages"]
    assert all(len(t) == 2 for t in tuples)
    assert {(m["type"], meta["langgraph_node"]) for m, meta in tuples} >= {
        ("AIMessageChunk", "supervisor")
    }


def test_tool_calls_in_values_and_subgraph_frames(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    parts = list(
        client.runs.stream(
            thread_id,
            "assistant",
            input=human("an HRP portfolio of AAPL, MSFT and JPM"),
            stream_mode=["values", "updates"],
            stream_subgraphs=True,
        )
    )
    inner = [p for p in parts if p.event.startswith("updates|specialist:")]
    assert {node for p in inner for node in p.data} == {"model", "tools"}  # the tool loop
    messages = [p.data for p in parts if p.event == "values"][-1]["messages"]
    assert [m["type"] for m in messages] == ["human", "ai", "tool", "ai"]
    (call,) = messages[1]["tool_calls"]
    assert call["name"] == "optimize_portfolio" and call["args"]["method"] == "hrp"
    assert messages[2]["tool_call_id"] == call["id"]
    assert "HRP portfolio" in messages[3]["content"]
    assert client.threads.get_state(thread_id)["values"]["messages"] == messages


def test_thread_metadata_and_stateless_runs(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    renamed = client.threads.update(thread_id, metadata={"title": "bear market"})
    assert renamed["metadata"]["title"] == "bear market"
    with pytest.raises(httpx.HTTPStatusError) as refused:  # not kept: refused, not dropped
        client.threads.update(thread_id, metadata={"colour": "blue"})
    assert refused.value.response.status_code == 422
    assert refused.value.response.json()["error"]["details"][0]["field"] == "body.metadata.colour"
    before = {t["thread_id"] for t in client.threads.search(limit=100)}
    values = client.runs.wait(None, "assistant", input=human("hello"))
    assert values["messages"][-1]["type"] == "ai"
    assert {t["thread_id"] for t in client.threads.search(limit=100)} == before  # deleted
    parts = list(client.runs.stream(None, "assistant", input=human("hello"), stream_mode="values"))
    assert [p.event for p in parts][:: len(parts) - 1] == ["metadata", "end"]
    assert parts[-2].data["messages"][-1]["type"] == "ai"
    assert {t["thread_id"] for t in client.threads.search(limit=100)} == before
    kept = client.runs.wait(None, "assistant", input=human("hello"), on_completion="keep")
    (new,) = {t["thread_id"] for t in client.threads.search(limit=100)} - before
    assert client.threads.get_state(new)["values"]["messages"] == kept["messages"]
    client.threads.delete(thread_id)
    with pytest.raises(httpx.HTTPStatusError) as gone:
        client.threads.get(thread_id)
    assert gone.value.response.status_code == 404


def test_an_approval_through_an_interrupt_and_resume(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    values = client.runs.wait(thread_id, "assistant", input=human(ASK))
    (interrupt,) = values["__interrupt__"]
    (approval,) = interrupt["value"]  # a list of one HumanInterrupt, with our fields
    assert approval["type"] == "approval"
    assert approval["actions"] == ["approve", "edit", "reject"]
    assert approval["action_request"] == {  # the fields that are set: no nulls for a form
        "action": "run_strategy_search",
        "args": {k: v for k, v in approval["request"].items() if v is not None},
    }
    assert approval["description"] == approval["summary"]
    assert approval["config"] == {
        "allow_ignore": True,
        "allow_respond": True,
        "allow_edit": True,
        "allow_accept": True,
    }
    thread = client.threads.get(thread_id)
    assert thread["status"] == "interrupted"
    pending = [i["value"] for task in thread["interrupts"].values() for i in task]
    assert pending == [interrupt["value"]]

    with pytest.raises(httpx.HTTPStatusError) as invalid:  # refused; still pending
        client.runs.wait(
            thread_id,
            "assistant",
            command={"resume": {"action": "edit", "request": {"n_paths": -1}}},
        )
    assert invalid.value.response.status_code == 422
    fields = [d["field"] for d in invalid.value.response.json()["error"]["details"]]
    assert fields == ["body.command.resume.request.n_paths"]
    assert client.threads.get(thread_id)["status"] == "interrupted"

    changes = {"budget": {"max_trials": 20, "batch_size": 10}, "n_paths": 20}
    parts = list(
        client.runs.stream(
            thread_id,
            "assistant",
            command={"resume": {"action": "edit", "request": changes}},
            stream_mode=["updates", "custom"],
        )
    )
    assert parts[-1].event == "end"
    assert any(p.event == "updates" and "approve" in p.data for p in parts)
    assert any(p.event == "custom" for p in parts)  # the run's progress
    after = client.threads.get(thread_id)
    assert after["status"] == "idle" and after["interrupts"] == {}
    assert "succeeded" in after["values"]["messages"][-1]["content"]
    # nothing is pending any more
    with pytest.raises(httpx.HTTPStatusError) as refused:
        client.runs.wait(thread_id, "assistant", command={"resume": {"action": "approve"}})
    assert refused.value.response.status_code == 409
    assert refused.value.response.json()["error"]["code"] == "CONFLICT"


def test_background_run_join_and_cancel(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(
        thread_id, "assistant", input=human("hello"), stream_mode=["values", "updates"]
    )
    assert run["status"] in ("pending", "running") and run["thread_id"] == thread_id
    joined = client.runs.join(thread_id, run["run_id"])
    assert joined["messages"][-1]["type"] == "ai"
    done = client.runs.get(thread_id, run["run_id"])
    assert done["status"] == "success"
    replay = list(client.runs.join_stream(thread_id, run["run_id"]))
    assert replay[0].event == "metadata" and replay[-1].event == "end"
    assert {p.event for p in replay} == {"metadata", "values", "updates", "end"}
    assert [int(p.id) for p in replay] == list(range(len(replay)))
    updates = list(client.runs.join_stream(thread_id, run["run_id"], stream_mode="updates"))
    assert [p.event for p in updates] == [p.event for p in replay if p.event != "values"]
    resumed = list(client.runs.join_stream(thread_id, run["run_id"], last_event_id=replay[2].id))
    assert [(p.event, p.data) for p in resumed] == [(p.event, p.data) for p in replay[3:]]
    assert [r["run_id"] for r in client.runs.list(thread_id)] == [run["run_id"]]

    # a long approved search (a job), cancelled while it runs
    client.runs.wait(thread_id, "assistant", input=human(ASK))
    big = {"budget": {"max_trials": 4000, "batch_size": 10}, "n_paths": 50}
    long = client.runs.create(
        thread_id,
        "assistant",
        command={"resume": {"action": "edit", "request": big}},
        stream_mode="custom",
    )
    with pytest.raises(httpx.HTTPStatusError) as busy:  # one run at a time per thread
        client.runs.create(thread_id, "assistant", input=human("hello"))
    assert busy.value.response.status_code == 409
    assert busy.value.response.json()["error"]["code"] == "CONFLICT"
    job_id = None
    for part in client.runs.join_stream(thread_id, long["run_id"]):
        if part.event == "custom" and part.data.get("type") == "job":
            job_id = part.data["job_id"]
            break
    assert job_id is not None
    client.runs.cancel(thread_id, long["run_id"], wait=True)
    cancelled = client.runs.get(thread_id, long["run_id"])
    assert cancelled["status"] == "interrupted"
    assert cancelled["cancel_reason"] == "cancelled by the client"
    job = httpx.get(
        server.url.replace("/agent", f"/v1/optimizations/{job_id}"),
        headers={"x-api-key": server.alice},
        verify=TLS,
    ).json()
    assert job["status"] == "cancelled"
    after = client.threads.get(thread_id)
    assert after["status"] == "idle"
    assert after["values"]["messages"][-1]["content"] == f"Run {job_id} cancelled."
    with pytest.raises(httpx.HTTPStatusError) as ended:
        client.runs.cancel(thread_id, long["run_id"])
    assert ended.value.response.status_code == 409


def test_a_run_read_as_ended_has_freed_its_thread(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A client that polls a background run until it reads ended, then starts the next run on
    the thread, is answered, not refused as busy, even when the store is slow to free the
    thread: the thread is freed before the end is recorded."""
    monkeypatch.setattr(server.store, "release_lease", slow(server.store.release_lease))
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    run = client.runs.create(thread_id, "assistant", input=human("hello"))
    for ask in ("and what is HRP?", "thanks"):
        deadline = time.monotonic() + 120
        while client.runs.get(thread_id, run["run_id"])["status"] in ("pending", "running"):
            assert time.monotonic() < deadline, "the run did not end"
            time.sleep(0.01)  # polling a live server, as such a client does
        run = client.runs.create(thread_id, "assistant", input=human(ask))
    assert client.runs.join(thread_id, run["run_id"])["messages"][-1]["type"] == "ai"


def test_another_owner_and_no_credentials_are_refused(server: Server) -> None:
    alice = server.sync()
    thread_id = alice.threads.create()["thread_id"]
    bob = server.sync(server.bob)
    for call in (
        lambda: bob.threads.get(thread_id),
        lambda: bob.threads.get_state(thread_id),
        lambda: bob.runs.wait(thread_id, "assistant", input=human("hello")),
        lambda: bob.threads.delete(thread_id),
    ):
        with pytest.raises(httpx.HTTPStatusError) as refused:
            call()
        assert refused.value.response.status_code == 404
        assert refused.value.response.json()["error"]["code"] == "NOT_FOUND"
    assert thread_id not in [t["thread_id"] for t in bob.threads.search(limit=100)]
    response = httpx.post(f"{server.url}/threads/search", json={}, verify=TLS)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"assistant_id": "assistant", "input": {"messages": []}}, "body.input.messages"),
        (
            {"assistant_id": "assistant", "input": human("hi"), "stream_mode": "tasks"},
            "body.stream_mode",
        ),
        ({"assistant_id": "optimization", "input": {"n_paths": -1}}, "body.input.n_paths"),
        (
            {"assistant_id": "optimization", "command": {"resume": {"action": "approve"}}},
            "body.command",
        ),
        (
            {"assistant_id": "optimization", "input": {}, "stream_mode": "messages-tuple"},
            "body.stream_mode",
        ),
        ({"assistant_id": "assistant"}, "body.input"),
        (
            {"assistant_id": "assistant", "command": {"resume": {"action": "maybe"}}},
            "body.command.resume.action",
        ),
        (
            {"assistant_id": "assistant", "input": human("hi"), "interrupt_before": ["approve"]},
            "body.interrupt_before",
        ),
        (
            {
                "assistant_id": "assistant",
                "input": human("hi"),
                "config": {"configurable": {"a": 1}},
            },
            "body.config",
        ),
        ({"assistant_id": "assistant", "command": {"goto": "approve"}}, "body.command"),
    ],
)
def test_bad_run_requests_are_422_naming_the_field(
    server: Server, body: dict[str, Any], field: str
) -> None:
    headers = {"x-api-key": server.alice}
    thread_id = server.sync().threads.create()["thread_id"]
    response = httpx.post(
        f"{server.url}/threads/{thread_id}/runs/wait", json=body, headers=headers, verify=TLS
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in [d["field"] for d in error["details"]], error
    assert server.sync().threads.get(thread_id)["status"] == "idle"  # nothing ran


def _interrupted(client: Any) -> tuple[str, dict[str, Any]]:
    """A new thread paused on an approval, and its HumanInterrupt."""
    thread_id = client.threads.create()["thread_id"]
    values = client.runs.wait(thread_id, "assistant", input=human(ASK))
    ((approval,),) = [i["value"] for i in values["__interrupt__"]]
    return thread_id, approval


def test_human_responses_answer_an_approval(server: Server) -> None:
    """agent-chat-ui's inbox: the interrupt is a HumanInterrupt list (in the stream's
    `__interrupt__` update and values too), answered with a list of one HumanResponse."""
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    parts = list(
        client.runs.stream(
            thread_id, "assistant", input=human(ASK), stream_mode=["updates", "values"]
        )
    )
    paused = [p.data["__interrupt__"] for p in parts if "__interrupt__" in (p.data or {})]
    assert [p.event for p in parts if "__interrupt__" in (p.data or {})] == ["updates", "values"]
    assert paused[0] == paused[1]
    ((streamed,),) = [i["value"] for i in paused[0]]
    assert set(streamed["action_request"]) == {"action", "args"}
    assert streamed["config"]["allow_accept"] and streamed["description"]
    state = client.threads.get_state(thread_id)
    assert [i["value"] for i in state["interrupts"]] == [[streamed]]

    ignored = client.runs.wait(thread_id, "assistant", command={"resume": [{"type": "ignore"}]})
    assert ignored["messages"][-1]["content"] == "Cancelled: nothing was run."
    assert client.threads.get(thread_id)["status"] == "idle"

    thread_id, approval = _interrupted(client)
    edited = {**approval["action_request"]["args"], "n_paths": "20"}  # a form sends text
    edited["budget"] = '{"max_trials": 20, "batch_size": 10}'
    with pytest.raises(httpx.HTTPStatusError) as invalid:  # refused; still pending
        client.runs.wait(
            thread_id,
            "assistant",
            command={
                "resume": [{"type": "edit", "args": {"action": "x", "args": {"n_paths": -1}}}]
            },
        )
    assert invalid.value.response.status_code == 422
    fields = [d["field"] for d in invalid.value.response.json()["error"]["details"]]
    assert fields == ["body.command.resume.0.args.args.n_paths"]
    answer = {"type": "edit", "args": {"action": "run_strategy_search", "args": edited}}
    done = client.runs.wait(thread_id, "assistant", command={"resume": [answer]})
    assert "succeeded" in done["messages"][-1]["content"]
    job_id = done["last_run"]["run_id"]
    job = httpx.get(
        server.url.replace("/agent", f"/v1/optimizations/{job_id}"),
        headers={"x-api-key": server.alice},
        verify=TLS,
    ).json()
    assert job["request"]["n_paths"] == 20 and job["request"]["budget"]["max_trials"] == 20

    thread_id, approval = _interrupted(client)
    replied = client.runs.wait(
        thread_id, "assistant", command={"resume": [{"type": "response", "args": "hello"}]}
    )
    said = [(m["type"], m["content"]) for m in replied["messages"]][1:3]
    assert said[0] == ("human", "hello")
    assert said[1][0] == "ai" and said[1][1].startswith("Hello.")  # the reply to the response
    # the proposal waits again, as it was
    assert client.threads.get(thread_id)["status"] == "interrupted"
    assert [i["value"] for i in replied["__interrupt__"]] == [[approval]]

    thread_id, _ = _interrupted(client)
    with pytest.raises(httpx.HTTPStatusError) as two:
        client.runs.wait(
            thread_id, "assistant", command={"resume": [{"type": "accept"}, {"type": "accept"}]}
        )
    assert two.value.response.json()["error"]["details"][0]["field"] == "body.command.resume"
    with pytest.raises(httpx.HTTPStatusError) as empty:
        client.runs.wait(
            thread_id, "assistant", command={"resume": [{"type": "response", "args": " "}]}
        )
    assert empty.value.response.json()["error"]["details"][0]["field"] == (
        "body.command.resume.0.args"
    )
    accepted = client.runs.wait(thread_id, "assistant", command={"resume": [{"type": "accept"}]})
    assert "succeeded" in accepted["messages"][-1]["content"]


def _v1(server: Server, path: str, key: str | None = None) -> httpx.Response:
    return httpx.get(
        server.url.replace("/agent", f"/v1{path}"),
        headers={"x-api-key": key or server.alice},
        verify=TLS,
    )


def test_an_optimization_run_is_the_owners_job(server: Server) -> None:
    client = server.sync()
    values = client.runs.wait(None, "optimization", input=SMALL)
    job = values["job"]
    assert job["status"] == "succeeded" and job["request"]["n_paths"] == 20
    stored = _v1(server, f"/optimizations/{job['id']}").json()
    assert stored["status"] == "succeeded"
    results = _v1(server, f"/optimizations/{job['id']}/results").json()
    summary = values["result"]
    assert summary["config"] == results["best"]["config"]
    assert summary["objective"] == results["best"]["objective"]
    assert summary["status"] == results["status"]
    assert summary["explanation"] == results["explanation"]["text"]
    assert _v1(server, f"/optimizations/{job['id']}", server.bob).status_code == 404

    thread_id = client.threads.create()["thread_id"]
    parts = list(
        client.runs.stream(
            thread_id, "optimization", input=SMALL, stream_mode=["values", "updates", "custom"]
        )
    )
    assert parts[0].event == "metadata" and parts[-1].event == "end"
    run_id = parts[0].data["run_id"]
    custom = [p.data for p in parts if p.event == "custom"]
    assert custom[0]["type"] == "run_started" and custom[-1]["type"] == "run_finished"
    assert [e["seq"] for e in custom] == list(range(1, len(custom) + 1))  # every event, once
    updates = [p.data for p in parts if p.event == "updates"]
    assert [next(iter(u.values())) for u in updates] == custom
    streamed = [p.data for p in parts if p.event == "values"]
    assert streamed[-1]["job"]["status"] == "succeeded" and streamed[-1]["result"]["config"]
    assert len({v["job"]["id"] for v in streamed}) == 1
    run = client.runs.get(thread_id, run_id)
    assert run["status"] == "success"
    assert run["assistant_id"] == str(uuid.uuid5(NAMESPACE_GRAPH, "optimization"))
    assert client.runs.join(thread_id, run_id) == streamed[-1]
    assert client.threads.get_state(thread_id)["values"] == {}  # the chat is untouched
    with pytest.raises(httpx.HTTPStatusError) as foreign:
        server.sync(server.bob).runs.get(thread_id, run_id)
    assert foreign.value.response.status_code == 404

    big = {**SMALL, "budget": {"max_trials": 4000, "batch_size": 10}, "n_paths": 50}
    long = client.runs.create(thread_id, "optimization", input=big, stream_mode="values")
    for part in client.runs.join_stream(thread_id, long["run_id"]):
        if part.event == "values" and part.data["job"]["status"] == "running":
            job_id = part.data["job"]["id"]
            break
    client.runs.cancel(thread_id, long["run_id"], wait=True)
    cancelled = client.runs.get(thread_id, long["run_id"])
    assert cancelled["status"] == "interrupted"
    assert cancelled["cancel_reason"] == "cancelled by the client"
    assert _v1(server, f"/optimizations/{job_id}").json()["status"] == "cancelled"
    assert client.runs.join(thread_id, long["run_id"])["job"]["status"] == "cancelled"


def test_a_deployment_approval_is_a_human_interrupt_and_can_be_edited(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    built = client.runs.wait(
        thread_id, "assistant", input=human("build me an HRP portfolio of AAPL, JNJ, KO and XOM")
    )
    (chat_id,) = set(re.findall(r"pf_[0-9a-f]{6}\b", built["messages"][-1]["content"]))
    values = client.runs.wait(thread_id, "assistant", input=human(f"deploy {chat_id} to paper"))
    ((approval,),) = [i["value"] for i in values["__interrupt__"]]
    assert approval["kind"] == "deployment"
    assert approval["action_request"]["action"] == "create_deployment"
    args = {**approval["action_request"]["args"], "capital": "123456"}  # as a form sends it
    answer = {"type": "edit", "args": {"action": "create_deployment", "args": args}}
    done = client.runs.wait(thread_id, "assistant", command={"resume": [answer]})
    assert done["messages"][-1]["content"].startswith("Deployed as dep_")
    deployment_id = done["messages"][-1]["content"].split()[2]
    deployment = _v1(server, f"/deployments/{deployment_id}").json()
    assert deployment["spec"]["capital"] == 123456
