"""Tail hedging in the optimization workflow, end to end with the offline model: the cheapest
option overlay that keeps the bear-scenario drawdown under a limit the unhedged strategies miss,
or an honest "none does"; hedged vs unhedged in the result and the reports."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from pydantic import ValidationError

from agents.grounding import ungrounded_numbers
from agents.offline.policies import PolicyInput, reply, tool_call
from api.reports import write_reports
from graphs.optimization_run import RunOutcome, run_optimization
from graphs.request import OptimizationRequest
from quant.problems import validation_problems
from services.formatting import percent
from settings import ModelSettings, Settings
from traces.schema import TraceEvent

LIMIT = 0.15
SCENARIOS = ("bear", "high_vol")

HEDGE_SEARCH: dict[str, Any] = {
    "universe": ["AAPL", "JNJ", "KO", "XOM", "JPM"],
    "start": "2008-01-01",
    "end": "2022-12-28",
    "n_paths": 40,
    "horizon": 189,
    "scenarios": list(SCENARIOS),
    "scenario_weights": dict.fromkeys(SCENARIOS, 1.0),
    "search_space": {
        "target_vol": {"low": 0.18, "high": 0.30},
        "weight_function": "inverse_vol",
        "lookback": 63,
        "rebalance_every": 21,
        "max_leverage": 1.5,
        "cost_bps": 5.0,
        "overlay": {"choices": ["none", "put"]},
        "overlay_strike": {"low": 0.85, "high": 1.0},
        "overlay_tenor_days": {"choices": [21, 63]},
    },
    "objective": {"hedge_premium": -1.0},
    "risk_limits": {"max_drawdown": {"limit": LIMIT, "statistic": "mean"}, "scenarios": ["bear"]},
    "budget": {"max_trials": 40, "batch_size": 10},
    "method": "random",
}
"""Target-vol strategies from 18% to 30% volatility, with or without a protective put (strike
85-100%, 21 or 63 days), asked for the cheapest protection (premium a year, mean of the bear and
high-vol scenarios) that keeps the bear drawdown under 15% on the mean of the paths."""


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", models=ModelSettings(provider="offline"))


def _run(data: dict[str, Any], settings: Settings) -> tuple[RunOutcome, list[TraceEvent]]:
    events: list[TraceEvent] = []
    outcome = run_optimization(
        OptimizationRequest.model_validate(data), on_event=events.append, settings=settings
    )
    assert outcome.result is not None
    return outcome, events


def _premium(trial: dict[str, Any]) -> float:
    """The objective's measure of cost: the premium a year, averaged over the two scenarios."""
    return sum(trial[f"{s}.hedge_premium"] for s in SCENARIOS) / len(SCENARIOS)


