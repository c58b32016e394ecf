"""An optimization job run as the search pipeline (`"pipeline": true`): what its result says
and who holds its lease while SageMaker runs it.

- `job_result(aggregation, trials, engine=..., execution_arn=...)`: the job's result document,
  the aggregation step's `result.json` with the optimization step's trials, stating that it is a
  pipeline run: the request's own decisions (`search_steps.search_order`), no agents' review
  between batches, no risk manager's verdict, no explanation (`pipeline`, and the first of its
  `warnings`), and what of the request such a run does not use.
- `execution_holder(arn)`: the name under which a SageMaker pipeline execution holds the job's
  lease (`Store.hand_over`) from its start until `jobs.pipeline.completion` ends the job;
  `execution_of(job)` reads it back (None for a job no execution holds).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from store import Job

Engine = Literal["here", "ray", "sagemaker"]
"""Where a pipeline run's steps run (`settings.compute.pipeline.engine`)."""

HOLDER_PREFIX = "sagemaker-pipeline:"
"""The lease owner of a job a SageMaker pipeline execution runs: this, then its ARN."""

PIPELINE_NOTE = (
    "run as the search pipeline: the request's own decisions (its horizon, scenario weights, "
    "search space, method, risk limits as constraints from the first batch, budget.max_trials "
    "trials), no agents' review between batches, no risk manager's verdict, no explanation"
)
NOT_USED = ("max_risk_rounds", "budget.max_wall_seconds", "budget.max_llm_tokens")
"""Request fields a pipeline run does not use (they bound the agents' run)."""


def execution_holder(execution_arn: str) -> str:
    """The lease owner naming the SageMaker pipeline execution `execution_arn`."""
    return HOLDER_PREFIX + execution_arn


def execution_of(job: Job) -> str | None:
    """The ARN of the SageMaker pipeline execution holding `job`'s lease, or None."""
    holder = job.lease_owner or ""
    return holder[len(HOLDER_PREFIX) :] if holder.startswith(HOLDER_PREFIX) else None


def job_result(
    aggregation: Mapping[str, Any],
    trials: Sequence[Mapping[str, Any]],
    *,
    engine: Engine,
    execution_arn: str | None = None,
    left_out: Sequence[str] = (),
) -> dict[str, Any]:
    """The job's result document of a pipeline run: the aggregation's result (its `status` is
    `failed` when no trial met the constraints, which fails the job), its trials in order,
    `pipeline`: the engine, the SageMaker execution (None elsewhere) and what the run is, and
    `left_out`: what the owner's profile kept out of the run (also in `warnings`, as for the
    agents' run)."""
    not_used = ", ".join(NOT_USED)
    return {
        **aggregation,
        "trials": [dict(row) for row in trials],
        "explanation": None,
        "pipeline": {
            "engine": engine,
            "execution_arn": execution_arn,
            "agents": False,
            "note": PIPELINE_NOTE,
            "not_used": list(NOT_USED),
        },
        "warnings": [f"{PIPELINE_NOTE}; not used: {not_used}", *left_out],
        "left_out": list(left_out),
    }
