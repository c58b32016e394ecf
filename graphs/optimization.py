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
- The risk gate (`graphs.risk_gate`): the limits are checked in code on the top candidates; the
  risk manager agent approves one, or rejects them and sends the optimizer back with
  constraints (and, when the space holds hedged and unhedged strategies, a required hedge).
- The explanation (`graphs.optimization_explanation`) is checked by `agents.grounding`, and
  puts a hedged winner beside the same config without its options (`hedging`). Every
  evaluation prices option hedges with the request's `vol_model`.
- The result (`graphs.optimization_result`) is assembled in `finalize`; the caller stores it.
- State holds plain data only (checkpointable, `graphs.optimization_state`); the scenario paths
  are rebuilt from the seeded request when a run resumes (`graphs.resources`). Each batch's
  trials are in the state once it is aggregated, so a resumed run never repeats a finished
  batch.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import BaseMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

from agents.grounding import citation_problems, research_passages
from agents.workflow import analyse_market, plan_search, review_batch
from graphs.compiled import CompiledOnce
from graphs.emit import emit_node_started, emit_progress
from graphs.optimization_explanation import explain_node
from graphs.optimization_result import finalize
from graphs.optimization_state import (
    OptimizationState,
    charge,
    first_round_budget,
    out_of_budget,
    request_of,
    resources_of,
    search_run,
    warned,
)
from graphs.resources import resources
from graphs.risk_gate import after_risk_gate, risk_gate
from graphs.search_steps import (
    check_history,
    dataset_summary,
    evaluate_configs,
    scenario_context,
)
from graphs.warm_start import plan_for_run
from quant import SearchSpace, SearchSpaceError
from services.market_data.announcements import stored_regimes


def validate(state: OptimizationState) -> dict[str, Any]:
    """Load the request's data and check it (the search pipeline's data validation step)."""
    emit_node_started()
    res = resources_of(state)
    check_history(res.returns)
    return {
        "started_at": state.get("started_at") or time.time(),
        "status": "running",
        "dataset": dataset_summary(res),
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
    request = request_of(state)
    request_json = request.model_dump(mode="json")
    reason = out_of_budget(state, request)
    if reason is not None:
        return {"status": "partial", "reason": reason, "stop": True}
    res = resources_of(state)
    research = res.context.research is not None
    outcome = analyse_market(
        request_json,
        res.tools,
        config,
        res.settings,
        research=research,
        stored_regimes=stored_regimes(res.settings),  # the latest ingestion's, with its date
    )
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
        "warnings": warned(warnings),
        **charge(outcome),
    }


def scenarios(state: OptimizationState) -> dict[str, Any]:
    """Simulate the scenarios (seeded; rebuilt the same way on resume) and describe them for
    the strategy model (the search pipeline's scenario generation step)."""
    emit_node_started()
    res = resources_of(state)
    scen = res.ensure_scenarios(state["horizon"])
    emit_progress(scen.n_paths * len(scen.names), scen.n_paths * len(scen.names), unit="paths")
    return {"search_context": scenario_context(res, state["horizon"])}


def plan(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """The optimizer agent proposes the search space and method; the first round's budget; the
    warm start from the owner's strategy model (`graphs.warm_start`)."""
    emit_node_started("optimizer")
    request = request_of(state)
    request_json = request.model_dump(mode="json")
    warnings: list[str] = []
    space, method = request.search_space, request.method
    outcome = plan_search(request_json, state["market_view"], config, resources_of(state).settings)
    proposed = outcome.decision
    if proposed.search_space is not None:
        try:
            SearchSpace(dict(proposed.search_space))
            space = dict(proposed.search_space)
        except SearchSpaceError as exc:
            warnings.append(f"the optimizer's search space was invalid ({exc}): kept the request's")
    method = proposed.method or method
    return {
        "plan": {"search_space": space, "method": method, "rationale": proposed.rationale},
        "round_budget": first_round_budget(request),
        "warm_start": plan_for_run(state, space, method),
        "warnings": warned(warnings),
        **charge(outcome),
    }


def propose(state: OptimizationState) -> dict[str, Any]:
    """Propose the next batch of configurations."""
    emit_node_started("optimizer")
    run = search_run(state)
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
        for name in request_of(state).scenarios
    ]


def evaluate(task: dict[str, Any]) -> dict[str, Any]:
    """Evaluate one batch on one scenario: path means of every metric per configuration (the
    search pipeline's optimization step, one scenario at a time)."""
    res = resources(task["run_id"], task["request"])
    horizon = task["horizon"]
    res.ensure_scenarios(horizon)
    space = SearchSpace(dict(task["plan"]["search_space"]))
    configs = [space.config(p) for p in task["batch"]["params"]]
    name = task["scenario"]
    means = evaluate_configs(
        configs,
        {name: res.inputs[name]},
        lambda scenario: res.scenario_spec(scenario, horizon),
        request=res.request,
        backend=res.backend(),
        prefix=f"{task['run_id']}-{task['batch']['index']}",
    )
    return {"batch_means": {f"{task['batch']['index']}:{name}": means[name]}}


def aggregate(state: OptimizationState) -> dict[str, Any]:
    """Score the evaluated batch and keep its trials."""
    emit_node_started("optimizer")
    batch = state["batch"]
    assert batch is not None
    run = search_run(state)
    names = request_of(state).scenarios
    means: dict[str, Any] = {
        str(name): state["batch_means"][f"{batch['index']}:{name}"] for name in names
    }
    run.record(batch["params"], means)
    stopped = run.stop_note  # a warm search that learnt enough (`quant.tuning.warm_stop`)
    convergence = run.convergence
    best = convergence[-1] if convergence else math.nan
    emit_progress(  # trials kept of the run's budget (rounds share it): the result's counts
        len(run.rows),
        request_of(state).budget.max_trials,
        unit="trials",
        best=None if math.isnan(best) else best,
        metric="objective",
    )
    update: dict[str, Any] = {"trials": run.rows, "convergence": convergence, "batch": None}
    return update | ({"stop": True, "stop_note": stopped, "warm_stop": stopped} if stopped else {})


def review(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """Stop or continue: budgets in code, convergence by the optimizer agent."""
    request = request_of(state)
    done = len(state["trials"])
    if done >= state["round_budget"] or state.get("stop"):  # the budget, or a warm stop
        return {"stop": True}
    reason = out_of_budget(state, request)
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
    outcome = review_batch(progress, config, resources_of(state).settings)
    decision = outcome.decision
    update: dict[str, Any] = {"stop": decision.action == "stop", **charge(outcome)}
    if decision.action == "stop":
        update["stop_note"] = (
            f"the optimizer stopped the search after {done} of {state['round_budget']} trials "
            f"of this round: {decision.reason.rstrip('.')}"
        )
    return update


def after_review(state: OptimizationState) -> str:
    """Back to `propose`, or on to the risk gate."""
    return "risk_gate" if state.get("stop") else "propose"


def after_node(target: str) -> Callable[[OptimizationState], str]:
    """Route to `target` unless the run already stopped for a budget (then finalize)."""

    def route(state: OptimizationState) -> str:
        return "finalize" if state.get("stop") and state.get("status") == "partial" else target

    return route


def build_optimization_graph(checkpointer: Any = None) -> Any:
    """The compiled `optimization` graph (with `checkpointer` for resumable runs), compiled once
    per process (`graphs.compiled`)."""
    return _OPTIMIZATION(checkpointer)


def _optimization_builder() -> StateGraph[OptimizationState]:
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
    return graph


_OPTIMIZATION = CompiledOnce(_optimization_builder)


__all__ = ["OptimizationState", "build_optimization_graph"]
