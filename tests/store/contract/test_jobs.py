"""The jobs contract on both backends: submission, idempotency, owners, transitions, leases, trace events."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from store.results import Trial
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB, events, legacy_job, race, running_job
from traces.schema import TraceEvent


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


TRACE = {
    "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
    "tracestate": "vendor=opaque",
}


def test_a_job_keeps_its_submitter_s_trace_context(store: Store, clock: FakeClock) -> None:
    job, _ = store.submit_job(ALICE, "optimize", {"n": 1}, trace_context=TRACE)
    assert job.trace_context == TRACE
    assert store.get_job(ALICE, job.id).trace_context == TRACE
    assert [j.trace_context for j in store.list_jobs(ALICE)] == [TRACE]
    [pending] = store.jobs_by_status("pending")
    assert pending.trace_context == TRACE
    # every later write keeps it: the claim, a heartbeat, the completion
    claimed = store.claim(ALICE, job.id, "w1", 60)
    assert claimed.trace_context == TRACE
    clock.advance(1)
    assert store.heartbeat(ALICE, job.id, "w1", 60, progress=(1, 2)).trace_context == TRACE
    done = store.complete_job(ALICE, job.id, {"sharpe": 1.0}, worker="w1")
    assert done.trace_context == TRACE == store.get_job(ALICE, job.id).trace_context
    # a job submitted without one has none; a traceparent alone is kept as it is
    plain, _ = store.submit_job(ALICE, "optimize", {"n": 2})
    assert plain.trace_context is None and store.get_job(ALICE, plain.id).trace_context is None
    only = {"traceparent": TRACE["traceparent"]}
    bare, _ = store.submit_job(ALICE, "optimize", {"n": 3}, trace_context=only)
    assert store.get_job(ALICE, bare.id).trace_context == only


def test_a_repeated_submission_keeps_the_first_trace_context(store: Store) -> None:
    first, _ = store.submit_job(
        ALICE, "optimize", {"n": 1}, idempotency_key="k", trace_context=TRACE
    )
    other = {"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}
    again, created = store.submit_job(
        ALICE, "optimize", {"n": 1}, idempotency_key="k", trace_context=other
    )
    assert not created and again.id == first.id and again.trace_context == TRACE


@pytest.mark.parametrize(
    ("trace_context", "named"),
    [
        ({"tracestate": "a=b"}, "traceparent"),
        ({"traceparent": TRACE["traceparent"], "baggage": "user=alice"}, "baggage"),
        ({"traceparent": 7}, "traceparent"),
        ({"traceparent": TRACE["traceparent"], "tracestate": "x" * 1025}, "tracestate"),
        (["traceparent"], "mapping"),
    ],
)
def test_a_malformed_trace_context_is_refused_and_nothing_is_written(
    store: Store, trace_context: object, named: str
) -> None:
    with pytest.raises(ValueError, match=named):
        store.submit_job(ALICE, "optimize", {"n": 1}, trace_context=trace_context)  # type: ignore[arg-type]
    assert store.list_jobs(ALICE) == []


def test_a_job_stored_before_trace_contexts_existed_reads_as_none(store: Store) -> None:
    legacy_job(store, ALICE, "job_legacy")
    job = store.get_job(ALICE, "job_legacy")
    assert job.trace_context is None and job.status == "pending"
    assert store.claim(ALICE, job.id, "w1", 60).trace_context is None


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


def test_a_lease_handed_over_keeps_the_job_running_for_its_holder_alone(
    store: Store, clock: FakeClock
) -> None:
    """A worker hands its lease to work going on elsewhere (a pipeline execution): the job stays
    running, no worker claims it until the handed lease expires, only the holder completes or
    fails it; only the lease's worker may hand it over, once."""
    job_id = running_job(store, worker="w1")
    with pytest.raises(ConflictError):
        store.hand_over(ALICE, job_id, "w2", "pipeline:x", 3600)
    with pytest.raises(NotFoundError):
        store.hand_over(BOB, job_id, "w1", "pipeline:x", 3600)  # another owner's id: not theirs
    handed = store.hand_over(ALICE, job_id, "w1", "pipeline:x", 3600)
    assert handed.status == "running" and handed.lease_owner == "pipeline:x"
    assert handed.lease_expires_at == clock.now + timedelta(seconds=3600)
    assert handed.attempts == store.get_job(ALICE, job_id).attempts
    with pytest.raises(ConflictError):
        store.hand_over(ALICE, job_id, "w1", "pipeline:y", 3600)  # w1 no longer holds it
    clock.advance(3599)
    for worker in ("w1", "w2"):
        with pytest.raises(ConflictError):
            store.claim(ALICE, job_id, worker, 30)
        with pytest.raises(ConflictError):
            store.complete_job(ALICE, job_id, {"ok": True}, worker=worker)
        with pytest.raises(ConflictError):
            store.transition(ALICE, job_id, ["running"], "failed", error="x", worker=worker)
    done = store.complete_job(ALICE, job_id, {"ok": True}, worker="pipeline:x")
    assert done.status == "succeeded" and done.lease_owner is None
    other = running_job(store, worker="w1")
    store.hand_over(ALICE, other, "w1", "pipeline:z", 60)
    failed = store.transition(ALICE, other, ["running"], "failed", error="why", worker="pipeline:z")
    assert failed.status == "failed" and failed.error == "why"
    expired = running_job(store, worker="w1")
    store.hand_over(ALICE, expired, "w1", "pipeline:q", 60)
    clock.advance(61)  # the holder never reported: a worker may take the job over
    assert store.claim(ALICE, expired, "w2", 30).lease_owner == "w2"
    with pytest.raises(ValueError):
        store.hand_over(ALICE, expired, "w2", "pipeline:q", 0)


