"""Agent Protocol runs are recorded in the store: they outlive the server that ran them, another
instance sharing the store answers for them (get, list, join, join stream, cancel), and a run
whose server stopped reads `error` once its lease has expired. Driven by the real
`langgraph-sdk` client against uvicorn on loopback; the lost run's lease expires on a fake
clock."""

from __future__ import annotations

import threading
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from langgraph_sdk import get_sync_client

from api.agent_protocol.run_records import RunTiming
from api.app import create_app
from store.agent_runs import LOST_CODE, LOST_MESSAGE
from store.factory import open_store
from tests.api.conftest import make_settings
from tests.store.conftest import FakeClock
from tests.support.live_server import running_server
from tests.support.requests import SMALL_REQUEST

ASK = "find the target-vol setting that holds up in a bear market"
SMALL = {**SMALL_REQUEST, "seed": 3}
"""An optimization run as a job (3 stocks, 12 trials): its result outlives the server."""
QUICK = RunTiming(lease_seconds=30, heartbeat_seconds=0.05, poll_seconds=0.02)
"""Short heartbeats and polls, so a cancel or an end on one instance is seen soon on another."""


def human(text: str) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": text}]}


def _status(error: pytest.ExceptionInfo[httpx.HTTPStatusError]) -> tuple[int, str]:
    return error.value.response.status_code, error.value.response.json()["error"]["code"]


class Background:
    """A call made in a thread; `result()` waits for it (its value, or raises its error)."""

    def __init__(self, call: Any) -> None:
        self._out: list[Any] = []
        self._thread = threading.Thread(target=lambda: self._out.append(self._run(call)))
        self._thread.start()

    @staticmethod
    def _run(call: Any) -> Any:
        try:
            return call()
        except Exception as exc:  # handed to result()
            return exc

    def result(self, timeout: float = 60) -> Any:
        self._thread.join(timeout)
        assert self._out, "the call did not return"
        if isinstance(self._out[0], Exception):
            raise self._out[0]
        return self._out[0]


def test_a_run_outlives_its_server(api_env: Path) -> None:
    settings = make_settings(api_env / "restart")
    first = create_app(settings)
    first.state.context.run_timing = QUICK
    alice, _ = first.state.context.store.create_api_key("alice", "agent protocol")
    bob, _ = first.state.context.store.create_api_key("bob", "agent protocol")
    with running_server(first) as base:
        client = get_sync_client(url=f"{base}/agent", api_key=alice)
        thread_id = client.threads.create()["thread_id"]
        run = client.runs.create(
            thread_id,
            "assistant",
            input=human("hello"),
            stream_mode=["values", "updates"],
            metadata={"source": "restart test"},
        )
        values = client.runs.join(thread_id, run["run_id"])
        ended = client.runs.get(thread_id, run["run_id"])
        job_thread = client.threads.create()["thread_id"]
        optimization = client.runs.create(job_thread, "optimization", input=SMALL)
        job_values = client.runs.join(job_thread, optimization["run_id"])
    assert ended["status"] == "success" and ended["metadata"] == {"source": "restart test"}

    second = create_app(settings)  # a new server on the same store: no run in its memory
    with running_server(second) as base:
        client = get_sync_client(url=f"{base}/agent", api_key=alice)
        assert client.runs.get(thread_id, run["run_id"]) == ended
        assert [r["run_id"] for r in client.runs.list(thread_id)] == [run["run_id"]]
        assert client.runs.join(thread_id, run["run_id"]) == values
        parts = list(client.runs.join_stream(thread_id, run["run_id"]))
        assert [p.event for p in parts] == ["metadata", "values", "end"]
        assert parts[1].data == values and parts[2].data["status"] == "success"
        assert job_values["job"]["status"] == "succeeded" and job_values["result"]["config"]
        assert client.runs.join(job_thread, optimization["run_id"]) == job_values  # from the job
        assert client.runs.get(job_thread, optimization["run_id"])["status"] == "success"
        bobs = get_sync_client(url=f"{base}/agent", api_key=bob)
        own_thread = bobs.threads.create()["thread_id"]
        for call in (
            lambda: bobs.runs.get(thread_id, run["run_id"]),
            lambda: bobs.runs.get(own_thread, run["run_id"]),  # the id on his own thread
            lambda: bobs.runs.join(own_thread, run["run_id"]),
            lambda: bobs.runs.cancel(own_thread, run["run_id"]),
            lambda: bobs.runs.list(thread_id),
        ):
            with pytest.raises(httpx.HTTPStatusError) as refused:
                call()
            assert _status(refused) == (404, "NOT_FOUND")
        client.threads.delete(thread_id)
    again = open_store(settings)
    assert again.list_agent_runs("alice", thread_id) == []  # deleted with its thread
    again.close()


