"""The optimization graph's warm start (`services.warm_starts`): planned by the `plan` node once
the search space is decided, kept in the run's state (so a resumed run proposes the same
configurations), evaluated first (`graphs.optimization_state.search_run`), reported in the result and recorded in the
run manifest. The search pipeline's order carries the same warm start (`plan_for_search`,
called by `graphs.search_steps.search_order`).

The owner's strategy model reaches the run through `graphs.resources.bind_strategy_model`
(the job handler binds it before the run starts); a run started otherwise has none and
starts cold, saying so.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from graphs.optimization_state import OptimizationState, objective_of, request_of
from graphs.request import OptimizationRequest
from graphs.resources import bound_strategy_model
from quant import Objective
from services.strategy_model import OwnerModel, Search, owner_model
from services.warm_starts import plan_warm_start, warm_start_outcome
from store import Store

MANIFEST_FIELDS = ("model", "runs", "configs")
"""What the run manifest records of a warm start: the model version it read, the runs it
learnt from, the configurations it evaluated first."""
log = logging.getLogger(__name__)


def warm_start_model(store: Store, owner: str, request: OptimizationRequest) -> OwnerModel | None:
    """The owner's newest strategy model for a run's warm start (None for a cold search, when
    the owner has none, or when it cannot be read: logged, the run starts cold)."""
    if not request.warm_start:
        return None
    try:
        return owner_model(store, owner)
    except Exception:
        log.exception("the strategy model of %s could not be read: the run starts cold", owner)
        return None


def plan_for_run(
    state: OptimizationState, search_space: Mapping[str, Any], method: str
) -> dict[str, Any] | None:
    """The run's warm start (`plan_for_search` with the model bound to the run), or None when
    the request asks for a cold search (`warm_start: false`, `stratigos optimize --cold`)."""
    request = request_of(state)
    if not request.warm_start:
        return None
    return plan_for_search(
        bound_strategy_model(state["run_id"]),
        request,
        run_id=state["run_id"],
        search_space=search_space,
        method=method,
        objective=objective_of(state),
        context=state["search_context"],
    )


def plan_for_search(
    model: OwnerModel | None,
    request: OptimizationRequest,
    *,
    run_id: str,
    search_space: Mapping[str, Any],
    method: str,
    objective: Objective,
    context: Mapping[str, Any],
) -> dict[str, Any] | None:
    """The warm start of a search once its space, method and objective are decided
    (`services.warm_starts.plan_warm_start` from `model`, the owner's strategy model), or None
    when `request` asks for a cold search. A grid search evaluates its grid: it starts cold and
    says so. `context`: the search's universe, window and scenario features
    (`graphs.search_steps.scenario_context`). The optimization graph's `plan` node and the
    search pipeline's order (`graphs.search_steps.search_order`) both call this."""
    if not request.warm_start:
        return None
    search = Search(
        run_id=run_id,
        request=request.model_dump(mode="json"),
        search_space=dict(search_space),
        scenario_weights=objective.scenario_weights,
        context=dict(context),
        trials=[],
    )
    plan = plan_warm_start(
        None if method == "grid" else model,
        search,
        objective,
        batch_size=request.budget.batch_size,
    )
    if method == "grid":
        plan["note"] = "a grid search evaluates its grid"
    return plan


def result_of(state: OptimizationState) -> dict[str, Any] | None:
    """What the result says of the warm start (None: a cold search was asked for)."""
    plan = state.get("warm_start")
    if plan is None:
        return None
    return warm_start_outcome(plan, state.get("trials", []), state.get("warm_stop"))


def manifest_inputs(warm_start: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The warm start's inputs as the run manifest records them (`MANIFEST_FIELDS`)."""
    if warm_start is None:
        return None
    return {name: warm_start.get(name) for name in MANIFEST_FIELDS}
