"""The code of the search pipeline's five steps (`jobs.pipeline.SEARCH_PIPELINE`): the
optimization graph's own, shared with its nodes.

- data validation: the request's returns loaded (`graphs.resources`) and checked
  (`check_history`: finite values, dates strictly increasing, enough days); `dataset.json`
  is `dataset_summary`, what the graph's `validate` node puts in its state.
- scenario generation: the seeded scenarios generated (`RunResources.ensure_scenarios`, the
  graph's `scenarios` node); `scenarios.json` holds each scenario's `ScenarioSpec` (the
  seeded recipe every engine's workers rebuild the same paths from) and its size.
- distributed optimization: `quant.SearchRun` batch after batch, each batch's shards on the
  engine's compute backend (`evaluate_configs`, the graph's `evaluate` node); `trials.json`
  is written after every batch, so a failed step resumes after its last finished batch. On a
  fleet, each instance evaluates its slice of every batch and takes the others'
  (`jobs.pipeline.shards`): the same trials as one instance.
- training: the owner's strategy model learns the new trials (`services.strategy_model.learn`;
  the graph's runs learn after their job completes: `graphs.job_handlers`); `model.json`
  names the version stored.
- results aggregation: the best feasible trial (`best_feasible_trial`, what the graph's
  result compares its winner with), its metrics per scenario, the convergence: `result.json`.

The search order (`search_order`) is the request and the decisions the graph's agents make
before the search (horizon, scenario weights, search space and method, constraints, the trial
budget), and the warm start the graph's `plan` node would compute from the owner's strategy
model (`graphs.warm_start.plan_for_search`); without agents the decisions are the request's
own. The optimization step evaluates the warm start's configurations first, and the result
says what the warm start did, as the graph's does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import numpy as np
import pandas as pd

from graphs.optimization_state import limits_as_constraints, warm_estimates, warm_search
from graphs.request import MIN_HISTORY_DAYS, OptimizationRequest
from graphs.resources import RunResources, resources
from graphs.warm_start import plan_for_search
from jobs.backends.base import ComputeBackend
from jobs.batches import make_shards, path_means, scenario_data
from jobs.pipeline.shards import Means
from jobs.pipeline.steps import StepContext, StepHandler
from jobs.shard_inputs import ScenarioSpec, inputs_from_dict
from quant import Constraint, Objective, ScenarioData, SearchRun, evaluate_path_means
from quant.errors import DataError
from quant.strategy import StrategyConfig
from quant.strategy_model import search_context
from quant.tuning.warm_stop import warm_stop_reason
from services.strategy_model import OwnerModel, Search, learn
from services.warm_starts import warm_start_outcome
from settings import Settings
from store.factory import open_store

DATASET = "dataset.json"
SCENARIOS = "scenarios.json"
TRIALS = "trials.json"
MODEL = "model.json"
RESULT = "result.json"


# --------------------------------------------------------------------------------------------
# the search order
# --------------------------------------------------------------------------------------------
def search_order(
    request: OptimizationRequest,
    *,
    run_id: str,
    owner: str | None = None,
    horizon: int | None = None,
    scenario_weights: Mapping[str, float] | None = None,
    search_space: Mapping[str, Any] | None = None,
    method: str | None = None,
    constraints: Sequence[Mapping[str, Any]] | None = None,
    budget: int | None = None,
    model: OwnerModel | None = None,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """The search order of `request` for run `run_id`: each decision given, else the request's
    (horizon, scenario weights (None: equal), search space, method, its risk limits as
    constraints, `budget.max_trials` trials), and its warm start. Plain JSON; the weights are
    kept as given (the objective normalises them), so an order of the graph's decisions scores
    as the graph does.

    `warm_start` is what the graph's `plan` node decides (`graphs.warm_start.plan_for_search`)
    from `model`, the owner's strategy model (None: the search starts cold and says why), for
    this search's universe, window and scenarios (the run's resources are built with
    `settings` to describe them; a caller that does not run the steps in this process releases
    them, `graphs.resources.release`); None when the request asks for a cold search. It holds
    the model version it read and the configurations evaluated first, so the order alone
    reproduces the search (a resumed or re-run pipeline reads the model no more)."""
    chosen = scenario_weights if scenario_weights is not None else request.scenario_weights
    weights = None if chosen is None else {str(k): float(v) for k, v in chosen.items()}
    order: dict[str, Any] = {
        "run_id": run_id,
        "owner": owner,
        "request": request.model_dump(mode="json"),
        "horizon": int(horizon if horizon is not None else request.horizon),
        "scenario_weights": weights,
        "search_space": dict(search_space if search_space is not None else request.search_space),
        "method": method or request.method,
        "constraints": [
            dict(c)
            for c in (
                constraints if constraints is not None else limits_as_constraints(request, weights)
            )
        ],
        "budget": int(budget if budget is not None else request.budget.max_trials),
    }
    warm_start = None
    if request.warm_start:
        res = resources(run_id, request, settings)
        warm_start = plan_for_search(
            model,
            request,
            run_id=run_id,
            search_space=order["search_space"],
            method=order["method"],
            objective=order_objective(order),
            context=scenario_context(res, order["horizon"]),
        )
    return order | {"warm_start": warm_start}


def order_request(order: Mapping[str, Any]) -> OptimizationRequest:
    """The request of a search order."""
    return OptimizationRequest.model_validate(order["request"])


def order_objective(order: Mapping[str, Any]) -> Objective:
    """The objective of a search order: the request's metric weights over the order's scenario
    weights."""
    request = order_request(order)
    weights = order["scenario_weights"]
    return Objective(
        weights=dict(request.objective), scenario_weights=None if weights is None else dict(weights)
    )


# --------------------------------------------------------------------------------------------
# data validation
# --------------------------------------------------------------------------------------------
def check_history(returns: pd.DataFrame) -> None:
    """Raise `DataError` naming what is wrong with a run's returns: a value that is not
    finite, dates not strictly increasing, fewer than `MIN_HISTORY_DAYS` days."""
    values = returns.to_numpy(dtype=np.float64)
    bad = ~np.isfinite(values)
    if bad.any():
        row, column = (int(i) for i in np.argwhere(bad)[0])
        raise DataError(
            f"the returns of {returns.columns[column]} on {returns.index[row]} are not a finite "
            f"number ({int(bad.sum())} such values)"
        )
    index = pd.DatetimeIndex(returns.index)
    if not index.is_monotonic_increasing or index.has_duplicates:
        raise DataError("the returns' dates are not strictly increasing")
    if len(returns) < MIN_HISTORY_DAYS:
        raise DataError(
            f"the returns hold {len(returns)} days; at least {MIN_HISTORY_DAYS} are needed"
        )


def dataset_summary(res: RunResources) -> dict[str, Any]:
    """What a run's data is: its assets, first and last day, days, provider, version and where
    the market data ends."""
    returns, data = res.returns, res.context.data
    return {
        "assets": list(returns.columns),
        "start": str(returns.index[0].date()),
        "end": str(returns.index[-1].date()),
        "days": len(returns),
        "provider": getattr(data, "provider", None),
        "version": getattr(data, "version", None),
        "data_end": str(pd.Timestamp(data.dates[-1]).date()),
    }


def scenario_context(res: RunResources, horizon: int) -> dict[str, Any]:
    """The features of the run's universe, window and scenarios for the strategy model
    (`quant.strategy_model.search_context`)."""
    request = res.request
    return search_context(
        res.returns,
        res.market,
        request.scenarios,
        horizon=horizon,
        scenario_method=request.scenario_method,
        safe_rate=request.safe_rate,
    )


# --------------------------------------------------------------------------------------------
# optimization
# --------------------------------------------------------------------------------------------
def evaluate_configs(
    configs: Sequence[StrategyConfig],
    inputs: Mapping[str, ScenarioData],
    spec_of: Callable[[str], ScenarioSpec],
    *,
    request: OptimizationRequest,
    backend: ComputeBackend | None,
    prefix: str,
) -> dict[str, dict[str, list[float]]]:
    """Path means (scenario -> metric -> [C]) of `configs` on the scenarios of `inputs`, and
    the statistics of the paths the request's risk limits are checked on (by key, e.g.
    ``max_drawdown@p95``): evaluated here when `backend` is None, else as shards on `backend`,
    rebuilt there from `spec_of(name)` (the same values either way)."""
    statistics = request.risk_limits.keys()
    if backend is None:
        means, _ = evaluate_path_means(
            configs,
            inputs,
            safe=request.safe_rate,
            vol_model=request.vol_model,
            statistics=statistics,
        )
    else:
        shards = make_shards(
            configs,
            [spec_of(name) for name in inputs],
            safe=request.safe_rate,
            prefix=prefix,
            vol_model=request.vol_model,
            statistics=statistics,
        )
        means = path_means(backend.map(shards))
    return {
        str(name): {m: np.asarray(v).tolist() for m, v in by.items()} for name, by in means.items()
    }


def order_search(
    order: Mapping[str, Any],
    inputs: Mapping[str, ScenarioData],
    trials: Sequence[Mapping[str, Any]] = (),
) -> SearchRun:
    """The search of a search order over the scenarios `inputs`, resumed from `trials`."""
    request = order_request(order)
    return SearchRun(
        dict(order["search_space"]),
        inputs,
        objective=order_objective(order),
        constraints=[Constraint(**c) for c in order["constraints"]],
        method=order["method"],
        budget=int(order["budget"]),
        batch_size=request.budget.batch_size,
        seed=request.seed,
        safe=request.safe_rate,
        trials=trials,
        vol_model=request.vol_model,
        **warm_search(order.get("warm_start")),
        statistics=request.risk_limits.keys(),
    )


def order_warm_configs(order: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The configurations a search order's warm start evaluates first (none: it starts cold)."""
    return list((order.get("warm_start") or {}).get("configs") or [])


