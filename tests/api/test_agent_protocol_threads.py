"""Threads under /agent the way LangGraph Platform clients use them, driven by the real
`langgraph-sdk` against uvicorn on loopback: thread ids the client chooses (two owners choosing
the same one get two threads), state updates (edits and forks), copies, history and state at a
checkpoint; hostile text at each of these doors."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.api.conftest import make_settings
from tests.api.test_agent_protocol import ASK, Server, human
from tests.support.hostile import HOSTILE_TEXT, LIBRARY_WORDS
from tests.support.live_server import TLS, running_server


@pytest.fixture(scope="module")
def server(api_env: Path) -> Iterator[Server]:
    from api.app import create_app

    app = create_app(make_settings(api_env / "threads"))
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "threads")
    bob, _ = store.create_api_key("bob", "threads")
    with running_server(app) as base:
        yield Server(f"{base}/agent", alice, bob, store)


def _refused(call: Any, status: int = 422) -> dict[str, Any]:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        call()
    assert refused.value.response.status_code == status, refused.value.response.text
    body: dict[str, Any] = refused.value.response.json()
    assert not any(word in json.dumps(body) for word in LIBRARY_WORDS)
    return body["error"]


def test_two_owners_choosing_one_thread_id_get_two_threads(server: Server) -> None:
    alice, bob = server.sync(server.alice), server.sync(server.bob)
    chosen = str(uuid.uuid4())
    mine = alice.threads.create(thread_id=chosen.upper(), metadata={"title": "alice's"})
    assert mine["thread_id"] == chosen  # the canonical form
    theirs = bob.threads.create(thread_id=chosen, metadata={"title": "bob's"})
    assert theirs["thread_id"] == chosen
    alice.runs.wait(chosen, "assistant", input=human("hello"))
    assert len(alice.threads.get_state(chosen)["values"]["messages"]) == 2
    assert not bob.threads.get(chosen)["values"].get("messages")
    assert bob.threads.get(chosen)["metadata"]["title"] == "bob's"
    assert [r["thread_id"] for r in alice.runs.list(chosen)] == [chosen]
    assert bob.runs.list(chosen) == []
    # each sees one thread of that id, their own
    for client, title in ((alice, "alice's"), (bob, "bob's")):
        (found,) = client.threads.search(ids=[chosen])
        assert found["metadata"]["title"] == title
    # the same owner choosing it again: 409, or the thread they have
    error = _refused(lambda: alice.threads.create(thread_id=chosen), 409)
    assert error["details"][0]["field"] == "body.thread_id"
    again = alice.threads.create(thread_id=chosen, if_exists="do_nothing")
    assert again["metadata"]["title"] == "alice's" and again["values"]["messages"]
    # bob deleting his leaves hers
    bob.threads.delete(chosen)
    _refused(lambda: bob.threads.get(chosen), 404)
    assert alice.threads.get(chosen)["values"]["messages"]
    # over /v1 each lists a thread of their own under a stored id of their own
    listed = {}
    for key in (server.alice, server.bob):
        response = httpx.get(
            server.url.replace("/agent", "/v1/threads"), headers={"x-api-key": key}, verify=TLS
        )
        listed[key] = {t["id"] for t in response.json() if t["id"].startswith(chosen)}
    assert len(listed[server.alice]) == 1 and listed[server.bob] == set()


def test_a_run_may_create_the_thread_it_names(server: Server) -> None:
    client = server.sync()
    chosen = str(uuid.uuid4())
    error = _refused(lambda: client.runs.wait(chosen, "assistant", input=human("hi")), 404)
    assert error["code"] == "NOT_FOUND"
    values = client.runs.wait(chosen, "assistant", input=human("hi"), if_not_exists="create")
    assert values["messages"][-1]["type"] == "ai"
    assert client.threads.get(chosen)["thread_id"] == chosen
    # not for another owner's id, nor for one that is not a UUID
    other = server.sync(server.bob)
    created = other.runs.wait(chosen, "assistant", input=human("hi"), if_not_exists="create")
    assert len(created["messages"]) == 2  # a thread of bob's: alice's messages are not in it
    _refused(
        lambda: client.runs.wait(
            "th_nothing", "assistant", input=human("hi"), if_not_exists="create"
        ),
        404,
    )


@pytest.mark.parametrize("bad", ["not-a-uuid", "th_01a2", "", "x" * 46, "../../etc"])
def test_a_chosen_thread_id_is_a_uuid(server: Server, bad: str) -> None:
    response = httpx.post(
        f"{server.url}/threads",
        json={"thread_id": bad},
        headers={"x-api-key": server.alice},
        verify=TLS,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.thread_id"


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=HOSTILE_TEXT, door=st.sampled_from(["thread_id", "values", "history", "checkpoint"]))
def test_hostile_text_at_the_thread_doors(server: Server, text: str, door: str) -> None:
    headers = {"x-api-key": server.alice, "content-type": "application/json"}
    thread = httpx.post(f"{server.url}/threads", json={}, headers=headers, verify=TLS).json()[
        "thread_id"
    ]
    requests = {
        "thread_id": ("/threads", {"thread_id": text}),
        "values": (
            f"/threads/{thread}/state",
            {"values": {"messages": [{"role": "user", "content": text}]}},
        ),
        "history": (f"/threads/{thread}/history", {"metadata": {"source": text}}),
        "checkpoint": (f"/threads/{thread}/state", {"values": {}, "checkpoint_id": text}),
    }
    path, body = requests[door]
    response = httpx.post(
        f"{server.url}{path}", content=json.dumps(body), headers=headers, verify=TLS
    )
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"][0]["field"].startswith("body.")
    assert not any(word in response.text for word in LIBRARY_WORDS)


def test_state_updates_edit_and_fork(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    client.runs.wait(thread_id, "assistant", input=human("hello"))
    first = client.threads.get_state(thread_id)
    reply = first["values"]["messages"][-1]
    # an edit: the assistant's reply under its own id
    done = client.threads.update_state(
        thread_id, {"messages": [{"type": "ai", "content": "edited", "id": reply["id"]}]}
    )
    after = client.threads.get_state(thread_id)
    assert done["checkpoint"] == after["checkpoint"]
    assert after["checkpoint"]["thread_id"] == thread_id
    assert [m["content"] for m in after["values"]["messages"]][-1] == "edited"
    assert len(after["values"]["messages"]) == len(first["values"]["messages"])
    assert after["metadata"]["source"] == "update"
    # a fork: from the first checkpoint after the user's message, another message
    history = client.threads.get_history(thread_id, limit=100)
    start = next(h for h in reversed(history) if h["values"].get("messages"))
    fork = client.threads.update_state(
        thread_id,
        {"messages": [{"role": "user", "content": "instead"}]},
        checkpoint_id=start["checkpoint"]["checkpoint_id"],
    )
    now = client.threads.get_state(thread_id)
    assert now["checkpoint"] == fork["checkpoint"]
    assert [m["content"] for m in now["values"]["messages"]] == [
        *[m["content"] for m in start["values"]["messages"]],
        "instead",
    ]
    assert now["parent_checkpoint"]["checkpoint_id"] == start["checkpoint"]["checkpoint_id"]
    # the thread goes on from the fork
    values = client.runs.wait(thread_id, "assistant", input=human("hello again"))
    assert "instead" in [m["content"] for m in values["messages"]]
    assert "edited" not in [m["content"] for m in values["messages"]]


def test_state_updates_this_server_does_not_write(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    cases = [
        ({"portfolios": {}}, {}, "body.values.portfolios"),
        ({"messages": []}, {}, "body.values.messages"),
        (
            {"messages": [{"type": "tool", "content": "x", "tool_call_id": "c1"}]},
            {},
            "body.values.messages.0",
        ),
        (
            {
                "messages": [
                    {
                        "type": "ai",
                        "content": "",
                        "tool_calls": [{"name": "optimize_portfolio", "args": {}, "id": "c1"}],
                    }
                ]
            },
            {},
            "body.values.messages.0",
        ),
        (
            {"messages": [{"role": "user", "content": "x" * 8001}]},
            {},
            "body.values.messages.0.content",
        ),
        ({"messages": [{"role": "user", "content": "hi"}]}, {"as_node": "approve"}, "body.as_node"),
    ]
    for values, extra, field in cases:
        error = _refused(
            lambda values=values, extra=extra: client.threads.update_state(
                thread_id, values, **extra
            )
        )
        assert error["details"][0]["field"] == field, (values, error)
    missing = str(uuid.uuid4())
    error = _refused(
        lambda: client.threads.update_state(
            thread_id, {"messages": [{"role": "user", "content": "hi"}]}, checkpoint_id=missing
        ),
        404,
    )
    assert missing in error["message"]
    assert client.threads.get_history(thread_id) == []  # nothing was written
    _refused(
        lambda: server.sync(server.bob).threads.update_state(
            thread_id, {"messages": [{"role": "user", "content": "hi"}]}
        ),
        404,
    )


def test_a_copy_goes_on_from_the_same_state(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create(metadata={"title": "bear search"})["thread_id"]
    client.runs.wait(thread_id, "assistant", input=human(ASK))
    error = _refused(
        lambda: client.threads.update_state(
            thread_id, {"messages": [{"role": "user", "content": "hi"}]}
        ),
        409,
    )
    assert "approval" in error["message"]
    copy = client.threads.copy(thread_id)
    assert copy["thread_id"] != thread_id and copy["metadata"]["title"] == "bear search"
    assert copy["status"] == "interrupted"
    original = client.threads.get_state(thread_id)
    copied = client.threads.get_state(copy["thread_id"])
    assert copied["values"] == original["values"] and copied["next"] == original["next"]
    assert [
        h["checkpoint"]["checkpoint_id"] for h in client.threads.get_history(copy["thread_id"])
    ] == [h["checkpoint"]["checkpoint_id"] for h in client.threads.get_history(thread_id)]
    # the copy's approval is its own
    client.runs.wait(copy["thread_id"], "assistant", command={"resume": [{"type": "ignore"}]})
    assert client.threads.get(copy["thread_id"])["status"] == "idle"
    assert client.threads.get(thread_id)["status"] == "interrupted"
    _refused(lambda: server.sync(server.bob).threads.copy(thread_id), 404)


def test_history_filters_and_state_at_a_checkpoint(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    client.runs.wait(thread_id, "assistant", input=human("hello"))
    client.runs.wait(thread_id, "assistant", input=human("hello again"))
    history = client.threads.get_history(thread_id, limit=100)
    ids = [h["checkpoint"]["checkpoint_id"] for h in history]
    assert len(ids) == len(set(ids)) >= 6
    middle = history[3]
    assert (
        client.threads.get_history(thread_id, limit=100, before=middle["checkpoint"])
        == (history[4:])
    )
    assert (
        client.threads.get_history(thread_id, limit=2, checkpoint=middle["checkpoint"])
        == (history[3:5])
    )
    inputs = client.threads.get_history(thread_id, limit=100, metadata={"source": "input"})
    assert [h["checkpoint"]["checkpoint_id"] for h in inputs] == [
        h["checkpoint"]["checkpoint_id"] for h in history if h["metadata"]["source"] == "input"
    ]
    assert len(inputs) == 2
    at = client.threads.get_state(thread_id, checkpoint_id=middle["checkpoint"]["checkpoint_id"])
    assert at == middle
    assert client.threads.get_state(thread_id, checkpoint=middle["checkpoint"]) == middle
    _refused(lambda: client.threads.get_state(thread_id, checkpoint_id=str(uuid.uuid4())), 404)
    _refused(
        lambda: server.sync(server.bob).threads.get_state(
            thread_id, checkpoint_id=middle["checkpoint"]["checkpoint_id"]
        ),
        404,
    )
