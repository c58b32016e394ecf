"""The store contract: the same tests run against SQLite and against DynamoDB + S3 (moto)."""

from __future__ import annotations

import json
import random
import threading
from datetime import timedelta
from typing import Any

import pytest

from graphs.events import TraceEvent
from store.aws import AWSStore
from store.base import (
    OPTIMIZATION_KIND,
    ConflictError,
    InvalidResultError,
    NotFoundError,
    Store,
    Trial,
    decode_cursor,
    hash_api_key,
)
from store.sqlite import SQLiteStore
from tests.store.conftest import INLINE_LIMIT, FakeClock, dump_everything, s3_keys

ALICE, BOB = "alice", "bob"


def events(run_id: str, seqs: range | list[int], clock: FakeClock) -> list[TraceEvent]:
    return [
        TraceEvent(
            run_id=run_id,
            seq=s,
            ts=clock.now + timedelta(milliseconds=s),
            type="progress",
            node="evaluate",
            data={"done": s, "total": 1000, "unit": "trials", "best": s / 7, "metric": "Sharpe"},
        )
        for s in seqs
    ]


def running_job(store: Store, owner: str = ALICE, worker: str = "w1") -> str:
    job, _ = store.submit_job(owner, "optimize", {"n": 1})
    store.claim(owner, job.id, worker, 60)
    return job.id


