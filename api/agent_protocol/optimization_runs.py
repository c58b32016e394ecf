"""Agent Protocol runs of the `optimization` assistant: the run's input is an
`OptimizationRequest`, checked and submitted exactly as `POST /v1/optimizations` does (the
caller's profile fills its defaults), and the run follows that job (stored, owned, traceable
at `/v1/optimizations/{job_id}`).

The run's values are `{"job": <the job as /v1/optimizations shows it>, "result": <summary>}`
(`result` once the job succeeded: the best configuration, objective, risk verdict, stop reason,
explanation, ...). Its stream: `values` when the job changes, and per trace event an `updates`
frame `{node (or the event type): event}` and a `custom` frame (the event). Its status follows
the job: succeeded -> `success`, failed -> `error`, cancelled -> `interrupted` (cancelling the
run cancels the job).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from api.agent_protocol.chat_runs import AgentRun, Outcome, stopped
from api.agent_protocol.run_requests import refuse_text
from api.errors import invalid, profile_refusals
from api.schemas.optimizations import job_view
from graphs.request import OptimizationRequest
from jobs.job_runner import JobRunner
from services.optimizations import config_summary, submit_optimization
from store import TERMINAL_STATUSES, Job, Store

RUN_STATUS = {"succeeded": "success", "failed": "error", "cancelled": "interrupted"}
"""A run's final status by its job's."""

FIELD = "body.input"
"""The run input's field: its problems are named under it."""


def submit(runner: JobRunner, store: Store, owner: str, request: Any) -> Job:
    """Check `request` (the run's input) as `POST /v1/optimizations` does, with the caller's
    profile, and submit it as an optimization job; 422 naming `body.input.<field>`. The caller
    announces the submission (`AppContext.notify_submitted`)."""
    refuse_text(request, FIELD)  # the text rule `POST /v1/optimizations` keeps (api.contract)
    try:
        parsed = OptimizationRequest.model_validate(request)
    except ValidationError as exc:
        raise invalid(exc, f"{FIELD}.", "OptimizationRequest") from None
    with profile_refusals(f"{FIELD}."):
        return submit_optimization(runner, store, owner, parsed).job


def job_values(store: Store, owner: str, job_id: str) -> dict[str, Any]:
    """The run's values now: the job and, once it succeeded, the summary of its result."""
    job = store.get_job(owner, job_id)
    values: dict[str, Any] = {"job": job_view(job).model_dump(mode="json"), "result": None}
    if job.status == "succeeded":
        result = store.get_result(owner, job_id).payload
        values["result"] = {
            "status": result.get("status"),
            **config_summary(result),
            "explanation": (result.get("explanation") or {}).get("text"),
        }
    return values


def job_outcome(
    runner: JobRunner, store: Store, owner: str, job_id: str, poll_seconds: float
) -> Outcome:
    """Follow the job until it ends, reading its events and status every `poll_seconds`; a run
    whose app closes stops following it (`interrupted`; the job is the job runner's)."""
    return lambda run: _follow(runner, store, run, owner, job_id, poll_seconds)


def _follow(
    runner: JobRunner, store: Store, run: AgentRun, owner: str, job_id: str, poll_seconds: float
) -> tuple[str, dict[str, Any]]:
    after = 0
    shown = job_values(store, owner, job_id)
    run.offer("values", shown)
    ended = False  # the job was seen ended before the last read of its events
    while True:
        events = runner.events(owner, job_id, after_seq=after)
        for stored in events:
            after = stored.seq
            event = json.loads(stored.payload)
            run.offer("updates", {event.get("node") or event["type"]: event})
            run.offer("custom", event)
        if ended and not events:
            break
        values = job_values(store, owner, job_id)
        if values != shown:
            run.offer("values", values)
            shown = values
        ended = values["job"]["status"] in TERMINAL_STATUSES
        if not ended and len(events) < 1000:
            run.cancelled.wait(poll_seconds)  # a cancel cancels the job: read it at once
        if not ended and run.stopping.is_set():
            return stopped(run), shown
    status = RUN_STATUS[shown["job"]["status"]]
    if status == "error":
        body = {"error": "JOB_FAILED", "message": shown["job"]["error"] or "the job failed"}
        run.emit("error", {**body, "details": [{"field": "job", "problem": job_id}]})
        return status, {"__error__": body}
    return status, shown
