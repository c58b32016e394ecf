"""Request and response models of `/v1/optimizations` (`api.routes.optimizations`): the job as
the API shows it, and its results page."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from jobs.pipeline.runs import execution_of
from store.jobs import Job, JobStatus


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
    pipeline_execution: str | None = Field(
        default=None,
        description="A search run as the search pipeline on SageMaker (`pipeline: true`): the "
        "ARN of the pipeline execution running it, while it runs (the result names it after).",
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
        pipeline_execution=execution_of(job),
        links={
            "self": base,
            "events": f"{base}/events",
            "results": f"{base}/results",
            "report": f"{base}/report",
        },
    )


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
    benchmark_verdict: dict[str, Any] | None = Field(
        default=None,
        description="Whether the winner beats every benchmark scored on the same paths on the "
        "objective: beats (null: none scored), winner, benchmarks (name, label, score, gap), "
        "below, words (to say first when it does not); null without a winner or for results "
        "written before it was computed.",
    )
    best: dict[str, Any] | None
    config_summary: dict[str, Any]
    explanation: dict[str, Any] | None
    market_view: dict[str, Any] | None
    warnings: list[str]
    pipeline: dict[str, Any] | None = Field(
        default=None,
        description="A search run as the search pipeline (`pipeline: true`): its `engine`, the "
        "SageMaker `execution_arn` (null elsewhere), `agents` false, a `note` saying what such a "
        "run is (the request's own decisions, no agents' review, no explanation) and the request "
        "fields it did `not_use`; null for the agents' run.",
    )
    benchmarks: list[dict[str, Any]] = Field(
        description="The winner against its risky sleeve held at 100%, the universe "
        "equal-weighted (bought once and held; rebalanced daily) and the market index, per "
        "scenario, on the same paths and days (path means)."
    )
    benchmarks_missing: dict[str, str] = Field(
        default_factory=dict,
        description="The benchmarks left out, each with why (the market index when the "
        "market data holds none on the run's days: only the embedded data carries the S&P 500 "
        "index).",
    )
    benchmark_note: str | None = Field(
        default=None,
        description="What the benchmarks compare, in words: the market index only when it is "
        "there, the safe rate the Sharpe ratios are in excess of (null without benchmarks).",
    )
    dataset: dict[str, Any] | None = Field(
        default=None,
        description="The data the run used: its `assets`, the first and last day of its returns "
        "(`start`, `end`), the market data's `provider`, `version` and last session "
        "(`data_end`).",
    )
    edge: dict[str, Any] | None = Field(
        default=None,
        description="The winner's objective beside each benchmark's on the same paths "
        "(`scores`), the best benchmark (`over`), the `difference`, whether it is `small`, the "
        "`safe_rate` the Sharpe ratios are measured against, and a sentence (`words`).",
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