def race(store: Store, n: int, fn: Any) -> list[Any]:
    """Run `fn(i)` for i < n as competing callers; each result or the exception raised.

    On SQLite the callers are threads released together. moto's server does not make a
    DynamoDB conditional check-and-write atomic across its request threads (real DynamoDB
    does), so on the AWS backend the same calls are made one after another: the conditions
    still decide who wins, which is what the store controls.
    """
    out: list[Any] = [None] * n

    def target(i: int) -> None:
        try:
            out[i] = fn(i)
        except Exception as exc:
            out[i] = exc

    if not isinstance(store, SQLiteStore):
        for i in range(n):
            target(i)
        return out
    barrier = threading.Barrier(n)

    def released(i: int) -> None:
        barrier.wait()
        target(i)

    threads = [threading.Thread(target=released, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


# --------------------------------------------------------------------------- jobs


def test_submit_creates_pending_job(store: Store, clock: FakeClock) -> None:
    job, created = store.submit_job(ALICE, "optimize", {"tickers": ["A", "B"], "budget": 1.5})
    assert created
    assert job.status == "pending"
    assert job.owner == ALICE
    assert job.request == {"tickers": ["A", "B"], "budget": 1.5}
    assert job.attempts == 0
    assert job.progress == (0, None)
    assert job.created_at == clock.now
    assert store.get_job(ALICE, job.id) == job


def test_idempotent_submit(store: Store) -> None:
    first, created = store.submit_job(ALICE, "optimize", {"n": 1}, idempotency_key="k1")
    again, created_again = store.submit_job(ALICE, "optimize", {"n": 1}, idempotency_key="k1")
    assert created and not created_again
    assert again.id == first.id
    # the same key for another request is refused
    with pytest.raises(ConflictError):
        store.submit_job(ALICE, "optimize", {"n": 2}, idempotency_key="k1")
    # keys are per owner
    other, other_created = store.submit_job(BOB, "optimize", {"n": 1}, idempotency_key="k1")
    assert other_created and other.id != first.id
    assert [j.id for j in store.list_jobs(ALICE)] == [first.id]


def test_concurrent_idempotent_submit_creates_one_job(store: Store) -> None:
    out = race(
        store, 4, lambda i: store.submit_job(ALICE, "optimize", {"n": 7}, idempotency_key="same")
    )
    assert all(not isinstance(o, Exception) for o in out), out
    assert len({job.id for job, _ in out}) == 1
    assert sum(created for _, created in out) == 1
    assert len(store.list_jobs(ALICE)) == 1


def test_owner_isolation(store: Store, clock: FakeClock) -> None:
    job_id = running_job(store, ALICE)
    store.complete_job(ALICE, job_id, {"sharpe": 1.0})
    store.append_events(ALICE, job_id, events(job_id, range(1, 4), clock))
    store.put_trials(ALICE, job_id, [Trial(0, {"x": 1})])
    pf = store.create_portfolio(ALICE, "core", {"weights": {"A": 1.0}})
    th = store.create_thread(ALICE, "hello")
    store.cache_put(ALICE, "k", {"v": 1}, 60)
    bob_job, _ = store.submit_job(BOB, "optimize", {"n": 1})

    with pytest.raises(NotFoundError):
        store.get_job(BOB, job_id)
    with pytest.raises(NotFoundError):
        store.get_result(BOB, job_id)
    with pytest.raises(NotFoundError):
        store.trials(BOB, job_id)
    with pytest.raises(NotFoundError):
        store.transition(BOB, job_id, ["running"], "cancelled")
    with pytest.raises(NotFoundError):
        store.claim(BOB, job_id, "w2", 60)
    with pytest.raises(NotFoundError):
        store.get_portfolio(BOB, pf.id)
    with pytest.raises(NotFoundError):
        store.update_portfolio(BOB, pf.id, name="stolen")
    with pytest.raises(NotFoundError):
        store.delete_portfolio(BOB, pf.id)
    with pytest.raises(NotFoundError):
        store.get_thread(BOB, th.id)
    with pytest.raises(NotFoundError):
        store.touch_thread(BOB, th.id)
    assert store.events(BOB, job_id) == []
    with pytest.raises(ConflictError):
        store.append_events(BOB, job_id, events(job_id, [10], clock))
    assert store.cache_get(BOB, "k") is None
    assert [j.id for j in store.list_jobs(BOB)] == [bob_job.id]
    assert store.list_portfolios(BOB) == []
    assert store.list_threads(BOB) == []
    # Alice still sees everything
    assert store.get_job(ALICE, job_id).status == "succeeded"
    assert len(store.events(ALICE, job_id)) == 3
    assert store.get_portfolio(ALICE, pf.id).name == "core"


def test_list_jobs_newest_first_and_filtered(store: Store, clock: FakeClock) -> None:
    ids = []
    for i in range(5):
        ids.append(store.submit_job(ALICE, "optimize", {"i": i})[0].id)
        clock.advance(1)
    store.transition(ALICE, ids[1], ["pending"], "cancelled")
    assert [j.id for j in store.list_jobs(ALICE)] == ids[::-1]
    assert [j.id for j in store.list_jobs(ALICE, limit=2)] == ids[:2:-1][:2]
    assert [j.id for j in store.list_jobs(ALICE, statuses=["cancelled"])] == [ids[1]]
    pending = store.jobs_by_status("pending")
    assert [j.id for j in pending] == [ids[0], ids[2], ids[3], ids[4]]


def test_guarded_transitions(store: Store, clock: FakeClock) -> None:
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
    with pytest.raises(ConflictError) as info:
        store.transition(ALICE, job.id, ["running"], "failed", error="boom")
    assert info.value.current.status == "pending"
    assert store.get_job(ALICE, job.id) == job  # nothing written
    with pytest.raises(ValueError, match="complete_job"):
        store.transition(ALICE, job.id, ["pending"], "succeeded")
    clock.advance(5)
    running = store.transition(ALICE, job.id, ["pending"], "running")
    assert running.status == "running" and running.started_at == clock.now
    clock.advance(5)
    failed = store.transition(ALICE, job.id, ["running"], "failed", error="disk full")
    assert failed.status == "failed"
    assert failed.error == "disk full"
    assert failed.finished_at == clock.now
    assert failed.started_at == running.started_at
    with pytest.raises(ConflictError):
        store.transition(ALICE, job.id, ["pending", "running"], "cancelled")
    with pytest.raises(NotFoundError):
        store.transition(ALICE, "job_missing", ["pending"], "cancelled")


def test_concurrent_transitions_one_wins(store: Store) -> None:
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
    targets = ["cancelled", "failed", "running", "cancelled"]
    out = race(store, 4, lambda i: store.transition(ALICE, job.id, ["pending"], targets[i]))  # type: ignore[arg-type]
    winners = [o for o in out if not isinstance(o, Exception)]
    assert len(winners) == 1
    assert all(isinstance(o, ConflictError) for o in out if isinstance(o, Exception))
    assert store.get_job(ALICE, job.id).status == winners[0].status


def test_lease_exclusive_and_expiry(store: Store, clock: FakeClock) -> None:
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
    out = race(store, 2, lambda i: store.claim(ALICE, job.id, f"worker-{i}", 30))
    winners = [o for o in out if not isinstance(o, Exception)]
    losers = [o for o in out if isinstance(o, Exception)]
    assert len(winners) == 1 and len(losers) == 1
    assert isinstance(losers[0], ConflictError)
    holder = winners[0].lease_owner
    other = "worker-1" if holder == "worker-0" else "worker-0"
    current = store.get_job(ALICE, job.id)
    assert current.status == "running" and current.attempts == 1
    assert current.lease_expires_at == clock.now + timedelta(seconds=30)

    # the loser can neither heartbeat nor claim while the lease is live
    with pytest.raises(ConflictError):
        store.heartbeat(ALICE, job.id, other, 30)
    clock.advance(29)
    with pytest.raises(ConflictError):
        store.claim(ALICE, job.id, other, 30)
    # the holder extends the lease and reports progress
    beat = store.heartbeat(ALICE, job.id, holder, 30, progress=(3, 10))
    assert beat.progress == (3, 10)
    assert beat.lease_expires_at == clock.now + timedelta(seconds=30)
    clock.advance(29)
    with pytest.raises(ConflictError):
        store.claim(ALICE, job.id, other, 30)
    # the holder dies: once the lease has expired another worker takes over
    clock.advance(2)
    taken = store.claim(ALICE, job.id, other, 30)
    assert taken.lease_owner == other and taken.attempts == 2
    assert taken.progress == (3, 10)
    with pytest.raises(ConflictError):
        store.heartbeat(ALICE, job.id, holder, 30)
    with pytest.raises(ConflictError):
        store.complete_job(ALICE, job.id, {"x": 1}, worker=holder)
    # release keeps the status and frees the lease
    released = store.release(ALICE, job.id, other)
    assert released.status == "running" and released.lease_owner is None
    with pytest.raises(ConflictError):
        store.release(ALICE, job.id, other)
    assert store.claim(ALICE, job.id, holder, 30).attempts == 3


def test_cancel_stops_heartbeats_and_claims(store: Store) -> None:
    job_id = running_job(store, worker="w1")
    cancelled = store.transition(ALICE, job_id, ["pending", "running"], "cancelled")
    assert cancelled.lease_owner is None and cancelled.finished_at is not None
    with pytest.raises(ConflictError):
        store.heartbeat(ALICE, job_id, "w1", 30)
    with pytest.raises(ConflictError):
        store.claim(ALICE, job_id, "w2", 30)


def test_transition_as_worker_requires_the_lease(store: Store) -> None:
    job_id = running_job(store, worker="w1")
    with pytest.raises(ConflictError):
        store.transition(ALICE, job_id, ["running"], "failed", error="x", worker="w2")
    failed = store.transition(ALICE, job_id, ["running"], "failed", error="x", worker="w1")
    assert failed.status == "failed"


# --------------------------------------------------------------------------- results


def test_result_small_and_roundtrip(store: Store) -> None:
    job_id = running_job(store)
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job_id)
    payload = {"best": {"sharpe": 1.2345678901234567, "weights": {"A": 0.25, "B": 0.75}}}
    job = store.complete_job(ALICE, job_id, payload, worker="w1")
    assert job.status == "succeeded" and job.lease_owner is None
    result = store.get_result(ALICE, job_id)
    assert result.payload == payload
    assert result.location == "inline"
    assert result.size_bytes == len(json.dumps(payload, separators=(",", ":")).encode())
    # a second completion is refused (the job is no longer running)
    with pytest.raises(ConflictError):
        store.complete_job(ALICE, job_id, {"other": 1})
    assert store.get_result(ALICE, job_id).payload == payload


def test_result_large_payload(store: Store) -> None:
    job_id = running_job(store)
    rng = random.Random(3)
    payload = {"trials": [[rng.random() for _ in range(20)] for _ in range(2000)]}
    store.complete_job(ALICE, job_id, payload)
    result = store.get_result(ALICE, job_id)
    assert result.payload == payload
    assert result.size_bytes > INLINE_LIMIT
    if type(store).__name__ == "AWSStore":
        assert result.location.startswith("s3://")
    else:
        assert result.location == "inline"


def test_no_result_for_a_job_that_is_not_running(store: Store) -> None:
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1})
    with pytest.raises(ConflictError):
        store.complete_job(ALICE, job.id, {"x": 1})  # still pending
    store.transition(ALICE, job.id, ["pending"], "cancelled")
    big = {"blob": "x" * (INLINE_LIMIT * 2)}
    with pytest.raises(ConflictError):
        store.complete_job(ALICE, job.id, big)
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    assert store.get_job(ALICE, job.id).status == "cancelled"


