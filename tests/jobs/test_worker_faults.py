"""Fault tests: a worker process SIGKILLed mid-job, a full store, a store that goes away.

The `batches` handler below (also imported by the child worker process through
`python -m jobs.worker --handlers tests.jobs.test_worker_faults`) does `batches` units of work,
committing each to a checkpoint file atomically (write + rename) and logging every start to
`log.txt`; resumed (`ctx.resume`), it continues from the checkpoint. With `hold` (a file's path)
and `hold_after` in its request, it waits after committing `hold_after` batches for as long as that
file exists: a process can be killed there, mid-job, however slow the machine.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from jobs.handlers import JobCancelledError, JobContext, JobEvent
from jobs.job_runner import JobNotSucceededError, JobRunner
from jobs.worker import Worker
from store import Job, NotFoundError, StoreUnavailableError, utc_now
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock

ROOT = Path(__file__).resolve().parents[2]
ALICE = "alice"


def batch_value(seed: int, i: int) -> int:
    """The plain reference of one batch's output."""
    return int(hashlib.sha256(f"{seed}:{i}".encode()).hexdigest()[:8], 16)


def batches(job: Job, ctx: JobContext) -> dict[str, Any]:
    request = job.request
    directory = Path(request["dir"])
    n = int(request["batches"])
    checkpoint = directory / "checkpoint.json"
    done: dict[str, dict[str, int]] = {}
    if ctx.resume and checkpoint.exists():
        done = json.loads(checkpoint.read_text())
    for i in range(n):
        if str(i) in done:
            continue
        if ctx.cancelled():
            raise JobCancelledError
        with (directory / "log.txt").open("a") as log:
            log.write(f"start {i} {os.getpid()}\n")
        done[str(i)] = {"value": batch_value(int(request["seed"]), i), "pid": os.getpid()}
        tmp = directory / "checkpoint.tmp"
        tmp.write_text(json.dumps(done))
        os.replace(tmp, checkpoint)
        ctx.progress(len(done), n)
        ctx.emit([JobEvent(ctx.run_id, ctx.last_seq() + 1, "batch", {"batch": i})])
        hold = request.get("hold")
        while hold and len(done) >= request["hold_after"] and Path(hold).exists():
            time.sleep(0.02)  # held mid-job until the file is removed (or the process killed)
    values = [done[str(i)]["value"] for i in range(n)]
    return {"values": values, "total": sum(values)}


def big(job: Job, ctx: JobContext) -> dict[str, Any]:
    return {"blob": "x" * (1024 * 1024)}


HANDLERS = {"batches": batches, "big": big}


