"""Stored optimization results and simulations (`store.analyses`): every answer of
`/v1/optimization/*` and `/v1/monte-carlo/simulate` (and of their unversioned adapters) is kept
as an owner-scoped record, listed and fetched here; `POST /v1/monte-carlo/analyze` with
`simulation_id` analyses a stored simulation.

- `GET /v1/optimization/results?cursor=&limit=`, `GET /v1/optimization/results/{result_id}`:
  the answers as they were given (`id` `opt_…`).
- `GET /v1/monte-carlo/simulations?cursor=&limit=`, `GET /v1/monte-carlo/simulations/
  {simulation_id}`: the answers of `simulate` (`id` `sim_…`). A simulation record also keeps
  what regenerates its paths (its data source narrowed to its assets and dates, weights,
  settings, seed), a SHA-256 digest of each scenario's paths, and the wealth along the first
  paths (`trajectories`, at the fan's days; at most `MAX_TRAJECTORY_VALUES` numbers).

The lists are pages, oldest first (by creation time, then id): `limit` records (1..200, default
50) after `cursor`, the `next_cursor` of the previous page (null on the last page; a cursor no
page gave is 400 on `query.cursor`). A cursor is a position only: a page holds the caller's
records alone, whoever's page it came from. Other owners' records are 404.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Response
from pydantic import BaseModel

from api.caching import immutable
from api.context import Caller, Ctx
from api.errors import ApiError, cursor_errors, found_or_404
from api.params import Cursor, PageLimit
from api.route_defaults import api_router
from api.schemas.monte_carlo import AnalyzeRequest, SimulateRequest, SimulateResult
from api.schemas.optimization import OptimizationResult
from store import Analysis, AnalysisKind, Page, Store

if TYPE_CHECKING:
    from services.market_data.sources import Resolved
    from services.monte_carlo import ScenarioPaths

router = api_router(prefix="/v1", tags=["stored results"])

MAX_TRAJECTORY_VALUES = 20_000
"""Most wealth values a simulation record keeps (trajectories x reported days)."""

MAX_TRAJECTORIES = 100
"""Most paths per scenario and method a simulation record keeps."""

_REGENERATES = ("scenarios", "methods", "n_paths", "horizon_days", "seed", "block_size")
"""The settings a stored simulation regenerates its paths with, besides its data and weights."""


class OptimizationResultList(BaseModel):
    """A page of the caller's stored optimization results, oldest first; `next_cursor` is null
    on the last page."""

    items: list[OptimizationResult]
    next_cursor: str | None


class SimulationList(BaseModel):
    """A page of the caller's stored simulations, oldest first (without their trajectories);
    `next_cursor` is null on the last page."""

    items: list[SimulateResult]
    next_cursor: str | None


def records_page(
    store: Store,
    owner: str,
    kind: AnalysisKind,
    cursor: str | None,
    limit: int,
    omit: tuple[str, ...] = (),
) -> Page[Analysis]:
    """A page of the owner's stored records of `kind` (see the module docstring): 400 on
    `query.cursor` for a cursor no page gave."""
    with cursor_errors():
        return store.list_analyses(owner, kind, cursor=cursor, limit=limit, omit=omit)


def get_record(store: Store, owner: str, kind: AnalysisKind, record_id: str) -> Analysis:
    """The owner's stored record (404 naming it otherwise)."""
    with found_or_404(kind, record_id):
        return store.get_analysis(owner, kind, record_id)


def reorder_assets(payload: dict[str, Any], names: list[str]) -> None:
    """Put the weights of an optimization answer read back from the store (which keeps JSON
    key-sorted) in the order of the data's assets `names` (in place)."""
    for key in ("weights", "risk_contributions"):
        payload[key] = {a: payload[key][a] for a in names}
    for point in payload.get("frontier") or []:
        point["weights"] = {a: point["weights"][a] for a in names}


def optimization_out(record: Analysis) -> OptimizationResult:
    """A stored optimization result as it was answered (the assets in the data's order)."""
    answer = dict(record.data)
    reorder_assets(answer, answer["data"]["assets"])
    return OptimizationResult(**answer, id=record.id, created_at=record.created_at)


def simulation_out(record: Analysis) -> SimulateResult:
    """A stored simulation's answer as it was given."""
    answer = dict(record.data["answer"])
    answer["weights"] = {a: answer["weights"][a] for a in record.data["source"]["assets"]}
    for result in answer["results"]:  # percentiles in increasing order, as answered
        result["bands"] = _by_percentile(result["bands"])
        result["terminal"]["percentiles"] = _by_percentile(result["terminal"]["percentiles"])
    return SimulateResult(**answer, id=record.id, created_at=record.created_at)


def _by_percentile(values: dict[str, Any]) -> dict[str, Any]:
    """`{"p5": …, "p25": …}` in increasing percentile order."""
    return dict(sorted(values.items(), key=lambda item: float(item[0][1:])))