def optimization_result(
    status: str | None = "succeeded", n: int = 3, **changes: Any
) -> dict[str, Any]:
    """A result document of an optimization job with `n` trials (plus `changes`)."""
    trials = [{"trial": i, "objective": i / 10} for i in range(n)]
    best = {"trial": n - 1, "config": {"target_vol": 0.1}, "objective": (n - 1) / 10}
    return {"status": status, "best": best, "trials": trials, "n_trials": n} | changes


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ({"status": "failed", "reason": "database is locked"}, "stating status 'failed'"),
        (optimization_result(status="cancelled"), "stating status 'cancelled'"),
        (optimization_result(n=0), "holds 0 trials of 0"),
        (optimization_result(n_trials=5), "counts 5 trials but holds 3"),
        (optimization_result(trials=None), "holds 0 trials of 3"),
        (optimization_result(best=None), "no best configuration"),
        (optimization_result(best={"trial": 0}), "no best configuration"),
        (optimization_result(status=None), "states no status"),
        ([1, 2, 3], "must be a JSON object"),
        # large enough to go to S3 on the AWS backend: refused before the upload
        (optimization_result(n=2000, best=None, blob="x" * INLINE_LIMIT), "no best configuration"),
    ],
)
def test_an_incomplete_optimization_result_is_refused_and_nothing_is_written(
    store: Store, document: Any, problem: str
) -> None:
    """The job stays running without a result: `succeeded` only comes with a complete one."""
    job, _ = store.submit_job(ALICE, OPTIMIZATION_KIND, {"n": 1})
    store.claim(ALICE, job.id, "w1", 60)
    with pytest.raises(InvalidResultError, match=problem):
        store.complete_job(ALICE, job.id, document, worker="w1")
    after = store.get_job(ALICE, job.id)
    assert after.status == "running" and after.lease_owner == "w1"
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    if isinstance(store, AWSStore):
        assert s3_keys(store) == []


