"""`/v1/deployments`: strategies put to work on a paper account (or the caller's Alpaca account)
on a schedule.

Create one from a saved portfolio (its weights) or a finished optimization (its winner); it
starts as a `draft`. Lifecycle actions: `activate`, `pause`, `resume`, `retire` (409 naming the
allowed moves when the lifecycle forbids one). `run` submits a rebalance now; `forward-tests`
paper-trades the deployment over past market data as its own deployment and job. Orders, the
ledger (JSON, CSV or Parquet) and positions are read from the store; stored exports of the
ledger (`ledger/exports`) keep a CSV or Parquet file of it as it was, to download later.
`POST /v1/kill-switch` stops every deployment of the caller (or of one account) at once. Other
owners' deployments are 404.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any, Literal

from fastapi import Query, Response, status
from fastapi.responses import HTMLResponse

from api.context import Caller, Ctx
from api.deployment_views import deployment_out, order_out
from api.downloads import attachment
from api.errors import ApiError, not_found
from api.reports.deployment import render_deployment_report
from api.route_defaults import api_router
from api.schemas.deployments import (
    DeploymentIn,
    DeploymentList,
    DeploymentOut,
    ExportIn,
    ExportList,
    ExportOut,
    ForwardTestIn,
    KillSwitchIn,
    KillSwitchOut,
    OrderOut,
)
from api.schemas.optimizations import JobView, job_view
from execution.deployment import DeploymentStatus
from execution.errors import DeploymentStateError
from services.errors import InputError
from store import Deployment, Export, Job, NotFoundError, utc_now
from store.exports import EXPORT_MEDIA_TYPES

router = api_router(prefix="/v1", tags=["deployments"])

Action = Literal["activate", "pause", "resume", "retire"]
_TARGET_STATUS: dict[Action, DeploymentStatus] = {
    "activate": "active",
    "pause": "paused",
    "resume": "active",
    "retire": "retired",
}


def _export_out(export: Export) -> ExportOut:
    download = f"/v1/deployments/{export.deployment_id}/ledger/exports/{export.id}"
    fields = {name: getattr(export, name) for name in ExportOut.model_fields if name != "links"}
    return ExportOut(**fields, links={"download": download})


@contextmanager
def _inputs() -> Iterator[None]:
    """A service's `InputError` as a 422 naming the body field."""
    try:
        yield
    except InputError as exc:
        detail = (f"body.{exc.field}", exc.problem)
        raise ApiError(422, "VALIDATION_ERROR", exc.message, [detail]) from None


def get_deployment(context: Ctx, caller: Caller, deployment_id: str) -> Deployment:
    """The caller's deployment, or 404."""
    try:
        return context.store.get_deployment(caller.owner, deployment_id)
    except NotFoundError:
        raise not_found("deployment", deployment_id) from None


@router.post(
    "/deployments", response_model=DeploymentOut, status_code=201, summary="Create a deployment"
)
def create(body: DeploymentIn, context: Ctx, caller: Caller, response: Response) -> DeploymentOut:
    """Check the source (the caller's portfolio, or optimization with a winner), the schedule
    (it must fire on a trading session) and the limits; store the deployment as a draft."""
    from trading.deployments import create_deployment

    with _inputs():
        try:
            deployment = create_deployment(
                context.store,
                caller.owner,
                name=body.name,
                source=body.source.kind,
                source_id=body.source.id,
                trial=body.source.trial,
                capital=body.capital,
                schedule=body.schedule.model_dump(mode="json", exclude_unset=True),
                limits=body.limits.model_dump(),
                cap_leverage=body.cap_leverage,
                confirm_below_benchmarks=body.confirm_below_benchmarks,
                notifications=body.notifications.model_dump(mode="json")
                if "notifications" in body.model_fields_set
                else None,
                broker=body.broker,
                hedge=None if body.hedge is None else body.hedge.model_dump(exclude_unset=True),
                account=body.account,
                settings=context.settings,
            )
        except NotFoundError:
            raise ApiError(
                422,
                "VALIDATION_ERROR",
                f"source.id: no {body.source.kind} {body.source.id!r}",
                [("body.source.id", f"no {body.source.kind} {body.source.id!r}")],
            ) from None
    response.headers["Location"] = f"/v1/deployments/{deployment.id}"
    return deployment_out(deployment)