def simulation_record(
    request: SimulateRequest,
    resolved: Resolved,
    weights: dict[str, float],
    paths: list[ScenarioPaths],
    days: list[int],
) -> dict[str, Any]:
    """What a simulation record keeps besides its answer: the source that regenerates its
    paths, their digests, and the first paths' wealth at `days` (see the module docstring)."""
    from services.market_data.providers import EMBEDDED
    from services.monte_carlo import paths_digest, wealth_paths

    info = resolved.data_info()
    dataset_id = resolved.source.get("dataset_id")
    source: dict[str, Any] = {
        "returns": request.returns.model_dump(mode="json") if request.returns else None,
        "dataset_id": None if dataset_id == EMBEDDED else dataset_id,
        "assets": info["assets"],
        "start": info["start"],
        "end": info["end"],
        "weights": weights,
        **{name: getattr(request, name) for name in _REGENERATES},
    }
    kept = max(1, min(MAX_TRAJECTORIES, MAX_TRAJECTORY_VALUES // (len(days) * len(paths))))
    trajectories: list[list[float]] = []
    rows = []
    for scenario in paths:
        start = len(trajectories)
        trajectories += wealth_paths(
            scenario, initial_value=request.initial_value, days=days, limit=kept
        )
        rows.append([start, len(trajectories)])
    return {
        "source": source,
        "digests": [paths_digest(p) for p in paths],
        "trajectories": trajectories,
        "trajectory_rows": rows,
    }


def stored_request(request: AnalyzeRequest, record: Analysis) -> AnalyzeRequest:
    """The analysis of the stored simulation `record`: its source and settings with the
    request's `level` and `loss_threshold`; 422 on any other field the request gives."""
    extra = sorted(request.model_fields_set - {"simulation_id", "level", "loss_threshold"})
    if extra:
        field = f"body.{extra[0]}"
        problem = (
            "is the stored simulation's own: give simulation_id with level and loss_threshold only"
        )
        raise ApiError(422, "VALIDATION_ERROR", f"{field}: {problem}", [(field, problem)])
    return AnalyzeRequest.model_validate(
        {
            **record.data["source"],
            "simulation_id": record.id,
            "level": request.level,
            "loss_threshold": request.loss_threshold,
        }
    )


def check_reproduced(record: Analysis, paths: list[ScenarioPaths]) -> None:
    """409 unless `paths` are exactly the stored simulation's (their digests match)."""
    from services.monte_carlo import paths_digest

    if [paths_digest(p) for p in paths] != record.data["digests"]:
        raise ApiError(
            409,
            "CONFLICT",
            f"simulation {record.id} cannot be analysed: the data it ran on has changed since, "
            "so its paths cannot be regenerated; run the simulation again",
            [("body.simulation_id", "its data changed since it ran")],
        )


@router.get(
    "/optimization/results",
    response_model=OptimizationResultList,
    summary="List stored optimization results",
)
def list_optimization_results(
    context: Ctx, caller: Caller, cursor: Cursor = None, limit: PageLimit = 50
) -> OptimizationResultList:
    """The answers of `/v1/optimization/*` the caller received, a page at a time, oldest
    first (400 for a cursor no page gave)."""
    page = records_page(context.store, caller.owner, "optimization", cursor, limit)
    return OptimizationResultList(
        items=[optimization_out(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/optimization/results/{result_id}",
    response_model=OptimizationResult,
    summary="Get a stored optimization result",
)
def get_optimization_result(
    result_id: str, context: Ctx, caller: Caller, response: Response
) -> OptimizationResult:
    """The stored optimization result (404 if it is not the caller's); it never changes, so
    the answer may be cached for the caller (`api.caching`)."""
    found = optimization_out(get_record(context.store, caller.owner, "optimization", result_id))
    immutable(response)
    return found


@router.get(
    "/monte-carlo/simulations", response_model=SimulationList, summary="List stored simulations"
)
def list_simulations(
    context: Ctx, caller: Caller, cursor: Cursor = None, limit: PageLimit = 50
) -> SimulationList:
    """The answers of `/v1/monte-carlo/simulate` the caller received, a page at a time, oldest
    first (400 for a cursor no page gave)."""
    page = records_page(
        context.store, caller.owner, "simulation", cursor, limit, omit=("trajectories",)
    )
    return SimulationList(
        items=[simulation_out(r) for r in page.items], next_cursor=page.next_cursor
    )


@router.get(
    "/monte-carlo/simulations/{simulation_id}",
    response_model=SimulateResult,
    summary="Get a stored simulation",
)
def get_simulation(
    simulation_id: str, context: Ctx, caller: Caller, response: Response
) -> SimulateResult:
    """The stored simulation's answer (404 if it is not the caller's); it never changes, so the
    answer may be cached for the caller (`api.caching`)."""
    found = simulation_out(get_record(context.store, caller.owner, "simulation", simulation_id))
    immutable(response)
    return found
