"""Optimization jobs as a use case: the one way a structured request becomes a queued job, and
what a finished job's result says in brief.

The request's schema is `graphs.request.OptimizationRequest`; every interface (the API's
`/v1/optimizations`, the Agent Protocol's `optimization` runs, the command line, the chat's
approved searches, an accepted idea) hands this module a parsed request. The steps, in order:

1. profile defaults: the owner's profile fills the universe and the risk limits the request
   leaves unset (`services.profiles.fill_request_defaults`);
2. screening: the profile's exclusions must leave a ticker of the universe (`InputError` on
   ``universe`` naming them otherwise). The submitted request keeps its universe: the worker
   leaves the excluded tickers out when the run starts, and the run's trace says so;
3. validation: the filled request, and the request as the worker will run it, pass the
   request's own checks (its pydantic model: `pydantic.ValidationError` naming the fields);
4. submission: a pending job of kind ``optimization`` (`store.OPTIMIZATION_KIND`) that a worker
   runs (`graphs.job_handlers`); a request asking for the search pipeline (`"pipeline": true`)
   is refused here (`InputError` on ``pipeline``) when the settings' engine cannot start it
   (`sagemaker` without a pipeline configured: `check_pipeline`).

`prepare_optimization` is steps 1-3 (the chat's drafts stop there); `submit_optimization` is all
four, or, with ``apply_profile=False``, the request as given (an idea's request, whose fields
are the idea's and the request's defaults; a recorded run's, which its replay repeats).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel

from jobs.job_runner import JobRunner
from services.errors import InputError
from services.profiles import LeftOut, fill_request_defaults, get_profile, screen_request
from settings import Settings, get_settings
from store import OPTIMIZATION_KIND, Job, Store

Request = TypeVar("Request", bound=BaseModel)
"""The optimization request's model (`graphs.request.OptimizationRequest`)."""


@dataclass(frozen=True)
class PreparedRequest(Generic[Request]):
    """A request ready to submit: `request` validated, `data` its JSON as submitted (the
    universe as given), `from_profile` the fields whose values came from the owner's profile
    (``universe``, ``risk_limits.cvar_95``, ...) and `left_out` the tickers its exclusions keep
    out of the run."""

    request: Request
    data: dict[str, Any]
    from_profile: list[str] = field(default_factory=list)
    left_out: list[LeftOut] = field(default_factory=list)

    @property
    def reasons(self) -> list[str]:
        """One sentence per ticker left out ("AMD left out: your profile excludes AMD")."""
        return [item.reason for item in self.left_out]


@dataclass(frozen=True)
class Submission(Generic[Request]):
    """A submitted optimization: its job (pending, or the job an idempotency key named) and the
    request as prepared."""

    job: Job
    prepared: PreparedRequest[Request]


def prepare_optimization(store: Store, owner: str, request: Request) -> PreparedRequest[Request]:
    """`request` with `owner`'s profile defaults filled in, its exclusions checked and the
    result validated by the request's own model (steps 1-3 of the module docstring).
    `InputError` on ``universe`` when the exclusions leave no ticker; `pydantic.ValidationError`
    when the filled request, or the request the worker will run, cannot run."""
    profile = get_profile(store, owner)
    filled = fill_request_defaults(profile, request.model_dump(mode="json"), screen=False)
    screened = screen_request(profile, filled.request)
    model = type(request)
    prepared = model.model_validate(filled.request)
    model.model_validate(screened.request)
    return PreparedRequest(prepared, filled.request, filled.from_profile, screened.left_out)


def submit_optimization(
    runner: JobRunner,
    store: Store,
    owner: str,
    request: Request,
    *,
    idempotency_key: str | None = None,
    apply_profile: bool = True,
) -> Submission[Request]:
    """Submit `request` as `owner`'s optimization job: prepared with the owner's profile
    (`prepare_optimization`, whose errors it raises) unless `apply_profile` is False. The same
    `idempotency_key` again returns the first job (a different request with it is the store's
    `ConflictError`)."""
    check_pipeline(request, runner.worker.settings or get_settings())
    if apply_profile:
        prepared = prepare_optimization(store, owner, request)
    else:
        prepared = PreparedRequest(request, request.model_dump(mode="json"))
    job = runner.submit(owner, OPTIMIZATION_KIND, prepared.data, idempotency_key=idempotency_key)
    return Submission(job, prepared)


def check_pipeline(request: BaseModel, settings: Settings) -> None:
    """Refuse (`InputError` on ``pipeline``) a request asking for the search pipeline when the
    engine `settings` name cannot run it: `sagemaker` without the pipeline's name and bucket."""
    chosen = settings.compute.pipeline
    if not getattr(request, "pipeline", False) or chosen.engine != "sagemaker":
        return
    missing = chosen.missing()
    if missing:
        raise InputError(
            "pipeline",
            f"no SageMaker search pipeline is configured ({', '.join(missing)} unset)",
            "this deployment runs the search pipeline on SageMaker but names no pipeline: "
            "submit without `pipeline`",
        )


def config_summary(result: dict[str, Any]) -> dict[str, Any]:
    """What an optimization result found, in brief: whether the winner beats its benchmarks
    (said first), the best configuration (and in words) and its objective, the risk manager's
    verdict and each limit checked with its statistic, trials run and why the search stopped,
    method and data, how the search started (`warm_start`, and `start`: the report's sentence,
    `services.warm_starts.describe_result_start`)."""
    from services.warm_starts import describe_result_start

    best = result.get("best") or {}
    plan = result.get("plan") or {}
    return {
        "benchmark_verdict": result.get("benchmark_verdict"),
        "config": best.get("config"),
        "config_words": best.get("config_words"),
        "objective": best.get("objective"),
        "objective_name": ((result.get("explanation") or {}).get("facts") or {}).get(
            "objective_name"
        ),
        "approved_by_risk_manager": best.get("approved_by_risk_manager"),
        "risk_verdict": best.get("risk_verdict"),
        "limits": best.get("limits"),
        "winner_note": best.get("note"),
        "n_trials": result.get("n_trials"),
        "max_trials": result.get("max_trials"),
        "stop_reason": result.get("reason"),
        "feasibility": result.get("feasibility"),
        "method": plan.get("method"),
        "search_space": plan.get("search_space"),
        "scenario_weights": (result.get("market_view") or {}).get("scenario_weights"),
        "dataset": result.get("dataset"),
        "timings": result.get("timings"),
        "warm_start": warm_start_payload(result),
        "start": describe_result_start(result),
    }


def warm_start_payload(result: Mapping[str, Any]) -> dict[str, Any] | None:
    """What a result says of how its search started (`services.warm_starts.warm_start_outcome`)
    with `words`, the sentence the command line and the report print; None for a search asked
    to start cold (or a result stored before warm starts)."""
    outcome = result.get("warm_start")
    if outcome is None:
        return None
    from services.warm_starts import describe_warm_start

    return {**outcome, "words": describe_warm_start(outcome)}


__all__ = [
    "PreparedRequest",
    "Submission",
    "check_pipeline",
    "config_summary",
    "prepare_optimization",
    "submit_optimization",
    "warm_start_payload",
]
