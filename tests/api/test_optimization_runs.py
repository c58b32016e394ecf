"""An Agent Protocol run of the optimization assistant follows its job to the end: a failed
job ends the run as `error` (with an `error` frame naming the job's error), a cancelled one as
`interrupted` (on a real SQLite store; the job's lifecycle is driven through the store, as a
worker would)."""

from __future__ import annotations

from pathlib import Path

from api.agent_protocol.chat_runs import AgentRun
from api.agent_protocol.optimization_runs import job_outcome
from api.context import AppContext
from tests.api.conftest import make_settings

SMALL = {"budget": {"max_trials": 40, "batch_size": 10}, "n_paths": 20, "seed": 3}


def _run() -> AgentRun:
    return AgentRun(
        run_id="run-1",
        thread_id="th_1",
        assistant_id="optimization",
        owner="alice",
        stream_modes=("values", "updates"),
    )


def test_a_failed_job_ends_the_run_as_error(tmp_path: Path) -> None:
    context = AppContext(make_settings(tmp_path / "data", api={"job_workers": 0}))
    store = context.store
    job, _ = store.submit_job("alice", "optimization", SMALL)
    store.transition("alice", job.id, ["pending"], "running")
    store.transition("alice", job.id, ["running"], "failed", error="ValueError: no prices")
    run = _run()
    status, result = job_outcome(context.runner, context.store, "alice", job.id, 0.01)(run)
    expected = {"error": "JOB_FAILED", "message": "ValueError: no prices"}
    assert (status, result) == ("error", {"__error__": expected})
    assert [event for event, _ in run.frames] == ["values", "error"]
    values = run.frames[0][1]
    assert values["job"]["status"] == "failed" and values["result"] is None
    assert run.frames[1][1] == {**expected, "details": [{"field": "job", "problem": job.id}]}
    context.close()


def test_a_cancelled_job_ends_the_run_interrupted(tmp_path: Path) -> None:
    context = AppContext(make_settings(tmp_path / "data", api={"job_workers": 0}))
    store = context.store
    job, _ = store.submit_job("alice", "optimization", SMALL)
    context.runner.cancel("alice", job.id)
    run = _run()
    status, result = job_outcome(context.runner, context.store, "alice", job.id, 0.01)(run)
    assert status == "interrupted" and result["job"]["status"] == "cancelled"
    assert [event for event, _ in run.frames] == ["values"]
    context.close()