def test_any_job_s_result_stating_a_failure_or_missing_trials_is_refused(store: Store) -> None:
    job_id = running_job(store)  # another kind: only the rules for every result apply
    for document in ({"status": "failed"}, {"trials": [1, 2], "n_trials": 3}):
        with pytest.raises(InvalidResultError):
            store.complete_job(ALICE, job_id, document, worker="w1")
    assert store.get_job(ALICE, job_id).status == "running"
    assert store.complete_job(ALICE, job_id, [1, 2], worker="w1").status == "succeeded"


def test_a_complete_optimization_result_succeeds_also_partial_without_a_best(
    store: Store,
) -> None:
    for document in (optimization_result(), optimization_result("partial", best=None)):
        job, _ = store.submit_job(ALICE, OPTIMIZATION_KIND, {"n": len(document)})
        store.claim(ALICE, job.id, "w1", 60)
        assert store.complete_job(ALICE, job.id, document, worker="w1").status == "succeeded"
        assert store.get_result(ALICE, job.id).payload == document


def test_no_other_write_makes_a_job_succeeded(store: Store) -> None:
    job_id = running_job(store)
    with pytest.raises(ValueError, match="complete_job"):
        store.transition(ALICE, job_id, ["running"], "succeeded", worker="w1")
    with pytest.raises(NotFoundError):
        store.complete_job(ALICE, "job_missing", optimization_result())
    assert store.get_job(ALICE, job_id).status == "running"


# --------------------------------------------------------------------------- events


def test_events_append_order_and_pagination(store: Store, clock: FakeClock) -> None:
    run = "run_abc"
    original = events(run, range(1, 251), clock)
    assert store.append_events(ALICE, run, original[:100]) == 100
    assert store.append_events(ALICE, run, original[100:]) == 150
    stored = store.events(ALICE, run)
    assert [e.seq for e in stored] == list(range(1, 251))
    assert [TraceEvent.from_json(e.payload) for e in stored] == original
    page = store.events(ALICE, run, after_seq=240, limit=5)
    assert [e.seq for e in page] == [241, 242, 243, 244, 245]
    assert store.events(ALICE, run, after_seq=250) == []
    assert store.events(ALICE, "run_unknown") == []
    # paging by after_seq covers everything exactly once
    seen, after = [], 0
    while batch := store.events(ALICE, run, after_seq=after, limit=37):
        seen += [e.seq for e in batch]
        after = batch[-1].seq
    assert seen == list(range(1, 251))