def wait_for(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def checkpoint_entries(directory: Path) -> dict[str, dict[str, int]]:
    path = directory / "checkpoint.json"
    return json.loads(path.read_text()) if path.exists() else {}


def start_worker_process(data_dir: Path, db: Path) -> subprocess.Popen[bytes]:
    """`python -m jobs.worker` with this module's handlers as worker "child" on the SQLite store
    `db` (lease 1.5 s, heartbeats every 0.2 s); its stderr is piped."""
    env = {
        **os.environ,
        "STRATIGOS_DATA_DIR": str(data_dir),
        "STRATIGOS_STORE_SQLITE_PATH": str(db),
        "STRATIGOS_STORE_BACKEND": "sqlite",
        "STRATIGOS_SETTINGS_FILE": "",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jobs.worker",
            "--handlers",
            "tests.jobs.test_worker_faults",
            "--worker-id",
            "child",
            "--lease-seconds",
            "1.5",
            "--heartbeat-seconds",
            "0.2",
            "--poll-seconds",
            "0.05",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_killed_worker_process_is_taken_over_and_resumes(tmp_path: Path) -> None:
    db = tmp_path / "store.sqlite"
    store = SQLiteStore(db)
    work = tmp_path / "killed"
    work.mkdir()
    hold = tmp_path / "hold"
    hold.touch()  # the child waits after its second batch until it is killed
    request = {"dir": str(work), "batches": 6, "seed": 11, "hold": str(hold), "hold_after": 2}
    job = JobRunner(store).submit(ALICE, "batches", request, idempotency_key="fault-1")

    child = start_worker_process(tmp_path, db)
    try:
        wait_for(lambda: len(checkpoint_entries(work)) >= 2, 60, "two committed batches")
        running = store.get_job(ALICE, job.id)
        assert running.status == "running" and running.lease_owner == "child"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    hold.unlink()
    assert child.returncode == -signal.SIGKILL
    assert child.stderr is not None
    child.stderr.close()
    committed_by_child = checkpoint_entries(work)
    assert sorted(committed_by_child) == ["0", "1"]
    assert store.get_job(ALICE, job.id).status == "running"  # nobody has finished it

    # a second worker (this process) takes over once the dead worker's lease expires
    worker = Worker(store, HANDLERS, "rescuer", lease_seconds=1.5, heartbeat_seconds=0.2)
    deadline = time.monotonic() + 30
    outcome = worker.run_once()
    while outcome is None and time.monotonic() < deadline:
        time.sleep(0.05)
        outcome = worker.run_once()
    assert outcome is not None and outcome.status == "succeeded"
    final = store.get_job(ALICE, job.id)
    assert final.status == "succeeded" and final.attempts == 2 and final.progress == (6, 6)

    # no committed batch was redone; the rest were done once, by the rescuer
    entries = checkpoint_entries(work)
    for i, entry in entries.items():
        expected_pid = child.pid if i in committed_by_child else os.getpid()
        assert entry["pid"] == expected_pid, f"batch {i}"
    starts = [line.split() for line in (work / "log.txt").read_text().splitlines()]
    rescued = sorted(int(i) for _, i, pid in starts if int(pid) == os.getpid())
    assert rescued == sorted(int(i) for i in range(6) if str(i) not in committed_by_child)
    event_batches = [json.loads(e.payload)["data"]["batch"] for e in store.events(ALICE, job.id)]
    assert len(event_batches) == len(set(event_batches))  # no batch reported twice
    assert [e.seq for e in store.events(ALICE, job.id)] == list(range(1, len(event_batches) + 1))

    # the result equals an uninterrupted run's, and the plain reference
    clean = tmp_path / "clean"
    clean.mkdir()
    reference_job = JobRunner(store).submit(ALICE, "batches", {**request, "dir": str(clean)})
    assert Worker(store, HANDLERS, "clean", lease_seconds=5).run_once() is not None
    uninterrupted = store.get_result(ALICE, reference_job.id).payload
    result = store.get_result(ALICE, job.id).payload
    assert result == uninterrupted
    assert result["values"] == [batch_value(11, i) for i in range(6)]
    store.close()


def test_full_store_fails_the_job_with_the_reason_never_succeeds(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite", max_db_bytes=512 * 1024)
    runner = JobRunner(store, handlers=HANDLERS, max_attempts=2, backoff=(0.01,))
    job = runner.submit(ALICE, "big", {})
    outcome = runner.run_once()
    assert outcome is not None and outcome.status == "failed"
    failed = runner.status(ALICE, job.id)
    assert failed.status == "failed" and failed.attempts == 2
    assert failed.error is not None
    assert failed.error.startswith("StoreUnavailableError:") and "full" in failed.error
    assert "gave up after 2 attempts" in failed.error
    with pytest.raises(JobNotSucceededError, match="failed"):
        runner.results(ALICE, job.id)
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    store.close()


def test_store_gone_mid_job_raises_and_never_marks_success(tmp_path: Path) -> None:
    """The store disappears while the handler runs (its connections are closed): the worker
    cannot store the result nor record a failure, so it raises `StoreUnavailableError`; the job
    stays running without a result, and once the lease expires another worker finishes it."""
    path = tmp_path / "store.sqlite"
    doomed = SQLiteStore(path)

    def pull_the_plug(job: Job, ctx: JobContext) -> dict[str, Any]:
        if ctx.attempt == 1:
            doomed.close()
        return {"attempt": ctx.attempt, "resume": ctx.resume}

    handlers = {"plug": pull_the_plug}
    job = JobRunner(doomed).submit(ALICE, "plug", {})
    worker = Worker(doomed, handlers, "w1", lease_seconds=0.5, backoff=(0.01,))
    with pytest.raises(StoreUnavailableError, match="closed"):
        worker.run_once()

    clock = FakeClock()
    clock.now = utc_now()
    store = SQLiteStore(path, clock=clock)
    stuck = store.get_job(ALICE, job.id)
    assert stuck.status == "running" and stuck.lease_owner == "w1"
    with pytest.raises(NotFoundError):
        store.get_result(ALICE, job.id)
    clock.advance(0.6)  # the dead worker's lease (0.5 s) runs out
    outcome = Worker(store, handlers, "w2", lease_seconds=5).run_once()
    assert outcome is not None and outcome.status == "succeeded"
    assert store.get_result(ALICE, job.id).payload == {"attempt": 2, "resume": True}
    store.close()


class FullDisk(SQLiteStore):
    """A real SQLite store whose write transactions named in `refused` (all while `full`) fail
    as SQLite's do on a full disk, through the store's own error translation; reads go on."""

    full = False
    refused: frozenset[str] = frozenset()

    @contextmanager
    def _tx(self, action: str) -> Iterator[sqlite3.Connection]:
        if self.full or action in self.refused:
            with self._errors(action):
                raise sqlite3.OperationalError("database or disk is full")
        with super()._tx(action) as conn:
            yield conn


def test_a_failure_the_full_disk_kept_out_is_recorded_with_its_cause_once_it_frees(
    tmp_path: Path,
) -> None:
    """Every write fails: the worker can neither store the result nor record the failure. Once
    the disk frees (and the lease has run out, as in a real outage) the same worker records the
    failure it decided, with its real cause, before it claims anything."""
    clock = FakeClock()
    store = FullDisk(tmp_path / "store.sqlite", clock=clock)

    def fill(job: Job, ctx: JobContext) -> dict[str, Any]:
        store.full = True
        return {"ok": True}

    job = JobRunner(store).submit(ALICE, "fill", {})
    worker = Worker(store, {"fill": fill}, "w1", max_attempts=1, lease_seconds=5)
    with pytest.raises(StoreUnavailableError, match="full"):
        worker.run_once()
    assert store.get_job(ALICE, job.id).status == "running"
    store.full = False
    clock.advance(6)
    assert worker.run_once() is None  # the failure recorded; the job is not run again
    failed = store.get_job(ALICE, job.id)
    assert failed.status == "failed" and failed.attempts == 1
    assert failed.error is not None and "database or disk is full" in failed.error
    assert "stopped before finishing" not in failed.error


def test_the_worker_taking_over_a_job_states_the_cause_its_last_attempt_recorded(
    tmp_path: Path,
) -> None:
    """The result and the final status do not fit (a full disk refuses the large writes; the
    heartbeat that records the attempt's failure fits), and the worker dies: the worker that
    takes the job over gives up stating that cause, not that the worker stopped."""
    clock = FakeClock()
    store = FullDisk(tmp_path / "store.sqlite", clock=clock)

    def fill(job: Job, ctx: JobContext) -> dict[str, Any]:
        store.refused = frozenset({"complete_job", "transition"})
        return {"ok": True}

    handlers = {"fill": fill}
    job = JobRunner(store).submit(ALICE, "fill", {})
    with pytest.raises(StoreUnavailableError, match="full"):
        Worker(store, handlers, "w1", max_attempts=1, lease_seconds=5).run_once()
    stuck = store.get_job(ALICE, job.id)
    assert stuck.status == "running" and stuck.error is not None and "full" in stuck.error
    store.refused = frozenset()
    clock.advance(6)  # w1 is gone; its lease runs out
    outcome = Worker(store, handlers, "w2", max_attempts=1, lease_seconds=5).run_once()
    assert outcome is not None and outcome.status == "failed"
    failed = store.get_job(ALICE, job.id)
    assert failed.status == "failed" and failed.error is not None
    assert failed.error.startswith("gave up after 1 attempts: StoreUnavailableError:")
    assert "database or disk is full" in failed.error
