"""Agent Protocol crons under /agent, driven by the real `langgraph-sdk` against uvicorn on
loopback: created on a thread and stateless, searched and deleted per owner, fired by the
project's scheduler (`services.agent_crons.fire_due_crons`, what each minute's tick calls) into
jobs that the app's own job worker runs as recorded chat turns; each fire once however many
schedulers look; hostile and invalid requests refused naming the field."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.agent_crons import CRON_RUN_KIND, fire_due_crons
from tests.api.conftest import make_settings
from tests.api.test_agent_protocol import SMALL, Server, human
from tests.support.hostile import HOSTILE_TEXT, LIBRARY_WORDS
from tests.support.live_server import TLS, running_server


@pytest.fixture(scope="module")
def server(api_env: Path) -> Iterator[Server]:
    from api.app import create_app

    app = create_app(make_settings(api_env / "crons"))
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "crons")
    bob, _ = store.create_api_key("bob", "crons")
    with running_server(app) as base:
        yield Server(f"{base}/agent", alice, bob, store)


def _refused(call: Any, status: int = 422) -> dict[str, Any]:
    with pytest.raises(httpx.HTTPStatusError) as refused:
        call()
    assert refused.value.response.status_code == status, refused.value.response.text
    assert not any(word in refused.value.response.text for word in LIBRARY_WORDS)
    error: dict[str, Any] = refused.value.response.json()["error"]
    return error


def _ran(server: Server, owner: str, job_ids: list[str]) -> list[dict[str, Any]]:
    """The results of the cron jobs, once the app's worker has run them."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        jobs = [server.store.get_job(owner, job_id) for job_id in job_ids]
        if all(job.status in ("succeeded", "failed") for job in jobs):
            assert {job.status for job in jobs} == {"succeeded"}, [j.error for j in jobs]
            return [server.store.get_result(owner, job.id).payload for job in jobs]
        time.sleep(0.1)
    raise AssertionError("the cron runs did not end")


def test_a_cron_on_a_thread_fires_once_per_fire_as_a_recorded_run(server: Server) -> None:
    alice, bob = server.sync(server.alice), server.sync(server.bob)
    thread_id = alice.threads.create()["thread_id"]
    cron = alice.crons.create_for_thread(
        thread_id, "assistant", schedule="*/5 * * * *", input=human("hello"), metadata={"n": 1}
    )
    assert cron["thread_id"] == thread_id and cron["schedule"] == "*/5 * * * *"
    assert cron["payload"]["input"] == human("hello") and cron["metadata"] == {"n": 1}
    fire = datetime.fromisoformat(cron["next_run_date"])
    assert fire.minute % 5 == 0 and fire.second == 0
    assert fire - server.store.clock() <= timedelta(minutes=5)
    # bob neither sees nor deletes it
    assert bob.crons.search() == []
    _refused(lambda: bob.crons.delete(cron["cron_id"]), 404)
    _refused(lambda: bob.crons.create_for_thread(thread_id, "assistant", schedule="* * * * *"), 404)
    # the scheduler's tick at the fire time: one job, however many schedulers look
    first = fire_due_crons(server.store, fire)
    assert [job.kind for job in first] == [CRON_RUN_KIND]
    assert fire_due_crons(server.store, fire) == []  # moved on: nothing due twice
    (result,) = _ran(server, "alice", [first[0].id])
    assert result["run_status"] == "success" and result["kept"]
    (moved,) = alice.crons.search(thread_id=thread_id)
    assert datetime.fromisoformat(moved["next_run_date"]) == fire + timedelta(minutes=5)
    (run,) = alice.runs.list(thread_id)
    assert run["run_id"] == result["run_id"] and run["metadata"]["cron_id"] == cron["cron_id"]
    messages = alice.threads.get_state(thread_id)["values"]["messages"]
    assert [m["type"] for m in messages] == ["human", "ai"] and messages[0]["content"] == "hello"
    # deleted, it fires no more
    alice.crons.delete(cron["cron_id"])
    # (the module's other crons, on the same server, may be due then: this one is not)
    fired = fire_due_crons(server.store, fire + timedelta(days=1))
    assert cron["cron_id"] not in {job.request["cron_id"] for job in fired}
    _refused(lambda: alice.crons.delete(cron["cron_id"]), 404)


