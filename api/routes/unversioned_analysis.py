"""The serverless plan's optimization and Monte Carlo paths, unversioned (001 §4.1): thin
adapters over `/v1`'s routes (`api.routes.optimization`, `api.routes.monte_carlo`,
`api.routes.analyses`), same authentication, owners and rate limit.

- `POST /optimization/risk-parity`, `/optimization/hrp`, `/optimization/efficient-frontier`:
  `{"portfolioId", "returns": {asset: [daily returns]}, "dates"?, "parameters"?}` (001 §13.4's
  body as written); the answer is a stored Optimization Result (001 §5.2).
- `POST /monte-carlo/simulate`: the same source, `assets` (weights; default the portfolio's, or
  equal) and `parameters`; the answer is a stored Simulation Result (001 §5.3).
- `POST /monte-carlo/analyze`: `{"simulationId", "parameters"?}`: the stored simulation's risk.
- `GET /optimization/results[/{id}]`, `GET /monte-carlo/simulations[/{id}]`: the stored ones;
  the lists are pages as `/v1`'s are (`?cursor=&limit=`, oldest first, `limit` 1..200, default
  50; the answer's `nextCursor`, null on the last page, is the next page's `cursor`), but a
  simulation here carries its trajectories: its pages hold 1..50, default 10.

Errors name this shape's fields (`body.returns.AAPL.3`, `body.parameters.n_paths`, ...).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query

from api.context import Caller, Ctx
from api.errors import ApiError, renamed_fields
from api.params import Cursor, PageLimit
from api.route_defaults import api_router
from api.routes.analyses import get_record, optimization_out, records_page, simulation_out
from api.routes.monte_carlo import analyze, run_simulation
from api.routes.optimization import run_frontier, run_hrp, run_risk_parity
from api.schemas.monte_carlo import AnalyzeRequest, SimulateRequest, SimulateResult
from api.schemas.optimization import (
    FrontierRequest,
    HRPRequest,
    OptimizationRequest,
    OptimizationResult,
    RiskParityRequest,
)
from api.schemas.unversioned import (
    AnalysisDocument,
    AnalysisRequest,
    OptimizationDocument,
    OptimizationDocuments,
    SimulationDocument,
    SimulationDocuments,
    body_model,
    parameters_model,
)
from services.bounds import Weight
from services.errors import QuantError
from store import Analysis

router = api_router(tags=["unversioned (001)"])

_SOURCE = ("returns", "portfolio_id")
RiskParityBody = body_model(
    "RiskParityBody", parameters_model(RiskParityRequest, "RiskParityParameters", _SOURCE)
)
HRPBody = body_model("HRPBody", parameters_model(HRPRequest, "HRPParameters", _SOURCE))
FrontierBody = body_model(
    "FrontierBody", parameters_model(FrontierRequest, "FrontierParameters", _SOURCE)
)
SimulationBody = body_model(
    "SimulationBody",
    parameters_model(SimulateRequest, "SimulationParameters", (*_SOURCE, "weights")),
    assets=(dict[str, Weight] | None, None),
)

_RENAMES = [
    ("body.returns.dates", "body.dates"),
    ("body.returns.data", "body.returns"),
    ("body.returns", "body.returns"),
    ("body.portfolio_id", "body.portfolioId"),
    ("body.weights", "body.assets"),
    ("body.simulation_id", "body.simulationId"),
    ("body.", "body.parameters."),
]
"""`/v1`'s field names -> this shape's (the first prefix that matches)."""


def _v1_request(model: type[Any], body: Any, **more: Any) -> Any:
    """The `/v1` request `model` this body asks for (its source, `more`, its parameters)."""
    fields: dict[str, Any] = body.parameters.model_dump()
    if body.returns is not None:
        fields["returns"] = {"dates": body.dates, "data": body.returns}
    elif body.dates is not None:
        fields["returns"] = {"dates": body.dates, "data": {}}  # refused: dates without returns
    elif body.portfolio_id is not None:
        fields["portfolio_id"] = body.portfolio_id
    return model.model_validate({**fields, **more})


def _optimization(result: OptimizationResult, portfolio_id: str | None) -> OptimizationDocument:
    """A `/v1` optimization answer as an Optimization Result (001 §5.2)."""
    metrics = result.model_dump(
        mode="json",
        include={
            "expected_return",
            "volatility",
            "sharpe_ratio",
            "risk_contributions",
            "risk_report",
            "frontier",
            "selected",
            "left_out",
            "cached",
            "portfolio_id",
        },
    )
    metrics["saved_portfolio_id"] = metrics.pop("portfolio_id")
    return OptimizationDocument(
        id=result.id,
        portfolio_id=portfolio_id,
        type=result.method.replace("_", "-"),
        parameters={**result.options, "data": result.data},
        result={"weights": result.weights, "metrics": metrics},
        created_at=result.created_at,
    )


def _optimize(
    run: Any, model: type[OptimizationRequest], body: Any, ctx: Ctx, caller: Caller
) -> Any:
    with renamed_fields(_RENAMES):
        request = _v1_request(model, body)
        try:
            result = run(request, ctx, caller, body.portfolio_id)
        except QuantError as exc:  # the numbers admit no answer: say which input holds them
            field = "body.returns" if body.returns is not None else "body.portfolioId"
            if body.returns is None and body.portfolio_id is None:
                field = "body.parameters.assets"
            raise ApiError(422, "VALIDATION_ERROR", str(exc), [(field, str(exc))]) from None
    return _optimization(result, body.portfolio_id)


@router.post(
    "/optimization/risk-parity", response_model=OptimizationDocument, summary="Risk parity (001)"
)
def risk_parity(
    body: RiskParityBody,  # type: ignore[valid-type]
    context: Ctx,
    caller: Caller,
) -> Any:
    """`POST /v1/optimization/risk-parity` on 001's body; a stored Optimization Result."""
    return _optimize(run_risk_parity, RiskParityRequest, body, context, caller)


