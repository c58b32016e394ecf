"""The `optimization` graph: a structured request through the four agents to a stored result.

validate -> market_analysis -> scenarios -> plan -> propose -> evaluate (one task per scenario,
fanned out with `Send`) -> aggregate -> review -> (propose again | risk_gate) -> (propose again
with new constraints | explain) -> finalize.

- Budgets are enforced here, in code: trials (`budget.max_trials` over every round), wall time
  (from the run's first start, across resumes) and model tokens (from usage metadata). A budget
  that runs out ends the search; the run then finishes with the best result so far, marked
  `partial`, with the reason.
- Trial budget per round: when risk limits are set and risk rounds allowed, the first round may
  use 70% of `max_trials` and each rejection round an equal share of the rest (otherwise the
  first round may use all of it); a round stops earlier when
  the optimizer agent calls the search converged.
- The risk gate: the limits (`risk_limits`) are checked in code on the top three feasible
  candidates (path means per scenario); the risk manager agent approves one or rejects them and
  names constraints; an approval of a candidate that breaks a limit is overruled. A rejection
  sends the optimizer back (at most `max_risk_rounds` times) with the constraints added; earlier
  trials are judged again under them without being re-evaluated. When the search space holds
  hedged and unhedged strategies, the risk manager may require an option hedge: the next rounds
  then also need `hedge_premium >= HEDGE_REQUIRED_PREMIUM` in every scenario (docs/hedging.md).
- Hedging: when the space holds option overlays, the result's `hedging` puts the winner beside
  the same config without its options on the same paths, and lists the unhedged trial closest to
  the limits beside the cheapest hedged trials that meet them. Every evaluation prices overlays
  with the request's `vol_model`.
- The explanation is checked by `agents.grounding`; one citing a number that is not in the
  results is replaced by the template explanation, with a warning.
- State holds plain data only (checkpointable); the scenario paths are rebuilt from the seeded
  request when a run resumes (`graphs.resources`). Each batch's trials are in the state once it
  is aggregated, so a resumed run never repeats a finished batch.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from typing import Annotated, Any, TypedDict

import numpy as np
from langchain_core.messages import BaseMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from agents.agent_loop import AgentOutcome, add_usage
from agents.explanation import sensitivity_facts, template_explanation
from agents.grounding import citation_problems, research_passages, ungrounded_numbers
from agents.workflow import analyse_market, explain, plan_search, review_batch, review_risk
from graphs.emit import emit_node_started, emit_progress, emit_warning
from graphs.request import OptimizationRequest
from graphs.resources import RunResources, resources
from jobs.batches import make_shards, path_means
from quant import (
    Constraint,
    NoFeasibleTrialError,
    Objective,
    SearchResult,
    SearchRun,
    SearchSpace,
    SearchSpaceError,
    evaluate_path_means,
)
from quant.benchmark_strategies import benchmark_path_means
from quant.hedging import hedge_comparison, hedge_tradeoff
from quant.plausibility import plausibility_warnings
from tools.context import SearchRecord

FIRST_ROUND_SHARE = 0.7
CANDIDATES = 3
HEDGE_REQUIRED_PREMIUM = 1e-6
"""How the risk manager's "require a hedge" becomes a constraint: a premium of at least this
fraction of wealth a year in every scenario (so feasibility stays a statement about path
means). A strategy without an option overlay pays exactly 0; one with an overlay pays more,
unless its `overlay_budget` caps its premiums below this (then it counts as unhedged)."""


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
    chosen: dict[str, Any] | None
    hedging: dict[str, Any] | None
    explanation: dict[str, Any]
    tokens: Annotated[int, lambda a, b: (a or 0) + (b or 0)]
    usage: Annotated[dict[str, int], add_usage]
    warnings: Annotated[list[str], lambda a, b: [*(a or []), *(b or [])]]
    result: dict[str, Any]


# ------------------------------------------------------------------------------------------
# helpers


def _request(state: OptimizationState) -> OptimizationRequest:
    return OptimizationRequest.model_validate(state["request"])


def _res(state: OptimizationState) -> RunResources:
    return resources(state["run_id"], state["request"])


def _out_of_budget(state: OptimizationState, request: OptimizationRequest) -> str | None:
    """Why the run must stop now (wall time or tokens), or None."""
    elapsed = time.time() - state.get("started_at", time.time())
    if elapsed >= request.budget.max_wall_seconds:
        return f"wall-time budget of {request.budget.max_wall_seconds:g} s reached"
    if state.get("tokens", 0) >= request.budget.max_llm_tokens:
        return f"token budget of {request.budget.max_llm_tokens} tokens reached"
    return None


def _objective(state: OptimizationState) -> Objective:
    request = _request(state)
    chosen = request.scenario_weights or state.get("market_view", {}).get("scenario_weights")
    weights = {str(k): float(v) for k, v in (chosen or {}).items()}
    return Objective(weights=dict(request.objective), scenario_weights=weights or None)


def _limit_scenarios(state: OptimizationState) -> list[str]:
    """Where the risk limits apply: the scenarios the limits name, else every scenario with a
    positive weight in the objective."""
    request = _request(state)
    if request.risk_limits.scenarios:
        return list(request.risk_limits.scenarios)
    weights = _objective(state).scenario_weights
    if not weights:
        return list(request.scenarios)
    return [s for s in request.scenarios if weights.get(s, 0.0) > 0]


def _limit_constraints(state: OptimizationState) -> list[dict[str, Any]]:
    """The request's risk limits as search constraints, one per metric and scenario, so that a
    trial is feasible only when it meets every limit in every scenario they apply to."""
    limits = _request(state).risk_limits.limits()
    return [
        {"metric": metric, "scenario": scenario, "max": limit}
        for metric, limit in limits.items()
        for scenario in _limit_scenarios(state)
    ]


def feasibility_definition(state: OptimizationState) -> str:
    """What "feasible" means in this run's results, in words."""
    constraints = [*_limit_constraints(state), *state.get("constraints", [])]
    if not constraints:
        return "feasible: the objective is finite (no risk limits or constraints were set)"
    described = sorted({Constraint(**c).describe() for c in constraints})
    return "feasible: path means meet every one of " + "; ".join(described)


