"""The optimization graph's warm start (`services.warm_starts`): planned by the `plan` node once
the search space is decided, kept in the run's state (so a resumed run proposes the same
configurations), evaluated first (`graphs.optimization_state.search_run`), reported in the result and recorded in the
run manifest.

The owner's strategy model reaches the run through `graphs.resources.bind_strategy_model`
(the job handler binds it before the run starts); a run started otherwise has none and
starts cold, saying so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphs.optimization_state import OptimizationState, objective_of, request_of
from graphs.resources import bound_strategy_model
from services.strategy_model import Search
from services.warm_starts import plan_warm_start, warm_start_outcome

MANIFEST_FIELDS = ("model", "runs", "configs")
"""What the run manifest records of a warm start: the model version it read, the runs it
learnt from, the configurations it evaluated first."""


def plan_for_run(
    state: OptimizationState, search_space: Mapping[str, Any], method: str
) -> dict[str, Any] | None:
    """The run's warm start (`services.warm_starts.plan_warm_start`), or None when the request
    asks for a cold search (`warm_start: false`, `stratigos optimize --cold`)."""
    request = request_of(state)
    if not request.warm_start:
        return None
    model = bound_strategy_model(state["run_id"])
    if method == "grid":
        model = None
    search = Search(
        run_id=state["run_id"],
        request=request.model_dump(mode="json"),
        search_space=dict(search_space),
        scenario_weights=objective_of(state).scenario_weights,
        context=state["search_context"],
        trials=[],
    )
    plan = plan_warm_start(model, search, objective_of(state), batch_size=request.budget.batch_size)
    if method == "grid":
        plan["note"] = "a grid search evaluates its grid: it starts cold"
    return plan


def result_of(state: OptimizationState) -> dict[str, Any] | None:
    """What the result says of the warm start (None: a cold search was asked for)."""
    plan = state.get("warm_start")
    return None if plan is None else warm_start_outcome(plan, state.get("trials", []))


def manifest_inputs(warm_start: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The warm start's inputs as the run manifest records them (`MANIFEST_FIELDS`)."""
    if warm_start is None:
        return None
    return {name: warm_start.get(name) for name in MANIFEST_FIELDS}
