"""The job lifecycle on a real SQLite store: submit, run, retry, cancel, results, events, leases."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.handlers import (
    Handler,
    HandlerRegistry,
    JobContext,
    JobEvent,
    TransientJobError,
    UnknownJobKindError,
)
from jobs.job_runner import JobNotSucceededError, JobRunner
from jobs.worker import Worker
from store import ConflictError, Job, NotFoundError, StoreUnavailableError
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock

ALICE = "alice"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "store.sqlite")
    yield s
    s.close()


def fast_runner(store: SQLiteStore, handlers: Any, **kw: Any) -> JobRunner:
    options: dict[str, Any] = {
        "lease_seconds": 2.0,
        "heartbeat_seconds": 0.05,
        "backoff": (0.01,),
        "cancel_poll_seconds": 0.02,
        "poll_seconds": 0.02,
    }
    options.update(kw)
    return JobRunner(store, handlers=handlers, **options)


def summing(job: Job, ctx: JobContext) -> dict[str, Any]:
    numbers = job.request["numbers"]
    total = 0.0
    for i, x in enumerate(numbers, 1):
        total += x
        ctx.progress(i, len(numbers))
    return {"sum": total, "n": len(numbers)}


# --------------------------------------------------------------------------- submit


def test_submit_is_idempotent_per_key(store: SQLiteStore) -> None:
    runner = fast_runner(store, {"sum": summing})
    a = runner.submit(ALICE, "sum", {"numbers": [1, 2]}, idempotency_key="k1")
    b = runner.submit(ALICE, "sum", {"numbers": [1, 2]}, idempotency_key="k1")
    assert a.id == b.id and a.status == "pending"
    with pytest.raises(ConflictError):
        runner.submit(ALICE, "sum", {"numbers": [3]}, idempotency_key="k1")
    c = runner.submit(ALICE, "sum", {"numbers": [1, 2]})
    d = runner.submit(ALICE, "sum", {"numbers": [1, 2]})
    assert len({a.id, c.id, d.id}) == 3
    assert len(runner.list_jobs(ALICE)) == 3
    with pytest.raises(UnknownJobKindError, match="nope"):
        runner.submit(ALICE, "nope", {})


def test_concurrent_submits_with_one_key_create_one_job(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    SQLiteStore(path).close()
    ids: list[str] = []
    barrier = threading.Barrier(6)

    def submit() -> None:
        s = SQLiteStore(path)
        barrier.wait()
        ids.append(JobRunner(s).submit(ALICE, "sum", {"numbers": [1]}, "same").id)
        s.close()

    threads = [threading.Thread(target=submit) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ids) == 6 and len(set(ids)) == 1


# --------------------------------------------------------------------------- success / failure


def test_succeeded_job_has_its_result_and_progress(store: SQLiteStore) -> None:
    runner = fast_runner(store, {"sum": summing})
    numbers = [0.5, 1.25, -3.0, 7.0]
    job = runner.submit(ALICE, "sum", {"numbers": numbers})
    with pytest.raises(JobNotSucceededError, match="pending"):
        runner.results(ALICE, job.id)
    outcome = runner.run_once()
    assert outcome is not None and outcome.status == "succeeded" and outcome.job_id == job.id
    done = runner.status(ALICE, job.id)
    assert done.status == "succeeded" and done.attempts == 1 and done.error is None
    assert done.progress == (4, 4)
    assert done.finished_at is not None and done.lease_owner is None
    assert runner.results(ALICE, job.id) == {"sum": sum(numbers), "n": 4}
    assert runner.run_once() is None  # nothing left
    with pytest.raises(NotFoundError):
        runner.results("bob", job.id)  # other owners see nothing


def test_follow_ups_run_after_the_job_succeeded_and_never_fail_it(
    store: SQLiteStore, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[tuple[str, Any]] = []

    def answered_then_learns(job: Job, ctx: JobContext) -> dict[str, Any]:
        def learn() -> None:  # what it sees: the job succeeded, its result stored
            seen.append((store.get_job(ALICE, job.id).status, store.get_result(ALICE, job.id)))

        def broken() -> None:
            raise RuntimeError("the model could not learn")

        ctx.after_success(learn)
        ctx.after_success(broken)
        ctx.after_success(lambda: seen.append(("after the failure", None)))
        return {"answer": job.request["n"]}

    runner = fast_runner(store, {"answer": answered_then_learns})
    job = runner.submit(ALICE, "answer", {"n": 42})
    outcome = runner.run_once()
    assert outcome is not None and outcome.status == "succeeded"
    assert seen[0][0] == "succeeded" and seen[0][1].payload == {"answer": 42}
    assert seen[1] == ("after the failure", None)  # one follow-up's failure stops no other
    assert runner.status(ALICE, job.id).status == "succeeded"
    assert runner.results(ALICE, job.id) == {"answer": 42}
    assert "a follow-up after its success failed" in caplog.text


def test_follow_ups_of_a_job_that_does_not_succeed_never_run(store: SQLiteStore) -> None:
    ran: list[str] = []

    def asks_then_fails(job: Job, ctx: JobContext) -> dict[str, Any]:
        ctx.after_success(lambda: ran.append(job.id))
        raise ValueError("no answer")

    runner = fast_runner(store, {"fails": asks_then_fails})
    runner.submit(ALICE, "fails", {})
    outcome = runner.run_once()
    assert outcome is not None and outcome.status == "failed" and ran == []


def test_handler_exception_fails_with_reason_and_no_result(store: SQLiteStore) -> None:
    def broken(job: Job, ctx: JobContext) -> dict[str, Any]:
        raise ValueError(f"asset {job.request['asset']!r} has no prices")

    runner = fast_runner(store, {"broken": broken})
    job = runner.submit(ALICE, "broken", {"asset": "XYZ"})
    outcome = runner.run_once()
    assert outcome is not None and outcome.status == "failed"
    failed = runner.status(ALICE, job.id)
    assert failed.status == "failed"
    assert failed.error == "ValueError: asset 'XYZ' has no prices"
    assert failed.attempts == 1  # a plain error is not retried
    with pytest.raises(JobNotSucceededError, match="failed: ValueError") as info:
        runner.results(ALICE, job.id)
    assert info.value.status == "failed"
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)


@pytest.mark.parametrize(
    ("result", "reason"),
    [("not a dict", "TypeError: handler"), ({"x": float("nan")}, "ValueError")],
)
def test_bad_results_are_never_stored(store: SQLiteStore, result: Any, reason: str) -> None:
    runner = fast_runner(store, {"bad": lambda job, ctx: result})
    job = runner.submit(ALICE, "bad", {})
    runner.run_once()
    failed = runner.status(ALICE, job.id)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.startswith(reason)
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)


# --------------------------------------------------------------------------- retries


def flaky(
    failures: int, calls: list[tuple[int, bool]], exc: type[Exception] = TransientJobError
) -> Handler:
    def handler(job: Job, ctx: JobContext) -> dict[str, Any]:
        calls.append((ctx.attempt, ctx.resume))
        if len(calls) <= failures:
            raise exc(f"flaky dependency, call {len(calls)}")
        return {"calls": len(calls)}

    return handler


@pytest.mark.parametrize("exc", [TransientJobError, StoreUnavailableError])
def test_transient_errors_are_retried_then_succeed(
    store: SQLiteStore, exc: type[Exception]
) -> None:
    calls: list[tuple[int, bool]] = []
    runner = fast_runner(store, {"flaky": flaky(2, calls, exc)}, max_attempts=3)
    job = runner.submit(ALICE, "flaky", {})
    outcome = runner.run_once()
    assert outcome is not None and outcome.status == "succeeded"
    assert calls == [(1, False), (2, True), (3, True)]  # retries resume
    done = runner.status(ALICE, job.id)
    assert done.status == "succeeded" and done.attempts == 3
    assert runner.results(ALICE, job.id) == {"calls": 3}


def test_transient_errors_fail_after_max_attempts(store: SQLiteStore) -> None:
    calls: list[tuple[int, bool]] = []
    runner = fast_runner(store, {"flaky": flaky(99, calls)}, max_attempts=3, backoff=(0.01, 0.02))
    job = runner.submit(ALICE, "flaky", {})
    started = time.monotonic()
    outcome = runner.run_once()
    assert time.monotonic() - started >= 0.03  # waited the backoff between attempts
    assert outcome is not None and outcome.status == "failed"
    assert len(calls) == 3
    failed = runner.status(ALICE, job.id)
    assert failed.status == "failed" and failed.attempts == 3
    assert failed.error is not None
    assert failed.error.startswith("TransientJobError: flaky dependency, call 3")
    assert "gave up after 3 attempts" in failed.error
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)


def test_a_job_whose_workers_keep_dying_fails_after_max_attempts(store: SQLiteStore) -> None:
    calls: list[tuple[int, bool]] = []
    runner = fast_runner(store, {"flaky": flaky(0, calls)}, max_attempts=2)
    job = runner.submit(ALICE, "flaky", {})
    for dead in ("dead-1", "dead-2"):  # two workers claim it and die (their leases expire)
        store.claim(ALICE, job.id, dead, lease_seconds=0.01)
        time.sleep(0.02)
    outcome = runner.run_once()
    assert outcome is not None and outcome.status == "failed"
    assert calls == []  # the third attempt is refused, not run
    failed = runner.status(ALICE, job.id)
    assert failed.error is not None and "gave up after 2 attempts" in failed.error


# --------------------------------------------------------------------------- cancellation


def test_cancel_pending_job_never_runs(store: SQLiteStore) -> None:
    calls: list[tuple[int, bool]] = []
    runner = fast_runner(store, {"flaky": flaky(0, calls)})
    job = runner.submit(ALICE, "flaky", {})
    cancelled = runner.cancel(ALICE, job.id)
    assert cancelled.status == "cancelled" and cancelled.finished_at is not None
    assert runner.cancel(ALICE, job.id).status == "cancelled"  # again: harmless
    assert runner.run_once() is None
    assert calls == []
    with pytest.raises(JobNotSucceededError, match="cancelled"):
        runner.results(ALICE, job.id)


@pytest.mark.parametrize("obeys", [True, False])
def test_cancel_running_job(store: SQLiteStore, obeys: bool) -> None:
    started = threading.Event()
    release = threading.Event()
    seen: list[bool] = []

    def long(job: Job, ctx: JobContext) -> dict[str, Any]:
        started.set()
        if obeys:
            deadline = time.monotonic() + 10
            while not ctx.cancelled() and time.monotonic() < deadline:
                time.sleep(0.01)
            seen.append(ctx.cancelled())
            return {"partial": True}
        release.wait(10)  # ignores cancellation, then returns a "complete" result
        seen.append(ctx.cancelled())
        return {"complete": True}

    runner = fast_runner(store, {"long": long})
    job = runner.submit(ALICE, "long", {})
    outcomes: list[Any] = []
    thread = threading.Thread(target=lambda: outcomes.append(runner.run_once()))
    thread.start()
    assert started.wait(10)
    assert runner.status(ALICE, job.id).status == "running"
    runner.cancel(ALICE, job.id)
    time.sleep(0.2)
    release.set()
    thread.join(15)
    assert seen == [True]  # the handler observed the cancellation
    assert outcomes[0].status == "cancelled"
    final = runner.status(ALICE, job.id)
    assert final.status == "cancelled"
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    with pytest.raises(ConflictError):  # still cancelled: nothing can complete it now
        store.complete_job(ALICE, job.id, {"late": True})


def test_cancel_finished_job_is_a_conflict(store: SQLiteStore) -> None:
    runner = fast_runner(store, {"sum": summing})
    job = runner.submit(ALICE, "sum", {"numbers": [1]})
    runner.run_once()
    with pytest.raises(ConflictError, match="succeeded"):
        runner.cancel(ALICE, job.id)
    assert runner.status(ALICE, job.id).status == "succeeded"


# --------------------------------------------------------------------------- events


def test_events_emitted_by_the_handler_are_readable_in_order(store: SQLiteStore) -> None:
    def chatty(job: Job, ctx: JobContext) -> dict[str, Any]:
        assert ctx.last_seq() == 0
        ctx.emit([JobEvent(ctx.run_id, 1, "start"), JobEvent(ctx.run_id, 2, "step", {"i": 0})])
        for i in range(1, 4):
            ctx.emit([JobEvent(ctx.run_id, ctx.last_seq() + 1, "step", {"i": i})])
        with pytest.raises(ConflictError):  # a duplicate sequence number is refused
            ctx.emit([JobEvent(ctx.run_id, 3, "dup")])
        return {"events": ctx.last_seq()}

    runner = fast_runner(store, {"chatty": chatty})
    job = runner.submit(ALICE, "chatty", {})
    runner.run_once()
    assert runner.results(ALICE, job.id) == {"events": 5}
    stored = runner.events(ALICE, job.id)
    assert [e.seq for e in stored] == [1, 2, 3, 4, 5]
    payloads = [json.loads(e.payload) for e in stored]
    assert [p["type"] for p in payloads] == ["start", "step", "step", "step", "step"]
    assert [p["data"].get("i") for p in payloads[1:]] == [0, 1, 2, 3]
    assert [e.seq for e in runner.events(ALICE, job.id, after_seq=3)] == [4, 5]
    with pytest.raises(NotFoundError):
        runner.events("bob", job.id)


# --------------------------------------------------------------------------- leases


def test_two_workers_racing_run_each_job_exactly_once(tmp_path: Path) -> None:
    path = tmp_path / "store.sqlite"
    setup = SQLiteStore(path)
    ran: list[tuple[str, str]] = []
    lock = threading.Lock()

    def work(job: Job, ctx: JobContext) -> dict[str, Any]:
        with lock:
            ran.append((job.id, ctx.job.lease_owner or ""))
        time.sleep(0.05)
        return {"n": job.request["n"] ** 2}

    ids = [JobRunner(setup).submit(ALICE, "work", {"n": n}).id for n in range(8)]
    barrier = threading.Barrier(2)

    def serve(name: str) -> None:
        s = SQLiteStore(path)
        worker = Worker(s, {"work": work}, name, lease_seconds=5, heartbeat_seconds=0.1)
        barrier.wait()
        while worker.run_once() is not None:
            pass
        s.close()

    threads = [threading.Thread(target=serve, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(job_id for job_id, _ in ran) == sorted(ids)  # each job ran exactly once
    for n, job_id in enumerate(ids):
        job = setup.get_job(ALICE, job_id)
        assert job.status == "succeeded" and job.attempts == 1
        assert setup.get_result(ALICE, job_id).payload == {"n": n * n}
    setup.close()


def test_a_worker_that_lost_its_lease_never_completes(tmp_path: Path) -> None:
    """Worker A stalls without heartbeats, its lease expires (the store's clock moves past it)
    and B takes the job over: A's late result is refused and B's is the one stored."""
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "store.sqlite", clock=clock)
    a_running = threading.Event()
    a_may_return = threading.Event()

    def slow(job: Job, ctx: JobContext) -> dict[str, Any]:
        if ctx.attempt == 1:
            a_running.set()
            a_may_return.wait(10)
            return {"by": "A"}
        return {"by": "B", "resumed": ctx.resume}

    handlers = {"slow": slow}
    a = Worker(store, handlers, "A", lease_seconds=1.0, heartbeat_seconds=60)
    b = Worker(store, handlers, "B", lease_seconds=5, heartbeat_seconds=0.1)
    job = JobRunner(store).submit(ALICE, "slow", {})
    outcomes: dict[str, Any] = {}
    thread = threading.Thread(target=lambda: outcomes.update(a=a.run_once()))
    thread.start()
    assert a_running.wait(10)
    assert b.run_once() is None  # A's lease is still valid
    clock.advance(1.1)
    outcomes["b"] = b.run_once()
    a_may_return.set()
    thread.join(10)
    assert outcomes["b"].status == "succeeded"
    assert outcomes["a"].status == "lost"
    final = store.get_job(ALICE, job.id)
    assert final.status == "succeeded" and final.attempts == 2
    assert store.get_result(ALICE, job.id).payload == {"by": "B", "resumed": True}
    store.close()


def test_in_process_workers_run_submitted_jobs(store: SQLiteStore) -> None:
    handlers = HandlerRegistry({"sum": summing})
    runner = fast_runner(store, handlers)
    runner.start(threads=2)
    try:
        jobs = [runner.submit(ALICE, "sum", {"numbers": [n, n]}) for n in range(4)]
        finals = [runner.wait(ALICE, j.id, timeout=20) for j in jobs]
    finally:
        runner.stop(timeout=10)
    assert [f.status for f in finals] == ["succeeded"] * 4
    assert [runner.results(ALICE, j.id)["sum"] for j in jobs] == [0, 2, 4, 6]


def test_wake_starts_a_submitted_job_before_the_idle_wait_ends(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = JobRunner(store, handlers=HandlerRegistry({"sum": summing}), poll_seconds=600)
    found_nothing = threading.Event()
    look = runner.worker.run_once

    def looking(stop: threading.Event | None = None) -> Any:
        outcome = look(stop)
        if outcome is None:
            found_nothing.set()
        return outcome

    monkeypatch.setattr(runner.worker, "run_once", looking)
    runner.start(threads=1)
    try:
        # the worker looked, found nothing and begins its 600 s idle wait: only `wake` can
        # start the job within `wait`'s 60 s (a job submitted before that look would not test it)
        assert found_nothing.wait(60)
        job = runner.submit(ALICE, "sum", {"numbers": [1, 2]})
        runner.wake()
        final = runner.wait(ALICE, job.id, timeout=60)
    finally:
        runner.stop(timeout=10)  # stop wakes the idle worker too
    assert final.status == "succeeded"
    assert runner.results(ALICE, job.id)["sum"] == 3
    assert not runner._threads


def test_handler_registry() -> None:
    reg = HandlerRegistry()
    reg.register("a", summing)
    reg.register("a", summing)  # the same function again is fine
    with pytest.raises(ValueError, match="already registered"):
        reg.register("a", lambda job, ctx: {})
    with pytest.raises(UnknownJobKindError, match="'b'"):
        reg.handler("b")
    assert list(reg) == ["a"] and reg["a"] is summing


def test_a_stop_lets_a_running_job_go_and_another_worker_takes_it_over(tmp_path: Path) -> None:
    """A job still running when the runner's stop has waited its timeout is let go: its handler
    sees `ctx.cancelled()` and stops, nothing of it is stored (not failed, not succeeded, not
    cancelled), and once its lease expires another worker runs it to its end."""
    clock = FakeClock()
    store = SQLiteStore(tmp_path / "store.sqlite", clock=clock)
    started, steps = threading.Event(), []

    def endless(job: Job, ctx: JobContext) -> dict[str, Any]:
        if ctx.attempt > 1:
            return {"steps_before": len(steps)}
        started.set()
        while not ctx.cancelled():  # a unit of work, then the check
            steps.append(1)
            time.sleep(0.001)
        return {"partial": len(steps)}  # a stopped run's result: must be discarded

    runner = fast_runner(store, HandlerRegistry({"endless": endless}), lease_seconds=30.0)
    runner.start(threads=1)
    job = runner.submit(ALICE, "endless", {})
    assert started.wait(30)
    runner.stop(timeout=0.05)
    assert runner.live_workers() == 0  # the handler stopped: no work goes on after the stop
    stopped_at = len(steps)
    left = store.get_job(ALICE, job.id)
    assert (left.status, left.attempts) == ("running", 1)
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    assert Worker(store, {"endless": endless}, "B").run_once() is None  # its lease holds
    clock.advance(31)
    outcome = Worker(store, {"endless": endless}, "B").run_once()
    assert outcome is not None and outcome.status == "succeeded"
    assert store.get_result(ALICE, job.id).payload == {"steps_before": stopped_at}
    assert len(steps) == stopped_at
    store.close()
