"""Optimization jobs, the UI's structured path: submit, follow, cancel, read the results.

`POST /v1/optimizations` takes an `OptimizationRequest` (graphs.request) and answers 202 with the
job and its `Location`; a worker runs the `optimization` workflow. Results are served once the
job succeeded (409 before, naming the status): trials page by page, the best configuration,
the explanation, the run manifest and the data of the result charts.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from fastapi import Body, Header, Query, Response, status
from fastapi.responses import HTMLResponse
from pydantic import PlainValidator

from api.caching import immutable
from api.context import Caller, Ctx
from api.errors import ApiError, checked_body, found_or_404, not_found, profile_refusals
from api.route_defaults import api_router
from api.schemas.optimizations import (
    Charts,
    JobView,
    ProfileApplied,
    Results,
    TrialsPage,
    job_view,
)
from graphs.request import OptimizationRequest
from jobs.job_runner import JobNotSucceededError
from services import optimizations
from services.optimizations import Submission, config_summary, warm_start_payload
from store import OPTIMIZATION_KIND
from store.common import encode_cursor
from store.jobs import Job, JobStatus
from store.results import Trial

router = api_router(prefix="/v1", tags=["optimization jobs"])

MAX_PAGE = 500

UncheckedRequest = Annotated[
    Any, Body(), PlainValidator(lambda body: body, json_schema_input_type=OptimizationRequest)
]
"""An `OptimizationRequest` as sent: its schema is the request's, but FastAPI hands it on
unchecked (its checks read the market data: the route runs them in a worker thread)."""


def get_optimization(context: Ctx, caller: Caller, job_id: str) -> Job:
    """The caller's optimization job, or 404."""
    with found_or_404("optimization", job_id):
        job = context.store.get_job(caller.owner, job_id)
    if job.kind != OPTIMIZATION_KIND:
        raise not_found("optimization", job_id)
    return job


@router.post(
    "/optimizations",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=JobView,
    summary="Submit an optimization job",
)
async def submit_optimization(
    body: UncheckedRequest,
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
    """Queue the multi-agent optimization workflow for the request `body`; follow it with
    `GET /v1/optimizations/{id}` or its event stream. The request's validation refuses what
    cannot run (`graphs.request`). The caller's profile fills the universe and risk limits the
    request leaves unset, and its exclusions are left out of the run (422 on `body.universe`
    when too few tickers would be left); `profile` says which."""

    def submit() -> Submission[OptimizationRequest]:
        # FastAPI hands the body on as sent: the request's checks read the market data, which
        # the event loop must not wait for (`AppContext.submit`)
        request = checked_body(OptimizationRequest, body)
        with profile_refusals("body."):
            submission = optimizations.submit_optimization(
                context.runner,
                context.store,
                caller.owner,
                request,
                idempotency_key=idempotency_key,
            )
        context.notify_submitted(submission.job)
        return submission

    submission = await context.submit(submit)
    prepared = submission.prepared
    applied = ProfileApplied(from_profile=prepared.from_profile, left_out=prepared.reasons)
    response.headers["Location"] = f"/v1/optimizations/{submission.job.id}"
    return job_view(submission.job).model_copy(update={"profile": applied})


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
    jobs = context.store.list_jobs(
        caller.owner, statuses=status_filter, kinds=[OPTIMIZATION_KIND], limit=limit
    )
    return [job_view(job) for job in jobs]


@router.get("/optimizations/{job_id}", response_model=JobView, summary="Status and progress")
async def get_optimization_status(job_id: str, context: Ctx, caller: Caller) -> JobView:
    """The job's status, progress (trials done of planned), attempts and timestamps."""
    return job_view(await context.call(get_optimization, context, caller, job_id))


@router.delete("/optimizations/{job_id}", response_model=JobView, summary="Cancel a job")
def cancel_optimization(job_id: str, context: Ctx, caller: Caller) -> JobView:
    """Cancel a pending or running job (idempotent); a finished job is 409."""
    get_optimization(context, caller, job_id)
    return job_view(context.runner.cancel(caller.owner, job_id))


TrialCursor = Annotated[
    str | None,
    Query(
        pattern=r"^(0|[1-9][0-9]{0,17})$",
        description="`next_cursor` of the previous page: where that page ended (in trial order "
        "the last trial's number, sorted the rows it covered).",
    ),
]
"""The cursor of a page of trials. Every value the schema admits names a position (a page past
the end is empty), so a cursor is refused for its form alone: 400 on `query.cursor` for one no
page gave (`api.errors`)."""

SortKey = Annotated[
    str | None,
    Query(
        pattern=r"^[A-Za-z0-9_.@]{1,64}$",
        description="Sort the trials by this column (e.g. objective, base.sharpe, "
        "bear.max_drawdown@p95: a limit's statistic of the paths).",
    ),
]


@router.get("/optimizations/{job_id}/results", response_model=Results, summary="Results")
def optimization_results(
    job_id: str,
    context: Ctx,
    caller: Caller,
    response: Response,
    cursor: TrialCursor = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    sort: SortKey = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "desc",
) -> Results:
    """Best configuration, explanation, manifest, chart data and a page of trials (in trial
    order, or sorted by `sort`). 409 while the job has not succeeded; once it has, the answer
    never changes and may be cached for the caller (`api.caching`)."""
    from api.reports.markdown import benchmark_note, benchmark_rows

    get_optimization(context, caller, job_id)
    result = _succeeded_result(context, caller.owner, job_id)
    trials = result.get("trials") or []
    page = _trials_page(context, caller.owner, job_id, len(trials), cursor, limit, sort, order)
    immutable(response)
    return Results(
        job_id=job_id,
        status=str(result.get("status")),
        benchmark_verdict=result.get("benchmark_verdict"),
        best=result.get("best"),
        config_summary=config_summary(result),
        explanation=result.get("explanation"),
        market_view=result.get("market_view"),
        warnings=[str(w) for w in result.get("warnings") or []],
        pipeline=result.get("pipeline"),
        warm_start=warm_start_payload(result),
        benchmarks=benchmark_rows(result),
        benchmarks_missing=result.get("benchmarks_missing") or {},
        benchmark_note=benchmark_note(result) if result.get("benchmarks") else None,
        dataset=result.get("dataset"),
        edge=result.get("edge"),
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
    from api.reports.html import render_html_report

    get_optimization(context, caller, job_id)
    result = _succeeded_result(context, caller.owner, job_id)
    page = render_html_report(
        result, title=f"Optimization {job_id}", trials=_all_trials(context, caller.owner, job_id)
    )
    answer = HTMLResponse(page)
    immutable(answer)  # final once the job succeeded
    return answer


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
    position = None if cursor is None else int(cursor)
    if sort is None:
        token = None if position is None else encode_cursor(position)
        stored = context.store.trials(owner, job_id, cursor=token, limit=limit)
        more = stored.next_cursor is not None
        return TrialsPage(
            items=[trial.data for trial in stored.items],
            next_cursor=str(stored.items[-1].number) if more else None,
            total=total,
        )
    offset = position or 0
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
    end = offset + len(items)
    next_cursor = str(end) if end < len(ordered) else None
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


__all__ = ["chart_data", "get_optimization", "router"]
