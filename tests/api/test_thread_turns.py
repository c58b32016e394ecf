"""One turn at a time per chat thread in every process (`api.thread_turns`): a turn's hold is a
lease in the store, seen by a second store handle on the same file as a second process sees it,
renewed while the turn runs, ended with it; a process that died leaves it to expire."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from api import thread_turns
from api.errors import ApiError
from store.sqlite import SQLiteStore
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
