"""The optimization workflow as a job: the handler the job workers run.

`jobs/` never imports `graphs/`; workers load this module by name
(`python -m jobs.worker --handlers graphs.job_handlers`), which registers the `optimization`
handler. A job's run id is its job id: its checkpoints, run directory and trace belong to the job.

- A fresh job runs `run_optimization`; a job another worker started (its lease expired, or a
  transient failure was retried) continues with `resume_optimization` from the last checkpoint,
  so finished batches are never evaluated again.
- Every trace event goes to the store (`JobContext.emit`) as well as the run's `events.jsonl`.
  An append the store refuses for a while (unavailable, locked) keeps its events, in order, for
  the next append, so a store outage does not stop the run; the attempt ends only once the whole
  trace is stored (else `StoreUnavailableError`, which the worker retries, and the retry first
  appends what the file holds beyond the store).
  The store is the authority: on resume the run's file is rewritten from the store's trace, so
  both stay gap-free and identical whatever a crash interrupted.
- Progress (trials done of the budget's `max_trials`) is reported to the job; its last report
  is the result's own trial count, which the worker stores before the result, so a succeeded
  job's progress agrees with its trials. Cancellation is checked at every event, and a
  cancelled job's run stops at once.
- The trials are also stored one per row (`Store.put_trials`) before the job completes, so
  the API pages through them without loading the whole result.
- The run starts warm from the owner's strategy model (`graphs.warm_start`) unless its request
  asks for a cold search.
- The owner's strategy model then learns the run's trials (the search pipeline's training
  step, `services.strategy_model.learn`), after the job succeeded with its result stored
  (`JobContext.after_success`): in the worker once it completed the job (`learning="worker"`),
  on a thread of its own (`"thread"`: a job run in the caller's process, such as the chat's),
  or in a process of its own that outlives the caller (`"detached"`: `stratigos optimize`,
  `graphs.learn_job`). Nobody waits for it, and its failure is logged, never the job's.
- A request asking for the search pipeline (`"pipeline": true`) runs without the graph
  (`pipeline_search`): on the engine `settings.compute.pipeline` names, here or on Ray to its
  end, or started on SageMaker Pipelines, whose execution then holds the job until
  `jobs.pipeline.completion` ends it (docs/pipeline.md).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any, Literal

from graphs.learn_job import learn_detached, learn_run
from graphs.optimization_run import (
    PROFILE_NOTE_CODE,
    has_checkpoint,
    resume_optimization,
    run_directory,
    run_optimization,
)
from graphs.pipeline_jobs import pipeline_search, verify_result
from graphs.request import OptimizationRequest
from graphs.resources import bind_research, bind_strategy_model
from graphs.warm_start import warm_start_model
from jobs.handlers import HandlerRegistry, JobCancelledError, JobContext, register_handler
from jobs.job_runner import JobRunner
from services.optimizations import submit_optimization
from services.profiles import get_profile, screen_request
from services.research import owner_search
from services.strategy_model import learn_in_order
from settings import Settings, get_settings
from settings.files import write_private
from store import (
    OPTIMIZATION_KIND,
    Job,
    Store,
    StoreGoneError,
    StoreUnavailableError,
    Trial,
)
from traces.jsonl import read_jsonl
from traces.schema import TraceEvent

KIND = OPTIMIZATION_KIND
Learning = Literal["worker", "thread", "detached"]
"""Where a run's trials reach the owner's strategy model once its job succeeded: in the worker
that ran it, on a thread of its own, or in a process of its own (see the module docstring)."""
log = logging.getLogger(__name__)

EventSink = Callable[[TraceEvent], object]


def _trace_from_store(path: Path, ctx: JobContext) -> None:
    """Reconcile the run's `events.jsonl` with the store's trace (the authority): events the
    file holds beyond the stored ones (a store fault kept them from it) are appended to the
    store, in order; then the file is rewritten from the store."""
    stored = ctx.stored_events()
    last = stored[-1].seq if stored else 0
    if path.is_file():
        written = read_jsonl(path)
        extra = [e for e in written if e.seq > last]
        if extra and extra[0].seq == last + 1:
            ctx.emit(extra)
            stored = ctx.stored_events()
    write_private(path, "".join(event.payload + "\n" for event in stored))


def optimization_handler(
    job: Job,
    ctx: JobContext,
    *,
    sink: EventSink | None = None,
    learning: Learning = "worker",
) -> dict[str, Any]:
    """Run (or resume) the optimization workflow of `job`, or a pipeline search
    (`pipeline_search`); returns its result document. The owner's strategy model learns the
    run's trials after the job succeeded, where `learning` says (`Learning`). `sink` also
    receives every event."""
    settings = ctx.settings or get_settings()
    pipeline = OptimizationRequest.model_validate(job.request).pipeline
    result = (pipeline_search if pipeline else _graph_search)(job, ctx, settings, sink=sink)
    ctx.after_success(partial(_teach, ctx.store, job, result, learning, settings))
    return result


def _graph_search(
    job: Job, ctx: JobContext, settings: Settings, *, sink: EventSink | None
) -> dict[str, Any]:
    """Run (or resume) the optimization workflow of `job` (see the module docstring); its
    result document."""
    request = OptimizationRequest.model_validate(job.request)
    pending: list[TraceEvent] = []

    def flush() -> None:
        if pending:
            ctx.emit(list(pending))
            pending.clear()

    def on_event(event: TraceEvent) -> None:
        if ctx.cancelled():
            raise JobCancelledError(f"job {job.id} was cancelled")
        pending.append(event)
        try:
            flush()
        except StoreGoneError:
            raise  # no later try can store them: stop now
        except StoreUnavailableError:
            pass  # an outage keeps the events, in order, for the next try
        if event.type == "progress" and event.data.get("unit") == "trials":
            ctx.progress(int(event.data["done"]), event.data.get("total"))
        if sink is not None:
            sink(event)

    # the market analysis reads the owner's research when they have any (else its tools and
    # prompts are those of a run without documents)
    has_documents = bool(ctx.store.list_documents(job.owner))
    bind_research(job.id, owner_search(ctx.store, job.owner, settings) if has_documents else None)
    bind_strategy_model(job.id, warm_start_model(ctx.store, job.owner, request))
    directory = run_directory(job.id, settings)
    started_before = (directory / "request.json").is_file()
    if started_before and not has_checkpoint(job.id, settings):
        shutil.rmtree(directory)  # an attempt that failed before its first step: start afresh
        started_before = False
    if started_before:
        _trace_from_store(directory / "events.jsonl", ctx)
        outcome = resume_optimization(job.id, on_event=on_event, settings=settings)
        left_out = [
            event["data"]["message"]
            for event in (json.loads(stored.payload) for stored in ctx.stored_events())
            if event["type"] == "warning" and event["data"].get("code") == PROFILE_NOTE_CODE
        ]
    else:
        # The owner's profile as it is when the run starts: excluded tickers never enter it.
        screened = screen_request(get_profile(ctx.store, job.owner), job.request)
        request = OptimizationRequest.model_validate(screened.request)
        outcome = run_optimization(
            request,
            run_id=job.id,
            on_event=on_event,
            settings=settings,
            notes=[item.reason for item in screened.left_out],
        )
        left_out = [item.reason for item in screened.left_out]
    flush()  # the trace is complete in the store, or the attempt fails (and is retried)
    if outcome.result is None:
        raise RuntimeError(f"run {job.id} finished without a result")
    result: dict[str, Any] = json.loads(json.dumps(outcome.result, default=str))
    result["left_out"] = left_out  # what the owner's profile kept out (also in `warnings`)
    verify_result(job.id, result)
    trials = result.get("trials") or []
    # the job's last progress is the result's own count (stored before the result: the worker)
    ctx.progress(len(trials), request.budget.max_trials)
    ctx.put_trials([Trial(int(row.get("trial", i)), row) for i, row in enumerate(trials)])
    return result


def _teach(
    store: Store, job: Job, result: dict[str, Any], learning: Learning, settings: Settings
) -> None:
    """The owner's model learns the succeeded `job` (`graphs.learn_job.learn_run`), where
    `learning` says; a failure is logged (the job's result stands)."""
    if learning == "detached":
        learn_detached(job.owner, job.id, settings)
        return
    request = OptimizationRequest.model_validate(job.request)

    def teach() -> None:
        try:
            learn_run(store, job.owner, job.id, request, result, settings)
        except Exception:
            log.exception("the strategy model of %s could not learn run %s", job.owner, job.id)

    if learning == "thread":
        learn_in_order(job.owner, f"learn-{job.id}", teach)
    else:
        teach()


def run_job_here(
    store: Store,
    owner: str,
    request: OptimizationRequest,
    *,
    sink: EventSink | None = None,
    idempotency_key: str | None = None,
    settings: Settings | None = None,
    learning: Learning = "thread",
) -> tuple[str, dict[str, Any]]:
    """Submit `request` as `owner`'s optimization job and run it in this process (as a worker
    would: leased, its trace and result stored); (job id, result document), returned without
    waiting for the owner's strategy model to learn the run (`learning`: see
    `optimization_handler`; `services.strategy_model.wait_for_learning` waits for a thread). A
    job that did not succeed gives `{"status", "reason"}` with its stored status and error."""
    handlers = HandlerRegistry({KIND: partial(optimization_handler, sink=sink, learning=learning)})
    runner = JobRunner(store, handlers=handlers, settings=settings)
    job = submit_optimization(
        runner, store, owner, request, idempotency_key=idempotency_key, apply_profile=False
    ).job
    if job.status in ("pending", "running"):
        worker = runner.worker
        worker.run_claimed(store.claim(owner, job.id, worker.worker_id, worker.lease_seconds))
    job = store.get_job(owner, job.id)
    if job.status != "succeeded":
        return job.id, {"status": job.status, "reason": job.error}
    return job.id, dict(runner.results(owner, job.id))


register_handler(KIND, optimization_handler)
