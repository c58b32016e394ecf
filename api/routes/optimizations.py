"""Optimization jobs, the UI's structured path: submit, follow, cancel, read the results.

`POST /v1/optimizations` takes an `OptimizationRequest` (graphs.request) and answers 202 with the
job and its `Location`; a worker runs the `optimization` workflow. Results are served once the
job succeeded (409 before, naming the status): trials page by page, the best configuration,
the explanation, the run manifest and the data of the result charts.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from api.context import Caller, Ctx
from api.errors import ApiError, not_found, validation_error
from api.reports.html import render_html_report
from api.reports.markdown import benchmark_rows
from graphs.job_handlers import KIND
from graphs.request import OptimizationRequest, validation_problems
from jobs.job_runner import JobNotSucceededError
from services.errors import InputError
from services.profiles import fill_request_defaults, get_profile, screen_request
from store import Store
from store.common import decode_cursor, encode_cursor
from store.errors import NotFoundError
from store.jobs import Job, JobStatus
from store.results import Trial

router = APIRouter(prefix="/v1", tags=["optimization jobs"])

MAX_PAGE = 500


class Progress(BaseModel):
    """Trials evaluated of those planned (`fraction` in [0, 1], null while unknown)."""

    done: int
    total: int | None
    fraction: float | None


class ProfileApplied(BaseModel):
    """What the caller's profile did to a submitted request (`services.profiles`)."""

    from_profile: list[str] = Field(
        description="Request fields whose values came from the profile (e.g. `universe`, "
        "`risk_limits.cvar_95`): the request left them unset."
    )
    left_out: list[str] = Field(
        description="Tickers the profile's exclusions keep out of the run, each with why "
        '("AMD left out: your profile excludes AMD"); the run\'s trace repeats them.'
    )


class JobView(BaseModel):
    """An optimization job as the API shows it."""

    id: str
    status: JobStatus
    progress: Progress
    attempts: int
    error: str | None = Field(description="Why the job failed or was cancelled, if it did.")
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    request: dict[str, Any]
    links: dict[str, str]
    profile: ProfileApplied | None = Field(
        default=None,
        description="On submission: what the caller's profile filled in and left out.",
    )


def job_view(job: Job) -> JobView:
    """The API view of a stored job."""
    done, total = job.progress
    fraction = None if not total else min(1.0, done / total)
    base = f"/v1/optimizations/{job.id}"
    return JobView(
        id=job.id,
        status=job.status,
        progress=Progress(done=done, total=total, fraction=fraction),
        attempts=job.attempts,
        error=job.error,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
        request=dict(job.request),
        links={
            "self": base,
            "events": f"{base}/events",
            "results": f"{base}/results",
            "report": f"{base}/report",
        },
    )


def get_optimization(context: Ctx, caller: Caller, job_id: str) -> Job:
    """The caller's optimization job, or 404."""
    try:
        job = context.store.get_job(caller.owner, job_id)
    except NotFoundError:
        raise not_found("optimization", job_id) from None
    if job.kind != KIND:
        raise not_found("optimization", job_id)
    return job


@router.post(
    "/optimizations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    summary="Submit an optimization job",
)
async def submit_optimization(
    request: OptimizationRequest,
    context: Ctx,
    caller: Caller,
    response: Response,
    idempotency_key: Annotated[
        str | None,
        Header(
            max_length=200,
            description="Submitting again with the same key returns the first job instead of "
            "a new one (a different request with a used key is 409).",
        ),
    ] = None,
) -> JobView:
    """Queue the multi-agent optimization workflow for `request`; follow it with
    `GET /v1/optimizations/{id}` or its event stream. The request's validation already
    refused what cannot run (`graphs.request`). The caller's profile fills the universe and
    risk limits the request leaves unset, and its exclusions are left out of the run (422 on
    `body.universe` when too few tickers would be left); `profile` says which."""

    def submit() -> tuple[Job, ProfileApplied]:
        filled, left_out = profile_request(context.store, caller.owner, request)
        job = context.runner.submit(caller.owner, KIND, filled, idempotency_key=idempotency_key)
        context.notify_submitted(job)
        return job, left_out

    job, applied = await context.call(submit)
    response.headers["Location"] = f"/v1/optimizations/{job.id}"
    return job_view(job).model_copy(update={"profile": applied})


def profile_request(
    store: Store, owner: str, request: OptimizationRequest
) -> tuple[dict[str, Any], ProfileApplied]:
    """`request` (JSON) with the defaults of `owner`'s profile filled in, and what the profile
    did; 422 when the profile's exclusions leave too few tickers or the filled request cannot
    run. The stored request keeps its universe: the worker leaves the excluded tickers out when
    the run starts (`graphs.job_handlers`), and says so in the run's trace."""
    profile = get_profile(store, owner)
    filled = fill_request_defaults(profile, request.model_dump(mode="json"), screen=False)
    try:
        screened = screen_request(profile, filled.request)
        for candidate in (filled.request, screened.request):
            OptimizationRequest.model_validate(candidate)
    except InputError as exc:
        raise validation_error(f"body.{exc.field}", exc.problem) from None
    except ValidationError as exc:
        problems = validation_problems(exc.errors())
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            "the request with your profile's defaults and exclusions cannot run: "
            + "; ".join(f"{f}: {p}" for f, p in problems),
            [(f"body.{f}", p) for f, p in problems],
        ) from None
    left_out = [item.reason for item in screened.left_out]
    return filled.request, ProfileApplied(from_profile=filled.from_profile, left_out=left_out)