@router.get("/deployments", response_model=DeploymentList, summary="List deployments")
def list_all(
    context: Ctx,
    caller: Caller,
    mode: Annotated[Literal["paper", "forward_test"] | None, Query()] = None,
) -> DeploymentList:
    """The caller's deployments (of one mode, if given), oldest first."""
    items = [deployment_out(d) for d in context.store.list_deployments(caller.owner)]
    return DeploymentList(items=[d for d in items if mode is None or d.mode == mode])


@router.get("/deployments/{deployment_id}", response_model=DeploymentOut, summary="Get one")
def get(deployment_id: str, context: Ctx, caller: Caller) -> DeploymentOut:
    """The deployment (404 if it is not the caller's)."""
    return deployment_out(get_deployment(context, caller, deployment_id))


@router.post(
    "/deployments/{deployment_id}/run",
    response_model=JobView,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Rebalance now",
)
async def run_now(deployment_id: str, context: Ctx, caller: Caller, response: Response) -> JobView:
    """Submit a rebalance of the deployment at this minute (once per minute: a second request
    returns the same job). 422 when it cannot trade now."""
    deployment = get_deployment(context, caller, deployment_id)
    now = utc_now().replace(second=0, microsecond=0)

    def submit() -> Job:
        # the check reads the market data (and imports the trading modules): in the worker thread
        from trading.deployment_views import check_run_now
        from trading.scheduling import REBALANCE_KIND, rebalance_key

        with _inputs():
            check_run_now(deployment, now)
        job = context.runner.submit(
            caller.owner,
            REBALANCE_KIND,
            {"deployment_id": deployment.id, "fire": now.isoformat()},
            idempotency_key=rebalance_key(deployment.id, now),
        )
        context.notify_submitted(job)
        return job

    job = await context.submit(submit)
    response.headers["Location"] = f"/v1/deployments/{deployment.id}/runs/{job.id}"
    return _job(job, deployment.id)


@router.post(
    "/deployments/{deployment_id}/forward-tests",
    response_model=JobView,
    status_code=status.HTTP_202_ACCEPTED,
    summary="Forward-test on past data",
)
async def submit_forward_test(
    deployment_id: str, body: ForwardTestIn, context: Ctx, caller: Caller, response: Response
) -> JobView:
    """Paper-trade the deployment from `start` to `end` through the same schedule, queue,
    broker and ledger; the job's result compares the account with the backtest."""
    deployment = get_deployment(context, caller, deployment_id)

    def submit() -> Job:
        # the checks read the market data (and import the engine): in the worker thread
        from trading.deployment_views import check_forward_test
        from trading.forward_tests.paper import ForwardTestRequest
        from trading.scheduling import FORWARD_TEST_KIND

        with _inputs():
            check_forward_test(deployment, body.start, body.end)
            request = ForwardTestRequest(
                deployment.id,
                body.start,
                body.end,
                cash_rate=body.cash_rate,
                fire_price=body.fire_price,
            ).job_request()
        job = context.runner.submit(caller.owner, FORWARD_TEST_KIND, request)
        context.notify_submitted(job)
        return job

    job = await context.submit(submit)
    response.headers["Location"] = f"/v1/deployments/{deployment.id}/forward-tests/{job.id}"
    return _job(job, deployment.id)


def _job(job: Job, deployment_id: str) -> JobView:
    from trading.scheduling import FORWARD_TEST_KIND

    view = job_view(job)
    kind = "forward-tests" if job.kind == FORWARD_TEST_KIND else "runs"
    base = f"/v1/deployments/{deployment_id}/{kind}/{job.id}"
    return view.model_copy(update={"links": {"self": base, "result": base}})


def _deployment_jobs(context: Ctx, caller: Caller, deployment_id: str, kind: str) -> list[JobView]:
    """The deployment's jobs of `kind`, newest first (404 if it is not the caller's)."""
    get_deployment(context, caller, deployment_id)
    jobs = context.store.list_jobs(caller.owner, kinds=[kind], limit=500)
    return [_job(j, deployment_id) for j in jobs if j.request.get("deployment_id") == deployment_id]


