"""The end of a job's SageMaker pipeline execution, reported by EventBridge ("SageMaker Model
Building Pipeline Execution Status Change", source `aws.sagemaker`) to the worker function
(`jobs.lambda_handlers.sqs_worker` routes it here): the job's result stored, or its failure.

`complete_execution(store, event, sagemaker=..., s3=..., bucket=..., prefix=...)`:
- reads the execution's parameters (`ListPipelineParametersForExecution`): its order, under
  `s3://<bucket>/<prefix>/`, names the owner and the run, which is the job's id;
- the job must be running with its lease held by this execution (`runs.execution_holder`):
  anything else (an execution no job started, one of another pipeline or prefix, a job
  already ended or taken over) is ignored and logged;
- `Succeeded`: the aggregation's `result.json` and the optimization's `trials.json` become the
  job's result (`runs.job_result`), its trials are stored, its trace ends, and the job completes
  in one write (`Store.complete_job` as the lease's holder: succeeded only with the result);
  a result that cannot complete it (no trial met the constraints) fails it with the reason;
- `Failed` / `Stopped`: the job fails with SageMaker's reason (`DescribePipelineExecution`'s
  `FailureReason`) and its trace ends so.
Other statuses (`Executing`, `Stopping`) change nothing. Returns what it did: `succeeded`,
`failed` or `ignored`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any, Literal

from jobs.pipeline.runs import execution_holder, job_result
from jobs.pipeline.sagemaker_definition import ORDER_PARAMETER, output_parameter
from jobs.pipeline.sagemaker_pipeline import s3_location
from jobs.pipeline.steps import ORDER_FILE, pipeline_step
from jobs.trace_end import end_trace, last_event
from store import (
    ConflictError,
    InvalidResultError,
    Job,
    NotFoundError,
    Store,
    Trial,
    check_result,
)
from traces.schema import TraceEvent

log = logging.getLogger("jobs.pipeline.completion")

DETAIL_TYPE = "SageMaker Model Building Pipeline Execution Status Change"
"""The EventBridge detail type of a pipeline execution's status change (source aws.sagemaker)."""
ENDED = ("Succeeded", "Failed", "Stopped")
"""The statuses that end an execution."""

Outcome = Literal["succeeded", "failed", "ignored"]


def is_status_change(event: Mapping[str, Any]) -> bool:
    """Whether `event` is a pipeline execution's status change (EventBridge's envelope)."""
    return event.get("source") == "aws.sagemaker" and event.get("detail-type") == DETAIL_TYPE


def _document(s3: Any, uri: str) -> Any:
    bucket, key = s3_location(uri)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def _run_of(
    sagemaker: Any, s3: Any, arn: str, bucket: str, prefix: str
) -> tuple[dict[str, str], dict[str, Any]] | None:
    """(the execution's parameters, its order) when the order lies under our runs' prefix and
    names an owner and a run."""
    from botocore.exceptions import ClientError

    try:
        listed = sagemaker.list_pipeline_parameters_for_execution(PipelineExecutionArn=arn)
    except ClientError as exc:
        log.warning("pipeline execution %s: no parameters (%s): ignored", arn, exc)
        return None
    parameters = {p["Name"]: str(p["Value"]) for p in listed.get("PipelineParameters", [])}
    order_uri = parameters.get(ORDER_PARAMETER, "")
    if not order_uri.startswith(f"s3://{bucket}/{prefix.strip('/')}/"):
        log.warning("pipeline execution %s: order %r is not one of ours: ignored", arn, order_uri)
        return None
    order = _document(s3, order_uri + ORDER_FILE)
    owner, run_id = order.get("owner"), order.get("run_id")
    if not isinstance(owner, str) or not isinstance(run_id, str) or not owner:
        log.warning("pipeline execution %s: its order names no owner and run: ignored", arn)
        return None
    return parameters, order


def _finish_trace(store: Store, job: Job, status: Literal["succeeded"], reason: str) -> None:
    """Append `run_finished` to the job's trace (a succeeded run ends its trace itself)."""
    last = last_event(store, job.owner, job.id)
    seq = 1 if last is None else last.seq + 1
    event = TraceEvent(
        run_id=job.id,
        seq=seq,
        ts=store.clock(),
        type="run_finished",
        data={"status": status, "result_id": job.id, "reason": reason},
    )
    store.append_events(job.owner, job.id, [event])


def _fail(store: Store, job: Job, holder: str, reason: str) -> Outcome:
    store.transition(job.owner, job.id, ["running"], "failed", error=reason, worker=holder)
    end_trace(store, job.owner, job.id)
    log.warning("job %s failed: %s", job.id, reason)
    return "failed"


def complete_execution(
    store: Store, event: Mapping[str, Any], *, sagemaker: Any, s3: Any, bucket: str, prefix: str
) -> Outcome:
    """End the job of the execution `event` reports the end of (the module docstring)."""
    detail = event.get("detail") or {}
    arn = str(detail.get("pipelineExecutionArn") or "")
    status = str(detail.get("currentPipelineExecutionStatus") or "")
    if not arn or status not in ENDED:
        return "ignored"
    run = _run_of(sagemaker, s3, arn, bucket, prefix)
    if run is None:
        return "ignored"
    parameters, order = run
    owner, run_id = str(order["owner"]), str(order["run_id"])
    holder = execution_holder(arn)
    try:
        job = store.get_job(owner, run_id)
    except NotFoundError:
        log.warning("pipeline execution %s: no job %s of %s: ignored", arn, run_id, owner)
        return "ignored"
    if job.status != "running" or job.lease_owner != holder:
        log.warning("pipeline execution %s: job %s is not its own (%s): ignored", arn, run_id, job)
        return "ignored"
    try:
        if status != "Succeeded":
            described = sagemaker.describe_pipeline_execution(PipelineExecutionArn=arn)
            why = str(described.get("FailureReason") or "").strip() or "no reason given"
            return _fail(store, job, holder, f"SageMaker pipeline execution {arn} {status}: {why}")
        optimization = parameters[output_parameter(pipeline_step("optimization"))]
        aggregation = parameters[output_parameter(pipeline_step("aggregation"))]
        trials = _document(s3, optimization + "trials.json")["trials"]
        result = job_result(
            _document(s3, aggregation + "result.json"),
            trials,
            engine="sagemaker",
            execution_arn=arn,
            left_out=[str(reason) for reason in order.get("left_out") or []],
        )
        try:
            check_result(job.kind, result)
        except InvalidResultError as exc:
            return _fail(store, job, holder, f"run {run_id}: {exc}")
        store.put_trials(owner, run_id, [Trial(int(r["trial"]), r) for r in result["trials"]])
        _finish_trace(store, job, "succeeded", f"pipeline execution {arn} succeeded")
        store.complete_job(owner, run_id, result, worker=holder)
    except ConflictError as exc:  # cancelled, or taken over, meanwhile
        log.warning("pipeline execution %s: job %s changed meanwhile: %s", arn, run_id, exc)
        return "ignored"
    log.info("job %s succeeded: pipeline execution %s", run_id, arn)
    return "succeeded"
