"""A disk that fills while an optimization job runs, then has room again (issue 50: a 0-byte
`result.json` was left behind, and the job's trace as served stopped before `run_finished`).

For real: the job runs in a child process (forked from a server that imported the workflow once,
`tests.support.forked`) whose files may not grow past a size limit (`RLIMIT_FSIZE`,
`tests/support/full_disk_job.py`), so the store's database and WAL, the
checkpoints and the run's files fail as on a full disk at whatever point of the run they reach
it; the limit is swept from the first write to past the last. Then the disk has room again
and the worker polls on. Whatever failed, the job must end and then:

- never a false success: a succeeded job has its whole result, every trial stored, and its
  progress counts the result's trials; a failed one has no result (the API answers 409);
- no file of the run is empty or cut short (every JSON file parses, the trace file holds whole
  lines), and no temporary file is left beside them;
- its trace, as the store holds it and as `/v1/optimizations/{id}/events` serves it, is
  gap-free and ends with `run_finished` of the job's own outcome.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from graphs.request import OptimizationRequest
from store import NotFoundError, check_result
from store.sqlite import SQLiteStore
from tests.api.conftest import assert_error, make_settings
from tests.support import full_disk_job
from tests.support.forked import forkserver_runner
from tests.support.requests import TINY
from traces.jsonl import read_jsonl
from traces.schema import TraceEvent

pytestmark = pytest.mark.slow  # a job run per size limit

OWNER = "alice"
LIMITS = (2_000, 100_000, 400_000, 500_000, 600_000, 700_000, 3_000_000)
"""File size limits in bytes: the store's WAL passes each at another point of the run (the
largest is past every file of the run: the control)."""


@pytest.fixture(scope="module")
def fork() -> Callable[..., int]:
    """Run a `full_disk_job` function in a process forked from the forkserver; its exit code."""
    return forkserver_runner(full_disk_job.PRELOAD)


def run_with_full_disk(
    fork: Callable[..., int], data_dir: Path, limit: int
) -> tuple[str, dict[str, Any]]:
    """Submit the tiny job, run it in a child process whose files may not pass `limit` bytes
    until the worker first gives up, then with room again; (job id, the child's summary)."""
    store = SQLiteStore(data_dir / "store.sqlite")
    request = OptimizationRequest.model_validate(TINY).model_dump(mode="json")
    job, _ = store.submit_job(OWNER, "optimization", request)
    store.close()
    summary = data_dir / "summary.json"
    assert fork(full_disk_job.run, data_dir, limit, summary) == 0, f"limit {limit}"
    return job.id, json.loads(summary.read_text())


def check_run_files(run: Path) -> None:
    """Whole files only: JSON that parses, a trace of whole lines, no temporary files."""
    assert not [p.name for p in run.iterdir() if p.name.startswith(".")], list(run.iterdir())
    for name in ("request.json", "result.json"):
        if (run / name).exists():
            assert isinstance(json.loads((run / name).read_text()), dict), name
    trace = run / "events.jsonl"
    if trace.exists() and trace.stat().st_size:
        assert trace.read_bytes().endswith(b"\n")
        read_jsonl(trace)


def served_trace(data_dir: Path, job_id: str) -> tuple[dict[str, Any], Any]:
    """The job's trace as the API serves it (a long poll that does not wait) and the answer
    of its results route."""
    app = create_app(make_settings(data_dir, api={"job_workers": 0}))
    with TestClient(app, raise_server_exceptions=False) as client:
        key, _ = app.state.context.store.create_api_key(OWNER, "tests")
        headers = {"x-api-key": key}
        events = client.get(
            f"/v1/optimizations/{job_id}/events?wait=0&limit=1000", headers=headers
        ).json()
        results = client.get(f"/v1/optimizations/{job_id}/results", headers=headers)
    return events, results


def test_a_full_disk_never_leaves_a_partial_result_or_an_unended_trace(
    tmp_path: Path, fork: Callable[..., int]
) -> None:
    outcomes = []
    for limit in LIMITS:
        data_dir = tmp_path / f"limit-{limit}"
        job_id, summary = run_with_full_disk(fork, data_dir, limit)
        store = SQLiteStore(data_dir / "store.sqlite")
        job = store.get_job(OWNER, job_id)
        what = f"limit {limit}: {summary}"
        assert job.status in ("succeeded", "failed"), what
        outcomes.append((job.status, bool(summary["faults"])))
        check_run_files(data_dir / "runs" / job_id)

        stored = store.events(OWNER, job_id, limit=10_000)
        assert [e.seq for e in stored] == list(range(1, len(stored) + 1)), what
        last = TraceEvent.from_json(stored[-1].payload)
        assert last.type == "run_finished", (what, last)
        served, results = served_trace(data_dir, job_id)
        assert served["done"] and served["status"] == job.status
        assert [e["seq"] for e in served["events"]] == [e.seq for e in stored]
        assert served["events"][-1] == json.loads(stored[-1].payload)

        if job.status == "succeeded":
            assert last.data["status"] in ("succeeded", "partial"), what
            result = store.get_result(OWNER, job_id).payload
            check_result("optimization", result)
            trials = store.trials(OWNER, job_id, limit=1000).items
            assert len(trials) == result["n_trials"] == job.progress[0], what
            assert results.status_code == 200
        else:
            assert last.data["status"] == "failed" and last.data["reason"], what
            with pytest.raises(NotFoundError):
                store.get_result(OWNER, job_id)
            assert_error(results, 409, "CONFLICT")
        store.close()
    # the sweep reached both ends: runs the full disk failed, some only after it had room
    # again (the failure recorded late), and runs it let finish
    assert ("failed", True) in outcomes and ("succeeded", False) in outcomes, outcomes
