"""The Agent Protocol run records contract on both backends: create, read, list newest first,
guarded status changes, leases that end a lost run as `error`, owner scoping, delete."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.agent_runs import LOST_CODE, LOST_MESSAGE
from store.base import Store
from store.errors import ConflictError, NotFoundError
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB


def _new(store: Store, run_id: str, thread_id: str = "th_1", owner: str = ALICE) -> None:
    store.create_agent_run(
        owner,
        run_id=run_id,
        thread_id=thread_id,
        assistant_id="asst",
        lease_seconds=30,
        metadata={"source": "test"},
        multitask_strategy="reject",
        kwargs={"stream_mode": ["values"]},
        job_id="job_1",
    )


def test_a_run_is_stored_listed_and_ends_once(store: Store, clock: FakeClock) -> None:
    _new(store, "r1")
    run = store.get_agent_run(ALICE, "th_1", "r1")
    assert (run.status, run.assistant_id, run.metadata, run.multitask_strategy) == (
        "pending",
        "asst",
        {"source": "test"},
        "reject",
    )
    assert run.kwargs == {"stream_mode": ["values"]} and run.job_id == "job_1"
    assert run.created_at == run.updated_at == clock.now and run.error is None
    assert run.lease_expires_at == clock.now + timedelta(seconds=30)
    with pytest.raises(ConflictError):
        _new(store, "r1")
    clock.advance(1)
    _new(store, "r2")
    _new(store, "r3", thread_id="th_2")
    assert [r.run_id for r in store.list_agent_runs(ALICE, "th_1")] == ["r2", "r1"]
    assert [r.run_id for r in store.list_agent_runs(ALICE, "th_1", limit=1, offset=1)] == ["r1"]

    clock.advance(1)
    running = store.update_agent_run(ALICE, "th_1", "r1", status="running", lease_seconds=30)
    assert running.status == "running" and running.updated_at == clock.now
    cancelling = store.update_agent_run(ALICE, "th_1", "r1", cancel_reason="by the client")
    assert cancelling.cancel_reason == "by the client" and cancelling.status == "running"
    failed = store.update_agent_run(
        ALICE, "th_1", "r1", status="error", error={"error": "X", "message": "boom"}
    )
    assert failed.error == {"error": "X", "message": "boom"} and failed.lease_expires_at is None
    assert store.get_agent_run(ALICE, "th_1", "r1") == failed
    with pytest.raises(ConflictError) as ended:  # an ended run stays as it ended
        store.update_agent_run(ALICE, "th_1", "r1", status="success")
    assert ended.value.current == failed
    with pytest.raises(ConflictError):
        store.update_agent_run(ALICE, "th_1", "r1", lease_seconds=30)
    with pytest.raises(ValueError):
        store.update_agent_run(ALICE, "th_1", "r2", status="finished")  # type: ignore[arg-type]

    assert store.delete_agent_runs(ALICE, "th_1") == 2
    assert store.list_agent_runs(ALICE, "th_1") == []
    assert [r.run_id for r in store.list_agent_runs(ALICE, "th_2")] == ["r3"]


def test_a_run_whose_lease_expired_reads_as_error(store: Store, clock: FakeClock) -> None:
    _new(store, "r1")
    store.update_agent_run(ALICE, "th_1", "r1", status="running", lease_seconds=30)
    clock.advance(20)
    renewed = store.update_agent_run(ALICE, "th_1", "r1", lease_seconds=30)  # a heartbeat
    assert renewed.lease_expires_at == clock.now + timedelta(seconds=30)
    clock.advance(29)
    assert store.get_agent_run(ALICE, "th_1", "r1").status == "running"
    clock.advance(2)  # the process stopped renewing it
    lost = store.get_agent_run(ALICE, "th_1", "r1")
    assert lost.status == "error" and lost.updated_at == clock.now
    assert lost.error == {"error": LOST_CODE, "message": LOST_MESSAGE}
    assert lost.lease_expires_at is None
    with pytest.raises(ConflictError):  # the late process cannot revive it
        store.update_agent_run(ALICE, "th_1", "r1", status="success")
    _new(store, "r2")
    clock.advance(31)
    assert [r.status for r in store.list_agent_runs(ALICE, "th_1")] == ["error", "error"]


def test_runs_are_owner_scoped(store: Store) -> None:
    _new(store, "r1")
    for call in (
        lambda: store.get_agent_run(BOB, "th_1", "r1"),
        lambda: store.get_agent_run(ALICE, "th_2", "r1"),  # another thread
        lambda: store.update_agent_run(BOB, "th_1", "r1", status="success"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert store.list_agent_runs(BOB, "th_1") == []
    assert store.delete_agent_runs(BOB, "th_1") == 0
    assert store.get_agent_run(ALICE, "th_1", "r1").status == "pending"
    with pytest.raises(ValueError):
        _new(store, "r9", owner="bad#owner")
