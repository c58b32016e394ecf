"""A succeeded job's progress agrees with its result (issue 50: a job reported 40/80 while its
results held 50 trials). Progress is written at most every 0.2 s as it is reported, so the last
report could be left for a heartbeat that never came before the job completed; the worker now
stores the last report before the result, and the optimization handler's last report is the
result's own trial count."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphs.job_handlers import KIND, optimization_handler
from graphs.request import OptimizationRequest
from jobs.handlers import JobContext
from jobs.worker import Worker
from settings import ModelSettings, Settings
from store import Job
from store.sqlite import SQLiteStore
from tests.support.requests import SMALL_REQUEST

ALICE = "alice"

REPORTS = st.lists(st.tuples(st.integers(0, 500), st.integers(1, 500)), min_size=1, max_size=12)
"""Progress reports (done, total), made faster than progress is written."""


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(reports=REPORTS)
def test_a_succeeded_job_keeps_the_progress_its_handler_reported_last(
    tmp_path_factory: pytest.TempPathFactory, reports: list[tuple[int, int]]
) -> None:
    store = SQLiteStore(tmp_path_factory.mktemp("progress") / "store.sqlite")

    def reporting(job: Job, ctx: JobContext) -> dict[str, Any]:
        for done, total in reports:
            ctx.progress(done, total)
        return {"done": reports[-1][0]}

    job, _ = store.submit_job(ALICE, "report", {})
    outcome = Worker(store, {"report": reporting}).run_once()
    assert outcome is not None and outcome.status == "succeeded"
    assert store.get_job(ALICE, job.id).progress == reports[-1]
    store.close()


class _HeldHeartbeat(SQLiteStore):
    """A store whose heartbeat thread's first write of progress (1, 2) is held until the job
    completes: the write a slow heartbeat makes with the progress it read before the last
    report (CI saw a succeeded 6-batch job left at 5 of 6)."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.holding = threading.Event()  # the heartbeat thread is inside its write of (1, 2)
        self.let_go = threading.Event()
        self.held_written = threading.Event()
        self.last_report_entered = threading.Event()  # the handler's (2, 2) reached the store

    def heartbeat(
        self,
        owner: str,
        job_id: str,
        worker: str,
        lease_seconds: float,
        *,
        progress: tuple[int, int | None] | None = None,
        error: str | None = None,
    ) -> Job:
        args = (owner, job_id, worker, lease_seconds)
        kwargs: dict[str, Any] = {"progress": progress, "error": error}
        from_the_thread = threading.current_thread().name.startswith("heartbeat-")
        if from_the_thread and progress == (1, 2) and not self.holding.is_set():
            self.holding.set()
            self.let_go.wait(10)
            try:
                return super().heartbeat(*args, **kwargs)
            finally:
                self.held_written.set()
        if progress == (2, 2):
            self.last_report_entered.set()
        return super().heartbeat(*args, **kwargs)

    def complete_job(
        self, owner: str, job_id: str, result: Any, *, worker: str | None = None
    ) -> Job:
        self.let_go.set()
        self.held_written.wait(10)
        return super().complete_job(owner, job_id, result, worker=worker)


def test_a_heartbeat_holding_an_older_progress_never_lands_after_the_last_report(
    tmp_path: Path,
) -> None:
    store = _HeldHeartbeat(tmp_path / "store.sqlite")

    def reporting(job: Job, ctx: JobContext) -> dict[str, Any]:
        ctx.progress(1, 2)
        assert store.holding.wait(10), "the heartbeat thread never wrote (1, 2)"

        def release_if_the_last_report_waits() -> None:
            # the last report waits for the held write (the lease's writes are serialised)
            if not store.last_report_entered.wait(0.5):
                store.let_go.set()

        releaser = threading.Thread(target=release_if_the_last_report_waits)
        releaser.start()
        ctx.progress(2, 2)
        releaser.join()
        return {"done": 2}

    job, _ = store.submit_job(ALICE, "report", {})
    worker = Worker(store, {"report": reporting}, heartbeat_seconds=0.05)
    outcome = worker.run_once()
    assert outcome is not None and outcome.status == "succeeded"
    assert store.held_written.is_set()
    assert store.get_job(ALICE, job.id).progress == (2, 2)
    store.close()


def test_an_optimization_stopped_early_counts_the_trials_it_kept(
    tmp_path: Path, offline_data_dir: Path
) -> None:
    """A token budget stops the search after its first batch: 6 of 30 trials, and the job's
    progress says so, as do the result and the stored trial rows."""
    settings = Settings(data_dir=tmp_path, models=ModelSettings(provider="offline"))
    store = SQLiteStore(tmp_path / "store.sqlite")
    budget = {"max_trials": 30, "batch_size": 6, "max_llm_tokens": 1000}
    request = OptimizationRequest.model_validate({**SMALL_REQUEST, "budget": budget})
    job, _ = store.submit_job(ALICE, KIND, request.model_dump(mode="json"))
    Worker(store, {KIND: optimization_handler}, settings=settings).run_once()
    result = store.get_result(ALICE, job.id).payload
    assert result["status"] == "partial" and result["n_trials"] < 30
    rows = store.trials(ALICE, job.id, limit=1000).items
    assert store.get_job(ALICE, job.id).progress == (result["n_trials"], 30) == (len(rows), 30)
    store.close()
