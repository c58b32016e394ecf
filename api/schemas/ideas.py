"""Request and response models of `/v1/ideas` (`api.routes.ideas`): an investment idea, its
changes, status moves and evidence, and the job an accepted idea became."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from api.schemas.optimizations import JobView
from services.bounds import Count, PositiveRelativeWeight, Version
from services.ideas import DEFAULT_LOOKBACK_DAYS
from store.ideas import MAX_TICKERS, TRANSITIONS, Idea, IdeaStatus


class EvidenceIn(BaseModel):
    """A reference that supports an idea: a passage of one of the caller's documents
    (`document_id`, `chunk` ordinal, `quote` that appears in that chunk), one of their
    optimization runs (`run_id`) or deployments (`deployment_id`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["document_passage", "optimization_run", "deployment"]
    document_id: str | None = None
    chunk: Count | None = None
    quote: str | None = Field(default=None, max_length=2000)
    run_id: str | None = None
    deployment_id: str | None = None


class IdeaIn(BaseModel):
    """A new idea. `horizon_days` (trading days) or `horizon_until` (a date, converted to NYSE
    sessions from today); default 63 days. `weights` {ticker: positive number} (normalised;
    default equal). `lookback_days` of daily returns the metrics are computed over."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    thesis: str = Field(min_length=1, max_length=20_000)
    tickers: list[str] = Field(min_length=1, max_length=MAX_TICKERS)
    direction: Literal["long", "short"] = "long"
    horizon_days: int | None = Field(default=None, ge=1, le=2520)
    horizon_until: date | None = None
    weights: dict[str, PositiveRelativeWeight] | None = None
    evidence: list[EvidenceIn] = Field(default_factory=list, max_length=100)
    lookback_days: int = Field(default=DEFAULT_LOOKBACK_DAYS, ge=21, le=2520)


class IdeaPatch(BaseModel):
    """Fields to change (absent: keep; `weights: null`: equal weights). A change of tickers,
    weights, direction or lookback computes the metrics again; `evidence` replaces the list."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    thesis: str | None = Field(default=None, min_length=1, max_length=20_000)
    tickers: list[str] | None = Field(default=None, min_length=1, max_length=MAX_TICKERS)
    direction: Literal["long", "short"] | None = None
    horizon_days: int | None = Field(default=None, ge=1, le=2520)
    horizon_until: date | None = None
    weights: dict[str, PositiveRelativeWeight] | None = None
    evidence: list[EvidenceIn] | None = Field(default=None, max_length=100)
    lookback_days: int | None = Field(default=None, ge=21, le=2520)
    version: Version | None = Field(default=None, description="The version being changed.")


class StatusIn(BaseModel):
    """A status change and why."""

    model_config = ConfigDict(extra="forbid")

    status: IdeaStatus
    reason: str = Field(default="", max_length=1000)
    version: Version | None = None


class EvidenceList(BaseModel):
    """Evidence items to attach."""

    model_config = ConfigDict(extra="forbid")

    evidence: list[EvidenceIn] = Field(min_length=1, max_length=100)


class IdeaOut(BaseModel):
    """An idea as the API shows it: `metrics` carry the numbers and their `definition`."""

    id: str
    title: str
    thesis: str
    tickers: list[str]
    weights: dict[str, float] | None
    direction: str
    horizon_days: int
    metrics: dict[str, Any]
    evidence: list[dict[str, Any]]
    status: str
    allowed_transitions: list[str]
    history: list[dict[str, Any]]
    version: int
    created_at: datetime
    updated_at: datetime
    links: dict[str, str]


class IdeaPage(BaseModel):
    """A page of ideas; `next_cursor` is null on the last page."""

    items: list[IdeaOut]
    next_cursor: str | None


class OptimizationOut(BaseModel):
    """The job an accepted idea became and the idea with the run attached as evidence."""

    job: JobView
    idea: IdeaOut


def idea_out(idea: Idea) -> IdeaOut:
    """The API view of a stored idea."""
    base = f"/v1/ideas/{idea.id}"
    links = {"self": base, "status": f"{base}/status", "evidence": f"{base}/evidence"}
    if idea.status == "accepted":
        links["optimization"] = f"{base}/optimization"
    return IdeaOut(
        **{name: getattr(idea, name) for name in IdeaOut.model_fields if hasattr(idea, name)},
        allowed_transitions=list(TRANSITIONS[idea.status]),
        links=links,
    )