def test_another_instance_follows_and_cancels_a_run(api_env: Path) -> None:
    settings = make_settings(api_env / "instances")
    runner, other = create_app(settings), create_app(settings)
    for app in (runner, other):
        app.state.context.run_timing = QUICK
    alice, _ = runner.state.context.store.create_api_key("alice", "agent protocol")
    with running_server(runner) as base_a, running_server(other) as base_b:
        here = get_sync_client(url=f"{base_a}/agent", api_key=alice)
        there = get_sync_client(url=f"{base_b}/agent", api_key=alice)
        thread_id = here.threads.create()["thread_id"]
        here.runs.wait(thread_id, "assistant", input=human(ASK))  # an approval is pending
        big = {"budget": {"max_trials": 4000, "batch_size": 10}, "n_paths": 50}
        long = here.runs.create(
            thread_id,
            "assistant",
            command={"resume": {"action": "edit", "request": big}},
            stream_mode="custom",
        )
        job_id = None
        for part in here.runs.join_stream(thread_id, long["run_id"]):
            if part.event == "custom" and part.data.get("type") == "job":
                job_id = part.data["job_id"]
                break
        assert job_id is not None
        assert there.runs.get(thread_id, long["run_id"])["status"] == "running"
        joined = Background(lambda: there.runs.join(thread_id, long["run_id"]))
        streamed = Background(lambda: list(there.runs.join_stream(thread_id, long["run_id"])))
        there.runs.cancel(thread_id, long["run_id"], wait=True)  # recorded; the runner stops it
        cancelled = there.runs.get(thread_id, long["run_id"])
        assert cancelled["status"] == "interrupted"
        assert cancelled["cancel_reason"] == "cancelled by the client"
        final = joined.result()
        assert final["messages"][-1]["content"] == f"Run {job_id} cancelled."
        parts = streamed.result()
        assert [p.event for p in parts] == ["metadata", "end"]
        assert parts[-1].data == {"run_id": long["run_id"], "status": "interrupted"}
        assert here.runs.get(thread_id, long["run_id"]) == cancelled
        with pytest.raises(httpx.HTTPStatusError) as ended:
            there.runs.cancel(thread_id, long["run_id"])
        assert _status(ended) == (409, "CONFLICT")


def test_a_run_whose_server_stopped_reads_error_once_its_lease_expires(api_env: Path) -> None:
    settings = make_settings(api_env / "lost")
    clock = FakeClock()
    store = open_store(settings, clock=clock)
    app = create_app(settings, store=store)
    app.state.context.run_timing = QUICK
    alice, _ = store.create_api_key("alice", "agent protocol")
    thread_id = store.create_thread("alice", "a run in flight").id
    run_id = str(uuid.uuid4())
    # what a server that stopped mid-run leaves: a running run whose lease nobody renews
    store.create_agent_run(
        "alice",
        run_id=run_id,
        thread_id=thread_id,
        assistant_id="assistant",
        lease_seconds=60,
        kwargs={"stream_mode": ["values"]},
    )
    store.update_agent_run("alice", thread_id, run_id, status="running", lease_seconds=60)
    with running_server(app) as base:
        client = get_sync_client(url=f"{base}/agent", api_key=alice)
        assert client.runs.get(thread_id, run_id)["status"] == "running"
        assert client.threads.get(thread_id)["status"] == "busy"  # running elsewhere
        with pytest.raises(httpx.HTTPStatusError) as busy:  # one run at a time, any instance
            client.runs.create(thread_id, "assistant", input=human("hello"))
        assert _status(busy) == (409, "CONFLICT")
        joined = Background(lambda: client.runs.join(thread_id, run_id))
        streamed = Background(lambda: list(client.runs.join_stream(thread_id, run_id)))
        clock.advance(59)
        assert client.runs.get(thread_id, run_id)["status"] == "running"
        clock.advance(2)
        lost = client.runs.get(thread_id, run_id)
        expected = {"error": LOST_CODE, "message": LOST_MESSAGE}
        assert lost["status"] == "error" and lost["error"] == expected
        assert lost["updated_at"] == clock.now.isoformat()
        assert joined.result() == {"__error__": expected}
        parts = streamed.result()
        assert [(p.event, p.data) for p in parts] == [
            ("metadata", {"run_id": run_id, "attempt": 1}),
            ("error", expected),
            ("end", {"run_id": run_id, "status": "error"}),
        ]
        assert client.threads.get(thread_id)["status"] == "idle"
        after = client.runs.wait(thread_id, "assistant", input=human("hello"))
        assert after["messages"][-1]["type"] == "ai"  # the thread is free again
