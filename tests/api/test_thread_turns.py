"""One turn at a time per chat thread in every process (`api.thread_turns`): a turn's hold is a
lease in the store, seen by a second store handle on the same file as a second process sees it,
renewed while the turn runs, ended with it; a process that died leaves it to expire."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from api import thread_turns
from api.errors import ApiError
from store.sqlite import SQLiteStore
from tests.api.conftest import Api, parse_sse
from tests.store.conftest import FakeClock

THREAD = "th_01"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stores(tmp_path: Path, clock: FakeClock) -> Iterator[tuple[SQLiteStore, SQLiteStore]]:
    """Two processes' handles on one store file, on one clock."""
    with (
        SQLiteStore(tmp_path / "store.sqlite", clock=clock) as here,
        SQLiteStore(tmp_path / "store.sqlite", clock=clock) as there,
    ):
        yield here, there


def test_a_turn_holds_its_thread_in_every_process_until_it_ends(
    stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    here, there = stores
    thread_turns.claim_thread(here, "alice", THREAD)
    try:
        assert thread_turns.thread_busy(there, "alice", THREAD)
        assert not thread_turns.thread_busy(there, "bob", THREAD)  # another owner's name
        # the other process's turn of the thread is refused, as is a second one here
        taken = there.hold_lease("alice", thread_turns.turn_key(THREAD), "elsewhere", 60)
        assert not taken
        with pytest.raises(ApiError) as busy:
            thread_turns.claim_thread(here, "alice", THREAD)
        assert busy.value.status == 409 and busy.value.code == "CONFLICT"
    finally:
        thread_turns.release_thread(here, "alice", THREAD)
    assert not thread_turns.thread_busy(there, "alice", THREAD)
    thread_turns.claim_thread(there, "alice", THREAD)  # the next turn, anywhere
    thread_turns.release_thread(there, "alice", THREAD)


def test_a_running_turn_renews_its_hold_and_a_dead_one_expires(
    stores: tuple[SQLiteStore, SQLiteStore], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    here, there = stores
    key = thread_turns.turn_key(THREAD)
    monkeypatch.setattr(thread_turns, "RENEW_EVERY_SECONDS", 0.01)
    thread_turns.claim_thread(here, "alice", THREAD)
    try:
        clock.advance(thread_turns.TURN_LEASE_SECONDS - 1)
        # renewed meanwhile (the clock stands still): held a lease's length from now
        deadline = time.monotonic() + 30
        while not _expires_after(there, key, clock, thread_turns.TURN_LEASE_SECONDS - 1):
            assert time.monotonic() < deadline, "the hold was not renewed"
            time.sleep(0.01)
        assert not there.hold_lease("alice", key, "elsewhere", 60)
    finally:
        thread_turns.release_thread(here, "alice", THREAD)
    # a process that dies mid-turn renews nothing: its hold lasts a lease
    assert here.hold_lease("alice", key, "a process that dies", thread_turns.TURN_LEASE_SECONDS)
    clock.advance(thread_turns.TURN_LEASE_SECONDS)
    assert not thread_turns.thread_busy(there, "alice", THREAD)
    thread_turns.claim_thread(there, "alice", THREAD)
    thread_turns.release_thread(there, "alice", THREAD)


def _expires_after(store: SQLiteStore, key: str, clock: FakeClock, seconds: float) -> bool:
    """Whether the lease `key` of alice is still held `seconds` from now on `clock`."""
    rows = store._read(
        "lease", "SELECT expires_at FROM cache WHERE owner = ? AND key = ?", ("alice", key)
    )
    return bool(rows) and rows[0]["expires_at"] > (clock.now.timestamp() + seconds) * 1_000_000


def test_a_full_process_is_429_and_counts_only_its_own_turns(
    stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    here, there = stores
    threads = [f"th_{n}" for n in range(thread_turns.MAX_CONCURRENT_TURNS)]
    for thread in threads:
        thread_turns.claim_thread(here, "alice", thread)
    try:
        with pytest.raises(ApiError) as full:
            thread_turns.claim_thread(here, "alice", "th_more")
        assert full.value.status == 429 and full.value.headers == {"Retry-After": "5"}
        assert not thread_turns.thread_busy(there, "alice", "th_more")  # nothing was held
    finally:
        for thread in threads:
            thread_turns.release_thread(here, "alice", thread)


def test_a_released_thread_is_free_while_its_turn_finishes_and_the_close_waits_for_both(
    stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    """An app's turn that released its thread (its answer is out) and still finishes in its own
    thread (recording the run's end) does not keep the thread busy; the app's close still waits
    for that thread."""
    here, _ = stores
    turns = thread_turns.AppTurns()
    turns.claim(here, "alice", THREAD)
    released, finish = threading.Event(), threading.Event()

    def work() -> None:
        turns.release(here, "alice", THREAD)
        released.set()
        assert finish.wait(60)

    turns.start("alice", THREAD, work, f"chat-{THREAD}")
    assert released.wait(60)
    turns.claim(here, "alice", THREAD)  # the next turn, as soon as the answer is out
    with pytest.raises(ApiError) as busy:
        turns.claim(here, "alice", THREAD)
    assert busy.value.status == 409
    turns.release(here, "alice", THREAD)

    closing = threading.Thread(target=turns.close, kwargs={"timeout": 60})
    closing.start()
    assert turns.closing.wait(60)
    closing.join(0.05)
    assert closing.is_alive()  # the first turn's thread has not ended
    finish.set()
    closing.join(60)
    assert not closing.is_alive()
    assert not [t for t in threading.enumerate() if t.name == f"chat-{THREAD}"]


@pytest.fixture
def lingering(api: Api, monkeypatch: pytest.MonkeyPatch) -> Iterator[threading.Event]:
    """Each turn the app starts in a thread of its own lingers after its work (its answer sent,
    its thread released) until the event is set: the window in which a quick client asks
    again."""
    turns = api.client.app.state.context.turns  # type: ignore[attr-defined]
    start = turns.start
    done = threading.Event()

    def linger(owner: str, thread_id: str, work: Callable[[], object], name: str) -> None:
        def then_linger() -> None:
            work()
            done.wait(60)

        start(owner, thread_id, then_linger, name)

    monkeypatch.setattr(turns, "start", linger)
    yield done
    done.set()


def test_a_client_that_asks_again_as_soon_as_it_has_the_answer_is_not_refused(
    api: Api, lingering: threading.Event
) -> None:
    """On the Agent Protocol (a waited run) and on /v1 (a streamed message), the next request
    of a thread sent the moment the last answer arrived is answered, not 409."""
    client, alice = api.client, api.alice
    thread = client.post("/agent/threads", json={}, headers=alice).json()["thread_id"]
    for text in ("hello", "what does the market look like for AAPL?"):
        ran = client.post(
            f"/agent/threads/{thread}/runs/wait",
            json={
                "assistant_id": "assistant",
                "input": {"messages": [{"role": "user", "content": text}]},
            },
            headers=alice,
        )
        assert ran.status_code == 200, ran.text
        assert ran.json()["messages"][-1]["type"] == "ai"
    v1 = client.post("/v1/threads", json={}, headers=alice).json()["id"]
    for text in ("hello", "what does the market look like for AAPL?"):
        with client.stream(
            "POST", f"/v1/threads/{v1}/messages", json={"content": text}, headers=alice
        ) as response:
            assert response.status_code == 200, response.read()
            events = parse_sse(list(response.iter_lines()))
        assert [e["event"] for e in events][-2:] == ["turn", "end"], events[-1]