@router.get("/optimizations", response_model=list[JobView], summary="List optimization jobs")
def list_optimizations(
    context: Ctx,
    caller: Caller,
    status_filter: Annotated[
        list[JobStatus] | None,
        Query(alias="status", description="Only jobs in these statuses (repeatable)."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[JobView]:
    """The caller's optimization jobs, newest first."""
    jobs = context.store.list_jobs(caller.owner, statuses=status_filter, limit=limit)
    return [job_view(job) for job in jobs if job.kind == KIND]


@router.get("/optimizations/{job_id}", response_model=JobView, summary="Status and progress")
async def get_optimization_status(job_id: str, context: Ctx, caller: Caller) -> JobView:
    """The job's status, progress (trials done of planned), attempts and timestamps."""
    return job_view(await context.call(get_optimization, context, caller, job_id))


@router.delete("/optimizations/{job_id}", response_model=JobView, summary="Cancel a job")
def cancel_optimization(job_id: str, context: Ctx, caller: Caller) -> JobView:
    """Cancel a pending or running job (idempotent); a finished job is 409."""
    get_optimization(context, caller, job_id)
    return job_view(context.runner.cancel(caller.owner, job_id))


class TrialsPage(BaseModel):
    """A page of trials: each row has the trial number, batch, configuration fields,
    objective, feasibility and `<scenario>.<metric>` columns."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int


class Charts(BaseModel):
    """Chart data of the results page and report."""

    convergence: list[dict[str, float | None]] = Field(
        description="Best objective after each batch: [{batch, trials, best_objective}]; "
        "best_objective is null while no trial meets the constraints."
    )
    risk_return: dict[str, list[dict[str, float | None]]] = Field(
        description="Per scenario, every trial's annualised volatility, CAGR and Sharpe ratio."
    )
    scenario_bars: list[dict[str, Any]] = Field(
        description="The best configuration's mean metrics per scenario."
    )
    risk: list[dict[str, Any]] = Field(
        description="Risk report of the best configuration per scenario: VaR 95 and CVaR 95 "
        "(daily losses) and maximum drawdown, positive fractions."
    )


class Results(BaseModel):
    """The results of a succeeded optimization."""

    job_id: str
    status: str = Field(description="succeeded, or partial when a budget ran out.")
    best: dict[str, Any] | None
    config_summary: dict[str, Any]
    explanation: dict[str, Any] | None
    market_view: dict[str, Any] | None
    warnings: list[str]
    benchmarks: list[dict[str, Any]] = Field(
        description="The winner against its risky sleeve held at 100% and equal-weight "
        "buy-and-hold, per scenario, on the same paths and days (path means)."
    )
    hedging: dict[str, Any] | None = Field(
        default=None,
        description="When the search space held option overlays: the winner with and without "
        "its overlay per scenario on the same paths (`comparison`: premium, payoff and carry in "
        "fractions of wealth a year, drawdown and CVaR), the trade-off between the unhedged "
        "trial closest to the limits and the cheapest hedged trials meeting them (`tradeoff`), "
        "and the risk manager's hedge requirement (`required`); null otherwise.",
    )
    manifest: dict[str, Any] | None
    charts: Charts
    trials: TrialsPage


SortKey = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_.]{1,64}$",
        description="Sort the trials by this column (e.g. objective, base.sharpe).",
    ),
]


@router.get("/optimizations/{job_id}/results", response_model=Results, summary="Results")
def optimization_results(
    job_id: str,
    context: Ctx,
    caller: Caller,
    cursor: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    sort: SortKey = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> Results:
    """Best configuration, explanation, manifest, chart data and a page of trials (in trial
    order, or sorted by `sort`). 409 while the job has not succeeded."""
    get_optimization(context, caller, job_id)
    result = _succeeded_result(context, caller.owner, job_id)
    trials = result.get("trials") or []
    page = _trials_page(context, caller.owner, job_id, len(trials), cursor, limit, sort, order)
    return Results(
        job_id=job_id,
        status=str(result.get("status")),
        best=result.get("best"),
        config_summary=config_summary(result),
        explanation=result.get("explanation"),
        market_view=result.get("market_view"),
        warnings=[str(w) for w in result.get("warnings") or []],
        benchmarks=benchmark_rows(result),
        hedging=result.get("hedging"),
        manifest=result.get("manifest"),
        charts=chart_data(result),
        trials=page,
    )


@router.get(
    "/optimizations/{job_id}/report",
    summary="Self-contained HTML report",
    response_model=None,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def optimization_report(job_id: str, context: Ctx, caller: Caller) -> HTMLResponse:
    """The results as one HTML page with its charts (plotly.js inlined; works offline).
    409 while the job has not succeeded."""
    get_optimization(context, caller, job_id)
    result = _succeeded_result(context, caller.owner, job_id)
    page = render_html_report(
        result, title=f"Optimization {job_id}", trials=_all_trials(context, caller.owner, job_id)
    )
    return HTMLResponse(page)


def _succeeded_result(context: Ctx, owner: str, job_id: str) -> dict[str, Any]:
    try:
        return dict(context.runner.results(owner, job_id))
    except JobNotSucceededError as exc:
        raise ApiError(
            409,
            "CONFLICT",
            str(exc),
            [("status", f"the job is {exc.status}; results exist once it succeeded")],
        ) from None


def _trials_page(
    context: Ctx,
    owner: str,
    job_id: str,
    total: int,
    cursor: str | None,
    limit: int,
    sort: str | None,
    order: str,
) -> TrialsPage:
    try:
        if sort is None:
            stored = context.store.trials(owner, job_id, cursor=cursor, limit=limit)
            rows = [trial.data for trial in stored.items]
            return TrialsPage(items=rows, next_cursor=stored.next_cursor, total=total)
        offset = 0 if cursor is None else max(0, decode_cursor(cursor))
    except ValueError as exc:
        raise ApiError(400, "BAD_REQUEST", str(exc), [("query.cursor", str(exc))]) from None
    rows = _all_trials(context, owner, job_id)
    if rows and sort not in rows[0]:
        raise ApiError(
            422,
            "VALIDATION_ERROR",
            f"cannot sort by {sort!r}: not a trial column",
            [("query.sort", f"unknown column; columns: {sorted(rows[0])}")],
        )

    def key(row: dict[str, Any]) -> tuple[int, Any]:
        value = row.get(sort)
        missing = value is None or (isinstance(value, float) and math.isnan(value))
        # missing values sort last in either order
        return (1 if missing else 0, 0 if missing else value)

    ordered = sorted(rows, key=key, reverse=order == "desc")
    if order == "desc":
        ordered = [r for r in ordered if key(r)[0] == 0] + [r for r in ordered if key(r)[0] == 1]
    items = ordered[offset : offset + limit]
    after = offset + len(items)
    next_cursor = encode_cursor(after) if after < len(ordered) else None
    return TrialsPage(items=items, next_cursor=next_cursor, total=total)


def _all_trials(context: Ctx, owner: str, job_id: str) -> list[dict[str, Any]]:
    rows: list[Trial] = []
    cursor: str | None = None
    while True:
        page = context.store.trials(owner, job_id, cursor=cursor, limit=1000)
        rows.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return [trial.data for trial in rows]


def config_summary(result: dict[str, Any]) -> dict[str, Any]:
    """What an optimization result found, in brief: the best configuration and its objective,
    the risk manager's verdict, trials run and why the search stopped, method and data."""
    best = result.get("best") or {}
    plan = result.get("plan") or {}
    return {
        "config": best.get("config"),
        "objective": best.get("objective"),
        "objective_name": ((result.get("explanation") or {}).get("facts") or {}).get(
            "objective_name"
        ),
        "approved_by_risk_manager": best.get("approved_by_risk_manager"),
        "risk_verdict": best.get("risk_verdict"),
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
    }


def chart_data(result: dict[str, Any]) -> Charts:
    """The results' chart series: convergence, risk-return per scenario, scenario bars, risk."""
    trials = result.get("trials") or []
    batches: dict[int, int] = {}
    for row in trials:
        batch = int(row.get("batch", 0))
        batches[batch] = batches.get(batch, 0) + 1
    convergence = []
    done = 0
    for i, best in enumerate(result.get("convergence") or []):
        done += batches.get(i, 0)
        convergence.append({"batch": float(i), "trials": float(done), "best_objective": best})
    scenarios = list(((result.get("best") or {}).get("scenarios") or {}).keys())
    if not scenarios and trials:
        scenarios = sorted({k.split(".")[0] for k in trials[0] if k.endswith(".sharpe")})
    risk_return: dict[str, list[dict[str, float | None]]] = {s: [] for s in scenarios}
    for row in trials:
        for scenario in scenarios:
            vol, cagr = row.get(f"{scenario}.volatility"), row.get(f"{scenario}.cagr")
            if vol is None or cagr is None:
                continue
            risk_return[scenario].append(
                {
                    "trial": float(row.get("trial", 0)),
                    "volatility": vol,
                    "cagr": cagr,
                    "sharpe": row.get(f"{scenario}.sharpe"),
                }
            )
    best_scenarios = (result.get("best") or {}).get("scenarios") or {}
    bars = [{"scenario": name, **metrics} for name, metrics in best_scenarios.items()]
    risk = [
        {
            "scenario": name,
            "var_95": metrics.get("var_95"),
            "cvar_95": metrics.get("cvar_95"),
            "max_drawdown": metrics.get("max_drawdown"),
        }
        for name, metrics in best_scenarios.items()
    ]
    return Charts(convergence=convergence, risk_return=risk_return, scenario_bars=bars, risk=risk)


__all__ = ["JobView", "chart_data", "get_optimization", "job_view", "router"]