def test_an_attempt_s_failure_stays_with_the_job_until_it_succeeds(
    store: Store, clock: FakeClock
) -> None:
    """A worker records why its attempt failed; the worker that takes the job over reads it
    from the claim; only the lease holder may write it; a success drops it."""
    job_id = running_job(store, worker="w1")
    cause = "StoreUnavailableError: database or disk is full"
    with pytest.raises(ConflictError):
        store.heartbeat(ALICE, job_id, "w2", 60, error="not the holder")
    assert store.get_job(ALICE, job_id).error is None
    noted = store.heartbeat(ALICE, job_id, "w1", 60, error=cause)
    assert noted.error == cause and noted.status == "running"
    assert store.heartbeat(ALICE, job_id, "w1", 60, progress=(1, 2)).error == cause
    clock.advance(61)
    taken = store.claim(ALICE, job_id, "w2", 60)
    assert taken.lease_owner == "w2" and taken.error == cause
    done = store.complete_job(ALICE, job_id, {"ok": True}, worker="w2")
    assert done.status == "succeeded" and done.error is None
    assert store.get_job(ALICE, job_id).error is None


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


@pytest.mark.parametrize("limit", [1, 2, 5])
def test_a_listing_by_kind_keeps_the_newest_of_that_kind_up_to_its_limit(
    store: Store, clock: FakeClock, limit: int
) -> None:
    """The limit counts the jobs of the kinds asked for: other kinds between them, newer or
    older, never take its places."""
    kinds = ["optimize", "rebalance", "rebalance", "optimize", "tearsheet", "rebalance"] * 2
    submitted = []
    for n, kind in enumerate(kinds):
        submitted.append(store.submit_job(ALICE, kind, {"n": n})[0])
        clock.advance(1)
    store.submit_job(BOB, "optimize", {"n": 99})
    newest_first = submitted[::-1]
    for wanted in (["optimize"], ["rebalance", "tearsheet"]):
        expected = [j.id for j in newest_first if j.kind in wanted][:limit]
        listed = store.list_jobs(ALICE, kinds=wanted, limit=limit)
        assert [j.id for j in listed] == expected
    assert store.list_jobs(ALICE, kinds=[], limit=limit) == []
    succeeded = [j.id for j in store.list_jobs(ALICE, statuses=["succeeded"], kinds=["optimize"])]
    assert succeeded == []
