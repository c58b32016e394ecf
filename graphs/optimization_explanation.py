"""The explain node of the `optimization` graph: the winner explained, every number grounded.

The explanation agent gets the winner's facts (`_facts`: configuration, objective, metrics per
scenario, deflated and paired Sharpe ratios), with `hedging` when the search could hold option
hedges (the winner beside the same configuration without its options on the same paths, and
the unhedged trial closest to the limits beside the cheapest hedged trials that meet them), and
the search stored as an artifact for its sensitivity tool. `agents.grounding` checks the text:
one citing a number that is not in the facts or the tool's results is replaced by the template
explanation, with a warning; so is the explanation of a run whose token or time budget is spent.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

from langchain_core.messages import ToolMessage
from langchain_core.runnables import RunnableConfig

from agents.explanation import sensitivity_facts, template_explanation
from agents.grounding import ungrounded_numbers
from agents.workflow import explain
from graphs.emit import emit_node_started
from graphs.optimization_edge import objective_name, run_benchmarks
from graphs.optimization_limits import limit_checks
from graphs.optimization_state import (
    OptimizationState,
    charge,
    config_of,
    hedge_possible,
    limit_scenarios,
    out_of_budget,
    request_of,
    resources_of,
    scenario_metrics,
    search_run,
    warned,
)
from graphs.request import OptimizationRequest
from quant import NoFeasibleTrialError, SearchResult
from quant.hedging import hedge_comparison, hedge_tradeoff
from quant.limits import QUANTILES, statistic_words
from quant.strategy import StrategyConfig
from services.benchmark_verdict import benchmark_verdict
from tools.context import SearchRecord


def _search_result(state: OptimizationState) -> SearchResult | None:
    """The search's result over every trial of the run (None when no trial is feasible)."""
    run = search_run(state, budget=max(len(state["trials"]), 1))
    try:
        return run.result(dsr_n_obs=state["dataset"]["days"])
    except NoFeasibleTrialError:
        return None


def _hedge_scenario(state: OptimizationState) -> str:
    """The scenario a hedge trade-off is shown in: bear when the limits apply there (or, without
    limits, when it was simulated), else the first scenario the limits apply to."""
    request = request_of(state)
    where = limit_scenarios(state) if request.risk_limits.limits() else list(request.scenarios)
    return "bear" if "bear" in where else where[0]


def _hedging(state: OptimizationState) -> dict[str, Any] | None:
    """What hedge the winner holds and what it bought, or None when the search space holds
    no option hedge and the winner none either.

    `comparison`: the winner and the same config without its overlay on the same paths
    (`quant.hedging.hedge_comparison`; None for an unhedged winner); `tradeoff`: the unhedged
    trial closest to the limits beside the cheapest hedged trials that meet them (all-cash ones
    left out), and the winner, in `scenario`;
    `required`: the risk manager's requirement of a hedge (round, constraint, reason) or None."""
    chosen = state["chosen"]
    assert chosen is not None
    config = config_of(state, state["trials"][chosen["trial"]])
    if not (hedge_possible(state) or config.has_hedge):
        return None
    request = request_of(state)
    res = resources_of(state)
    res.ensure_scenarios(state["horizon"])
    scenario = _hedge_scenario(state)
    comparison = (
        hedge_comparison(config, res.inputs, safe=request.safe_rate, vol_model=request.vol_model)
        if config.has_hedge
        else None
    )
    trials = [(t, config_of(state, t)) for t in state["trials"] if math.isfinite(t["objective"])]
    hedged = [t for t, c in trials if c.has_hedge]
    return {
        "winner_hedged": config.has_hedge,
        "n_hedged_trials": len(hedged),
        "n_hedged_feasible": sum(bool(t["feasible"]) for t in hedged),
        "scenario": scenario,
        "comparison": comparison,
        "tradeoff": hedge_tradeoff(trials, scenario, winner=int(chosen["trial"])),
        "required": state.get("hedge_required"),
        "limits": limit_facts(request),
        "units": "hedge_premium, hedge_payoff, hedge_carry (premium - payoff): fractions of "
        "wealth per year; max_drawdown, cvar_95 (daily): positive losses; path means (the "
        "limits: their statistic of the paths, `limits`)",
    }


def limit_facts(request: OptimizationRequest) -> dict[str, dict[str, Any]]:
    """The request's risk limits as the explanation reads them: each metric's `limit`, the
    `statistic` of the paths it is checked on, that statistic as a `quantile` (None for the
    mean) and in words (`checked`)."""
    return {
        metric: {
            "limit": limit.limit,
            "statistic": limit.statistic,
            "quantile": QUANTILES.get(limit.statistic),
            "checked": statistic_words(limit.statistic),
        }
        for metric, limit in request.risk_limits.limits().items()
    }


def runner_up_changes(winner: StrategyConfig, runner_up: StrategyConfig) -> dict[str, Any]:
    """The parameters the winner reads that the runner-up sets otherwise: name -> the
    runner-up's value (JSON)."""
    unused = winner.unused_parameters()
    mine, theirs = winner.model_dump(mode="json"), runner_up.model_dump(mode="json")
    return {
        name: value
        for name, value in theirs.items()
        if name not in unused and value != mine.get(name)
    }


def _facts(state: OptimizationState, result: SearchResult | None) -> dict[str, Any]:
    """What the explanation may cite about the winner: its configuration, objective and
    per-scenario metrics, the scenario weights, the risk limits with the statistic of the paths
    each is checked on and the winner's value of it (`limits`), how it compares with the
    benchmarks on the objective (`benchmark_verdict`), and the deflated and paired Sharpe
    ratios."""
    request = request_of(state)
    chosen = state["chosen"]
    assert chosen is not None
    trial = state["trials"][chosen["trial"]]
    config = config_of(state, trial)
    facts: dict[str, Any] = {
        "best_config": config.model_dump(mode="json"),
        "objective": trial["objective"],
        "objective_name": objective_name(request.objective),
        "n_trials": len(state["trials"]),
        "scenarios": scenario_metrics(trial, request.scenarios),
        "scenario_weights": state["market_view"]["scenario_weights"],
        "var_confidence": 0.95,
    }
    if request.risk_limits.limits():
        where = limit_scenarios(state)
        checks = limit_checks(scenario_metrics(trial, where), request.risk_limits.limits(), where)
        facts["limits"] = [
            {**check, "quantile": QUANTILES.get(check["statistic"])} for check in checks
        ]
    facts["benchmark_verdict"] = benchmark_verdict(run_benchmarks(state, trial)[1])
    if result is not None:
        summary = result.to_dict()
        facts["deflated_sharpe"] = summary["deflated_sharpe"]
        if result.best_config == config:
            facts["paired_sharpe"] = summary["paired_sharpe_difference"]
            if result.runner_up_config is not None:
                facts["runner_up_changes"] = runner_up_changes(config, result.runner_up_config)
    return facts


def explain_node(state: OptimizationState, config: RunnableConfig) -> dict[str, Any]:
    """The explanation agent explains the chosen configuration; the grounding check guards it."""
    emit_node_started("explanation")
    request = request_of(state)
    res = resources_of(state)
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
    if out_of_budget(state, request) is not None:
        text, source = template_explanation(facts), "template"
        warnings.append("the token or time budget is spent: the explanation is the template")
    else:
        outcome = explain(facts, search_id, res.tools, config, res.settings)
        update.update(charge(outcome))
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
            "warnings": warned(warnings),
        }
    )
    return update


def _json(text: str) -> Any:
    """`text` parsed as JSON, or None when it is not JSON."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return None