@router.get(
    "/deployments/{deployment_id}/forward-tests",
    response_model=list[JobView],
    summary="Forward tests",
)
def list_forward_tests(deployment_id: str, context: Ctx, caller: Caller) -> list[JobView]:
    """The deployment's forward-test jobs, newest first."""
    from trading.scheduling import FORWARD_TEST_KIND

    return _deployment_jobs(context, caller, deployment_id, FORWARD_TEST_KIND)


@router.get(
    "/deployments/{deployment_id}/runs",
    response_model=list[JobView],
    summary="Rebalance runs",
)
def list_runs(deployment_id: str, context: Ctx, caller: Caller) -> list[JobView]:
    """The deployment's rebalance jobs, newest first."""
    from trading.scheduling import REBALANCE_KIND

    return _deployment_jobs(context, caller, deployment_id, REBALANCE_KIND)


_FILE_CONTENT = {
    "text/csv": {"schema": {"type": "string"}},
    "application/vnd.apache.parquet": {"schema": {"type": "string", "format": "binary"}},
}
"""OpenAPI content of a ledger file (CSV or Parquet)."""


@router.get(
    "/deployments/{deployment_id}/ledger",
    summary="The trade ledger",
    response_model=None,
    responses={
        200: {"content": {"application/json": {"schema": {"type": "object"}}, **_FILE_CONTENT}}
    },
)
def ledger(
    deployment_id: str,
    context: Ctx,
    caller: Caller,
    format: Annotated[Literal["json", "csv", "parquet"], Query()] = "json",
) -> dict[str, Any] | Response:
    """Every fill and cash flow of the deployment's account, in the order recorded, then its
    option hedge's trades and settlements (OCC symbols, contracts); as JSON
    rows, CSV (`?format=csv`) or Parquet (`?format=parquet`: UTC timestamps, float64 numbers,
    string ids), the same columns in each."""
    from trading.ledger_exports import deployment_ledger, ledger_file, ledger_filename, ledger_rows

    deployment = get_deployment(context, caller, deployment_id)
    entries = deployment_ledger(context.store, deployment)
    if format == "json":
        return {"deployment_id": deployment_id, "entries": ledger_rows(entries)}
    return attachment(
        ledger_file(entries, format),
        EXPORT_MEDIA_TYPES[format],
        ledger_filename(deployment_id, format),
    )


def _export(context: Ctx, caller: Caller, deployment_id: str, export_id: str) -> Export:
    """The caller's export of the deployment, or 404 (for the deployment or the export)."""
    from trading.ledger_exports import deployment_export

    get_deployment(context, caller, deployment_id)
    try:
        return deployment_export(context.store, caller.owner, deployment_id, export_id)
    except NotFoundError:
        raise not_found("export", export_id) from None


# The exports' routes come before `/deployments/{deployment_id}/{kind}/{job_id}`, which would
# otherwise take `ledger/exports` for a run.


@router.post(
    "/deployments/{deployment_id}/ledger/exports",
    response_model=ExportOut,
    status_code=201,
    summary="Store an export of the ledger",
)
def create_export(
    deployment_id: str, body: ExportIn, context: Ctx, caller: Caller, response: Response
) -> ExportOut:
    """Store the deployment's ledger as it is now as a CSV or Parquet file (the columns of
    `GET .../ledger`); 201 with the export's metadata and its download link once the file and
    its metadata are both stored."""
    from trading.ledger_exports import create_ledger_export

    deployment = get_deployment(context, caller, deployment_id)
    export = create_ledger_export(context.store, deployment, body.format)
    view = _export_out(export)
    response.headers["Location"] = view.links["download"]
    return view


@router.get(
    "/deployments/{deployment_id}/ledger/exports",
    response_model=ExportList,
    summary="Stored exports of the ledger",
)
def list_exports(deployment_id: str, context: Ctx, caller: Caller) -> ExportList:
    """The deployment's stored exports, oldest first."""
    get_deployment(context, caller, deployment_id)
    found = context.store.list_exports(caller.owner, deployment_id)
    return ExportList(items=[_export_out(e) for e in found])


