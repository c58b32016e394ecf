"""What an interrupted optimization job must end with: the uninterrupted run's result, every
trial stored, and a whole trace (shared by the store-fault and the kill tests)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from store.sqlite import SQLiteStore
from traces.jsonl import read_jsonl
from traces.schema import TraceEvent


def essence(result: dict[str, Any]) -> dict[str, Any]:
    """What an interrupted run must reproduce: status, best configuration and objective, and
    the trials (as JSON text, where NaN metrics compare equal)."""
    best = result["best"]
    return {
        "status": result["status"],
        "best": [best["config"], best["objective"]],
        "n_trials": result["n_trials"],
        "trials": json.dumps(result["trials"], sort_keys=True),
    }


def check_complete(
    store: SQLiteStore, owner: str, job_id: str, data_dir: Path, reference: dict[str, Any]
) -> None:
    """The job succeeded with the `reference` essence, every trial is stored, and its stored
    trace is gap-free, equal to the run's own file, ends with `run_finished` and has no batch
    aggregated twice."""
    job = store.get_job(owner, job_id)
    assert job.status == "succeeded", job
    result = store.get_result(owner, job_id).payload
    assert essence(result) == reference
    assert len(store.trials(owner, job_id, limit=1000).items) == result["n_trials"]
    events = store.events(owner, job_id, after_seq=0, limit=1000)
    assert [e.seq for e in events] == list(range(1, len(events) + 1)), "the trace has a gap"
    on_disk = read_jsonl(data_dir / "runs" / job_id / "events.jsonl")
    assert [e.payload for e in events] == [e.to_json() for e in on_disk]
    traced = [TraceEvent.from_json(e.payload) for e in events]
    assert traced[-1].type == "run_finished"
    done = [e.data["done"] for e in traced if e.type == "progress" and e.data["unit"] == "trials"]
    assert done == sorted(set(done)) and done[-1] == result["n_trials"]
