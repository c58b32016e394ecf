"""The optimization workflow as a job: a worker process killed mid-run is taken over."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from graphs.job_handlers import KIND, optimization_handler
from graphs.optimization_run import RunOutcome, run_optimization
from graphs.request import OptimizationRequest
from jobs.worker import Worker
from settings import ModelSettings, Settings, get_settings
from store.factory import open_store
from traces.jsonl import read_jsonl
from traces.schema import TraceEvent

REQUEST = {
    "universe": ["AAPL", "JNJ", "KO", "XOM"],
    "start": "2008-01-01",
    "n_paths": 120,
    "horizon": 189,
    "search_space": {
        "target_vol": {"low": 0.05, "high": 0.25},
        "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
        "lookback": {"low": 21, "high": 105, "step": 21},
        "rebalance_every": {"low": 5, "high": 40, "step": 5},
    },
    "budget": {"max_trials": 60, "batch_size": 10},
}


@pytest.fixture
def settings(offline_data_dir: Path) -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> RunOutcome:
    """The uninterrupted run of `REQUEST` (once for every kill point), in a data dir and with
    the offline model of its own (as `offline_data_dir` sets them for each test)."""
    data_dir = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIGOS_DATA_DIR", str(data_dir))
        mp.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        get_settings.cache_clear()
        settings = Settings(data_dir=data_dir, models=ModelSettings(provider="offline"))
        outcome = run_optimization(OptimizationRequest.model_validate(REQUEST), settings=settings)
    get_settings.cache_clear()
    assert outcome.result is not None
    return outcome


@pytest.mark.slow
@pytest.mark.parametrize("kill_at", ["review_started", "review_written"])
def test_a_killed_worker_s_optimization_job_is_finished_by_another_worker(
    settings: Settings, offline_data_dir: Path, kill_at: str, reference: RunOutcome
) -> None:
    store = open_store(settings)
    job, _ = store.submit_job(
        "pm", KIND, OptimizationRequest.model_validate(REQUEST).model_dump(mode="json")
    )
    env = dict(os.environ)  # the fixture set the data dir and the offline provider
    env["STRATIGOS_TEST_KILL_AT"] = kill_at  # see tests/support/killing_handlers.py
    child = subprocess.run(
        [sys.executable, "-m", "jobs.worker", "--handlers", "tests.support.killing_handlers",
         "--lease-seconds", "2", "--max-jobs", "1", "--poll-seconds", "0.2"],
        env=env, cwd=Path(__file__).resolve().parents[2], capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert child.returncode == -signal.SIGKILL, child.stdout + child.stderr
    killed_at = store.get_job("pm", job.id)
    assert killed_at.status == "running"  # progress reaches the store with heartbeats (lags)

    worker = Worker(store, {KIND: optimization_handler}, lease_seconds=2, settings=settings)
    outcome = None
    deadline = time.monotonic() + 30
    while outcome is None and time.monotonic() < deadline:
        outcome = worker.run_once()  # None until the dead worker's lease expires
        time.sleep(0.1)
    assert outcome is not None and outcome.status == "succeeded"
    finished = store.get_job("pm", job.id)
    assert finished.status == "succeeded" and finished.attempts == 2

    result = store.get_result("pm", job.id).payload
    assert reference.result is not None
    # (compared as JSON text: NaN metrics are equal there, not under ==)
    assert json.dumps(result["trials"], sort_keys=True) == json.dumps(
        reference.result["trials"], sort_keys=True
    )
    assert result["best"] == reference.result["best"]

    events = store.events("pm", job.id, after_seq=0, limit=10_000)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    traced = [TraceEvent.from_json(e.payload) for e in events]
    progress = [
        e.data["done"] for e in traced if e.type == "progress" and e.data["unit"] == "trials"
    ]
    assert progress == sorted(set(progress))  # no batch aggregated twice
    assert progress[-1] == result["n_trials"] == reference.result["n_trials"]
    on_disk = read_jsonl(offline_data_dir / "runs" / job.id / "events.jsonl")
    assert [e.to_json() for e in on_disk] == [e.payload for e in events]
