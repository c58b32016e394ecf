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

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import Query, Response, status

from api.concurrency import etag, expected_version
from api.context import Caller, Ctx
from api.errors import ApiError, cursor_errors, found_or_404, input_errors, validation_error
from api.params import Cursor, Day, IfMatchFromZero, PageLimit
from api.route_defaults import api_router
from api.schemas.ideas import (
    EvidenceList,
    IdeaIn,
    IdeaOut,
    IdeaPage,
    IdeaPatch,
    OptimizationOut,
    StatusIn,
    idea_out,
)
from api.schemas.optimizations import job_view
from graphs.request import DEFAULT_SPACE, OptimizationRequest
from services.ideas import (
    IdeaDraft,
    IdeaStateError,
    attach_evidence,
    change_status,
    create_idea,
    horizon_from_date,
    optimize_idea,
    update_idea,
)
from services.optimizations import submit_optimization
from store.ideas import Idea, IdeaFilter, IdeaStatus, TransitionError

router = api_router(prefix="/v1", tags=["ideas"])


def _get(context: Ctx, owner: str, idea_id: str) -> Idea:
    with found_or_404("idea", idea_id):
        return context.store.get_idea(owner, idea_id)


def _horizon(days: int | None, until: date | None, context: Ctx) -> int | None:
    if days is not None and until is not None:
        raise validation_error("body.horizon_until", "give horizon_days or horizon_until, not both")
    if until is None:
        return days
    return horizon_from_date(until, context.store.clock().date())


@router.post("/ideas", response_model=IdeaOut, status_code=201, summary="Create an investment idea")
def post_idea(body: IdeaIn, context: Ctx, caller: Caller, response: Response) -> IdeaOut:
    """Check the tickers and evidence, compute the basket's expected return and risk with the
    numeric core, and store the idea as `proposed`."""
    with input_errors():
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
    response.headers["ETag"] = etag(idea.version)
    return idea_out(idea)


@router.get("/ideas", response_model=IdeaPage, summary="List investment ideas")
def list_ideas(
    context: Ctx,
    caller: Caller,
    status_: Annotated[IdeaStatus | None, Query(alias="status")] = None,
    ticker: Annotated[str | None, Query(max_length=20)] = None,
    from_: Annotated[Day | None, Query(alias="from", description="Created on or after.")] = None,
    to: Annotated[Day | None, Query(description="Created on or before.")] = None,
    cursor: Cursor = None,
    limit: PageLimit = 50,
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
    with cursor_errors():
        page = context.store.list_ideas(caller.owner, where, cursor=cursor, limit=limit)
    return IdeaPage(items=[idea_out(i) for i in page.items], next_cursor=page.next_cursor)


@router.get("/ideas/{idea_id}", response_model=IdeaOut, summary="Get an investment idea")
def get_idea(idea_id: str, context: Ctx, caller: Caller, response: Response) -> IdeaOut:
    """The idea (404 if it is not the caller's); `ETag` carries its version."""
    idea = _get(context, caller.owner, idea_id)
    response.headers["ETag"] = etag(idea.version)
    return idea_out(idea)


@router.patch("/ideas/{idea_id}", response_model=IdeaOut, summary="Change an investment idea")
def patch_idea(
    idea_id: str,
    body: IdeaPatch,
    context: Ctx,
    caller: Caller,
    response: Response,
    if_match: IfMatchFromZero = None,
) -> IdeaOut:
    """Change the fields given; with a version (`If-Match` or `version`), an idea changed
    meanwhile is 409 and nothing is written."""
    _get(context, caller.owner, idea_id)
    expected = expected_version(if_match, body.version, lowest=None)
    given = body.model_fields_set - {"version", "horizon_until"}
    changes: dict[str, Any] = {name: getattr(body, name) for name in given}
    if "evidence" in changes:
        changes["evidence"] = [e.model_dump(exclude_none=True) for e in body.evidence or []]
    for name in ("title", "thesis", "tickers", "direction", "horizon_days", "lookback_days"):
        if name in changes and changes[name] is None:
            raise validation_error(f"body.{name}", "cannot be null")
    with input_errors():
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
    response.headers["ETag"] = etag(idea.version)
    return idea_out(idea)


@router.delete(
    "/ideas/{idea_id}",
    status_code=204,
    response_class=Response,
    summary="Delete an investment idea",
)
def delete_idea(idea_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the idea (404 if it is not the caller's)."""
    with found_or_404("idea", idea_id):
        context.store.delete_idea(caller.owner, idea_id)
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
    with input_errors():
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
        submission = submit_optimization(
            context.runner, context.store, caller.owner, request, apply_profile=False
        )
        job = submission.job
        context.notify_submitted(job)
        jobs.append(job)
        return job.id

    def run() -> Idea:
        _get(context, caller.owner, idea_id)
        with input_errors():
            try:
                return optimize_idea(context.store, caller.owner, idea_id, submit, DEFAULT_SPACE)[0]
            except IdeaStateError as exc:
                raise ApiError(
                    409, "CONFLICT", str(exc), [("status", f"is {exc.idea.status}, not accepted")]
                ) from None

    idea = await context.submit(run)
    response.headers["Location"] = f"/v1/optimizations/{jobs[0].id}"
    return OptimizationOut(job=job_view(jobs[0]), idea=idea_out(idea))
