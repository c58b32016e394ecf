"""No chat turn outlives its app (`api.thread_turns.AppTurns`): a turn under way when the app
closes stops before its next step and is waited for, its run ends `interrupted`, its thread is
free, and a new app on the same data dir goes on with the thread. A step is held up by a
`route_message` that waits for the test's event (the supervisor's first step)."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api import thread_turns
from api.agent_protocol.chat_runs import SHUTDOWN_REASON
from api.errors import ApiError
from store.sqlite import SQLiteStore
from tests.api.conftest import assert_error, make_settings
from tests.store.conftest import FakeClock

ASK = "find the target-vol setting that holds up in a bear market"


class HeldStep:
    """`graphs.assistant.route_message` held up until `release`: `started` is set as a turn
    enters it; `calls` counts the turns that did."""

    def __init__(self, real: Callable[..., Any]) -> None:
        self.real = real
        self.started = threading.Event()
        self.released = threading.Event()
        self.calls = 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        self.started.set()
        assert self.released.wait(60), "the test never released the step"
        return self.real(*args, **kwargs)


@pytest.fixture
def held(monkeypatch: pytest.MonkeyPatch) -> Iterator[HeldStep]:
    from graphs import assistant

    step = HeldStep(assistant.route_message)
    monkeypatch.setattr(assistant, "route_message", step)
    yield step
    step.released.set()


def _app(data_dir: Path) -> TestClient:
    """An app on `data_dir` without job workers (its close is the turns' and the store's)."""
    from api.app import create_app

    app = create_app(make_settings(data_dir, api={"job_workers": 0}))
    return TestClient(app, raise_server_exceptions=False)


def _keys(client: TestClient) -> dict[str, str]:
    key, _ = client.app.state.context.store.create_api_key("alice", "tests")  # type: ignore[attr-defined]
    return {"x-api-key": key}


def _opened(tmp_path: Path) -> tuple[Path, TestClient, dict[str, str]]:
    """A started app on a data directory of `tmp_path` (the test closes it), and alice's key."""
    data_dir = tmp_path / "data"
    client = _app(data_dir)
    client.__enter__()
    return data_dir, client, _keys(client)


def _turn_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(("agent-run-", "chat-"))]


def _close_meanwhile(client: TestClient, held: HeldStep) -> float:
    """Close the app while the held step runs, releasing the step once the close has asked the
    turns to stop; the seconds the close took."""
    turns: thread_turns.AppTurns = client.app.state.context.turns  # type: ignore[attr-defined]
    warming = [t for t in threading.enumerate() if t.name == "app-warm-up"]
    for thread in warming:  # its steps are not the turns': the close waits for them apart
        thread.join(60)

    def release() -> None:
        assert turns.closing.wait(60)
        held.released.set()

    releasing = threading.Thread(target=release)
    releasing.start()
    began = time.monotonic()
    client.__exit__(None, None, None)
    took = time.monotonic() - began
    releasing.join(60)
    return took


def test_a_run_under_way_when_the_app_closes_stops_before_its_next_step(
    tmp_path: Path, held: HeldStep
) -> None:
    data_dir, client, alice = _opened(tmp_path)
    thread_id = client.post("/agent/threads", json={}, headers=alice).json()["thread_id"]
    body = {"assistant_id": "assistant", "input": {"messages": [{"role": "user", "content": ASK}]}}
    run = client.post(f"/agent/threads/{thread_id}/runs", json=body, headers=alice).json()
    assert held.started.wait(60)
    took = _close_meanwhile(client, held)
    assert took < thread_turns.TURN_STOP_SECONDS  # the close's bound: the turn stopped at once
    assert not any(t.name == f"agent-run-{run['run_id']}" for t in _turn_threads())
    assert held.calls == 1

    with SQLiteStore(data_dir / "store.sqlite") as store:  # what the closed app left
        stored = store.get_agent_run("alice", thread_id, run["run_id"])
    assert (stored.status, stored.cancel_reason) == ("interrupted", SHUTDOWN_REASON)

    with _app(data_dir) as again:  # a new app on the same data dir: the thread goes on
        thread = again.get(f"/agent/threads/{thread_id}", headers=alice).json()
        assert thread["status"] == "idle"
        messages = thread["values"]["messages"]
        # the supervisor's step completed; the next (drafting the search) never ran
        assert [m["type"] for m in messages] == ["human"]
        state = again.get(f"/agent/threads/{thread_id}/state", headers=alice).json()
        assert state["next"] == ["draft"] and not state["interrupts"]
        shown = again.get(f"/agent/threads/{thread_id}/runs/{run['run_id']}", headers=alice)
        assert shown.json()["status"] == "interrupted"
        hello = {
            "assistant_id": "assistant",
            "input": {"messages": [{"role": "user", "content": "hello"}]},
        }
        values = again.post(f"/agent/threads/{thread_id}/runs/wait", json=hello, headers=alice)
        assert values.status_code == 200, values.text
        assert values.json()["messages"][-1]["type"] == "ai"


