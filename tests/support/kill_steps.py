"""Child processes for the kill-at-every-step test (`test_kill_at_every_step.py`).

Each function runs in a process forked from a forkserver that has imported the workflow once.
`run_until_killed` runs a tiny optimization job on a worker that SIGKILLs its own process right
after its k-th step checkpoint (a step boundary; a kill between a task's saved writes and its
step's checkpoint is `tests/graphs/test_job_handler.py`'s); `take_over` is the next worker, after the dead one's lease ran out, and checks
that the job ends exactly as an uninterrupted run does.
"""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable
from pathlib import Path
from typing import Any

from langgraph.checkpoint.sqlite import SqliteSaver

from graphs.job_handlers import KIND, optimization_handler
from graphs.manifest import tool_schema_hash
from graphs.request import OptimizationRequest
from jobs.worker import Worker
from quant.data import sp500_prices
from settings import ModelSettings, Settings
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.job_outcomes import check_complete, essence
from tests.support.requests import TINY

OWNER = "alice"
LEASE_SECONDS = 30.0
PRELOAD = ["graphs.job_handlers", "tests.support.kill_steps"]
"""What the forkserver imports (and `warm`s) once, before any child is forked."""


def warm() -> None:
    """What every child would otherwise do on its first run (called by the forkserver): the
    embedded market data loaded, and the tools' schema hash of the run's manifest (which
    imports every tool's module and builds its schema)."""
    sp500_prices()
    tool_schema_hash()


def _settings(data_dir: Path) -> Settings:
    os.environ["STRATIGOS_DATA_DIR"] = str(data_dir)
    os.environ["STRATIGOS_MODEL_PROVIDER"] = "offline"
    return Settings(data_dir=data_dir, models=ModelSettings(provider="offline"))


def _worker(store: SQLiteStore, settings: Settings) -> Worker:
    return Worker(
        store, {KIND: optimization_handler}, lease_seconds=LEASE_SECONDS, settings=settings
    )


def _count_saves(on_save: Callable[[int], None]) -> None:
    """Call `on_save(n)` after the n-th step checkpoint this process saves."""
    saves = 0
    put = SqliteSaver.put

    def save(*args: Any, **kwargs: Any) -> Any:
        nonlocal saves
        done = put(*args, **kwargs)
        saves += 1
        on_save(saves)
        return done

    SqliteSaver.put = save  # type: ignore[method-assign]


def run_until_killed(data_dir: Path, kill_after: int | None, report: Path) -> None:
    """Submit the job and run it, SIGKILLing this process after step checkpoint `kill_after`
    (None: run to the end and write the number of saves and the result to `report`)."""
    settings = _settings(data_dir)
    store = SQLiteStore(settings.data_dir / "store.sqlite", clock=FakeClock())
    counts: list[int] = [0]

    def on_save(n: int) -> None:
        counts[0] = n
        if n == kill_after:
            os.kill(os.getpid(), signal.SIGKILL)

    _count_saves(on_save)
    request = OptimizationRequest.model_validate(TINY).model_dump(mode="json")
    job, _ = store.submit_job(OWNER, KIND, request)
    outcome = _worker(store, settings).run_once()
    assert outcome is not None and outcome.status == "succeeded", outcome
    result = store.get_result(OWNER, job.id).payload
    report.write_text(json.dumps({"saves": counts[0], "essence": essence(result)}))


def take_over(data_dir: Path, reference: Path) -> None:
    """The next worker, once the killed one's lease ran out: the job must end succeeded with
    the reference result, every trial stored and its whole trace (`check_complete`)."""
    settings = _settings(data_dir)
    clock = FakeClock()
    clock.advance(LEASE_SECONDS + 1)
    store = SQLiteStore(settings.data_dir / "store.sqlite", clock=clock)
    (job,) = store.list_jobs(OWNER)
    assert job.status == "running", job  # the dead worker's job, lease expired
    outcome = _worker(store, settings).run_once()
    assert outcome is not None and outcome.status == "succeeded", outcome
    expected = json.loads(reference.read_text())["essence"]
    check_complete(store, OWNER, job.id, settings.data_dir, expected)