def test_the_search_finds_the_cheapest_put_that_meets_a_limit_the_unhedged_strategies_miss(
    settings: Settings,
) -> None:
    outcome, _ = _run(HEDGE_SEARCH, settings)
    result = outcome.result
    assert result is not None
    trials = result["trials"]
    unhedged = [t for t in trials if t["overlay"] == "none"]
    hedged = [t for t in trials if t["overlay"] == "put"]
    assert unhedged and hedged
    # the unhedged strategies miss the limit: even the best of them
    assert min(t["bear.max_drawdown"] for t in unhedged) > LIMIT
    assert all(t["bear.hedge_premium"] == 0.0 for t in unhedged)
    passing = [t for t in hedged if t["bear.max_drawdown"] <= LIMIT]
    assert passing, "some put meets the limit on these scenarios"

    best = result["best"]
    assert result["status"] == "succeeded"
    assert best["approved_by_risk_manager"] is True
    winner = trials[best["trial"]]
    assert best["config"]["overlay"] == "put"
    assert best["scenarios"]["bear"]["max_drawdown"] <= LIMIT
    # the cheapest passing hedged trial among those evaluated
    assert _premium(winner) == min(_premium(t) for t in passing)
    assert all(t["feasible"] == (t["bear.max_drawdown"] <= LIMIT) for t in trials)

    hedging = result["hedging"]
    assert hedging["winner_hedged"] is True and hedging["scenario"] == "bear"
    assert hedging["required"] is None  # the first round found passing puts
    for scenario in SCENARIOS:
        sides = hedging["comparison"][scenario]
        hedged_side, bare_side = sides["hedged"], sides["unhedged"]
        # the hedged side is the winner on the search's own paths
        for metric in ("max_drawdown", "cvar_95", "hedge_premium", "cagr"):
            assert hedged_side[metric] == pytest.approx(winner[f"{scenario}.{metric}"], abs=1e-12)
        assert hedged_side["hedge_carry"] == pytest.approx(
            hedged_side["hedge_premium"] - hedged_side["hedge_payoff"], abs=1e-12
        )
        # the puts pay off in the stressed scenarios and cut the losses on the same paths
        assert hedged_side["hedge_payoff"] > 0
        assert hedged_side["max_drawdown"] < bare_side["max_drawdown"]
        assert hedged_side["cvar_95"] < bare_side["cvar_95"]
    assert hedging["comparison"]["bear"]["unhedged"]["max_drawdown"] > LIMIT

    # the trade-off: the unhedged trial closest to the limit, then the cheapest passing puts
    rows = hedging["tradeoff"]
    assert rows[0]["hedged"] is False and rows[0]["feasible"] is False
    assert rows[0]["max_drawdown"] == min(t["bear.max_drawdown"] for t in unhedged)
    puts = rows[1:]
    assert puts and all(r["hedged"] and r["feasible"] for r in puts)
    assert [r["hedge_premium"] for r in puts] == sorted(r["hedge_premium"] for r in puts)
    assert puts[0]["hedge_premium"] == min(t["bear.hedge_premium"] for t in passing)
    assert best["trial"] in {r["trial"] for r in rows}

    # the explanation says what the protection bought and cost, every number grounded
    explanation = result["explanation"]
    assert explanation["source"] == "agent"
    assert "protection cost" in explanation["text"]
    assert "maximum drawdown went from" in explanation["text"]
    assert ungrounded_numbers(explanation["text"], explanation["facts"]) == []

    # stored with the result; the reports show hedged vs unhedged side by side and the trade-off
    assert json.loads((outcome.directory / "result.json").read_text())["hedging"] == hedging
    assert [p.name for p in write_reports(outcome.directory)] == ["report.md", "report.html"]
    markdown = (outcome.directory / "report.md").read_text()
    assert "## Hedged vs unhedged" in markdown and "### Trade-off" in markdown
    bear_dd = hedging["comparison"]["bear"]
    assert (
        f"| {percent(bear_dd['unhedged']['max_drawdown'])} | "
        f"{percent(bear_dd['hedged']['max_drawdown'])} |" in markdown
    )
    assert f"| {best['trial']} (winner) | put " in markdown
    html = (outcome.directory / "report.html").read_text()
    assert 'id="hedge-comparison"' in html and 'id="hedge-tradeoff"' in html


def test_when_no_put_meets_the_limit_the_risk_manager_requires_a_hedge_then_says_none_does(
    settings: Settings,
) -> None:
    far = {**HEDGE_SEARCH["search_space"], "overlay_strike": {"low": 0.6, "high": 0.7}}
    outcome, events = _run({**HEDGE_SEARCH, "search_space": far, "max_risk_rounds": 2}, settings)
    result = outcome.result
    assert result is not None
    assert result["status"] == "partial"
    assert "no candidate met the risk limits" in result["reason"]
    best = result["best"]
    assert best["approved_by_risk_manager"] is False
    assert all(not t["feasible"] for t in result["trials"])
    assert min(t["bear.max_drawdown"] for t in result["trials"]) > LIMIT

    # the requirement: recorded in the result, as a constraint, and in the trace
    hedging = result["hedging"]
    required = hedging["required"]
    assert required is not None and required["round"] == 1
    assert "option hedge" in required["reason"]
    assert {"metric": "hedge_premium", "scenario": None, "min": 1e-6} in result["constraints"]
    assert "holds an option hedge (pays a premium) in every scenario" in result["feasibility"]
    decisions = [
        e.data["args"]
        for e in events
        if e.type == "tool_call" and e.agent == "risk_manager" and "require_hedge" in e.data["args"]
    ]
    assert decisions and decisions[0]["require_hedge"] is True
    assert decisions[0]["rationale"] == required["reason"]

    # honest: no hedged trial met the limit, and the explanation says so with grounded numbers
    n_hedged = sum(t["overlay"] != "none" for t in result["trials"])
    assert hedging["n_hedged_trials"] == n_hedged > 0 and hedging["n_hedged_feasible"] == 0
    text = result["explanation"]["text"]
    assert f"None of the {n_hedged} hedged trials met the risk limits" in text
    assert ungrounded_numbers(text, result["explanation"]["facts"]) == []


