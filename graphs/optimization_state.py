"""The checkpointed state of an `optimization` run, and what its nodes read from it.

The state holds plain JSON-friendly data only (its keys are the checkpoint's: they never change
name). What the nodes derive from it is derived here once: the request, the run's resources
(data and scenario paths, rebuilt from the seeded request on resume), the budgets left, the
objective, where the risk limits apply and the constraints they make, the search as
`quant.SearchRun` over the trials so far, and a trial's configuration and per-scenario metrics.
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, TypedDict

from agents.usage_counts import add_usage
from graphs.emit import emit_warning
from graphs.request import OptimizationRequest
from graphs.resources import RunResources, resources
from quant import Constraint, Objective, SearchRun, SearchSpace
from quant.limits import statistic_words
from quant.strategy import StrategyConfig
from services.formatting import limit_sentence, metric, metric_label, scenario

if TYPE_CHECKING:  # the agents' loop (LangChain) is not loaded by the pipeline's steps
    from agents.agent_loop import AgentOutcome


def _merge(left: dict[str, Any] | None, right: dict[str, Any] | None) -> dict[str, Any]:
    return {**(left or {}), **(right or {})}


class OptimizationState(TypedDict, total=False):
    """The checkpointed state of one optimization run (plain JSON-friendly data only)."""

    run_id: str
    request: dict[str, Any]
    started_at: float
    status: str
    reason: str | None
    dataset: dict[str, Any]
    market_view: dict[str, Any]
    horizon: int
    search_context: dict[str, Any]
    warm_start: dict[str, Any] | None
    plan: dict[str, Any]
    constraints: list[dict[str, Any]]
    round: int
    round_budget: int
    trials: list[dict[str, Any]]
    convergence: list[float]
    batch: dict[str, Any] | None
    batch_means: Annotated[dict[str, Any], _merge]
    stop: bool
    risk: dict[str, Any]
    hedge_required: dict[str, Any] | None
    stop_note: str | None
    warm_stop: str | None
    chosen: dict[str, Any] | None
    hedging: dict[str, Any] | None
    explanation: dict[str, Any]
    tokens: Annotated[int, lambda a, b: (a or 0) + (b or 0)]
    usage: Annotated[dict[str, int], add_usage]
    warnings: Annotated[list[str], lambda a, b: [*(a or []), *(b or [])]]
    result: dict[str, Any]


def request_of(state: OptimizationState) -> OptimizationRequest:
    """The run's request."""
    return OptimizationRequest.model_validate(state["request"])


def resources_of(state: OptimizationState) -> RunResources:
    """The run's resources (data, scenarios, tools), kept per run in the process."""
    return resources(state["run_id"], state["request"])


FIRST_ROUND_SHARE = 0.7
"""The share of `budget.max_trials` the first round may use when risk rounds may follow."""


def first_round_budget(request: OptimizationRequest) -> int:
    """Trials of the first round: `FIRST_ROUND_SHARE` of the budget when risk limits are set and
    risk rounds allowed (the rest is kept for them), else all of it; at least one."""
    max_trials = request.budget.max_trials
    rework = request.max_risk_rounds > 0 and bool(request.risk_limits.limits())
    return max(math.ceil(FIRST_ROUND_SHARE * max_trials) if rework else max_trials, 1)


def out_of_budget(state: OptimizationState, request: OptimizationRequest) -> str | None:
    """Why the run must stop now (wall time or tokens), or None."""
    elapsed = time.time() - state.get("started_at", time.time())
    if elapsed >= request.budget.max_wall_seconds:
        return f"wall-time budget of {request.budget.max_wall_seconds:g} s reached"
    if state.get("tokens", 0) >= request.budget.max_llm_tokens:
        return f"token budget of {request.budget.max_llm_tokens} tokens reached"
    return None


def objective_of(state: OptimizationState) -> Objective:
    """The search's objective: the request's metric weights over the requested scenario
    weights, else the market view's."""
    request = request_of(state)
    chosen = request.scenario_weights or state.get("market_view", {}).get("scenario_weights")
    weights = {str(k): float(v) for k, v in (chosen or {}).items()}
    return Objective(weights=dict(request.objective), scenario_weights=weights or None)


def limit_scenarios(state: OptimizationState) -> list[str]:
    """Where the risk limits apply (`scenarios_limited`, with the run's objective)."""
    return scenarios_limited(request_of(state), objective_of(state).scenario_weights)


def scenarios_limited(
    request: OptimizationRequest, scenario_weights: Mapping[str, float] | None
) -> list[str]:
    """Where the risk limits apply: the scenarios the limits name, else every scenario with a
    positive weight in `scenario_weights` (every scenario when None)."""
    if request.risk_limits.scenarios:
        return list(request.risk_limits.scenarios)
    if not scenario_weights:
        return list(request.scenarios)
    return [s for s in request.scenarios if scenario_weights.get(s, 0.0) > 0]


def limit_constraints(state: OptimizationState) -> list[dict[str, Any]]:
    """The request's risk limits as search constraints (`limits_as_constraints`)."""
    return limits_as_constraints(request_of(state), objective_of(state).scenario_weights)