def _finite(values: Sequence[float]) -> list[float | None]:
    return [v if math.isfinite(v) else None for v in values]


# --------------------------------------------------------------------------------------------
# aggregation
# --------------------------------------------------------------------------------------------
def best_feasible_trial(trials: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    """The feasible trial with the highest finite objective (the earliest on ties), or None."""
    feasible = [t for t in trials if t["feasible"] and math.isfinite(t["objective"])]
    return max(feasible, key=lambda t: (t["objective"], -t["trial"]), default=None)


def aggregate_trials(
    order: Mapping[str, Any], trials: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """The result of a search order's trials: the best feasible trial (its configuration,
    objective and metrics per scenario; None when no trial is feasible), the trial counts, the
    convergence (best feasible objective after each batch, None before the first) and, as the
    graph's result says it, the warm start (`services.warm_starts.warm_start_outcome`; None
    for a search asked to start cold)."""
    request = order_request(order)
    best = best_feasible_trial(trials)
    plan = order.get("warm_start")
    summary: dict[str, Any] | None = None
    if best is not None:
        space = request.model_copy(update={"search_space": order["search_space"]}).space()
        config = space.config({n: best[n] for n in space.names})
        summary = {
            "trial": int(best["trial"]),
            "config": config.model_dump(mode="json"),
            "config_id": config.config_id,
            "objective": float(best["objective"]),
            "scenarios": {
                s: {m.split(".", 1)[1]: v for m, v in best.items() if m.startswith(f"{s}.")}
                for s in request.scenarios
            },
        }
    early = plan is not None and len(trials) < int(order["budget"])
    stopped = warm_stop_reason(trials, **warm_estimates(plan)) if early else None
    running, convergence, batch = -math.inf, [], None
    for row in trials:
        if batch is not None and row["batch"] != batch:
            convergence.append(running)
        batch = row["batch"]
        if row["feasible"] and math.isfinite(row["objective"]):
            running = max(running, float(row["objective"]))
    if batch is not None:
        convergence.append(running)
    return {
        "run_id": order["run_id"],
        "status": "succeeded" if best is not None else "failed",
        "reason": None if best is not None else "no trial met every constraint",
        "best": summary,
        "n_trials": len(trials),
        "n_feasible": sum(1 for t in trials if t["feasible"]),
        "convergence": _finite(convergence),
        "scenario_weights": order["scenario_weights"],
        "warm_start": None if plan is None else warm_start_outcome(plan, trials, stopped),
    }


# --------------------------------------------------------------------------------------------
# the steps
# --------------------------------------------------------------------------------------------
def _resources(context: StepContext) -> RunResources:
    return resources(str(context.order["run_id"]), context.order["request"], context.settings)


def validate_data(context: StepContext) -> None:
    """Step 1: load the request's returns, check them, write `dataset.json`."""
    res = _resources(context)
    check_history(res.returns)
    context.write(DATASET, dataset_summary(res))


def generate_scenarios(context: StepContext) -> None:
    """Step 2: generate the seeded scenarios, write their specs to `scenarios.json`."""
    res = _resources(context)
    horizon = int(context.order["horizon"])
    generated = res.ensure_scenarios(horizon)
    request = order_request(context.order)
    context.write(
        SCENARIOS,
        {
            "scenarios": [res.scenario_spec(n, horizon).to_dict() for n in request.scenarios],
            "n_paths": generated.n_paths,
            "horizon": horizon,
            "context": scenario_context(res, horizon),
        },
    )


def _evaluate_positions(
    configs: Sequence[StrategyConfig],
    inputs: Mapping[str, ScenarioData],
    spec_of: Callable[[str], ScenarioSpec],
    positions: range,
    *,
    request: OptimizationRequest,
    backend: ComputeBackend | None,
    prefix: str,
) -> Means:
    """`evaluate_configs` of the candidates at `positions` of a batch (a shard's slice; its
    shards' ids start with `prefix`, and the first position when it is not the whole batch)."""
    whole = positions.start == 0 and positions.stop == len(configs)
    return evaluate_configs(
        configs[positions.start : positions.stop],
        inputs,
        spec_of,
        request=request,
        backend=backend,
        prefix=prefix if whole else f"{prefix}-{positions.start}",
    )


def optimize(context: StepContext) -> None:
    """Step 3: the search, batch after batch, from the checkpoint an earlier attempt left;
    `trials.json` after every batch, then the context's `after_batch` (which may stop it).
    On one of several instances (`context.shard`), each batch's candidates are shared: this
    instance evaluates its slice, takes the others' (`jobs.pipeline.shards.Shard.share`) and
    records the whole batch as one instance would; only the leader writes."""
    order = context.order
    request = order_request(order)
    specs = [
        inputs_from_dict(d) for d in context.read("scenario-generation", SCENARIOS)["scenarios"]
    ]
    by_name = {spec.name: spec for spec in specs if isinstance(spec, ScenarioSpec)}
    inputs = {name: scenario_data(spec) for name, spec in by_name.items()}
    done = context.checkpoint(TRIALS) or {"trials": []}
    run = order_search(order, inputs, done["trials"])
    shard = context.shard
    while not run.done:
        params = run.propose()
        if not params:
            break
        configs = run.configs(params)
        evaluate = partial(
            _evaluate_positions,
            configs,
            inputs,
            by_name.__getitem__,
            request=request,
            backend=context.backend,
            prefix=f"{order['run_id']}-{run.batch_index}",
        )
        if shard is None:
            means = evaluate(range(len(configs)))
        else:
            means = shard.share(run.batch_index, [c.config_id for c in configs], evaluate)
        run.record(params, means)
        if context.writes_output:
            context.write(TRIALS, {"trials": run.rows, "convergence": _finite(run.convergence)})
            if context.after_batch is not None:
                context.after_batch(len(run.rows))
    if context.writes_output and not (context.output / TRIALS).is_file():
        context.write(TRIALS, {"trials": run.rows, "convergence": _finite(run.convergence)})


def search_of_result(
    run_id: str, request: OptimizationRequest, result: Mapping[str, Any]
) -> Search | None:
    """What the optimization graph's result gives the strategy model (None when it has no
    trials or no scenario features: a run that stopped early, or one started before runs
    described their scenarios)."""
    trials, context = result.get("trials") or [], result.get("search_context")
    plan = result.get("plan") or {}
    if not trials or not context or not plan.get("search_space"):
        return None
    weights = request.scenario_weights or (result.get("market_view") or {}).get("scenario_weights")
    return Search(
        run_id=run_id,
        request=request.model_dump(mode="json"),
        search_space=plan["search_space"],
        scenario_weights=None
        if weights is None
        else {str(k): float(v) for k, v in weights.items()},
        context=context,
        trials=trials,
        warm=bool((result.get("warm_start") or {}).get("configs")),
    )


def train(context: StepContext) -> None:
    """Step 4 (optional): the owner's strategy model learns the search's trials
    (`services.strategy_model.learn`); `model.json` names the version stored."""
    order = context.order
    owner = order.get("owner")
    if not owner:
        raise ValueError("the training step needs the order's owner: whose model learns")
    trials = context.read("optimization", TRIALS)["trials"]
    search = Search(
        run_id=str(order["run_id"]),
        request=order["request"],
        search_space=order["search_space"],
        scenario_weights=order["scenario_weights"],
        context=context.read("scenario-generation", SCENARIOS)["context"],
        trials=trials,
        warm=bool(order_warm_configs(order)),
    )
    store = open_store(context.settings)
    try:
        version = learn(store, str(owner), search)
    finally:
        store.close()
    context.write(MODEL, version.to_json())


def aggregate(context: StepContext) -> None:
    """Step 5: the search's result (`aggregate_trials`) as `result.json`."""
    trials = context.read("optimization", TRIALS)["trials"]
    context.write(RESULT, aggregate_trials(context.order, trials))


STEP_HANDLERS: dict[str, StepHandler] = {
    "data-validation": validate_data,
    "scenario-generation": generate_scenarios,
    "optimization": optimize,
    "training": train,
    "aggregation": aggregate,
}
"""The code of each step of `jobs.pipeline.SEARCH_PIPELINE`, by the step's name."""