def test_stateless_crons_of_two_owners_with_one_schedule(server: Server) -> None:
    alice, bob = server.sync(server.alice), server.sync(server.bob)
    before = {
        o: {t["thread_id"] for t in c.threads.search(limit=100)}
        for o, c in (("a", alice), ("b", bob))
    }
    kept = alice.crons.create(
        "assistant",
        schedule="0 9 * * 1-5",
        input=human("hi"),
        on_run_completed="keep",
        timezone="America/New_York",
    )
    dropped = bob.crons.create("assistant", schedule="0 9 * * 1-5", input=human("hi"))
    for cron in (kept, dropped):
        fire = datetime.fromisoformat(cron["next_run_date"])
        assert fire.weekday() < 5
    assert datetime.fromisoformat(kept["next_run_date"]) != datetime.fromisoformat(
        dropped["next_run_date"]
    )  # 9:00 in New York is not 9:00 UTC
    assert [c["cron_id"] for c in alice.crons.search()] == [kept["cron_id"]]
    assert [c["cron_id"] for c in bob.crons.search()] == [dropped["cron_id"]]
    later = max(datetime.fromisoformat(c["next_run_date"]) for c in (kept, dropped))
    jobs = fire_due_crons(server.store, later)
    by_owner = {job.owner: job.id for job in jobs}
    (alice_result,) = _ran(server, "alice", [by_owner["alice"]])
    (bob_result,) = _ran(server, "bob", [by_owner["bob"]])
    assert alice_result["kept"] and not bob_result["kept"]
    alice_threads = {t["thread_id"] for t in alice.threads.search(limit=100)} - before["a"]
    assert len(alice_threads) == 1
    (new,) = alice_threads
    assert alice.threads.get_state(new)["values"]["messages"][0]["content"] == "hi"
    assert {t["thread_id"] for t in bob.threads.search(limit=100)} == before["b"]  # deleted


def test_a_cron_is_updated_and_counted_by_its_owner_alone(server: Server) -> None:
    alice, bob = server.sync(server.alice), server.sync(server.bob)
    thread_id = alice.threads.create()["thread_id"]
    bobs = bob.crons.count()
    assert bobs == len(bob.crons.search(limit=100))
    cron = alice.crons.create_for_thread(
        thread_id, "assistant", schedule="*/5 * * * *", input=human("hi"), metadata={"desk": "a"}
    )
    counted = alice.crons.count(thread_id=thread_id)
    assert counted == 1 and alice.crons.count(metadata={"desk": "b"}) == 0
    assert bob.crons.count() == bobs and bob.crons.count(thread_id=thread_id) == 0
    _refused(lambda: bob.crons.update(cron["cron_id"], schedule="0 * * * *"), 404)
    # a schedule it cannot be is refused naming the field, the cron as it was
    error = _refused(lambda: alice.crons.update(cron["cron_id"], schedule="61 * * * *"))
    assert error["details"][0]["field"] == "body.schedule"
    (kept,) = alice.crons.search(thread_id=thread_id)
    assert kept["schedule"] == "*/5 * * * *" and kept["next_run_date"] == cron["next_run_date"]
    now = server.store.clock()
    hourly = alice.crons.update(
        cron["cron_id"],
        schedule="0 * * * *",
        input=human("how is KO doing?"),
        metadata={"desk": "b"},
        end_time=now + timedelta(days=2),
    )
    fire = datetime.fromisoformat(hourly["next_run_date"])
    assert fire.minute == 0 and timedelta(0) < fire - now <= timedelta(hours=1)
    assert hourly["payload"]["input"] == human("how is KO doing?")
    assert hourly["metadata"] == {"desk": "b"} and hourly["end_time"] is not None
    assert alice.crons.count(metadata={"desk": "b"}) == 1
    # disabled, it is never due; enabled again, it fires on its new schedule; its end cleared
    disabled = alice.crons.update(cron["cron_id"], enabled=False)
    assert disabled["enabled"] is False and disabled["next_run_date"] is None
    # (the module's other crons, on the same server, may be due then: this one is not)
    fired = fire_due_crons(server.store, fire + timedelta(days=1))
    assert cron["cron_id"] not in {job.request["cron_id"] for job in fired}
    enabled = alice.crons.update(cron["cron_id"], enabled=True, end_time=None)
    assert enabled["end_time"] is None and enabled["next_run_date"] == hourly["next_run_date"]
    (job,) = [
        j for j in fire_due_crons(server.store, fire) if j.request["cron_id"] == cron["cron_id"]
    ]
    (result,) = _ran(server, "alice", [job.id])
    messages = alice.threads.get_state(thread_id)["values"]["messages"]
    assert result["kept"] and messages[0]["content"] == "how is KO doing?"
    alice.crons.delete(cron["cron_id"])
    _refused(lambda: alice.crons.update(cron["cron_id"], enabled=True), 404)