def limits_as_constraints(
    request: OptimizationRequest, scenario_weights: Mapping[str, float] | None
) -> list[dict[str, Any]]:
    """The request's risk limits as search constraints, one per metric and scenario, each on
    the limit's statistic of the paths, so that a trial is feasible only when it meets every
    limit in every scenario they apply to."""
    limits = request.risk_limits.limits()
    return [
        {"metric": metric, "scenario": scenario, "max": limit.limit, "statistic": limit.statistic}
        for metric, limit in limits.items()
        for scenario in scenarios_limited(request, scenario_weights)
    ]


def constraint_words(constraint: Mapping[str, Any]) -> str:
    """A search constraint in words with its statistic of the paths: "max drawdown ≤ 25.00% in
    95% of bear paths", "volatility ≤ 20.00% on the mean of the paths" (every scenario)."""
    c = Constraint(**constraint)
    everywhere = " in every scenario" if c.scenario is None else ""
    if c.metric == "hedge_premium" and c.max is None:
        return "holds an option hedge (pays a premium) in every scenario"
    if c.max is not None and c.min is None:
        return limit_sentence(c.metric, c.max, c.statistic, c.scenario) + everywhere
    bounds = []
    if c.min is not None:
        bounds.append(f"≥ {metric(c.metric, c.min)}")
    if c.max is not None:
        bounds.append(f"≤ {metric(c.metric, c.max)}")
    where = statistic_words(c.statistic, None if c.scenario is None else scenario(c.scenario))
    return f"{metric_label(c.metric)} {' and '.join(bounds)} {where}{everywhere}"


def feasibility_definition(state: OptimizationState) -> str:
    """What "feasible" means in this run's results, in words."""
    constraints = [*limit_constraints(state), *state.get("constraints", [])]
    if not constraints:
        return "feasible: the objective is finite (no risk limits or constraints were set)"
    described = sorted({constraint_words(c) for c in constraints})
    return "feasible: meets every one of " + "; ".join(described)


def search_run(state: OptimizationState, budget: int | None = None) -> SearchRun:
    """The search over the trials so far, under the limits and the risk rounds' constraints,
    with `budget` trials (default: the round's), the warm start's configurations first."""
    res = resources_of(state)
    res.ensure_scenarios(state["horizon"])
    plan = state["plan"]
    request = request_of(state)
    return SearchRun(
        plan["search_space"],
        res.inputs,
        objective=objective_of(state),
        constraints=[
            Constraint(**c) for c in [*limit_constraints(state), *state.get("constraints", [])]
        ],
        method=plan["method"],
        budget=budget if budget is not None else state["round_budget"],
        batch_size=request.budget.batch_size,
        seed=request.seed,
        safe=request.safe_rate,
        trials=state.get("trials", []),
        vol_model=request.vol_model,
        **warm_search(state.get("warm_start") if state.get("round", 0) == 0 else None),
        statistics=request.risk_limits.keys(),
    )


def warm_search(plan: Mapping[str, Any] | None) -> dict[str, Any]:
    """`SearchRun`'s warm-start arguments from a warm start `plan` (None: a cold search): its
    configurations first, and its model's estimates of them and its random probes, which
    decide when it may stop early (`quant.tuning.warm_stop`)."""
    return {"first": (plan or {}).get("configs") or [], **warm_estimates(plan)}


def warm_estimates(plan: Mapping[str, Any] | None) -> dict[str, Any]:
    """A warm start's model estimates of its first configurations (`predicted`) and how many of
    them are random `probes` (none in a plan made before warm starts had probes)."""
    plan = plan or {}
    return {"predicted": plan.get("predicted") or [], "probes": int(plan.get("probes") or 0)}


def config_of(state: OptimizationState, trial: dict[str, Any]) -> StrategyConfig:
    """The `StrategyConfig` of a trial row of this run."""
    space = SearchSpace(dict(state["plan"]["search_space"]))
    return space.config({n: trial[n] for n in space.names})


def scenario_metrics(
    trial: dict[str, Any], scenarios: Sequence[str]
) -> dict[str, dict[str, float]]:
    """``{scenario: {metric: path mean}}`` of a trial row (whose columns are
    ``<scenario>.<metric>``)."""
    return {
        str(s): {m.split(".", 1)[1]: v for m, v in trial.items() if m.startswith(f"{s}.")}
        for s in scenarios
    }


def hedge_possible(state: OptimizationState) -> bool:
    """Whether the run's search space holds strategies with an option hedge."""
    space = SearchSpace(dict(state["plan"]["search_space"]))
    return bool(set(space.values_of("overlay")) - {"none"})


def warned(warnings: list[str]) -> list[str]:
    """Emit each warning as a trace event and return them for the state."""
    for message in warnings:
        emit_warning(message)
    return warnings


def charge(outcome: AgentOutcome[Any]) -> dict[str, Any]:
    """The state update that charges an agent's tokens and usage to the run."""
    return {"tokens": outcome.tokens, "usage": outcome.usage}
