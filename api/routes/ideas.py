"""`/v1/ideas`: investment ideas (issue 18).

- `POST /v1/ideas`: a new `proposed` idea (title, thesis, tickers of the market data,
  direction, horizon, optional weights and evidence); its expected return and risk are computed
  by the numeric core (`services.ideas.basket_metrics`), never taken from the body. 201.
- `GET /v1/ideas?status=&ticker=&from=&to=&cursor=&limit=`: the caller's ideas, newest first
  (`from`/`to` are creation dates, both included).
- `GET`, `PATCH` (`If-Match` or `version` for optimistic concurrency: 409 when stale),
  `DELETE /v1/ideas/{id}`.
- `POST /v1/ideas/{id}/status`: move it along proposed -> under_review -> accepted -> deployed
  (retired from any status); a move its status does not allow is 409 naming the allowed ones.
- `POST /v1/ideas/{id}/evidence`: attach checked evidence items.
- `POST /v1/ideas/{id}/optimization`: an accepted idea becomes an optimization job through the
  same submission as `POST /v1/optimizations` (202); the run is attached as evidence. 409
  unless accepted.
Another owner's idea is 404.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from api.context import Caller, Ctx
from api.errors import ApiError, not_found, validation_error
from api.routes.optimizations import JobView, job_view
from graphs.job_handlers import KIND
from graphs.request import DEFAULT_SPACE, OptimizationRequest
from services.errors import InputError
from services.ideas import (
    DEFAULT_LOOKBACK_DAYS,
    IdeaDraft,
    IdeaStateError,
    attach_evidence,
    change_status,
    create_idea,
    horizon_from_date,
    optimize_idea,
    update_idea,
)
from store import NotFoundError
from store.ideas import MAX_TICKERS, Idea, IdeaFilter, IdeaStatus, TransitionError

router = APIRouter(prefix="/v1", tags=["ideas"])


class EvidenceIn(BaseModel):
    """A reference that supports an idea: a passage of one of the caller's documents
    (`document_id`, `chunk` ordinal, `quote` that appears in that chunk), one of their
    optimization runs (`run_id`) or deployments (`deployment_id`)."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["document_passage", "optimization_run", "deployment"]
    document_id: str | None = None
    chunk: int | None = Field(default=None, ge=0)
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
    weights: dict[str, float] | None = None
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
    weights: dict[str, float] | None = None
    evidence: list[EvidenceIn] | None = Field(default=None, max_length=100)
    lookback_days: int | None = Field(default=None, ge=21, le=2520)
    version: int | None = Field(default=None, ge=1, description="The version being changed.")


class StatusIn(BaseModel):
    """A status change and why."""

    model_config = ConfigDict(extra="forbid")

    status: IdeaStatus
    reason: str = Field(default="", max_length=1000)
    version: int | None = Field(default=None, ge=1)


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
    from store.ideas import TRANSITIONS

    base = f"/v1/ideas/{idea.id}"
    links = {"self": base, "status": f"{base}/status", "evidence": f"{base}/evidence"}
    if idea.status == "accepted":
        links["optimization"] = f"{base}/optimization"
    return IdeaOut(
        **{name: getattr(idea, name) for name in IdeaOut.model_fields if hasattr(idea, name)},
        allowed_transitions=list(TRANSITIONS[idea.status]),
        links=links,
    )


@contextmanager
def _inputs() -> Iterator[None]:
    """A service's `InputError` as a 422 naming the body field."""
    try:
        yield
    except InputError as exc:
        raise ApiError(
            422, "VALIDATION_ERROR", exc.message, [(f"body.{exc.field}", exc.problem)]
        ) from None


def _get(context: Ctx, owner: str, idea_id: str) -> Idea:
    try:
        return context.store.get_idea(owner, idea_id)
    except NotFoundError:
        raise not_found("idea", idea_id) from None