def test_events_duplicate_and_out_of_order_rejected(store: Store, clock: FakeClock) -> None:
    run = "run_dup"
    store.append_events(ALICE, run, events(run, range(1, 6), clock))
    with pytest.raises(ConflictError):
        store.append_events(ALICE, run, events(run, [5], clock))
    with pytest.raises(ConflictError):
        store.append_events(ALICE, run, events(run, [3], clock))
    # a batch with a duplicate in the middle writes nothing
    with pytest.raises(ConflictError):
        store.append_events(ALICE, run, events(run, [6, 7, 7, 8], clock))
    with pytest.raises(ConflictError):
        store.append_events(ALICE, run, events(run, [6, 5], clock))
    assert [e.seq for e in store.events(ALICE, run)] == [1, 2, 3, 4, 5]
    store.append_events(ALICE, run, events(run, [6, 7], clock))
    assert [e.seq for e in store.events(ALICE, run)] == list(range(1, 8))
    with pytest.raises(ValueError):
        store.append_events(ALICE, run, events("run_other", [8], clock))


def test_concurrent_appends_of_the_same_seq(store: Store, clock: FakeClock) -> None:
    run = "run_race"
    out = race(store, 4, lambda i: store.append_events(ALICE, run, events(run, [1, 2], clock)))
    assert sum(1 for o in out if o == 2) == 1
    assert sum(1 for o in out if isinstance(o, ConflictError)) == 3
    assert [e.seq for e in store.events(ALICE, run)] == [1, 2]


# --------------------------------------------------------------------------- trials


def test_trials_pagination_covers_every_row_once(store: Store) -> None:
    job_id = running_job(store)
    numbers = list(range(537))
    random.Random(5).shuffle(numbers)
    for start in range(0, 537, 100):
        store.put_trials(
            ALICE,
            job_id,
            [Trial(n, {"n": n, "score": n / 3}) for n in numbers[start : start + 100]],
        )
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        page = store.trials(ALICE, job_id, cursor=cursor, limit=50)
        seen += [t.number for t in page.items]
        assert all(t.data == {"n": t.number, "score": t.number / 3} for t in page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == list(range(537))
    assert pages == 11


def test_trials_rewrite_and_growth_between_pages(store: Store) -> None:
    job_id = running_job(store)
    store.put_trials(ALICE, job_id, [Trial(n, {"v": 0}) for n in range(10)])
    first = store.trials(ALICE, job_id, limit=6)
    assert [t.number for t in first.items] == list(range(6))
    # a resumed batch rewrites trials 4..11: no duplicates, new ones appear after the cursor
    store.put_trials(ALICE, job_id, [Trial(n, {"v": 1}) for n in range(4, 12)])
    rest = store.trials(ALICE, job_id, cursor=first.next_cursor, limit=100)
    assert [t.number for t in rest.items] == list(range(6, 12))
    assert rest.next_cursor is None
    assert all(t.data == {"v": 1} for t in rest.items)
    with pytest.raises(ValueError):
        store.trials(ALICE, job_id, cursor="not-a-cursor")
    with pytest.raises(NotFoundError):
        store.put_trials(ALICE, "job_missing", [Trial(0, {})])
    assert decode_cursor(first.next_cursor) == 5


# --------------------------------------------------------------------------- portfolios, threads


def test_portfolio_crud_and_versions(store: Store, clock: FakeClock) -> None:
    a = store.create_portfolio(ALICE, "core", {"weights": {"A": 0.5, "B": 0.5}})
    clock.advance(1)
    b = store.create_portfolio(ALICE, "satellite", {"weights": {"C": 1.0}})
    assert a.version == 1
    assert [p.id for p in store.list_portfolios(ALICE)] == [a.id, b.id]
    clock.advance(1)
    a2 = store.update_portfolio(ALICE, a.id, data={"weights": {"A": 1.0}}, expected_version=1)
    assert a2.version == 2 and a2.name == "core" and a2.data == {"weights": {"A": 1.0}}
    assert a2.updated_at == clock.now and a2.created_at == a.created_at
    with pytest.raises(ConflictError):
        store.update_portfolio(ALICE, a.id, name="stale", expected_version=1)
    a3 = store.update_portfolio(ALICE, a.id, name="renamed")
    assert (a3.name, a3.version, a3.data) == ("renamed", 3, {"weights": {"A": 1.0}})
    store.delete_portfolio(ALICE, a.id)
    with pytest.raises(NotFoundError):
        store.get_portfolio(ALICE, a.id)
    with pytest.raises(NotFoundError):
        store.delete_portfolio(ALICE, a.id)
    with pytest.raises(NotFoundError):
        store.update_portfolio(ALICE, a.id, name="x", expected_version=3)
    assert [p.id for p in store.list_portfolios(ALICE)] == [b.id]


def test_thread_index(store: Store, clock: FakeClock) -> None:
    t1 = store.create_thread(ALICE, "first")
    clock.advance(1)
    t2 = store.create_thread(ALICE, "second")
    assert [t.id for t in store.list_threads(ALICE)] == [t2.id, t1.id]
    clock.advance(1)
    touched = store.touch_thread(ALICE, t1.id, title="renamed")
    assert touched.title == "renamed" and touched.updated_at == clock.now
    assert [t.id for t in store.list_threads(ALICE)] == [t1.id, t2.id]
    assert [t.id for t in store.list_threads(ALICE, limit=1)] == [t1.id]
    store.delete_thread(ALICE, t2.id)
    assert [t.id for t in store.list_threads(ALICE)] == [t1.id]
    with pytest.raises(NotFoundError):
        store.delete_thread(ALICE, t2.id)


# --------------------------------------------------------------------------- cache


def test_cache_ttl(store: Store, clock: FakeClock) -> None:
    assert store.cache_get(ALICE, "req:1") is None
    store.cache_put(ALICE, "req:1", {"sharpe": 0.9, "w": [0.1, 0.9]}, ttl_seconds=60)
    assert store.cache_get(ALICE, "req:1") == {"sharpe": 0.9, "w": [0.1, 0.9]}
    clock.advance(59.999)
    assert store.cache_get(ALICE, "req:1") == {"sharpe": 0.9, "w": [0.1, 0.9]}
    clock.advance(0.001)
    assert store.cache_get(ALICE, "req:1") is None  # expired exactly at put + ttl
    store.cache_put(ALICE, "req:1", [1, 2], ttl_seconds=10)  # replaces the expired entry
    assert store.cache_get(ALICE, "req:1") == [1, 2]


# --------------------------------------------------------------------------- API keys


def test_api_keys_hashed_never_stored(store: Store) -> None:
    raw, meta = store.create_api_key(ALICE, "laptop")
    raw_bob, _ = store.create_api_key(BOB, "ci")
    assert raw != raw_bob and raw.startswith("stg_") and len(raw) > 40
    assert store.verify_api_key(raw).owner == ALICE
    assert store.verify_api_key(raw).id == meta.id
    assert store.verify_api_key(raw_bob).owner == BOB
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw + "x")
    assert [k.id for k in store.list_api_keys(ALICE)] == [meta.id]
    with pytest.raises(NotFoundError):
        store.revoke_api_key(BOB, meta.id)
    revoked = store.revoke_api_key(ALICE, meta.id)
    assert revoked.revoked_at is not None
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw)
    assert store.verify_api_key(raw_bob).owner == BOB
    everything = dump_everything(store)
    for key in (raw, raw_bob):
        assert key.encode() not in everything
        assert key[4:].encode() not in everything  # not even without its prefix
    # what is stored is the keyed hash
    assert hash_api_key(raw_bob, "test-pepper").encode() in everything


