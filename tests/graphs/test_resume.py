"""A run whose process is killed resumes from its last checkpoint without repeating batches."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from graphs.optimization_run import resume_optimization, run_optimization
from graphs.request import OptimizationRequest
from settings import ModelSettings, Settings
from tests.support.requests import SMALL_SPACE
from traces.jsonl import check_sequence, read_jsonl

REQUEST = {
    "universe": ["AAPL", "JNJ", "KO", "XOM"],
    "start": "2008-01-01",
    "n_paths": 30,
    "horizon": 168,
    "search_space": SMALL_SPACE,
    "budget": {"max_trials": 40, "batch_size": 10},
}

# Runs the workflow in a child process and SIGKILLs it as the optimizer starts reviewing the
# second batch (that batch is aggregated and checkpointed; the run is far from finished).
CHILD = textwrap.dedent(
    """
    import json, os, signal, sys
    from graphs.request import OptimizationRequest
    from graphs.optimization_run import run_optimization
    from settings import ModelSettings, Settings

    batches = 0
    def on_event(event):
        global batches
        if event.type == "progress" and event.data.get("unit") == "trials":
            batches += 1
        if event.type == "node_started" and event.node == "review" and batches == 2:
            os.kill(os.getpid(), signal.SIGKILL)

    run_optimization(
        OptimizationRequest.model_validate(json.loads(sys.argv[1])),
        run_id="killed",
        settings=Settings(data_dir=sys.argv[2], models=ModelSettings(provider="offline")),
        on_event=on_event,
    )
    """
)


def test_a_killed_run_resumes_from_its_checkpoint(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, models=ModelSettings(provider="offline"))
    child = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(REQUEST), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert child.returncode == -9, child.stderr
    directory = tmp_path / "runs" / "killed"
    assert not (directory / "result.json").exists()

    resumed = resume_optimization("killed", settings=settings)
    assert resumed.status == "succeeded"
    reference = run_optimization(OptimizationRequest.model_validate(REQUEST), settings=settings)
    assert resumed.result is not None and reference.result is not None
    assert resumed.result["trials"] == reference.result["trials"]
    assert resumed.result["best"] == reference.result["best"]

    events = read_jsonl(directory / "events.jsonl")
    check_sequence(events)
    starts = [e for e in events if e.type == "run_started"]
    assert [e.data["resumed"] for e in starts] == [False, True]
    done = [e.data["done"] for e in events if e.type == "progress" and e.data["unit"] == "trials"]
    assert done == [10, 20, 30, 40]  # no batch aggregated twice
    evaluations = [e for e in events if e.type == "node_started" and e.node == "evaluate"]
    assert len(evaluations) == 4 * 5  # every (batch, scenario) evaluated exactly once
