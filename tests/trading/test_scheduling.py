"""Schedules fire each due rebalance exactly once, however many schedulers look (a real SQLite
store shared by racing threads, an injected clock)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from store import Store
from store.sqlite import SQLiteStore
from trading.scheduling import REBALANCE_KIND, fire_due

MONDAY_MORNING = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
DAILY_SPEC = {
    "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS", "catch_up": "latest"},
    "capital": 1000.0,
}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(MONDAY_MORNING)


@pytest.fixture
def store(tmp_path: Path, clock: Clock) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite", clock=clock)


def _active(store: Store, owner: str, n: int = 1) -> list[str]:
    ids = []
    for i in range(n):
        draft = store.create_deployment(owner, f"d{i}", "draft", DAILY_SPEC)
        ids.append(store.update_deployment(owner, draft.id, expected_version=1, status="active").id)
    return ids


def _rebalances(store: Store, owner: str) -> list[dict[str, str]]:
    return [job.request for job in store.list_jobs(owner, limit=1000) if job.kind == REBALANCE_KIND]


def test_racing_schedulers_fire_each_deployment_once(store: Store, clock: Clock) -> None:
    ids = _active(store, "alice", 30) + _active(store, "bob", 20)
    clock.now = datetime(2024, 7, 1, 19, 46, tzinfo=UTC)  # a minute after Monday's 15:45 fire
    reports = []
    barrier = threading.Barrier(2)

    def scheduler() -> None:
        barrier.wait()
        reports.append(fire_due(store, clock.now))

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    jobs = _rebalances(store, "alice") + _rebalances(store, "bob")
    assert sorted(job["deployment_id"] for job in jobs) == sorted(ids)
    assert {job["fire"] for job in jobs} == {"2024-07-01T19:45:00+00:00"}
    assert sum(len(r.submitted) for r in reports) == 50
    assert sum(len(r.submitted) + r.already_claimed for r in reports) in range(50, 101)
    assert fire_due(store, clock.now).submitted == []  # looking again claims nothing new


def test_fires_missed_while_down_follow_the_catch_up_policy(store: Store, clock: Clock) -> None:
    (deployment_id,) = _active(store, "alice")
    clock.now = datetime(2024, 7, 5, 12, 0, tzinfo=UTC)  # Friday: Mon, Tue, Wed fires missed
    report = fire_due(store, clock.now)
    (job,) = _rebalances(store, "alice")
    # July 3rd closed early (13:00 New York): its fire moved to 12:45, and it is the latest.
    assert job == {"deployment_id": deployment_id, "fire": "2024-07-03T16:45:00+00:00"}
    assert (len(report.submitted), report.skipped) == (1, 2)
    state = store.get_deployment("alice", deployment_id).spec["schedule_state"]
    assert state == {"last_fire": "2024-07-03T16:45:00+00:00", "skipped": 2}


def test_paused_and_draft_deployments_do_not_fire(store: Store, clock: Clock) -> None:
    (paused,) = _active(store, "alice")
    store.update_deployment("alice", paused, expected_version=2, status="paused")
    store.create_deployment("alice", "draft", "draft", DAILY_SPEC)
    clock.now = datetime(2024, 7, 1, 19, 46, tzinfo=UTC)
    assert fire_due(store, clock.now).submitted == []
    assert _rebalances(store, "alice") == []