def test_api_keys_with_an_expiry_stop_verifying_then_and_can_be_renewed(
    store: Store, clock: FakeClock
) -> None:
    raw, meta = store.create_api_key(ALICE, "session", expires_at=clock.now + timedelta(minutes=15))
    assert meta.expires_at == clock.now + timedelta(minutes=15)
    forever, _ = store.create_api_key(ALICE, "laptop")
    clock.advance(14 * 60)
    assert store.verify_api_key(raw).id == meta.id
    renewed = store.renew_api_key(ALICE, meta.id, clock.now + timedelta(minutes=15))
    assert renewed.expires_at == clock.now + timedelta(minutes=15)
    assert [k.expires_at for k in store.list_api_keys(ALICE)] == [renewed.expires_at, None]
    clock.advance(14 * 60)
    assert store.verify_api_key(raw).id == meta.id  # past the first expiry, within the renewal
    clock.advance(60)
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw)  # expired
    assert store.verify_api_key(forever).owner == ALICE  # keys without an expiry never expire
    with pytest.raises(NotFoundError):
        store.renew_api_key(BOB, meta.id, clock.now + timedelta(minutes=15))
    store.revoke_api_key(ALICE, meta.id)
    with pytest.raises(NotFoundError):
        store.renew_api_key(ALICE, meta.id, clock.now + timedelta(minutes=15))  # revoked
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw)


# --------------------------------------------------------------------------- retention


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