def test_the_vol_model_of_the_request_prices_every_hedge_of_the_run(settings: Settings) -> None:
    small = {**HEDGE_SEARCH, "budget": {"max_trials": 10, "batch_size": 10}, "risk_limits": {}}
    default, _ = _run(small, settings)
    dear, _ = _run({**small, "vol_model": {"variance_risk_premium": 0.04}}, settings)
    assert default.result is not None and dear.result is not None
    pairs = list(zip(default.result["trials"], dear.result["trials"], strict=True))
    assert all(a["config_id"] == b["config_id"] for a, b in pairs)
    for a, b in pairs:
        if a["overlay"] == "none":
            assert a["bear.max_drawdown"] == b["bear.max_drawdown"]
        else:  # a larger variance risk premium makes every put dearer
            assert b["bear.hedge_premium"] > a["bear.hedge_premium"]
    assert any(a["overlay"] == "put" for a, _ in pairs)


def test_what_is_knowable_about_overlays_is_refused_at_submission() -> None:
    space = dict(HEDGE_SEARCH["search_space"])
    cases = {
        "search_space.overlay_strike": {**space, "overlay": "none"},
        "search_space.overlay_lower_strike": {
            **space,
            "overlay": {"choices": ["none", "put_spread"]},
            "overlay_lower_strike": {"low": 0.7, "high": 0.9},
        },
        "objective.hedge_premium": {k: v for k, v in space.items() if not k.startswith("overlay")},
        # a fixed value StrategyConfig refuses is named on its own field
        "search_space.overlay_budget": {**space, "overlay_budget": 0.9},
    }
    for field, bad in cases.items():
        with pytest.raises(ValidationError) as caught:
            OptimizationRequest.model_validate({**HEDGE_SEARCH, "search_space": bad})
        problems = validation_problems(caught.value.errors())
        assert field in [name for name, _ in problems], problems
    with pytest.raises(ValidationError, match="hedge_cost"):
        OptimizationRequest.model_validate({**HEDGE_SEARCH, "objective": {"hedge_cost": -1.0}})
    # the metrics a hedge search may optimise are accepted, and the vol model's own checks hold
    for metric in ("hedge_premium", "hedge_payoff", "hedge_carry"):
        OptimizationRequest.model_validate({**HEDGE_SEARCH, "objective": {metric: -1.0}})
    with pytest.raises(ValidationError) as caught:
        OptimizationRequest.model_validate(
            {**HEDGE_SEARCH, "vol_model": {"min_volatility": 0.5, "max_volatility": 0.4}}
        )
    assert validation_problems(caught.value.errors())[0][0] == "vol_model"


def test_a_hedge_the_search_space_cannot_hold_is_not_required_whatever_the_model_says(
    settings: Settings, policy_override: Any
) -> None:
    tasks: list[dict[str, Any]] = []

    def insistent(inp: PolicyInput) -> AIMessage:
        if inp.forced_tool == "RiskDecision":
            task = next(m for m in inp.messages if isinstance(m, HumanMessage))
            tasks.append(json.loads(task.text))
            decision = {"approve": False, "require_hedge": True, "rationale": "buy puts"}
            return reply("", tool_call("RiskDecision", decision))
        return reply("Checking the candidates.")

    policy_override("risk_manager", insistent)
    space = {k: v for k, v in HEDGE_SEARCH["search_space"].items() if not k.startswith("overlay")}
    data = {
        **HEDGE_SEARCH,
        "search_space": space,
        "objective": {"sharpe": 1.0},
        "budget": {"max_trials": 20, "batch_size": 10},
        "max_risk_rounds": 1,
    }
    outcome, _ = _run(data, settings)
    result = outcome.result
    assert result is not None and result["rounds"] == 2
    assert tasks and all("hedge_available" not in task for task in tasks)
    assert all("overlay" not in c for task in tasks for c in task["candidates"])
    assert not any(c["metric"] == "hedge_premium" for c in result["constraints"])
    assert result["hedging"] is None
