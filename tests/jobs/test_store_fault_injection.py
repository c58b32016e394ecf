"""A store fault at every write point of an optimization job, one at a time (issue 14).

A tiny optimization job runs once uninterrupted on a real SQLite store, which numbers the writes
it makes. Then, for each write point, a fresh job runs with that write failing
(`tests/support/store_faults.py`):

- a transient fault (a lock held by another connection, an I/O error, a read-only or a full
  database; the kind rotates with the write's number, so every point gets one and each kind a
  quarter of them): the worker retries as in production (no backoff delay), and when the store
  refuses the retry too, the store's clock moves past the lease so that the next worker takes the
  job over. The job must end succeeded with a result equal to the uninterrupted run's, every
  trial stored and a gap-free trace equal to the run's own file, or (a fault at submission)
  be refused with nothing stored.
- the store file deleted before the write: nothing can be stored any more, so the job must never
  be reported succeeded, every later store call must say the file is gone, and the file must not
  come back as an empty database.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import quant.sensitivity
import services.strategy_model
from graphs.job_handlers import KIND, optimization_handler
from graphs.request import OptimizationRequest
from jobs.worker import Worker, WorkOutcome
from settings import ModelSettings, Settings, get_settings
from store import TERMINAL_STATUSES, Job, StoreUnavailableError
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.job_outcomes import check_complete, essence
from tests.support.requests import TINY
from tests.support.store_faults import (
    BUSY_TIMEOUT,
    TRANSIENT_FAULTS,
    FaultyStore,
    remembered,
    remembered_fit,
)

pytestmark = pytest.mark.slow  # a job run per write point, twice

OWNER = "alice"
LEASE_SECONDS = 30.0
WORKER_TURNS = 6
"""Workers that take the job up in turn (each after the previous one's lease ran out)."""


@dataclass
class Run:
    """What one job run under a fault left behind."""

    store: FaultyStore
    settings: Settings
    job: Job | None = None
    """The job as stored at the end (None: the submission was refused)."""
    outcomes: list[WorkOutcome] = field(default_factory=list)
    """What the workers reported."""
    errors: list[str] = field(default_factory=list)
    """The store errors the workers raised (the job then stays running for the next one)."""


def run_job(tmp_path: Path, name: str, fail_at: int | None = None, kind: str = "locked") -> Run:
    """Submit the tiny job through a store failing at write `fail_at`, then let workers run it
    until it ends (or the store is gone)."""
    settings = Settings(data_dir=tmp_path / name, models=ModelSettings(provider="offline"))
    clock = FakeClock()
    inner = SQLiteStore(settings.data_dir / "store.sqlite", busy_timeout=BUSY_TIMEOUT, clock=clock)
    run = Run(FaultyStore(inner, fail_at, kind), settings)
    request = OptimizationRequest.model_validate(TINY).model_dump(mode="json")
    try:
        job, _ = run.store.submit_job(OWNER, KIND, request)
    except StoreUnavailableError as exc:
        run.errors.append(str(exc))
        return run
    worker = Worker(
        run.store,  # type: ignore[arg-type]
        {KIND: optimization_handler},
        lease_seconds=LEASE_SECONDS,
        backoff=(0.0,),
        max_attempts=4,
        settings=settings,
    )
    for _ in range(WORKER_TURNS):
        try:
            outcome = worker.run_once()
        except StoreUnavailableError as exc:
            run.errors.append(str(exc))
            clock.advance(LEASE_SECONDS + 1)  # the job stays running; its lease runs out
            continue
        if outcome is not None:
            run.outcomes.append(outcome)
        try:
            run.job = inner.get_job(OWNER, job.id)
        except StoreUnavailableError as exc:
            run.errors.append(str(exc))
            continue
        if run.job.status in TERMINAL_STATUSES:
            break
    return run


def check_recovered(run: Run, reference: dict[str, Any], what: str) -> None:
    """The job ended as the uninterrupted run did (`check_complete`)."""
    assert run.job is not None, f"{what}: no job"
    inner = run.store.inner
    try:
        check_complete(inner, OWNER, run.job.id, run.settings.data_dir, reference)
    except AssertionError as exc:
        raise AssertionError(f"{what}: {exc}") from exc


@pytest.fixture(scope="module", autouse=True)
def pure_steps_once_per_input() -> Iterator[None]:
    """The explanation's fANOVA importance and the strategy model's fit after a success (pure
    functions of the trials and the seed; together a third of a run's CPU, and no part of what
    the sweeps compare) computed once per distinct input for the module's ~140 runs of the same
    job (issue 63). A run whose trials differ still gets them computed."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(
            quant.sensitivity, "fanova_importance", remembered(quant.sensitivity.fanova_importance)
        )
        patch.setattr(
            services.strategy_model,
            "fit_strategy_model",
            remembered_fit(services.strategy_model.fit_strategy_model),
        )
        yield


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[str], dict[str, Any]]:
    """The uninterrupted run, once for the module's two sweeps, in the environment the sweeps'
    runs have (`offline_data_dir`'s): its numbered writes and its result's essence."""
    tmp_path = tmp_path_factory.mktemp("reference")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STRATIGOS_DATA_DIR", str(tmp_path / "data"))
        patch.setenv("STRATIGOS_MODEL_PROVIDER", "offline")
        patch.setenv("STRATIGOS_CLI_LEARNING", "thread")
        get_settings.cache_clear()
        try:
            run = run_job(tmp_path, "clean")
        finally:
            get_settings.cache_clear()
    assert run.job is not None and run.job.status == "succeeded" and not run.errors
    result = run.store.inner.get_result(OWNER, run.job.id).payload
    writes = run.store.writes
    assert writes[0] == "submit_job" and writes[-1] == "complete_job"
    assert len(writes) > 30, writes
    return writes, essence(result)


@pytest.mark.usefixtures("offline_data_dir")
def test_a_transient_store_fault_at_any_write_is_recovered_from_exactly(
    tmp_path: Path, reference: tuple[list[str], dict[str, Any]]
) -> None:
    writes, expected = reference
    outcomes: dict[str, int] = {}
    for point in range(1, len(writes) + 1):
        kind = TRANSIENT_FAULTS[point % len(TRANSIENT_FAULTS)]
        run = run_job(tmp_path, f"fault-{point}", point, kind)
        what = f"{kind} at write {point} ({writes[point - 1]})"
        assert run.store.injected == writes[point - 1], f"{what}: the writes differ"
        assert run.store.failed, f"{what}: the fault did not happen"
        if point == 1:  # the submission itself: the caller is told, nothing exists
            assert run.job is None and "unavailable" in run.errors[0], what
            assert run.store.inner.list_jobs(OWNER) == [], what
            outcome = "refused at submission"
        else:
            check_recovered(run, expected, what)
            outcome = "succeeded, equal to the uninterrupted run"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
    print(f"\n{len(writes)} write points, {', '.join(TRANSIENT_FAULTS)} in turn: {outcomes}")
    assert sum(outcomes.values()) == len(writes)


@pytest.mark.usefixtures("offline_data_dir")
def test_a_store_deleted_at_any_write_never_ends_in_a_success(
    tmp_path: Path, reference: tuple[list[str], dict[str, Any]]
) -> None:
    writes, _ = reference
    for point in range(1, len(writes) + 1):
        run = run_job(tmp_path, f"deleted-{point}", point, "deleted")
        what = f"store deleted at write {point} ({writes[point - 1]})"
        assert run.store.injected == writes[point - 1] and run.store.failed, what
        assert run.job is None or run.job.status != "succeeded", what
        assert all(o.status != "succeeded" for o in run.outcomes), f"{what}: {run.outcomes}"
        assert run.errors, f"{what}: nobody was told"
        assert all("deleted or replaced" in e for e in run.errors), f"{what}: {run.errors}"
        inner = run.store.inner
        with pytest.raises(StoreUnavailableError, match="deleted or replaced"):
            inner.list_jobs(OWNER)
        assert not inner.path.exists(), f"{what}: an empty store was created in its place"
    print(f"\n{len(writes)} write points, store deleted: never succeeded, always said")