def test_a_message_under_way_when_the_app_closes_stops_before_its_next_step(
    tmp_path: Path, held: HeldStep
) -> None:
    data_dir, client, alice = _opened(tmp_path)
    thread_id = client.post("/v1/threads", json={"title": "t"}, headers=alice).json()["id"]

    def send() -> None:  # its answer is lost with the closed client: the turn's end is checked
        path = f"/v1/threads/{thread_id}/messages"
        with (
            contextlib.suppress(Exception),
            client.stream("POST", path, json={"content": ASK}, headers=alice) as response,
        ):
            list(response.iter_lines())

    sending = threading.Thread(target=send)
    sending.start()
    assert held.started.wait(60)
    took = _close_meanwhile(client, held)
    sending.join(60)
    assert took < thread_turns.TURN_STOP_SECONDS
    assert not any(t.name == f"chat-{thread_id}" for t in _turn_threads())
    assert held.calls == 1

    with _app(data_dir) as again:
        detail = again.get(f"/v1/threads/{thread_id}", headers=alice).json()
        assert [m["role"] for m in detail["messages"]] == ["user"] and detail["pending"] is None
        turn = again.post(
            f"/v1/threads/{thread_id}/messages",
            json={"content": "hello"},
            headers={**alice, "accept": "application/json"},
        )
        assert turn.status_code == 200, turn.text
        assert turn.json()["replies"]


def test_a_stopped_message_is_answered_503(tmp_path: Path) -> None:
    """The turn a closing app stopped answers 503 `UNAVAILABLE` with `Retry-After` (the JSON
    answer, or the stream's `error` event), and frees its thread."""
    from api.routes import threads as routes
    from graphs.chat import TurnStopped

    released = []

    class Turns:
        @staticmethod
        def release(store: Any, owner: str, thread_id: str) -> None:
            released.append(thread_id)

    def stopped(sink: Any) -> Any:
        raise TurnStopped("stopped")

    context = SimpleNamespace(store=None, turns=Turns())
    thread = SimpleNamespace(id="th_1")
    kind, error = routes._settled(context, "alice", thread, stopped, lambda e: None)  # type: ignore[arg-type]
    assert kind == "error" and released == ["th_1"]
    assert (error.status, error.code) == (503, "UNAVAILABLE")
    assert error.headers == {"Retry-After": str(thread_turns.TURN_RETRY_AFTER_S)}
    assert_error_document(error)


def test_a_closing_app_refuses_new_turns_and_lets_a_stuck_one_expire(tmp_path: Path) -> None:
    """Once its close began, an app's new turn is 503 with `Retry-After`; a turn whose step does
    not end within the close's bound is left, its hold on the thread no longer renewed: it
    expires as a dead process's, and the thread is free again."""
    clock = FakeClock()
    with SQLiteStore(tmp_path / "store.sqlite", clock=clock) as store:
        turns = thread_turns.AppTurns()
        turns.claim(store, "alice", "th_stuck")
        stuck = threading.Event()
        turns.start("alice", "th_stuck", lambda: stuck.wait(60), "chat-th_stuck")
        began = time.monotonic()
        turns.close(timeout=0.05)
        assert time.monotonic() - began < 5
        with pytest.raises(ApiError) as refused:
            turns.claim(store, "alice", "th_new")
        assert (refused.value.status, refused.value.code) == (503, "UNAVAILABLE")
        assert refused.value.headers == {"Retry-After": str(thread_turns.TURN_RETRY_AFTER_S)}
        assert_error_document(refused.value)
        clock.advance(thread_turns.TURN_LEASE_SECONDS)
        assert store.hold_lease("alice", thread_turns.turn_key("th_stuck"), "another", 60)
        stuck.set()  # the step ends; its turn's end releases nothing of the other's hold
        for thread in [t for t in _turn_threads() if t.name == "chat-th_stuck"]:
            thread.join(60)
        thread_turns.release_thread(store, "alice", "th_stuck")
        assert not store.hold_lease("alice", thread_turns.turn_key("th_stuck"), "third", 60)


def assert_error_document(error: ApiError) -> None:
    """The refusal in the API's error format, naming the thread."""

    class Answer:
        status_code = error.status
        text = error.message

        @staticmethod
        def json() -> dict[str, Any]:
            return {
                "error": {"code": error.code, "message": error.message, "details": error.details}
            }

    assert_error(Answer(), 503, "UNAVAILABLE", "thread")
