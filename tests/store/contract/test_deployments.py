"""The deployments contract on both backends: versioned documents, owner isolation, guarded
updates, and the scheduler's view across owners."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB, race

SPEC = {"source": {"kind": "portfolio", "id": "pf_123456"}, "capital": 100_000.0}


def test_a_deployment_is_created_read_listed_and_updated_by_version(
    store: Store, clock: FakeClock
) -> None:
    first = store.create_deployment(ALICE, "core", "draft", SPEC)
    clock.advance(1)
    second = store.create_deployment(ALICE, "satellite", "active", {"capital": 5.0})
    assert (first.version, first.status, first.spec) == (1, "draft", SPEC)
    assert first.id.startswith("dep_") and store.get_deployment(ALICE, first.id) == first
    assert [d.id for d in store.list_deployments(ALICE)] == [first.id, second.id]
    assert [d.id for d in store.list_deployments(ALICE, statuses=["active"])] == [second.id]
    clock.advance(1)
    active = store.update_deployment(ALICE, first.id, expected_version=1, status="active")
    assert (active.status, active.version, active.spec) == ("active", 2, SPEC)
    assert active.updated_at == clock.now and active.created_at == first.created_at
    respecified = store.update_deployment(
        ALICE, first.id, expected_version=2, spec={**SPEC, "capital": 1.0}
    )
    assert (respecified.status, respecified.spec["capital"]) == ("active", 1.0)


def test_a_stale_version_changes_nothing(store: Store) -> None:
    deployment = store.create_deployment(ALICE, "core", "active", SPEC)
    store.update_deployment(ALICE, deployment.id, expected_version=1, status="paused")
    with pytest.raises(ConflictError) as raised:
        store.update_deployment(ALICE, deployment.id, expected_version=1, status="retired")
    assert raised.value.current.status == "paused"  # type: ignore[attr-defined]
    assert store.get_deployment(ALICE, deployment.id).status == "paused"


def test_of_concurrent_updates_at_one_version_exactly_one_wins(store: Store) -> None:
    deployment = store.create_deployment(ALICE, "core", "active", SPEC)
    outcomes = race(
        store,
        4,
        lambda i: store.update_deployment(
            ALICE, deployment.id, expected_version=1, spec={"capital": float(i)}
        ),
    )
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1 and all(
        isinstance(o, ConflictError) for o in outcomes if o not in winners
    )
    assert store.get_deployment(ALICE, deployment.id).spec == winners[0].spec


def test_another_owners_deployment_is_missing(store: Store) -> None:
    deployment = store.create_deployment(ALICE, "core", "active", SPEC)
    with pytest.raises(NotFoundError):
        store.get_deployment(BOB, deployment.id)
    with pytest.raises(NotFoundError):
        store.update_deployment(BOB, deployment.id, expected_version=1, status="retired")
    assert store.list_deployments(BOB) == []
    assert store.get_deployment(ALICE, deployment.id).status == "active"


def test_the_scheduler_sees_every_owners_active_deployments(store: Store, clock: FakeClock) -> None:
    alice = store.create_deployment(ALICE, "a", "active", SPEC)
    clock.advance(1)
    bob = store.create_deployment(BOB, "b", "active", SPEC)
    paused = store.create_deployment(BOB, "c", "draft", SPEC)
    assert [d.id for d in store.deployments_by_status("active")] == [alice.id, bob.id]
    store.update_deployment(BOB, bob.id, expected_version=1, status="paused")
    assert [d.id for d in store.deployments_by_status("active")] == [alice.id]
    assert {d.id for d in store.deployments_by_status("paused")} == {bob.id}
    assert paused.id not in {d.id for d in store.deployments_by_status("active")}


@pytest.mark.parametrize(
    ("call", "problem"),
    [
        (lambda s: s.create_deployment("", "n", "draft", {}), "owner"),
        (lambda s: s.create_deployment(ALICE, "", "draft", {}), "name must be"),
        (lambda s: s.create_deployment(ALICE, "n", "not a word", {}), "status must be"),
        (lambda s: s.deployments_by_status("active", limit=0), "limit must be"),
    ],
)
def test_bad_input_is_refused_before_anything_is_written(
    store: Store, call: object, problem: str
) -> None:
    with pytest.raises(ValueError, match=problem):
        call(store)  # type: ignore[operator]
    assert store.list_deployments(ALICE) == []


def test_every_change_is_an_event_written_with_it(store: Store, clock: FakeClock) -> None:
    deployment = store.create_deployment(ALICE, "core", "draft", SPEC, event_data={"by": "api"})
    clock.advance(1)
    store.update_deployment(
        ALICE, deployment.id, expected_version=1, status="active", event_data={"reason": "go"}
    )
    clock.advance(1)
    store.update_deployment(
        ALICE, deployment.id, expected_version=2, spec={**SPEC, "capital": 2.0, "monitor": {}}
    )
    events = store.deployment_events(ALICE, deployment.id)
    assert [(e.seq, e.type) for e in events] == [
        (1, "created"),
        (2, "status_changed"),
        (3, "updated"),
    ]
    assert events[0].data == {"name": "core", "status": "draft", "by": "api"}
    assert events[1].data == {"from": "draft", "to": "active", "reason": "go"}
    assert events[1].time == clock.now - timedelta(seconds=1)
    assert events[2].data == {"changed": ["capital", "monitor"]}
    assert all(e.deployment_id == deployment.id for e in events)
    assert [e.seq for e in store.deployment_events(ALICE, deployment.id, after_seq=1)] == [2, 3]
    assert [e.seq for e in store.deployment_events(ALICE, deployment.id, limit=1)] == [1]


def test_a_refused_update_writes_no_event(store: Store) -> None:
    deployment = store.create_deployment(ALICE, "core", "active", SPEC)
    store.update_deployment(ALICE, deployment.id, expected_version=1, status="paused")
    with pytest.raises(ConflictError):
        store.update_deployment(ALICE, deployment.id, expected_version=1, status="retired")
    with pytest.raises(NotFoundError):
        store.update_deployment(BOB, deployment.id, expected_version=2, status="retired")
    assert [e.type for e in store.deployment_events(ALICE, deployment.id)] == [
        "created",
        "status_changed",
    ]


def test_an_appended_event_is_stored_once_per_key(store: Store) -> None:
    deployment = store.create_deployment(ALICE, "core", "active", SPEC)
    first = store.append_deployment_event(
        ALICE, deployment.id, "run_finished", {"outcome": "filled"}, key="run:job_1"
    )
    again = store.append_deployment_event(
        ALICE, deployment.id, "run_finished", {"outcome": "other"}, key="run:job_1"
    )
    assert first == again and (first.seq, first.data) == (2, {"outcome": "filled"})
    store.update_deployment(ALICE, deployment.id, expected_version=1, status="paused")
    later = store.append_deployment_event(
        ALICE, deployment.id, "run_finished", {"outcome": "no_trades"}, key="run:job_2"
    )
    assert [(e.seq, e.type) for e in store.deployment_events(ALICE, deployment.id)] == [
        (1, "created"),
        (2, "run_finished"),
        (3, "status_changed"),
        (4, "run_finished"),
    ]
    assert later.seq == 4


def test_another_owner_neither_reads_nor_appends_events(store: Store) -> None:
    deployment = store.create_deployment(ALICE, "core", "active", SPEC)
    with pytest.raises(NotFoundError):
        store.deployment_events(BOB, deployment.id)
    with pytest.raises(NotFoundError):
        store.append_deployment_event(BOB, deployment.id, "run_finished", {}, key="k")
    assert len(store.deployment_events(ALICE, deployment.id)) == 1


def test_racing_changes_and_appends_number_events_without_gaps(store: Store) -> None:
    deployment = store.create_deployment(ALICE, "core", "active", SPEC)

    def act(i: int) -> object:
        if i % 2:
            return store.append_deployment_event(
                ALICE, deployment.id, "run_finished", {"i": i}, key=f"run:{i}"
            )
        current = store.get_deployment(ALICE, deployment.id)
        return store.update_deployment(
            ALICE, deployment.id, expected_version=current.version, spec={"capital": float(i)}
        )

    outcomes = race(store, 6, act)
    written = [o for o in outcomes if not isinstance(o, Exception)]
    assert all(isinstance(o, ConflictError) for o in outcomes if o not in written)
    events = store.deployment_events(ALICE, deployment.id)
    assert [e.seq for e in events] == list(range(1, len(written) + 2))
    updates = [e for e in events if e.type == "updated"]
    assert len(updates) == store.get_deployment(ALICE, deployment.id).version - 1
    assert sorted(e.data["i"] for e in events if e.type == "run_finished") == [1, 3, 5]
