"""The retention contract on both backends."""

from __future__ import annotations

import pytest

from store.base import Store
from store.errors import NotFoundError
from store.results import Trial
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB, events, running_job


def test_cleanup_archives_old_jobs_and_drops_expired_cache(store: Store, clock: FakeClock) -> None:
    old = running_job(store)
    store.append_events(ALICE, old, events(old, range(1, 4), clock))
    store.put_trials(ALICE, old, [Trial(n, {"n": n}) for n in range(3)])
    store.complete_job(ALICE, old, {"sharpe": 1.0})
    failed, _ = store.submit_job(ALICE, "optimize", {"n": 2})
    store.transition(ALICE, failed.id, ["pending"], "failed", error="x")
    store.cache_put(ALICE, "short", 1, ttl_seconds=3600)
    store.cache_put(BOB, "long", 2, ttl_seconds=90 * 86400)
    clock.advance(20 * 86400)
    recent = running_job(store)
    store.complete_job(ALICE, recent, {"sharpe": 2.0})
    still_running = running_job(store, worker="w9")
    clock.advance(15 * 86400)  # old jobs: 35 days, recent: 15 days

    report = store.cleanup()
    assert sorted(report.archived_jobs) == sorted([old, failed.id])
    assert report.expired_cache_entries == 1
    assert store.cache_get(BOB, "long") == 2

    archived = store.get_job(ALICE, old)
    assert archived.archived_at == clock.now and archived.status == "succeeded"
    assert store.get_result(ALICE, old).payload == {"sharpe": 1.0}
    assert store.events(ALICE, old) == []
    assert store.trials(ALICE, old).items == []
    bundle = store.get_archive(ALICE, old)
    assert bundle["result"] == {"sharpe": 1.0}
    assert [e["seq"] for e in bundle["events"]] == [1, 2, 3]
    assert [t["number"] for t in bundle["trials"]] == [0, 1, 2]
    assert bundle["job"]["id"] == old
    with pytest.raises(NotFoundError):
        store.get_archive(BOB, old)
    with pytest.raises(NotFoundError):
        store.get_archive(ALICE, recent)
    assert {j.id for j in store.list_jobs(ALICE)} == {recent, still_running}
    assert {j.id for j in store.list_jobs(ALICE, include_archived=True)} == {
        old,
        failed.id,
        recent,
        still_running,
    }
    assert store.cleanup().archived_jobs == []  # idempotent
    assert store.cleanup(archive_after_days=10).archived_jobs == [recent]
