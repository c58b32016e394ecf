"""An optimization job whose request asks for the search pipeline (`"pipeline": true`): the
search run by `jobs.pipeline` with the request's own decisions (`search_steps.search_order`),
no agents, on the engine `settings.compute.pipeline.engine` names (docs/pipeline.md).

- `here` and `ray`: `run_search_pipeline(engine=...)` in the job's workspace
  (`<data_dir>/pipelines/<job id>/`, so a retried attempt continues where it stopped); the
  aggregation's result with the trials becomes the job's result (`jobs.pipeline.runs.job_result`),
  which says it is a pipeline run; the training step runs once the job succeeded
  (`graphs.job_handlers`: the job never waits for the owner's model to learn). On `here` the
  job's progress follows each batch, and a cancelled job stops after the batch it is in
  (`JobCancelledError`); on `ray` the steps run in Ray's processes, so the job reports its
  trials at the end and a cancellation takes effect then (nothing is stored for it).
- `sagemaker`: the order written and an execution of the configured pipeline started
  (`SageMakerPipeline.start`); the handler then hands the job to the execution
  (`JobHandedOverError`: its lease held by the execution for `wait_hours`, the job running)
  and returns at once. `jobs.pipeline.completion` ends the job when EventBridge reports the
  execution's end. A job taken over after that wait (the end never reported) fails naming
  the execution.

Its trace: `run_started` (graph `search_pipeline`), a `warning` saying what the run is, for
SageMaker one naming the execution, and `run_finished`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

from graphs.optimization_run import PROFILE_NOTE_CODE
from graphs.request import OptimizationRequest
from graphs.resources import release
from graphs.search_pipeline import pipeline_workspace, run_search_pipeline
from graphs.search_steps import TRIALS, search_order
from graphs.warm_start import warm_start_model
from jobs.handlers import JobCancelledError, JobContext, JobHandedOverError
from jobs.pipeline.runs import PIPELINE_NOTE, execution_holder, job_result
from jobs.pipeline.sagemaker_pipeline import configured_pipeline
from services.profiles import get_profile, screen_request
from settings import Settings
from store import SUCCESS_DOCUMENT_STATUSES, InvalidResultError, Job, Trial, check_result
from traces.schema import TraceEvent

GRAPH = "search_pipeline"
"""The `graph` a pipeline run's `run_started` names."""
RUN_CODE = "pipeline_run"
EXECUTION_CODE = "pipeline_execution"
"""The `warning` codes saying what the run is, and which SageMaker execution runs it."""


class RunFailedError(RuntimeError):
    """The run's result document is not a success (a resumed run that had failed, or one with
    parts missing): the job fails with this reason instead of completing."""


def verify_result(run_id: str, result: dict[str, Any]) -> None:
    """Check that `result` may complete its job (`store.check_result` for an
    optimization: status succeeded with trials and a best configuration, or partial, and every
    trial present); `RunFailedError` with the run's reason otherwise."""
    status = result.get("status")
    if status not in SUCCESS_DOCUMENT_STATUSES:
        raise RunFailedError(f"run {run_id} {status}: {result.get('reason') or 'no reason given'}")
    try:
        check_result("optimization", result)
    except InvalidResultError as exc:
        raise RunFailedError(f"run {run_id}: {exc}") from exc


class _Trace:
    """Appends the run's events to the job's trace (and to `sink`), after the stored ones."""

    def __init__(self, job: Job, ctx: JobContext, sink: Callable[[TraceEvent], object] | None):
        self.job, self.ctx, self.sink = job, ctx, sink

    def emit(self, kind: Any, data: dict[str, Any]) -> None:
        event = TraceEvent(
            run_id=self.job.id,
            seq=self.ctx.last_seq() + 1,
            ts=self.ctx.store.clock(),
            type=kind,
            data=data,
        )
        self.ctx.emit([event])
        if self.sink is not None:
            self.sink(event)


def pipeline_search(
    job: Job,
    ctx: JobContext,
    settings: Settings,
    *,
    sink: Callable[[TraceEvent], object] | None = None,
) -> dict[str, Any]:
    """Run (or start, on SageMaker) the job's search as the search pipeline; its result
    document (see the module docstring). The owner's profile screens the request first, as
    for a graph run."""
    screened = screen_request(get_profile(ctx.store, job.owner), job.request)
    request = OptimizationRequest.model_validate(screened.request)
    engine = settings.compute.pipeline.engine
    trace = _Trace(job, ctx, sink)
    if engine == "sagemaker" and ctx.resume:
        started = [
            json.loads(e.payload)["data"]["message"]
            for e in ctx.stored_events()
            if json.loads(e.payload).get("data", {}).get("code") == EXECUTION_CODE
        ]
        if started:  # the execution held the job until its lease ran out: no end was reported
            hours = settings.compute.pipeline.wait_hours
            raise RunFailedError(f"no end reported within {hours:g} hours: {started[-1]}")
    trace.emit("run_started", {"graph": GRAPH, "resumed": ctx.resume})
    trace.emit("warning", {"code": RUN_CODE, "message": f"{PIPELINE_NOTE} (engine {engine})"})
    left_out = [item.reason for item in screened.left_out]
    for reason in left_out:
        trace.emit("warning", {"code": PROFILE_NOTE_CODE, "message": reason})
    if engine == "sagemaker":
        _start_on_sagemaker(job, ctx, request, settings, trace, left_out)

    def after_batch(done: int) -> None:
        ctx.progress(done, request.budget.max_trials)
        if ctx.cancelled():
            raise JobCancelledError(f"job {job.id} was cancelled after {done} trials")

    aggregation = run_search_pipeline(
        request,
        engine=engine,
        run_id=job.id,
        owner=job.owner,
        settings=settings,
        after_batch=after_batch if engine == "here" else None,
        train=False,  # the job's handler teaches the owner's model once the job succeeded
    )
    trials = json.loads(
        (pipeline_workspace(job.id, settings) / "optimization" / TRIALS).read_text()
    )
    result = job_result(aggregation, trials["trials"], engine=engine, left_out=left_out)
    verify_result(job.id, result)
    ctx.progress(len(result["trials"]), request.budget.max_trials)
    ctx.put_trials([Trial(int(row.get("trial", i)), row) for i, row in enumerate(result["trials"])])
    trace.emit("run_finished", {"status": result["status"], "result_id": job.id})
    return result


def _start_on_sagemaker(
    job: Job,
    ctx: JobContext,
    request: OptimizationRequest,
    settings: Settings,
    trace: _Trace,
    left_out: list[str],
) -> NoReturn:
    """Write the order (with `left_out`, for the job's result), start the execution, name it
    in the trace and hand the job to it (`JobHandedOverError`, always raised)."""
    pipeline = configured_pipeline(settings)
    model = warm_start_model(ctx.store, job.owner, request)
    try:
        order = search_order(
            request, run_id=job.id, owner=job.owner, model=model, settings=settings
        )
    finally:
        release(job.id)  # the steps run on SageMaker, not here
    arn = pipeline.start({**order, "left_out": left_out}, shards=settings.compute.pipeline.shards)
    message = f"started the SageMaker pipeline execution {arn} of {pipeline.name}"
    trace.emit("warning", {"code": EXECUTION_CODE, "message": message})
    hours = settings.compute.pipeline.wait_hours
    raise JobHandedOverError(execution_holder(arn), hours * 3600, message)