@router.get(
    "/deployments/{deployment_id}/ledger/exports/{export_id}",
    summary="Download a stored export",
    response_model=None,
    response_class=Response,
    responses={200: {"content": _FILE_CONTENT}},
)
def download_export(deployment_id: str, export_id: str, context: Ctx, caller: Caller) -> Response:
    """The export's file as stored, with its media type, a file name, `ETag` (the SHA-256 of
    the stored file, hex) and `Repr-Digest` (RFC 9530: the SHA-256 of the bytes sent)."""
    from trading.ledger_exports import ledger_filename

    export = _export(context, caller, deployment_id, export_id)
    data = context.store.export_bytes(caller.owner, export.id)
    digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
    return attachment(
        data,
        EXPORT_MEDIA_TYPES[export.format],
        ledger_filename(deployment_id, export.format, export.id),
        {"ETag": f'"{export.sha256}"', "Repr-Digest": f"sha-256=:{digest}:"},
    )


@router.delete(
    "/deployments/{deployment_id}/ledger/exports/{export_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a stored export",
    responses={204: {"description": "Deleted."}},
)
def delete_export(deployment_id: str, export_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the export's metadata and its file (404 if it is not the caller's export of the
    deployment)."""
    export = _export(context, caller, deployment_id, export_id)
    try:
        context.store.delete_export(caller.owner, export.id)
    except NotFoundError:  # deleted meanwhile
        raise not_found("export", export_id) from None
    return Response(status_code=204)


@router.get("/deployments/{deployment_id}/{kind}/{job_id}", summary="A run or forward test")
def get_job_result(
    deployment_id: str,
    kind: Literal["runs", "forward-tests"],
    job_id: str,
    context: Ctx,
    caller: Caller,
) -> dict[str, Any]:
    """The job and, once it succeeded, its result (a forward test's: the paper and backtest
    values, their comparison, the ledger's totals)."""
    from trading.scheduling import FORWARD_TEST_KIND, REBALANCE_KIND

    wanted = FORWARD_TEST_KIND if kind == "forward-tests" else REBALANCE_KIND
    try:
        job = context.store.get_job(caller.owner, job_id)
    except NotFoundError:
        raise not_found("job", job_id) from None
    if job.kind != wanted or job.request.get("deployment_id") != deployment_id:
        raise not_found("job", job_id)
    result = (
        context.store.get_result(caller.owner, job_id).payload
        if job.status == ("succeeded")
        else None
    )
    return {"job": _job(job, deployment_id).model_dump(mode="json"), "result": result}


@router.post("/kill-switch", response_model=KillSwitchOut, summary="Stop every deployment")
def pull_kill_switch(body: KillSwitchIn, context: Ctx, caller: Caller) -> KillSwitchOut:
    """Pause the caller's active deployments (or those trading `account`), cancel their
    unfinished rebalance jobs and their open orders (queued ones here, sent ones at the
    broker), at once. Pulling it again stops what is left, if anything."""
    from trading.kill_switch import kill_switch

    with _inputs():
        report = kill_switch(
            context.store, caller.owner, account=body.account, settings=context.settings
        )
    return KillSwitchOut(**report.__dict__)


@router.get("/deployments/{deployment_id}/orders", response_model=list[OrderOut], summary="Orders")
def orders(deployment_id: str, context: Ctx, caller: Caller) -> list[OrderOut]:
    """The deployment's orders in queue order, with their status, fills and reasons; on a
    shared account also the account's netted orders it has a part of, with its part
    (`quantity`, `filled_quantity`) beside the whole order's (`order_quantity`,
    `order_filled_quantity`, `allocations`, and `internal_price` for a crossing inside the
    account): `trading.deployment_orders`, the one listing every view reads."""
    from trading.deployment_orders import deployment_orders

    deployment = get_deployment(context, caller, deployment_id)
    return [order_out(o) for o in deployment_orders(context.store, deployment)]


@router.get("/deployments/{deployment_id}/performance", summary="Against the backtest")
def performance_report(deployment_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """The account's value at each session close since its first ledger entry against the
    backtest of the same strategy over the same sessions: their comparison (returns, gap,
    annualised tracking error, drawdown), the gap in parts (`decomposition`, with its `words`),
    the searched backtest when the schedule is not the strategy's own (`values.searched`), the
    benchmarks, the drawdown limit, the drift of its weights from the strategy's targets on the
    latest closes, and the market data used (`data`: where it ends). `sessions` 0 before the
    first trade."""
    from trading.performance import performance

    deployment = get_deployment(context, caller, deployment_id)
    return performance(context.store, deployment, utc_now())


@router.get(
    "/deployments/{deployment_id}/report",
    summary="The deployment's HTML report",
    response_model=None,
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}}}},
)
def html_report(deployment_id: str, context: Ctx, caller: Caller) -> HTMLResponse:
    """One self-contained page: what is deployed, the account against its backtest (chart),
    positions and P&L, orders."""
    from trading.deployment_orders import deployment_orders
    from trading.deployment_views import positions
    from trading.performance import performance

    deployment = get_deployment(context, caller, deployment_id)
    now = utc_now()
    orders = [
        order_out(o).model_dump(mode="json") for o in deployment_orders(context.store, deployment)
    ]
    page = render_deployment_report(
        deployment_out(deployment).model_dump(mode="json"),
        performance(context.store, deployment, now),
        positions(context.store, deployment, now),
        orders,
    )
    return HTMLResponse(page)