def _run(state: OptimizationState, budget: int | None = None) -> SearchRun:
    res = _res(state)
    res.ensure_scenarios(state["horizon"])
    plan = state["plan"]
    request = _request(state)
    return SearchRun(
        plan["search_space"],
        res.inputs,
        objective=_objective(state),
        constraints=[
            Constraint(**c) for c in [*_limit_constraints(state), *state.get("constraints", [])]
        ],
        method=plan["method"],
        budget=budget if budget is not None else state["round_budget"],
        batch_size=request.budget.batch_size,
        seed=request.seed,
        safe=request.safe_rate,
        trials=state.get("trials", []),
        vol_model=request.vol_model,
    )


def _warned(warnings: list[str]) -> list[str]:
    """Emit each warning as a trace event and return them for the state."""
    for message in warnings:
        emit_warning(message)
    return warnings


def _charge(outcome: AgentOutcome[Any]) -> dict[str, Any]:
    return {"tokens": outcome.tokens, "usage": outcome.usage}


# ------------------------------------------------------------------------------------------
# nodes


def validate(state: OptimizationState) -> dict[str, Any]:
    """Load the request's data (validating the request checked what it can run on)."""
    emit_node_started()
    returns = _res(state).returns
    dataset = {
        "assets": list(returns.columns),
        "start": str(returns.index[0].date()),
        "end": str(returns.index[-1].date()),
        "days": len(returns),
    }
    return {
        "started_at": state.get("started_at") or time.time(),
        "status": "running",
        "dataset": dataset,
        "round": 0,
        "constraints": [],
        "trials": [],
    }


def ground_market_view(view: dict[str, Any], messages: Sequence[BaseMessage]) -> list[str]:
    """Check the citations of the market view's summary against the passages the research
    search returned in `messages` (`citation_problems`): when one does not hold, the summary
    becomes the regime alone (in place) and the returned warning says why."""
    problems = citation_problems(view["summary"], research_passages(messages))
    if not problems:
        return []
    view["summary"] = (
        f"The market is in a {view['return_regime']} return regime with "
        f"{view['volatility_regime']} volatility."
    )
    return [
        "the market view's citations did not hold (" + "; ".join(problems[:3]) + "): "
        "its summary is the regime only"
    ]