def _horizon(days: int | None, until: date | None, context: Ctx) -> int | None:
    if days is not None and until is not None:
        raise validation_error("body.horizon_until", "give horizon_days or horizon_until, not both")
    if until is None:
        return days
    return horizon_from_date(until, context.store.clock().date())


def _if_match(value: str | None, body_version: int | None) -> int | None:
    if value is None:
        return body_version
    try:
        version = int(value.strip().removeprefix("W/").strip('"'))
    except ValueError:
        raise validation_error(
            "header.if-match", f'{value!r} is not a version (e.g. "3")'
        ) from None
    if body_version is not None and body_version != version:
        raise validation_error("header.if-match", f"differs from body.version {body_version}")
    return version


@router.post("/ideas", response_model=IdeaOut, status_code=201, summary="Create an investment idea")
def post_idea(body: IdeaIn, context: Ctx, caller: Caller, response: Response) -> IdeaOut:
    """Check the tickers and evidence, compute the basket's expected return and risk with the
    numeric core, and store the idea as `proposed`."""
    with _inputs():
        horizon = _horizon(body.horizon_days, body.horizon_until, context) or 63
        draft = IdeaDraft(
            title=body.title,
            thesis=body.thesis,
            tickers=body.tickers,
            direction=body.direction,
            horizon_days=horizon,
            weights=body.weights,
            evidence=[e.model_dump(exclude_none=True) for e in body.evidence],
            lookback_days=body.lookback_days,
        )
        idea = create_idea(context.store, caller.owner, draft, by="api", settings=context.settings)
    response.headers["Location"] = f"/v1/ideas/{idea.id}"
    response.headers["ETag"] = f'"{idea.version}"'
    return idea_out(idea)


