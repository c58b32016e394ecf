"""A store fault at every write point of an optimization job, one at a time.

An uninterrupted tiny job is run once through a store wrapper that counts its write calls. Then,
for each write point i, the same job runs again with the store failing at write i (a locked
SQLite file: `StoreUnavailableError`, as the real store reports it), and the worker retries as it
does in production (no backoff delay). Whatever happens, the job must end either succeeded with
a result equal to the uninterrupted run's (status, best configuration, objective, trials) or
failed (or left for another worker) with a stated reason: never succeeded with anything missing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from graphs.job_handlers import KIND, optimization_handler
from graphs.request import OptimizationRequest
from jobs.handlers import HandlerRegistry
from jobs.runner import JobRunner
from settings import Settings
from store.base import StoreUnavailableError
from store.sqlite import SQLiteStore
from tests.replay.test_cli_commands import TINY

WRITES = (
    "submit_job",
    "transition",
    "claim",
    "heartbeat",
    "release",
    "complete_job",
    "append_events",
    "put_trials",
)
"""The store methods a job run writes with."""

OWNER = "alice"


class FaultyStore:
    """A real store whose `fail_at`-th write (1-based, None: never) raises once, as a store
    held locked would; counts every write."""

    def __init__(self, store: SQLiteStore, fail_at: int | None = None) -> None:
        self._store = store
        self.fail_at = fail_at
        self.writes = 0
        self.injected: str | None = None

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._store, name)
        if name not in WRITES:
            return attribute

        def write(*args: Any, **kwargs: Any) -> Any:
            self.writes += 1
            if self.writes == self.fail_at:
                self.injected = name
                raise StoreUnavailableError(f"database is locked (injected at write {name})")
            return attribute(*args, **kwargs)

        return write


def _run(tmp_path: Path, name: str, fail_at: int | None) -> tuple[FaultyStore, Any, Any]:
    settings = Settings(data_dir=tmp_path / name, model_provider="offline")
    store = FaultyStore(SQLiteStore(settings.data_dir / "store.sqlite"), fail_at)
    runner = JobRunner(
        store,  # type: ignore[arg-type]
        handlers=HandlerRegistry({KIND: optimization_handler}),
        max_attempts=3,
        backoff=(0.0,),
        settings=settings,
    )
    request = OptimizationRequest.model_validate(TINY).model_dump(mode="json")
    try:
        job = runner.submit(OWNER, KIND, request)
    except StoreUnavailableError:
        return store, None, None  # refused at submission: the caller is told, nothing exists
    for _ in range(4):  # the worker, then the takeovers of a job left running
        try:
            if runner.run_once() is None:
                break
        except StoreUnavailableError:
            continue
    final = store._store.get_job(OWNER, job.id)
    result = None
    if final.status == "succeeded":
        result = store._store.get_result(OWNER, job.id).payload
    return store, final, result


def _essence(result: dict[str, Any]) -> dict[str, Any]:
    best = result["best"]
    return {
        "status": result["status"],
        "best": (best["config"], best["objective"]),
        "trials": json.dumps(result["trials"], sort_keys=True),
        "n_trials": result["n_trials"],
    }


def test_a_store_fault_at_any_write_never_ends_in_a_false_success(tmp_path: Path) -> None:
    clean_store, clean_job, clean = _run(tmp_path, "clean", None)
    assert clean_job is not None and clean_job.status == "succeeded" and clean is not None
    points = clean_store.writes
    assert points > 10
    outcomes: dict[str, int] = {}
    for fail_at in range(1, points + 1):
        store, job, result = _run(tmp_path, f"fault-{fail_at}", fail_at)
        assert store.injected is not None, fail_at
        if job is None:
            outcome = "refused at submission"
        elif job.status == "succeeded":
            assert result is not None, f"write {fail_at} ({store.injected}): no result"
            assert _essence(result) == _essence(clean), f"write {fail_at} ({store.injected})"
            outcome = "succeeded, equal"
        else:
            assert job.status in ("failed", "running", "pending"), job.status
            if job.status == "failed":
                assert job.error, f"write {fail_at} ({store.injected}): failed without a reason"
            outcome = job.status
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"\n{points} injection points: {outcomes}")
    assert sum(outcomes.values()) == points
    # one fault at a time is recovered: only a refused submission (the caller is told) remains
    assert outcomes.get("succeeded, equal", 0) >= points - 1, outcomes


@pytest.fixture(autouse=True)
def _offline(offline_data_dir: Path) -> None:
    """The offline model and a data directory of the test's own."""