def market_analysis(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """The market analysis agent picks scenario weights and the horizon."""
    emit_node_started("market_analysis")
    request = _request(state)
    request_json = request.model_dump(mode="json")
    reason = _out_of_budget(state, request)
    if reason is not None:
        return {"status": "partial", "reason": reason, "stop": True}
    res = _res(state)
    research = res.context.research is not None
    outcome = analyse_market(request_json, res.tools, config, res.settings, research=research)
    view = outcome.decision.model_dump(mode="json")
    warnings = ground_market_view(view, outcome.messages)
    weights = {
        k: v for k, v in view["scenario_weights"].items() if k in request.scenarios and v > 0
    }
    if request.scenario_weights is not None:
        weights = dict(request.scenario_weights)
    if not weights:
        weights = dict.fromkeys(request.scenarios, 1.0)
        warnings.append("the market view gave no usable scenario weights: using equal weights")
    total = sum(weights.values())
    view["scenario_weights"] = {k: v / total for k, v in weights.items()}
    horizon = int(view["horizon"])
    longest = max(int(v) for v in request.space().values_of("lookback"))
    if horizon < longest + 21:
        warnings.append(
            f"the market view's horizon of {horizon} days is too short for lookbacks up to "
            f"{longest} days: using the requested {request.horizon}"
        )
        horizon = request.horizon
    view["horizon"] = horizon
    return {
        "market_view": view,
        "horizon": horizon,
        "warnings": _warned(warnings),
        **_charge(outcome),
    }


def scenarios(state: OptimizationState) -> dict[str, Any]:
    """Simulate the scenarios (seeded; rebuilt the same way on resume)."""
    emit_node_started()
    res = _res(state)
    scen = res.ensure_scenarios(state["horizon"])
    emit_progress(scen.n_paths * len(scen.names), scen.n_paths * len(scen.names), unit="paths")
    return {}


def plan(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer agent proposes the search space and method; the first round's budget."""
    emit_node_started("optimizer")
    request = _request(state)
    request_json = request.model_dump(mode="json")
    warnings: list[str] = []
    space, method = request.search_space, request.method
    outcome = plan_search(request_json, state["market_view"], config, _res(state).settings)
    proposed = outcome.decision
    if proposed.search_space is not None:
        try:
            SearchSpace(dict(proposed.search_space))
            space = dict(proposed.search_space)
        except SearchSpaceError as exc:
            warnings.append(f"the optimizer's search space was invalid ({exc}): kept the request's")
    method = proposed.method or method
    max_trials = request.budget.max_trials
    rework = request.max_risk_rounds > 0 and bool(request.risk_limits.limits())
    first = math.ceil(FIRST_ROUND_SHARE * max_trials) if rework else max_trials
    return {
        "plan": {"search_space": space, "method": method, "rationale": proposed.rationale},
        "round_budget": max(first, 1),
        "warnings": _warned(warnings),
        **_charge(outcome),
    }


def propose(state: OptimizationState) -> dict[str, Any]:
    """Propose the next batch of configurations."""
    emit_node_started("optimizer")
    run = _run(state)
    return {"batch": {"index": run.batch_index, "params": run.propose()}, "stop": False}


def fan_out(state: OptimizationState) -> list[Send] | str:
    """One evaluation task per scenario for the proposed batch."""
    batch = state.get("batch")
    if not batch or not batch["params"]:
        return "risk_gate"
    return [
        Send(
            "evaluate",
            {
                "run_id": state["run_id"],
                "request": state["request"],
                "horizon": state["horizon"],
                "plan": state["plan"],
                "scenario": name,
                "batch": batch,
            },
        )
        for name in _request(state).scenarios
    ]


def evaluate(task: dict[str, Any]) -> dict[str, Any]:
    """Evaluate one batch on one scenario: path means of every metric per configuration."""
    res = resources(task["run_id"], task["request"])
    res.ensure_scenarios(task["horizon"])
    space = SearchSpace(dict(task["plan"]["search_space"]))
    configs = [space.config(p) for p in task["batch"]["params"]]
    name = task["scenario"]
    request = res.request
    key = f"{task['batch']['index']}:{name}"
    backend = res.backend()
    if backend is None:
        means, _ = evaluate_path_means(
            configs, {name: res.inputs[name]}, safe=request.safe_rate, vol_model=request.vol_model
        )
        scenario_means = means[name]
    else:
        shards = make_shards(
            configs,
            [res.scenario_spec(name, task["horizon"])],
            safe=request.safe_rate,
            prefix=f"{task['run_id']}-{task['batch']['index']}",
            vol_model=request.vol_model,
        )
        scenario_means = path_means(backend.map(shards))[name]
    return {"batch_means": {key: {m: np.asarray(v).tolist() for m, v in scenario_means.items()}}}


def aggregate(state: OptimizationState) -> dict[str, Any]:
    """Score the evaluated batch and keep its trials."""
    emit_node_started("optimizer")
    batch = state["batch"]
    assert batch is not None
    run = _run(state)
    names = _request(state).scenarios
    means: dict[str, Any] = {
        str(name): state["batch_means"][f"{batch['index']}:{name}"] for name in names
    }
    run.record(batch["params"], means)
    convergence = run.convergence
    best = convergence[-1] if convergence else math.nan
    emit_progress(
        len(run.rows),
        state["round_budget"],
        unit="trials",
        best=None if math.isnan(best) else best,
        metric="objective",
    )
    return {"trials": run.rows, "convergence": convergence, "batch": None}


def review(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """Stop or continue: budgets in code, convergence by the optimizer agent."""
    request = _request(state)
    done = len(state["trials"])
    if done >= state["round_budget"]:
        return {"stop": True}
    reason = _out_of_budget(state, request)
    if reason is not None:
        return {"stop": True, "status": "partial", "reason": reason}
    emit_node_started("optimizer")
    best = max(
        (t for t in state["trials"] if t["feasible"]),
        key=lambda t: t["objective"],
        default=None,
    )
    progress = {
        "convergence": [None if math.isnan(v) else v for v in state["convergence"]],
        "trials_done": done,
        "round_budget": state["round_budget"],
        "best": None if best is None else {"objective": best["objective"], "trial": best["trial"]},
    }
    outcome = review_batch(progress, config, _res(state).settings)
    decision = outcome.decision
    update: dict[str, Any] = {"stop": decision.action == "stop", **_charge(outcome)}
    if decision.action == "stop":
        update["stop_note"] = (
            f"the optimizer stopped the search after {done} of {state['round_budget']} trials "
            f"of this round: {decision.reason.rstrip('.')}"
        )
    return update


def after_review(state: OptimizationState) -> str:
    """Back to `propose`, or on to the risk gate."""
    return "risk_gate" if state.get("stop") else "propose"


def _hedge_possible(state: OptimizationState) -> bool:
    """Whether the run's search space holds strategies with an option overlay."""
    space = SearchSpace(dict(state["plan"]["search_space"]))
    return bool(set(space.values_of("overlay")) - {"none"})


def _hedge_available(state: OptimizationState) -> bool:
    """Whether the risk manager may still require a hedge: the space holds hedged and
    unhedged strategies and no earlier round required one."""
    space = SearchSpace(dict(state["plan"]["search_space"]))
    kinds = set(space.values_of("overlay"))
    return "none" in kinds and len(kinds) > 1 and not state.get("hedge_required")


def _config_of(state: OptimizationState, trial: dict[str, Any]) -> Any:
    """The `StrategyConfig` of a trial row of this run."""
    space = SearchSpace(dict(state["plan"]["search_space"]))
    return space.config({n: trial[n] for n in space.names})


def _candidates(state: OptimizationState) -> list[dict[str, Any]]:
    request = _request(state)
    limits = request.risk_limits.limits()
    where = _limit_scenarios(state)
    hedging = _hedge_possible(state)
    shown: tuple[str, ...] = ("sharpe", "max_drawdown", "cvar_95", "var_95")
    if hedging:
        shown += ("hedge_premium", "hedge_carry")
    feasible = [t for t in state["trials"] if t["feasible"] and math.isfinite(t["objective"])]
    pool = feasible or sorted(state["trials"], key=lambda t: t["violation"])[:CANDIDATES]
    ranked = sorted(pool, key=lambda t: (-t["objective"], t["trial"]))
    seen: set[str] = set()
    out = []
    for trial in ranked:
        if trial["config_id"] in seen:
            continue
        seen.add(trial["config_id"])
        metrics = {s: {m: trial[f"{s}.{m}"] for m in shown} for s in request.scenarios}
        violations = [
            {"metric": m, "scenario": s, "value": trial[f"{s}.{m}"], "limit": limit}
            for m, limit in limits.items()
            for s in where
            if trial[f"{s}.{m}"] > limit
        ]
        candidate = {"trial": trial["trial"], "objective": trial["objective"],
                     "metrics": metrics, "violations": violations}  # fmt: skip
        if hedging:
            candidate["overlay"] = _config_of(state, trial).overlay
        out.append(candidate)
        if len(out) == CANDIDATES:
            break
    return out


def risk_gate(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """The risk manager approves a candidate or sends the optimizer back with constraints."""
    emit_node_started("risk_manager")
    request = _request(state)
    candidates = _candidates(state)
    if not candidates:
        return {
            "chosen": None,
            "status": "partial",
            "reason": state.get("reason") or "no trials ran",
        }
    limits = request.risk_limits.model_dump(mode="json", exclude_none=True)
    update: dict[str, Any] = {}
    approved: int | None = None
    constraints: list[dict[str, Any]] = []
    require_hedge = False
    if not request.risk_limits.limits():
        approved = 0
        verdict = {"approve": True, "candidate": 0, "rationale": "no risk limits were set"}
    elif _out_of_budget(state, request) is not None:
        passing = [i for i, c in enumerate(candidates) if not c["violations"]]
        approved = passing[0] if passing else None
        verdict = {"approve": approved is not None, "candidate": approved,
                   "rationale": "checked in code: the token or time budget is spent"}  # fmt: skip
    else:
        outcome = review_risk(
            candidates,
            limits,
            state.get("round", 0),
            config,
            _res(state).settings,
            hedge_available=_hedge_available(state) if _hedge_possible(state) else None,
        )
        update.update(_charge(outcome))
        decision = outcome.decision
        verdict = decision.model_dump(mode="json")
        if (
            decision.approve
            and decision.candidate is not None
            and decision.candidate < len(candidates)
        ):
            if candidates[decision.candidate]["violations"]:
                update["warnings"] = _warned(
                    [
                        f"the risk manager approved candidate {decision.candidate}, which breaks "
                        "a risk limit: overruled"
                    ]
                )
            else:
                approved = decision.candidate
        constraints = [c.model_dump(mode="json") for c in decision.add_constraints]
        require_hedge = decision.require_hedge and _hedge_available(state)
    update["risk"] = {"round": state.get("round", 0), "candidates": candidates, "verdict": verdict}
    if approved is not None:
        update["chosen"] = {"trial": candidates[approved]["trial"], "approved": True}
        return update
    if not constraints:
        constraints = [
            {"metric": v["metric"], "scenario": v["scenario"], "max": v["limit"]}
            for c in candidates
            for v in c["violations"]
        ]
    trials_left = request.budget.max_trials - len(state["trials"])
    out_of_budget = _out_of_budget(state, request)
    if (
        state.get("round", 0) < request.max_risk_rounds
        and trials_left > 0
        and out_of_budget is None
    ):
        rounds_left = request.max_risk_rounds - state.get("round", 0)
        known = {(c["metric"], c.get("scenario")) for c in state.get("constraints", [])}
        added = [
            {"metric": c["metric"], "scenario": c.get("scenario"), "max": c["max"]}
            for c in constraints
            if (c["metric"], c.get("scenario")) not in known
        ]
        if require_hedge:
            added.append(
                {"metric": "hedge_premium", "scenario": None, "min": HEDGE_REQUIRED_PREMIUM}
            )
            update["hedge_required"] = {
                "round": state.get("round", 0) + 1,
                "constraint": Constraint(**added[-1]).describe(),
                "reason": verdict.get("rationale"),
            }
        update.update(
            {
                "chosen": None,
                "round": state.get("round", 0) + 1,
                "constraints": [*state.get("constraints", []), *added],
                "round_budget": len(state["trials"]) + math.ceil(trials_left / rounds_left),
            }
        )
        return update
    best = min(candidates, key=lambda c: (len(c["violations"]), -c["objective"]))
    update.update(
        {
            "chosen": {"trial": best["trial"], "approved": False},
            "status": "partial",
            "reason": out_of_budget
            or f"no candidate met the risk limits after {state.get('round', 0) + 1} round(s)",
        }
    )
    return update


def after_risk_gate(state: OptimizationState) -> str:
    """Search again under the new constraints, or explain the chosen configuration."""
    if state.get("chosen") is None and state.get("status") != "partial":
        return "propose"
    return "explain" if state.get("chosen") else "finalize"


def _search_result(state: OptimizationState) -> SearchResult | None:
    run = _run(state, budget=max(len(state["trials"]), 1))
    try:
        return run.result(dsr_n_obs=state["dataset"]["days"])
    except NoFeasibleTrialError:
        return None


def _hedge_scenario(state: OptimizationState) -> str:
    """The scenario a hedge trade-off is shown in: bear when the limits apply there (or, without
    limits, when it was simulated), else the first scenario the limits apply to."""
    request = _request(state)
    where = _limit_scenarios(state) if request.risk_limits.limits() else list(request.scenarios)
    return "bear" if "bear" in where else where[0]


def _hedging(state: OptimizationState) -> dict[str, Any] | None:
    """What hedge the winner holds and what it bought, or None when the search space holds
    no option overlay and the winner none either.

    `comparison`: the winner and the same config without its overlay on the same paths
    (`quant.hedging.hedge_comparison`; None for an unhedged winner); `tradeoff`: the unhedged
    trial closest to the limits beside the cheapest hedged trials that meet them, in `scenario`;
    `required`: the risk manager's requirement of a hedge (round, constraint, reason) or None."""
    chosen = state["chosen"]
    assert chosen is not None
    config = _config_of(state, state["trials"][chosen["trial"]])
    if not (_hedge_possible(state) or config.has_overlay):
        return None
    request = _request(state)
    res = _res(state)
    res.ensure_scenarios(state["horizon"])
    scenario = _hedge_scenario(state)
    comparison = (
        hedge_comparison(config, res.inputs, safe=request.safe_rate, vol_model=request.vol_model)
        if config.has_overlay
        else None
    )
    trials = [(t, _config_of(state, t)) for t in state["trials"] if math.isfinite(t["objective"])]
    hedged = [t for t, c in trials if c.has_overlay]
    return {
        "winner_hedged": config.has_overlay,
        "n_hedged_trials": len(hedged),
        "n_hedged_feasible": sum(bool(t["feasible"]) for t in hedged),
        "scenario": scenario,
        "comparison": comparison,
        "tradeoff": hedge_tradeoff(trials, scenario),
        "required": state.get("hedge_required"),
        "limits": request.risk_limits.limits(),
        "units": "hedge_premium, hedge_payoff, hedge_carry (premium - payoff): fractions of "
        "wealth per year; max_drawdown, cvar_95 (daily): positive losses; path means",
    }


def _facts(state: OptimizationState, result: SearchResult | None) -> dict[str, Any]:
    request = _request(state)
    chosen = state["chosen"]
    assert chosen is not None
    trial = state["trials"][chosen["trial"]]
    space = SearchSpace(dict(state["plan"]["search_space"]))
    config = space.config({n: trial[n] for n in space.names})
    facts: dict[str, Any] = {
        "best_config": config.model_dump(mode="json"),
        "objective": trial["objective"],
        "objective_name": " + ".join(f"{w:g} x {m}" for m, w in request.objective.items())
        + " (scenario-weighted mean)",
        "n_trials": len(state["trials"]),
        "scenarios": {
            s: {m.split(".", 1)[1]: v for m, v in trial.items() if m.startswith(f"{s}.")}
            for s in request.scenarios
        },
        "scenario_weights": state["market_view"]["scenario_weights"],
        "var_confidence": 0.95,
    }
    if result is not None:
        summary = result.to_dict()
        facts["deflated_sharpe"] = summary["deflated_sharpe"]
        if result.best_config == config:
            facts["paired_sharpe"] = summary["paired_sharpe_difference"]
    return facts


def explain_node(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """The explanation agent explains the chosen configuration; the grounding check guards it."""
    emit_node_started("explanation")
    request = _request(state)
    res = _res(state)
    result = _search_result(state)
    facts = _facts(state, result)
    hedging = _hedging(state)
    if hedging is not None:
        facts["hedging"] = hedging
    search_id = None
    if result is not None and res.scenarios is not None and res.scenario_set_id is not None:
        record = SearchRecord(
            result=result,
            scenario_set_id=res.scenario_set_id,
            scenario_record=res.context.artifacts.get(res.scenario_set_id, "scenarios"),
            elapsed_s=time.time() - state["started_at"],
        )
        search_id = res.context.artifacts.put("search", record)
    warnings: list[str] = []
    update: dict[str, Any] = {}
    if _out_of_budget(state, request) is not None:
        text, source = template_explanation(facts), "template"
        warnings.append("the token or time budget is spent: the explanation is the template")
    else:
        outcome = explain(facts, search_id, res.tools, config, res.settings)
        update.update(_charge(outcome))
        grounding = dict(facts)
        for message in outcome.messages:
            if isinstance(message, ToolMessage) and message.name == "sensitivity_analysis":
                parsed = _json(message.text)
                if isinstance(parsed, dict):
                    grounding["sensitivity_tool"] = parsed
                    facts.update(sensitivity_facts(parsed))
        text, source = outcome.decision.text, "agent"
        bad = ungrounded_numbers(text, grounding)
        if bad:
            warnings.append(
                "the explanation cited numbers that are not in the results "
                f"({', '.join(bad[:5])}): replaced by the template explanation"
            )
            text, source = template_explanation(facts), "template"
    update.update(
        {
            "explanation": {"text": text, "source": source, "facts": facts},
            "hedging": hedging,
            "warnings": _warned(warnings),
        }
    )
    return update


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None


def _stop_reason(state: OptimizationState, request: OptimizationRequest) -> str | None:
    """Why the run used fewer trials than its budget (None when it used them all)."""
    done, budget = len(state.get("trials", [])), request.budget.max_trials
    if state.get("reason") or done >= budget:
        return state.get("reason")
    note = state.get("stop_note")
    if note:
        return f"{done} of {budget} trials: {note}"
    if done >= state.get("round_budget", budget):
        return (
            f"{done} of {budget} trials: the first round may use {FIRST_ROUND_SHARE:.0%} of the "
            "budget (the rest is kept for risk rounds), and the risk manager approved a "
            "candidate after it"
        )
    return f"{done} of {budget} trials: the search space holds no more distinct configurations"


def _risk_verdict(approved: bool, request: OptimizationRequest) -> str:
    """The risk check in words: approved only when there were limits to check."""
    if not request.risk_limits.limits():
        return "no risk limits were set, so nothing was checked"
    if approved:
        return "approved by the risk manager: it meets every risk limit"
    return "NOT approved: no candidate met every risk limit"


def _winner_note(state: OptimizationState, best: dict[str, Any]) -> str | None:
    """Why the winner is not the best feasible trial, when it is not."""
    feasible = [t for t in state["trials"] if t["feasible"] and math.isfinite(t["objective"])]
    top = max(feasible, key=lambda t: (t["objective"], -t["trial"]), default=None)
    if top is None:
        return (
            f"no trial met every risk limit: the winner is trial {best['trial']}, the one that "
            "came closest"
        )
    if top["trial"] == best["trial"] or top["objective"] <= best["objective"]:
        return None
    verdict = (state.get("risk") or {}).get("verdict") or {}
    why = verdict.get("rationale") or "the risk manager preferred it"
    return (
        f"the best feasible objective ({top['objective']:.4g}, trial {top['trial']}) is not the "
        f"winner's ({best['objective']:.4g}, trial {best['trial']}): {why}"
    )


def finalize(state: OptimizationState) -> dict[str, Any]:
    """Assemble the result (the caller stores it)."""
    emit_node_started()
    request = _request(state)
    chosen = state.get("chosen")
    status = state.get("status") or "running"
    if status == "running":
        status = "succeeded"
    best: dict[str, Any] | None = None
    warnings = list(state.get("warnings", []))
    plausibility: list[dict[str, str]] = []
    benchmarks: dict[str, Any] | None = None
    if chosen is not None:
        trial = state["trials"][chosen["trial"]]
        space = SearchSpace(dict(state["plan"]["search_space"]))
        config = space.config({n: trial[n] for n in space.names})
        scenario_metrics: dict[str, dict[str, float]] = {
            str(s): {m.split(".", 1)[1]: v for m, v in trial.items() if m.startswith(f"{s}.")}
            for s in request.scenarios
        }
        best = {
            "trial": trial["trial"],
            "config": config.model_dump(mode="json"),
            "objective": trial["objective"],
            "approved_by_risk_manager": chosen["approved"] and bool(request.risk_limits.limits()),
            "risk_verdict": _risk_verdict(chosen["approved"], request),
            "scenarios": scenario_metrics,
        }
        best["note"] = _winner_note(state, best)
        objective = _objective(state)
        plausibility = plausibility_warnings(
            config,
            space,
            scenario_metrics,
            objective.scenario_weights or dict.fromkeys(request.scenarios, 1.0),
            dict(request.objective),
        )
        for item in plausibility:
            emit_warning(item["message"], item["code"])
        warnings += [item["message"] for item in plausibility]
        res = _res(state)
        res.ensure_scenarios(state["horizon"])
        benchmarks = benchmark_path_means(config, res.inputs, safe=request.safe_rate)
    result = {
        "status": status,
        "reason": _stop_reason(state, request),
        "best": best,
        "feasibility": feasibility_definition(state) if "plan" in state else None,
        # NaN while no trial meets the constraints: null in the stored (strict) JSON
        "convergence": [v if math.isfinite(v) else None for v in state.get("convergence", [])],
        "trials": state.get("trials", []),
        "n_trials": len(state.get("trials", [])),
        "max_trials": request.budget.max_trials,
        "rounds": state.get("round", 0) + 1,
        "constraints": state.get("constraints", []),
        "market_view": state.get("market_view"),
        "plan": state.get("plan"),
        "risk": state.get("risk"),
        "hedging": state.get("hedging") if chosen is not None else None,
        "explanation": state.get("explanation"),
        "warnings": warnings,
        "plausibility": plausibility,
        "benchmarks": benchmarks,
        "tokens": state.get("tokens", 0),
        "usage": add_usage(state.get("usage"), None),
        "dataset": state.get("dataset"),
    }
    return {"status": status, "result": result}


def after_node(target: str) -> Callable[[OptimizationState], str]:
    """Route to `target` unless the run already stopped for a budget (then finalize)."""

    def route(state: OptimizationState) -> str:
        return "finalize" if state.get("stop") and state.get("status") == "partial" else target

    return route


def build_optimization_graph(checkpointer: Any = None) -> Any:
    """The compiled `optimization` graph (with `checkpointer` for resumable runs)."""
    graph = StateGraph(OptimizationState)
    graph.add_node("validate", validate)
    graph.add_node("market_analysis", market_analysis, metadata={"agent": "market_analysis"})
    graph.add_node("scenarios", scenarios)
    graph.add_node("plan", plan, metadata={"agent": "optimizer"})
    graph.add_node("propose", propose, metadata={"agent": "optimizer"})
    graph.add_node("evaluate", evaluate)  # type: ignore[arg-type]
    graph.add_node("aggregate", aggregate, metadata={"agent": "optimizer"})
    graph.add_node("review", review, metadata={"agent": "optimizer"})
    graph.add_node("risk_gate", risk_gate, metadata={"agent": "risk_manager"})
    graph.add_node("explain", explain_node, metadata={"agent": "explanation"})
    graph.add_node("finalize", finalize)
    graph.add_edge(START, "validate")
    graph.add_edge("validate", "market_analysis")
    graph.add_conditional_edges(
        "market_analysis", after_node("scenarios"), ["scenarios", "finalize"]
    )
    graph.add_edge("scenarios", "plan")
    graph.add_edge("plan", "propose")
    graph.add_conditional_edges("propose", fan_out, ["evaluate", "risk_gate"])
    graph.add_edge("evaluate", "aggregate")
    graph.add_edge("aggregate", "review")
    graph.add_conditional_edges("review", after_review, ["propose", "risk_gate"])
    graph.add_conditional_edges("risk_gate", after_risk_gate, ["propose", "explain", "finalize"])
    graph.add_edge("explain", "finalize")
    graph.add_edge("finalize", END)
    return graph.compile(checkpointer=checkpointer)


__all__ = ["OptimizationState", "build_optimization_graph"]