@router.post("/optimization/hrp", response_model=OptimizationDocument, summary="HRP (001)")
def hrp(
    body: HRPBody,  # type: ignore[valid-type]
    context: Ctx,
    caller: Caller,
) -> Any:
    """`POST /v1/optimization/hrp` on 001's body; a stored Optimization Result."""
    return _optimize(run_hrp, HRPRequest, body, context, caller)


@router.post(
    "/optimization/efficient-frontier",
    response_model=OptimizationDocument,
    summary="Efficient frontier (001)",
)
def efficient_frontier(
    body: FrontierBody,  # type: ignore[valid-type]
    context: Ctx,
    caller: Caller,
) -> Any:
    """`POST /v1/optimization/efficient-frontier` on 001's body; a stored Optimization Result."""
    return _optimize(run_frontier, FrontierRequest, body, context, caller)


@router.get("/optimization/results", response_model=OptimizationDocuments, summary="Results (001)")
def optimization_results(
    context: Ctx, caller: Caller, cursor: Cursor = None, limit: PageLimit = 50
) -> Any:
    """The caller's stored Optimization Results, a page at a time, oldest first (400 for a
    cursor no page gave)."""
    page = records_page(context.store, caller.owner, "optimization", cursor, limit)
    items = [_optimization(optimization_out(r), r.portfolio_id) for r in page.items]
    return OptimizationDocuments(items=items, next_cursor=page.next_cursor)


@router.get(
    "/optimization/results/{result_id}",
    response_model=OptimizationDocument,
    summary="A result (001)",
)
def optimization_result(result_id: str, context: Ctx, caller: Caller) -> Any:
    """A stored Optimization Result (404 if it is not the caller's)."""
    record = get_record(context.store, caller.owner, "optimization", result_id)
    document = _optimization(optimization_out(record), record.portfolio_id)
    return document


def _simulation(answer: SimulateResult, record: Analysis) -> SimulationDocument:
    """A `/v1` simulation answer and its record as a Simulation Result (001 §5.3)."""
    source = record.data["source"]
    statistics = []
    for result, rows in zip(answer.results, record.data["trajectory_rows"], strict=True):
        item = result.model_dump(mode="json", exclude={"days"})
        statistics.append({**item, "trajectory_rows": rows})
    days = answer.results[0].days if answer.results else []
    settings = ("scenarios", "methods", "block_size")
    return SimulationDocument(
        id=answer.id,
        portfolio_id=record.portfolio_id,
        parameters={
            **answer.model_dump(mode="json", exclude={"id", "created_at", "results"}),
            **{name: source[name] for name in settings},
        },
        result={
            "trajectories": record.data["trajectories"],
            "statistics": {"days": days, "results": statistics},
        },
        created_at=answer.created_at,
    )


@router.post("/monte-carlo/simulate", response_model=SimulationDocument, summary="Simulate (001)")
def simulate(
    body: SimulationBody,  # type: ignore[valid-type]
    context: Ctx,
    caller: Caller,
) -> Any:
    """`POST /v1/monte-carlo/simulate` on 001's body; a stored Simulation Result."""
    payload: Any = body
    with renamed_fields(_RENAMES):
        request = _v1_request(SimulateRequest, payload, weights=payload.assets)
        answer = run_simulation(request, context, caller, payload.portfolio_id)
    record = get_record(context.store, caller.owner, "simulation", answer.id)
    return _simulation(answer, record)


TrajectoryPageLimit = Annotated[
    int, Query(ge=1, le=50, description="Simulations per page (1..50; each carries its paths).")
]
"""A page of simulations with their trajectories (up to ~0.4 MB each) holds fewer records."""


@router.get(
    "/monte-carlo/simulations", response_model=SimulationDocuments, summary="Simulations (001)"
)
def simulations(
    context: Ctx, caller: Caller, cursor: Cursor = None, limit: TrajectoryPageLimit = 10
) -> Any:
    """The caller's stored Simulation Results with their trajectories, a page at a time, oldest
    first (400 for a cursor no page gave)."""
    page = records_page(context.store, caller.owner, "simulation", cursor, limit)
    items = [_simulation(simulation_out(r), r) for r in page.items]
    return SimulationDocuments(items=items, next_cursor=page.next_cursor)


@router.get(
    "/monte-carlo/simulations/{simulation_id}",
    response_model=SimulationDocument,
    summary="A simulation (001)",
)
def simulation(simulation_id: str, context: Ctx, caller: Caller) -> Any:
    """A stored Simulation Result (404 if it is not the caller's)."""
    record = get_record(context.store, caller.owner, "simulation", simulation_id)
    return _simulation(simulation_out(record), record)


@router.post(
    "/monte-carlo/analyze", response_model=AnalysisDocument, summary="Analyse a simulation (001)"
)
def analyze_simulation(body: AnalysisRequest, context: Ctx, caller: Caller) -> Any:
    """`POST /v1/monte-carlo/analyze` of the stored simulation `simulationId`."""
    options = body.parameters.model_dump()
    with renamed_fields(_RENAMES):
        request = AnalyzeRequest.model_validate({**options, "simulation_id": body.simulation_id})
        result = analyze(request, context, caller)
    record = get_record(context.store, caller.owner, "simulation", body.simulation_id)
    answer = result.model_dump(mode="json", exclude={"simulation_id", "level", "loss_threshold"})
    return AnalysisDocument(
        simulation_id=body.simulation_id,
        portfolio_id=record.portfolio_id,
        parameters={"level": result.level, "loss_threshold": result.loss_threshold},
        result={"statistics": answer},
    )