def test_what_a_cron_cannot_be_is_refused(server: Server) -> None:
    client = server.sync()
    thread_id = client.threads.create()["thread_id"]
    cases = [
        ({"schedule": "61 * * * *", "input": human("hi")}, "body.schedule"),
        ({"schedule": "* * * *", "input": human("hi")}, "body.schedule"),
        (
            {"schedule": "* * * * *", "input": human("hi"), "timezone": "Mars/Olympus"},
            "body.timezone",
        ),
        ({"schedule": "* * * * *", "input": {"messages": []}}, "body.input.messages"),
        ({"schedule": "* * * * *", "input": human("hi"), "webhook": "http://x"}, "body.webhook"),
        (
            {"schedule": "* * * * *", "input": human("hi"), "stream_mode": "tasks"},
            "body.stream_mode",
        ),
    ]
    for options, field in cases:
        error = _refused(lambda o=options: client.crons.create("assistant", **o))
        assert error["details"][0]["field"] == field, (options, error)
    error = _refused(lambda: client.crons.create("optimization", schedule="* * * * *", input=SMALL))
    assert error["details"][0]["field"] == "body.assistant_id"
    response = httpx.post(
        f"{server.url}/threads/{thread_id}/runs/crons",
        json={
            "assistant_id": "assistant",
            "schedule": "* * * * *",
            "input": human("hi"),
            "on_run_completed": "keep",
        },
        headers={"x-api-key": server.alice},
        verify=TLS,
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"][0]["field"] == "body.on_run_completed"
    # an end before the next fire: the cron never fires
    ended = client.crons.create(
        "assistant",
        schedule="0 0 1 1 *",
        input=human("hi"),
        end_time=server.store.clock() + timedelta(minutes=1),
    )
    assert ended["next_run_date"] is None
    client.crons.delete(ended["cron_id"])


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    text=HOSTILE_TEXT,
    door=st.sampled_from(["schedule", "input", "metadata", "search", "count", "update"]),
)
def test_hostile_text_at_the_cron_doors(server: Server, text: str, door: str) -> None:
    headers = {"x-api-key": server.alice, "content-type": "application/json"}
    client = server.sync()
    if not (before := client.crons.search(limit=100)):
        client.crons.create("assistant", schedule="0 0 1 1 *", input=human("hi"))
        before = client.crons.search(limit=100)
    bodies = {
        "schedule": (
            "/runs/crons",
            {"assistant_id": "assistant", "schedule": f"* * * * * {text}", "input": human("hi")},
        ),
        "input": (
            "/runs/crons",
            {"assistant_id": "assistant", "schedule": "* * * * *", "input": human(text)},
        ),
        "metadata": (
            "/runs/crons",
            {
                "assistant_id": "assistant",
                "schedule": "* * * * *",
                "input": human("hi"),
                "metadata": {"k": text},
            },
        ),
        "search": ("/runs/crons/search", {"metadata": {"k": text}}),
        "count": ("/runs/crons/count", {"metadata": {"k": text}}),
        "update": (f"/runs/crons/{before[0]['cron_id']}", {"input": human(text)}),
    }
    path, body = bodies[door]
    method = "PATCH" if door == "update" else "POST"
    response = httpx.request(
        method, f"{server.url}{path}", content=json.dumps(body), headers=headers, verify=TLS
    )
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"][0]["field"].startswith("body.")
    assert not any(word in response.text for word in LIBRARY_WORDS)
    assert server.sync().crons.search(limit=100) == before  # nothing stored


def test_a_cron_run_whose_job_is_let_go_stops_before_its_next_step(
    server: Server, api_env: Path
) -> None:
    """A cron's run whose job was cancelled, or let go by its stopping worker (`ctx.cancelled()`,
    `JobRunner.stop`), stops its turn before its next step: the run ends `interrupted`, saying
    why, with no reply, and the thread is free for the next run."""
    from types import SimpleNamespace

    from api.agent_protocol.cron_runs import cron_run_handler
    from api.thread_turns import thread_busy

    alice = server.sync(server.alice)
    thread_id = alice.threads.create()["thread_id"]
    cron = alice.crons.create_for_thread(
        thread_id, "assistant", schedule="*/5 * * * *", input=human("hello")
    )
    job = SimpleNamespace(owner="alice", request={"cron_id": cron["cron_id"], "fire": "now"})
    ctx = SimpleNamespace(
        store=server.store, settings=make_settings(api_env / "crons"), cancelled=lambda: True
    )
    result = cron_run_handler(job, ctx)  # type: ignore[arg-type]
    assert result["run_status"] == "interrupted"
    (run,) = alice.runs.list(thread_id)
    assert run["status"] == "interrupted" and "cancelled" in run["cancel_reason"]
    messages = alice.threads.get_state(thread_id)["values"]["messages"]
    assert [m["type"] for m in messages] == ["human"]
    assert not thread_busy(server.store, "alice", result["thread_id"])
    alice.crons.delete(cron["cron_id"])
    assert (
        alice.runs.wait(thread_id, "assistant", input=human("hi"))["messages"][-1]["type"] == "ai"
    )