@router.get("/deployments/{deployment_id}/positions", summary="Positions and P&L")
def position_report(deployment_id: str, context: Ctx, caller: Caller) -> dict[str, Any]:
    """Cash, positions (shares, cost basis, value, realised and unrealised P&L) and totals,
    from the ledger, valued at the market data's last close up to today."""
    from trading.deployment_views import positions

    deployment = get_deployment(context, caller, deployment_id)
    return positions(context.store, deployment, utc_now())


def _act(context: Ctx, caller: Caller, deployment_id: str, action: Action) -> DeploymentOut:
    """Move the deployment through its lifecycle (draft -> active <-> paused -> retired); 409
    when the lifecycle does not allow the move or the deployment changed meanwhile."""
    from trading.deployments import FORWARD_TEST_MODE
    from trading.lifecycle import move

    deployment = get_deployment(context, caller, deployment_id)
    if deployment.spec.get("mode") == FORWARD_TEST_MODE:
        raise ApiError(409, "CONFLICT", "a forward test runs by itself; it cannot be changed")
    if action == "resume" and deployment.status != "paused":
        raise ApiError(
            409, "CONFLICT", f"only a paused deployment resumes; it is {deployment.status}"
        )
    try:
        updated = move(
            context.store,
            caller.owner,
            deployment_id,
            _TARGET_STATUS[action],
            settings=context.settings,
        )
    except DeploymentStateError as exc:
        raise ApiError(409, "CONFLICT", str(exc)) from None
    return deployment_out(updated)


@router.post(
    "/deployments/{deployment_id}/activate", response_model=DeploymentOut, summary="Activate"
)
def activate(deployment_id: str, context: Ctx, caller: Caller) -> DeploymentOut:
    """Start firing the schedule (draft or paused -> active)."""
    return _act(context, caller, deployment_id, "activate")


@router.post("/deployments/{deployment_id}/pause", response_model=DeploymentOut, summary="Pause")
def pause(deployment_id: str, context: Ctx, caller: Caller) -> DeploymentOut:
    """Stop firing the schedule; positions are kept (active -> paused)."""
    return _act(context, caller, deployment_id, "pause")


@router.post("/deployments/{deployment_id}/resume", response_model=DeploymentOut, summary="Resume")
def resume(deployment_id: str, context: Ctx, caller: Caller) -> DeploymentOut:
    """Fire the schedule again (paused -> active)."""
    return _act(context, caller, deployment_id, "resume")


@router.post("/deployments/{deployment_id}/retire", response_model=DeploymentOut, summary="Retire")
def retire(deployment_id: str, context: Ctx, caller: Caller) -> DeploymentOut:
    """End the deployment for good (any status -> retired)."""
    return _act(context, caller, deployment_id, "retire")
