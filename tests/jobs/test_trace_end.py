"""A finished job's trace ends with its final event (issue 50): a job that fails or is
cancelled without its run having written `run_finished` gets one with the job's status and
reason (`jobs.trace_end`), once; a trace the store refused to end is ended when it takes writes
again; a cancellation racing a run that keeps appending still leaves the cancellation last."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from jobs.handlers import JobCancelledError, JobContext, JobEvent
from jobs.job_runner import JobRunner
from jobs.trace_end import end_trace
from jobs.worker import Worker
from store import Job
from store.sqlite import SQLiteStore
from tests.support.store_faults import BUSY_TIMEOUT, FaultyStore
from traces.recorder import TraceRecorder
from traces.schema import TraceEvent

ALICE = "alice"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    opened = SQLiteStore(tmp_path / "store.sqlite")
    yield opened
    opened.close()


def trace(store: Any, job_id: str) -> list[TraceEvent]:
    events = store.events(ALICE, job_id, limit=10_000)
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "a gap"
    return [TraceEvent.from_json(e.payload) for e in events]


def started_then(failure: Exception | None, *, finished: bool = False) -> Any:
    """A handler whose run starts its trace, reports a warning, then raises `failure` (after
    its own failed `run_finished` when `finished`)."""

    def handler(job: Job, ctx: JobContext) -> dict[str, Any]:
        recorder = TraceRecorder(job.id)
        events = [recorder.run_started("test"), recorder.warning("half way")]
        if finished:
            events += recorder.run_finished("failed", reason="its own words")
        ctx.emit(events)
        if failure is not None:
            raise failure
        return {}

    return handler


def test_a_failed_run_without_its_last_event_gets_the_jobs(store: SQLiteStore) -> None:
    job, _ = store.submit_job(ALICE, "t", {})
    worker = Worker(store, {"t": started_then(ValueError("boom"))})
    assert worker.run_once() is not None
    failed = store.get_job(ALICE, job.id)
    assert failed.status == "failed" and failed.error == "ValueError: boom"
    *_, last = trace(store, job.id)
    assert (last.seq, last.type, last.data) == (
        3,
        "run_finished",
        {"status": "failed", "result_id": None, "reason": "ValueError: boom"},
    )
    assert last.ts == failed.finished_at and last.run_id == job.id
    assert not end_trace(store, ALICE, job.id)  # once: ending it again changes nothing
    assert len(trace(store, job.id)) == 3


def test_a_trace_that_ends_as_its_job_did_or_is_no_trace_is_left_alone(
    store: SQLiteStore,
) -> None:
    ended, _ = store.submit_job(ALICE, "t", {})
    Worker(store, {"t": started_then(ValueError("boom"), finished=True)}).run_once()
    assert [e.type for e in trace(store, ended.id)][-1] == "run_finished"
    assert len(trace(store, ended.id)) == 3  # the run's own end stands

    succeeded, _ = store.submit_job(ALICE, "t", {})
    Worker(store, {"t": started_then(None)}).run_once()
    assert store.get_job(ALICE, succeeded.id).status == "succeeded"
    assert not end_trace(store, ALICE, succeeded.id)

    never_ran, _ = store.submit_job(ALICE, "t", {})
    JobRunner(store).cancel(ALICE, never_ran.id)
    assert store.events(ALICE, never_ran.id) == []  # no run, no trace

    other, _ = store.submit_job(ALICE, "t", {})
    store.append_events(ALICE, other.id, [JobEvent(other.id, 1, "step")])
    JobRunner(store).cancel(ALICE, other.id)
    assert len(store.events(ALICE, other.id)) == 1  # not a trace of the trace schema


def test_a_trace_the_store_refused_to_end_is_ended_when_it_takes_writes(tmp_path: Path) -> None:
    """Writes: submit, claim, the run's append, the failure, the trace's end (held up by
    another connection's lock, for real)."""
    store = SQLiteStore(tmp_path / "store.sqlite", busy_timeout=BUSY_TIMEOUT)
    faulty = FaultyStore(store, fail_at=5, kind="locked")
    job, _ = faulty.submit_job(ALICE, "t", {})
    worker = Worker(faulty, {"t": started_then(ValueError("boom"))})  # type: ignore[arg-type]
    worker.run_once()
    assert faulty.failed and faulty.injected == "append_events run_finished None"
    assert store.get_job(ALICE, job.id).status == "failed"
    assert trace(store, job.id)[-1].type == "warning"  # not ended yet
    assert worker.run_once() is None  # the worker's next poll: nothing to run
    assert trace(store, job.id)[-1].data["status"] == "failed"


def until_cancelled(job: Job, ctx: JobContext) -> dict[str, Any]:
    """A run that appends events as fast as it can until it sees its job cancelled."""
    recorder = TraceRecorder(job.id)
    ctx.emit([recorder.run_started("test")])
    while not ctx.cancelled():
        ctx.emit([recorder.warning("tick")])
    raise JobCancelledError(job.id)


@pytest.mark.parametrize("after_events", [1, 5, 40, 200])
def test_a_cancellation_racing_the_run_ends_its_trace_last(
    store: SQLiteStore, after_events: int
) -> None:
    runner = JobRunner(
        store,
        handlers={"t": until_cancelled},
        heartbeat_seconds=0.05,
        cancel_poll_seconds=0.001,
        poll_seconds=0.01,
    )
    job = runner.submit(ALICE, "t", {})
    stop = threading.Event()
    worker = threading.Thread(target=runner.worker.run_forever, args=(stop,), daemon=True)
    worker.start()
    try:
        deadline = time.monotonic() + 30
        while len(store.events(ALICE, job.id, limit=after_events)) < after_events:
            assert time.monotonic() < deadline, "the run did not append"
        runner.cancel(ALICE, job.id)  # while the run appends on
        runner.wait(ALICE, job.id, timeout=30)
    finally:
        stop.set()
        worker.join(timeout=30)  # after the job's run stopped
    assert not worker.is_alive() and not runner.worker._trace_ends.pending
    assert store.get_job(ALICE, job.id).status == "cancelled"
    events = trace(store, job.id)
    finished = [e for e in events if e.type == "run_finished"]
    assert [e.data["status"] for e in finished] == ["cancelled"] and events[-1] is finished[0]