@router.get("/ideas", response_model=IdeaPage, summary="List investment ideas")
def list_ideas(
    context: Ctx,
    caller: Caller,
    status_: Annotated[IdeaStatus | None, Query(alias="status")] = None,
    ticker: Annotated[str | None, Query(max_length=20)] = None,
    from_: Annotated[date | None, Query(alias="from", description="Created on or after.")] = None,
    to: Annotated[date | None, Query(description="Created on or before.")] = None,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> IdeaPage:
    """The caller's ideas, newest first, filtered by status, ticker and creation dates (UTC)."""
    where = IdeaFilter(
        status=status_,
        ticker=None if ticker is None else ticker.strip().upper(),
        created_from=None if from_ is None else datetime.combine(from_, time(), UTC),
        created_before=None
        if to is None
        else datetime.combine(to + timedelta(days=1), time(), UTC),
    )
    try:
        page = context.store.list_ideas(caller.owner, where, cursor=cursor, limit=limit)
    except ValueError as exc:
        raise ApiError(400, "BAD_REQUEST", str(exc), [("query.cursor", str(exc))]) from None
    return IdeaPage(items=[idea_out(i) for i in page.items], next_cursor=page.next_cursor)


@router.get("/ideas/{idea_id}", response_model=IdeaOut, summary="Get an investment idea")
def get_idea(idea_id: str, context: Ctx, caller: Caller, response: Response) -> IdeaOut:
    """The idea (404 if it is not the caller's); `ETag` carries its version."""
    idea = _get(context, caller.owner, idea_id)
    response.headers["ETag"] = f'"{idea.version}"'
    return idea_out(idea)


@router.patch("/ideas/{idea_id}", response_model=IdeaOut, summary="Change an investment idea")
def patch_idea(
    idea_id: str,
    body: IdeaPatch,
    context: Ctx,
    caller: Caller,
    response: Response,
    if_match: Annotated[str | None, Header()] = None,
) -> IdeaOut:
    """Change the fields given; with a version (`If-Match` or `version`), an idea changed
    meanwhile is 409 and nothing is written."""
    _get(context, caller.owner, idea_id)
    expected = _if_match(if_match, body.version)
    given = body.model_fields_set - {"version", "horizon_until"}
    changes: dict[str, Any] = {name: getattr(body, name) for name in given}
    if "evidence" in changes:
        changes["evidence"] = [e.model_dump(exclude_none=True) for e in body.evidence or []]
    for name in ("title", "thesis", "tickers", "direction", "horizon_days", "lookback_days"):
        if name in changes and changes[name] is None:
            raise validation_error(f"body.{name}", "cannot be null")
    with _inputs():
        horizon = _horizon(body.horizon_days, body.horizon_until, context)
        if horizon is not None:
            changes["horizon_days"] = horizon
        idea = update_idea(
            context.store,
            caller.owner,
            idea_id,
            changes,
            expected_version=expected,
            settings=context.settings,
        )
    response.headers["ETag"] = f'"{idea.version}"'
    return idea_out(idea)


@router.delete(
    "/ideas/{idea_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an investment idea",
)
def delete_idea(idea_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the idea (404 if it is not the caller's)."""
    try:
        context.store.delete_idea(caller.owner, idea_id)
    except NotFoundError:
        raise not_found("idea", idea_id) from None
    return Response(status_code=204)


@router.post("/ideas/{idea_id}/status", response_model=IdeaOut, summary="Change its status")
def post_status(idea_id: str, body: StatusIn, context: Ctx, caller: Caller) -> IdeaOut:
    """Move the idea to `status`, recorded with the time, `api` and the reason; 409 naming the
    allowed statuses when its current status does not allow the move."""
    _get(context, caller.owner, idea_id)
    try:
        idea = change_status(
            context.store, caller.owner, idea_id, body.status,
            by="api", reason=body.reason, expected_version=body.version,
        )  # fmt: skip
    except TransitionError as exc:
        allowed = ", ".join(exc.allowed) or "none"
        raise ApiError(
            409, "CONFLICT", str(exc), [("body.status", f"allowed: {allowed}")]
        ) from None
    return idea_out(idea)


@router.post("/ideas/{idea_id}/evidence", response_model=IdeaOut, summary="Attach evidence")
def post_evidence(idea_id: str, body: EvidenceList, context: Ctx, caller: Caller) -> IdeaOut:
    """Check each item against the caller's documents, runs and deployments and append it."""
    _get(context, caller.owner, idea_id)
    with _inputs():
        items = [e.model_dump(exclude_none=True) for e in body.evidence]
        return idea_out(attach_evidence(context.store, caller.owner, idea_id, items))


@router.post(
    "/ideas/{idea_id}/optimization",
    response_model=OptimizationOut,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Optimize an accepted idea",
)
async def post_optimization(
    idea_id: str, context: Ctx, caller: Caller, response: Response
) -> OptimizationOut:
    """Submit the accepted idea as an optimization request (its tickers as the universe, its
    horizon as the scenarios' horizon, the request's defaults otherwise) exactly as `POST
    /v1/optimizations` does, and attach the run to the idea as evidence. 409 unless the idea is
    accepted; 422 for a short idea."""
    jobs: list[Any] = []

    def submit(fields: dict[str, Any]) -> str:
        request = OptimizationRequest.model_validate(fields)
        job = context.runner.submit(caller.owner, KIND, request.model_dump(mode="json"))
        context.notify_submitted(job)
        jobs.append(job)
        return job.id

    def run() -> Idea:
        _get(context, caller.owner, idea_id)
        with _inputs():
            try:
                return optimize_idea(context.store, caller.owner, idea_id, submit, DEFAULT_SPACE)[0]
            except IdeaStateError as exc:
                raise ApiError(
                    409, "CONFLICT", str(exc), [("status", f"is {exc.idea.status}, not accepted")]
                ) from None

    idea = await context.call(run)
    response.headers["Location"] = f"/v1/optimizations/{jobs[0].id}"
    return OptimizationOut(job=job_view(jobs[0]), idea=idea_out(idea))
