"""SIGKILL of the worker at every step boundary of an optimization job (issue 14).

An uninterrupted tiny job counts its step checkpoints (one per graph step). Then, for each step
boundary k, a fresh job runs in a worker process that SIGKILLs itself right after checkpoint k; the next worker takes the job over once
the dead one's lease ran out and must finish it with the uninterrupted run's result, every trial
stored and a whole trace (`tests/support/job_outcomes.py`). The processes are forked from a forkserver
that imported the workflow once, so each costs a fork, not an interpreter start.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support import kill_steps
from tests.support.forked import forkserver_runner


@pytest.fixture(scope="module")
def fork() -> Callable[..., int]:
    """Run a `kill_steps` function in a process forked from the forkserver; its exit code."""
    return forkserver_runner(kill_steps.PRELOAD)


@pytest.mark.slow
def test_a_worker_killed_at_any_step_boundary_is_taken_over_exactly(
    tmp_path: Path, fork: Callable[..., int]
) -> None:
    reference = tmp_path / "reference.json"
    assert fork(kill_steps.run_until_killed, tmp_path / "clean", None, reference) == 0
    saves = json.loads(reference.read_text())["saves"]
    assert saves > 10
    for k in range(1, saves + 1):
        data_dir = tmp_path / f"killed-{k}"
        code = fork(kill_steps.run_until_killed, data_dir, k, tmp_path / "unused.json")
        assert code == -signal.SIGKILL, f"step {k}: the worker was not killed ({code})"
        assert fork(kill_steps.take_over, data_dir, reference) == 0, f"killed after step {k}"
    print(f"\n{saves} step boundaries, killed after each: taken over exactly every time")
