"""Handlers loaded on first use (`jobs.handlers.HandlersOnFirstUse`): a runner and its workers
are made and started without loading them; the first look for work or submission loads them,
once, and their jobs then run as with handlers given up front."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from jobs.handlers import Handler, HandlersOnFirstUse, JobContext
from jobs.job_runner import JobRunner
from settings import Settings
from store import Job
from store.sqlite import SQLiteStore


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteStore]:
    s = SQLiteStore(tmp_path / "store.sqlite")
    yield s
    s.close()


def doubling(job: Job, ctx: JobContext) -> dict[str, Any]:
    return {"double": 2 * job.request["n"]}


class Loader:
    """Counts its calls; returns the `double` handler."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> Mapping[str, Handler]:
        self.calls += 1
        return {"double": doubling}


def test_a_runner_loads_its_handlers_when_it_first_looks_for_work(
    store: SQLiteStore, tmp_path: Path
) -> None:
    load = Loader()
    settings = Settings(data_dir=tmp_path, jobs={"ticks": ["double"]})
    runner = JobRunner(
        store, handlers=HandlersOnFirstUse(load), settings=settings, poll_seconds=0.02
    )
    assert load.calls == 0  # made, with a worker, without loading
    job = runner.submit("alice", "double", {"n": 21})  # the kind is checked: loaded
    assert load.calls == 1
    assert runner.worker.ticks == ("double",)
    outcome = runner.run_once()
    assert outcome is not None and outcome.job_id == job.id
    assert store.get_result("alice", job.id).payload == {"double": 42}
    assert load.calls == 1


def test_started_workers_load_the_handlers_in_their_own_threads(
    store: SQLiteStore, tmp_path: Path
) -> None:
    load = Loader()
    runner = JobRunner(store, handlers=HandlersOnFirstUse(load), poll_seconds=0.02)
    runner.start(2)
    try:
        assert runner.live_workers() == 2
        job = runner.submit("alice", "double", {"n": 4})
        assert runner.wait("alice", job.id, timeout=30).status == "succeeded"
    finally:
        runner.stop(timeout=5)
    assert load.calls == 1
    assert store.get_result("alice", job.id).payload == {"double": 8}


def test_a_loader_that_gives_no_handlers_is_refused_when_read() -> None:
    handlers = HandlersOnFirstUse(dict)
    assert handlers  # a promise of handlers, not read yet
    with pytest.raises(ValueError, match="none"):
        len(handlers)


def test_a_stop_while_the_workers_load_their_handlers_waits_for_them_and_claims_nothing(
    store: SQLiteStore,
) -> None:
    """A process stopped right after its start: `stop` outwaits its own timeout for workers
    still loading (no thread of ours is left importing as the process exits), and a worker
    that finishes loading after the stop leaves the pending job to the next start."""
    loading, release = threading.Event(), threading.Event()

    def slow_load() -> Mapping[str, Handler]:
        loading.set()
        release.wait(60)
        return {"double": doubling}

    job, _ = store.submit_job("alice", "double", {"n": 3})
    runner = JobRunner(store, handlers=HandlersOnFirstUse(slow_load), poll_seconds=0.02)
    runner.start(2)
    assert loading.wait(30)
    stopped = threading.Event()
    stopping = threading.Thread(target=lambda: (runner.stop(timeout=0.05), stopped.set()))
    stopping.start()
    # a bound, not a sleep: the code before returned after its 0.05 s timeout
    assert not stopped.wait(1.0)
    assert runner.live_workers() == 2
    release.set()
    assert stopped.wait(30)
    stopping.join()
    assert runner.live_workers() == 0
    assert store.get_job("alice", job.id).status == "pending"
