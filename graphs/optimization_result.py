"""The finalize node of the `optimization` graph: the run's result, assembled for the caller
to store.

The result holds the status and why the run used fewer trials than its budget, the winner
(`best`: configuration and its parameters in words (`config_words`), objective, per-scenario
metrics (path means, and the statistics of the paths the limits are checked on, e.g.
``max_drawdown@p95``), the risk verdict in words, each risk limit checked on the winner's
stated statistic of the paths in every scenario it applies to (`limits`, each with its
sentence: "max drawdown ≤ 25.00% in 95% of bear paths: 23.10%"), how many trials met every
limit, a note when it is not the best feasible trial), whether the winner beats the benchmarks
on the objective (`benchmark_verdict`, said first when it does not), what "feasible" meant,
every trial, the convergence, the rounds and their constraints, the market view, plan, risk
review, hedging summary and explanation, the warnings (plausibility checks of the winner among
them), the benchmark strategies on the same paths (and those left out, with why:
`benchmarks_missing`), and the tokens and usage spent.
"""

from __future__ import annotations

import math
from typing import Any

from agents.usage_counts import add_usage
from graphs.emit import emit_node_started, emit_warning
from graphs.optimization_edge import run_benchmarks
from graphs.optimization_limits import limit_checks
from graphs.optimization_state import (
    FIRST_ROUND_SHARE,
    OptimizationState,
    feasibility_definition,
    limit_scenarios,
    objective_of,
    request_of,
    resources_of,
    scenario_metrics,
)
from graphs.request import OptimizationRequest
from graphs.search_steps import best_feasible_trial
from graphs.warm_start import result_of as warm_start_result
from quant import SearchSpace
from quant.benchmark_strategies import REPORTED_METRICS
from quant.plausibility import plausibility_warnings
from services.benchmark_verdict import benchmark_verdict
from services.formatting import config_sentence, limit_sentence, plausibility_words, ratio


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
    """The risk check in words, naming the statistic each limit is checked on: approved only
    when there were limits to check."""
    limits = request.risk_limits.limits()
    if not limits:
        return "no risk limits were set, so nothing was checked"
    stated = "; ".join(
        limit_sentence(m, limit.limit, limit.statistic) for m, limit in limits.items()
    )
    if approved:
        return f"approved by the risk manager: it meets every risk limit ({stated})"
    return f"NOT approved: no candidate met every risk limit ({stated})"


def _trials_meeting_limits(state: OptimizationState, request: OptimizationRequest) -> int:
    """How many trials of the run meet every risk limit (on its statistic of the paths) in
    every scenario it applies to."""
    limits, where = request.risk_limits.limits(), limit_scenarios(state)
    columns = [(f"{s}.{limit.key(m)}", limit.limit) for m, limit in limits.items() for s in where]
    return sum(
        all(float(t.get(column, math.nan)) <= bound for column, bound in columns)
        for t in state["trials"]
    )


def _winner_note(state: OptimizationState, best: dict[str, Any]) -> str | None:
    """Why the winner is not the best feasible trial, when it is not."""
    top = best_feasible_trial(state["trials"])
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
        f"the best feasible objective ({ratio(top['objective'])}, trial {top['trial']}) is not "
        f"the winner's ({ratio(best['objective'])}, trial {best['trial']}): {why}"
    )


def finalize(state: OptimizationState) -> dict[str, Any]:
    """Assemble the result (the caller stores it)."""
    emit_node_started()
    request = request_of(state)
    chosen = state.get("chosen")
    status = state.get("status") or "running"
    if status == "running":
        status = "succeeded"
    best: dict[str, Any] | None = None
    plausibility: list[dict[str, Any]] = []
    benchmarks: dict[str, Any] | None = None
    edge: dict[str, Any] | None = None
    if chosen is not None:
        best, plausibility, benchmarks, edge = _winner(state, request, chosen)
    result = {
        "status": status,
        "reason": _stop_reason(state, request),
        "benchmark_verdict": None if edge is None else benchmark_verdict(edge),
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
        "warnings": [*state.get("warnings", []), *(item["message"] for item in plausibility)],
        "plausibility": plausibility,
        "benchmarks": benchmarks,
        "benchmarks_missing": _missing(state) if benchmarks is not None else {},
        "edge": edge,
        "tokens": state.get("tokens", 0),
        "usage": add_usage(state.get("usage"), None),
        "dataset": state.get("dataset"),
        "search_context": state.get("search_context"),
        "warm_start": warm_start_result(state),
    }
    return {"status": status, "result": result}


def _missing(state: OptimizationState) -> dict[str, str]:
    """The benchmarks left out of the result, each with why (the market index, when the run's
    data has none on its days: `graphs.resources`)."""
    missing = resources_of(state).market_missing
    return {} if missing is None else {"market": missing}


def _winner(
    state: OptimizationState, request: OptimizationRequest, chosen: dict[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, Any], dict[str, Any]]:
    """The chosen trial as the result's `best` (configuration, objective, the risk verdict,
    metrics per scenario, a note when it is not the best feasible trial), its plausibility
    warnings (each also a trace event), the benchmark strategies on the same paths and the
    winner's edge over them (`graphs.optimization_edge`)."""
    trial = state["trials"][chosen["trial"]]
    space = SearchSpace(dict(state["plan"]["search_space"]))
    config = space.config({n: trial[n] for n in space.names})
    metrics = scenario_metrics(trial, request.scenarios)
    best = {
        "trial": trial["trial"],
        "config": config.model_dump(mode="json"),
        "config_words": config_sentence(config),
        "objective": trial["objective"],
        "approved_by_risk_manager": chosen["approved"] and bool(request.risk_limits.limits()),
        "risk_verdict": _risk_verdict(chosen["approved"], request),
        "scenarios": metrics,
        "limits": limit_checks(metrics, request.risk_limits.limits(), limit_scenarios(state)),
        "trials_meeting_limits": _trials_meeting_limits(state, request),
    }
    best["note"] = _winner_note(state, best)
    checks = plausibility_warnings(
        config,
        space,
        metrics,
        objective_of(state).scenario_weights or dict.fromkeys(request.scenarios, 1.0),
        dict(request.objective),
    )
    plausibility = [{**item, "message": plausibility_words(item)} for item in checks]
    for item in plausibility:
        emit_warning(item["message"], item["code"])
    means, edge = run_benchmarks(state, trial)
    reported = {
        name: {s: {m: by[m] for m in REPORTED_METRICS} for s, by in scenarios.items()}
        for name, scenarios in means.items()
    }
    return best, plausibility, reported, edge
