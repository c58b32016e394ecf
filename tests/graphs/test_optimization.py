"""The optimization workflow end to end with the offline model."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage

from agents.grounding import ungrounded_numbers
from agents.offline.policies import PolicyInput, get_policy, reply, tool_call
from api.reports import write_reports
from graphs.optimization_run import run_optimization
from graphs.request import OptimizationRequest
from quant.strategy import StrategyConfig
from services.formatting import days, multiple, percent
from settings import ComputeSettings, ModelSettings, Settings
from traces.jsonl import check_sequence, read_jsonl
from traces.schema import TraceEvent

SMALL: dict[str, Any] = {
    "universe": ["AAPL", "JNJ", "KO", "XOM", "JPM"],
    "start": "2008-01-01",
    "end": "2022-12-28",
    "n_paths": 40,
    "horizon": 189,
    "search_space": {
        "target_vol": {"low": 0.05, "high": 0.25},
        "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
        "lookback": {"low": 21, "high": 105, "step": 21},
        "rebalance_every": {"low": 5, "high": 40, "step": 5},
        "cost_bps": 5.0,
    },
    "budget": {"max_trials": 30, "batch_size": 10},
}


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", models=ModelSettings(provider="offline"))


def _run(data: dict[str, Any], settings: Settings, **kwargs: Any) -> tuple[Any, list[TraceEvent]]:
    events: list[TraceEvent] = []
    outcome = run_optimization(
        OptimizationRequest.model_validate(data),
        on_event=events.append,
        settings=settings,
        **kwargs,
    )
    return outcome, events


def test_a_run_goes_through_every_agent_and_stores_a_grounded_result(settings: Settings) -> None:
    outcome, events = _run(SMALL, settings)
    result = outcome.result
    assert outcome.status == "succeeded" and result is not None
    assert result["n_trials"] == 30
    assert len({t["config_id"] for t in result["trials"]}) > 1
    convergence = result["convergence"]
    assert len(convergence) == 3 and convergence == sorted(convergence)
    best = result["best"]
    # no risk limits: nothing to approve, and the result says so
    assert not best["approved_by_risk_manager"]
    assert best["risk_verdict"] == "no risk limits were set, so nothing was checked"
    assert best["objective"] == max(t["objective"] for t in result["trials"] if t["feasible"])
    assert best["note"] is None and result["reason"] is None
    assert set(best["scenarios"]) == {"bull", "bear", "high_vol", "low_vol", "base"}
    weights = result["market_view"]["scenario_weights"]
    assert math.isclose(sum(weights.values()), 1.0)
    explanation = result["explanation"]
    assert explanation["source"] == "agent"
    assert ungrounded_numbers(explanation["text"], explanation["facts"]) == []
    # the runner-up the explanation compares with: the best trial of another configuration
    winner = next(t for t in result["trials"] if t["trial"] == best["trial"])
    others = [
        t for t in result["trials"] if t["feasible"] and t["config_id"] != winner["config_id"]
    ]
    runner_up = max(others, key=lambda t: t["objective"])
    varied = [n for n, v in SMALL["search_space"].items() if isinstance(v, dict)]
    reads = set(varied) - StrategyConfig.model_validate(best["config"]).unused_parameters()
    changed = {n: runner_up[n] for n in sorted(reads) if runner_up[n] != best["config"][n]}
    assert explanation["facts"]["runner_up_changes"] == changed
    assert "runner-up" in explanation["text"]
    assert result["manifest"]["status"] == "succeeded"
    assert set(result["manifest"]["prompt_hashes"]) >= {"market_analysis", "optimizer"}
    assert result["timings"]["evaluation"] > 0

    # the trace: gap-free sequence, every agent at work, tool calls and results, progress
    check_sequence(events)
    assert events[0].type == "run_started" and events[-1].type == "run_finished"
    agents = {e.agent for e in events if e.type == "node_started"}
    assert {"market_analysis", "optimizer", "risk_manager", "explanation"} <= agents
    tools = [e.data["tool"] for e in events if e.type == "tool_call"]
    assert "market_statistics" in tools and "sensitivity_analysis" in tools
    progress = [
        e.data["done"] for e in events if e.type == "progress" and e.data["unit"] == "trials"
    ]
    assert progress == [10, 20, 30]
    stored = read_jsonl(outcome.directory / "events.jsonl")
    assert [e.seq for e in stored] == [e.seq for e in events]
    on_disk = json.loads((outcome.directory / "result.json").read_text())
    assert on_disk["best"] == best
    assert [p.name for p in write_reports(outcome.directory)] == ["report.md", "report.html"]
    report = (outcome.directory / "report.md").read_text()
    assert "Why it won" in report
    # numbers are rounded for people: no 17-digit floats in the report
    assert f"| volatility target | {best['config']['target_vol']:.2%} |" in report
    assert not re.search(r"\d\.\d{7,}", report)
    assert "## Compared with unmanaged holdings" in report
    rate = f"the request's {result['edge']['safe_rate']:.2%} safe rate"
    assert f"Means over paths; Sharpe ratios in excess of {rate}." in report


def test_the_same_request_gives_the_same_result(settings: Settings) -> None:
    first, _ = _run(SMALL, settings)
    second, _ = _run(SMALL, settings)
    assert first.result["trials"] == second.result["trials"]
    assert first.result["explanation"]["text"] == second.result["explanation"]["text"]


def test_feasible_means_every_risk_limit_in_every_weighted_scenario(settings: Settings) -> None:
    data = {**SMALL, "budget": {"max_trials": 40, "batch_size": 10}}
    probe, _ = _run({**data, "risk_limits": {"max_drawdown": 1.0}}, settings)  # keeps the p95s
    drawdowns = sorted(t["bear.max_drawdown@p95"] for t in probe.result["trials"])
    limit = drawdowns[len(drawdowns) // 2]
    data["risk_limits"] = {"max_drawdown": limit}  # on the 95th percentile of the paths
    outcome, _ = _run(data, settings)
    result = outcome.result
    weights = result["market_view"]["scenario_weights"]
    weighted = [s for s, w in weights.items() if w > 0]
    assert len(weighted) > 1
    for trial in result["trials"]:
        meets = all(trial[f"{s}.max_drawdown@p95"] <= limit for s in weighted)
        assert trial["feasible"] == (meets and math.isfinite(trial["objective"])), trial["trial"]
    assert any(not t["feasible"] for t in result["trials"])  # the limit bites
    assert f"max drawdown ≤ {percent(limit)} in 95% of bear paths" in result["feasibility"]
    best = result["best"]
    assert outcome.status == "succeeded" and best["approved_by_risk_manager"]
    assert best["risk_verdict"].startswith("approved by the risk manager")
    assert all(best["scenarios"][s]["max_drawdown@p95"] <= limit for s in weighted)
    assert all(check["met"] and check["statistic"] == "p95" for check in best["limits"])
    # the first round may use 70% of the trials; the result says why it used no more
    assert result["n_trials"] == 28 and result["max_trials"] == 40  # ceil(0.7 x 40)
    assert result["reason"].startswith("28 of 40 trials: the first round may use 70%")


def test_the_risk_gate_sends_the_optimizer_back_and_says_when_no_trial_meets_the_limits(
    settings: Settings,
) -> None:
    # inverse-vol weights are never zero (sigmoid ones can be): every trial loses something
    space = {**SMALL["search_space"], "weight_function": "inverse_vol"}
    data = {**SMALL, "search_space": space, "budget": {"max_trials": 40, "batch_size": 10}}
    probe, _ = _run(data, settings)
    limit = min(t["bear.max_drawdown"] for t in probe.result["trials"]) / 2  # out of reach
    assert limit > 0
    data["risk_limits"] = {"max_drawdown": limit, "scenarios": ["bear"]}
    outcome, events = _run(data, settings)
    result = outcome.result
    assert result["rounds"] >= 2
    assert outcome.status == "partial"
    assert "no candidate met the risk limits" in result["reason"]
    assert not any(t["feasible"] for t in result["trials"])
    best = result["best"]
    assert best["risk_verdict"].startswith("NOT approved")
    assert best["note"].startswith("no trial met every risk limit")
    rounds = [e for e in events if e.type == "node_started" and e.node == "risk_gate"]
    assert len(rounds) == result["rounds"]


def test_an_optimizer_that_stops_early_is_said_to_have_stopped_and_why(
    settings: Settings, policy_override: Any
) -> None:
    original = get_policy("optimizer")

    def impatient(inp: PolicyInput) -> AIMessage:
        if inp.forced_tool == "BatchDecision":
            return reply(
                "", tool_call("BatchDecision", {"action": "stop", "reason": "good enough"})
            )
        return original(inp)

    policy_override("optimizer", impatient)
    outcome, _ = _run(SMALL, settings)
    result = outcome.result
    assert outcome.status == "succeeded" and result["n_trials"] == 10
    assert result["reason"] == (
        "10 of 30 trials: the optimizer stopped the search after 10 of 30 trials of this "
        "round: good enough"
    )
    write_reports(outcome.directory)
    assert (
        "(10 of 30 trials: the optimizer stopped" in (outcome.directory / "report.md").read_text()
    )


def test_a_winner_at_the_edge_of_its_search_range_is_warned_about(settings: Settings) -> None:
    space = {**SMALL["search_space"], "lookback": {"low": 21, "high": 42, "step": 21}}
    outcome, events = _run({**SMALL, "search_space": space}, settings)
    result = outcome.result
    lookback = result["best"]["config"]["lookback"]
    edge = [w for w in result["plausibility"] if w["code"] == "search_edge"]
    (at_edge,) = [w for w in edge if w["parameter"] == "lookback"]
    assert at_edge["value"] == lookback and (at_edge["low"], at_edge["high"]) == (21, 42)
    assert at_edge["end"] == ("low" if lookback == 21 else "high")
    said = f"the winner's lookback {days(lookback)} is at the"
    assert any(w["message"].startswith(said) for w in edge)
    assert any(w.startswith(said) for w in result["warnings"])
    warned = [e for e in events if e.type == "warning" and e.data.get("code") == "search_edge"]
    assert warned


@pytest.mark.parametrize(
    ("budget", "reason"),
    [({"max_llm_tokens": 1500}, "token budget"), ({"max_wall_seconds": 0.001}, "wall-time budget")],
)
def test_an_exhausted_budget_ends_the_run_with_partial_results(
    settings: Settings, budget: dict[str, Any], reason: str
) -> None:
    data = {**SMALL, "budget": {**SMALL["budget"], **budget}}
    outcome, events = _run(data, settings)
    assert outcome.status == "partial"
    assert reason in outcome.result["reason"]
    assert events[-1].data["status"] == "partial"
    assert outcome.result["n_trials"] < 30


def test_invalid_tool_arguments_come_back_to_the_agent_which_recovers(
    settings: Settings, policy_override: Any
) -> None:
    original = get_policy("market_analysis")

    def careless(inp: PolicyInput) -> AIMessage:
        if not inp.tool_results() and not inp.must_call_tool:
            return reply("", tool_call("market_statistics", {"universe": ["NOTATICKER"]}))
        return original(inp)

    policy_override("market_analysis", careless)
    outcome, events = _run(SMALL, settings)
    errors = [e for e in events if e.type == "tool_result" and e.data["is_error"]]
    assert errors and "NOTATICKER" in errors[0].data["summary"]
    assert outcome.status == "succeeded"


def test_an_explanation_citing_numbers_not_in_the_results_is_replaced(
    settings: Settings, policy_override: Any
) -> None:
    def boastful(inp: PolicyInput) -> AIMessage:
        if inp.must_call_tool:
            return reply(
                "",
                tool_call(
                    inp.forced_tool or "Explanation",
                    {"text": "It earns a Sharpe of 3.14 and never loses 42.5%."},
                ),
            )
        return reply("Writing.")

    policy_override("explanation", boastful)
    outcome, events = _run(SMALL, settings)
    explanation = outcome.result["explanation"]
    assert explanation["source"] == "template"
    assert "3.14" not in explanation["text"]
    warnings = [w for w in outcome.result["warnings"] if "not in the results" in w]
    assert warnings and "3.14" in warnings[0]
    traced = [
        e for e in events if e.type == "warning" and "not in the results" in e.data["message"]
    ]
    assert len(traced) == 1


def test_settings_passed_to_a_run_decide_the_models_of_every_agent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from settings import get_settings

    # The environment asks for Bedrock at a closed port: any agent reading it would fail.
    monkeypatch.setenv("STRATIGOS_MODEL_PROVIDER", "bedrock")
    monkeypatch.setenv("STRATIGOS_BEDROCK_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-a-secret")
    get_settings.cache_clear()
    try:
        explicit = Settings(data_dir=tmp_path, models=ModelSettings(provider="offline"))
        outcome, _ = _run(SMALL, explicit)
    finally:
        get_settings.cache_clear()
    assert outcome.status == "succeeded"
    assert outcome.result["manifest"]["model_provider"] == "offline"


def test_batches_on_a_process_pool_give_the_trials_of_in_process_evaluation(
    tmp_path: Path,
) -> None:
    data = {**SMALL, "budget": {"max_trials": 20, "batch_size": 10}}
    threads, _ = _run(
        data, Settings(data_dir=tmp_path / "a", models=ModelSettings(provider="offline"))
    )
    pool_settings = Settings(
        data_dir=tmp_path / "b",
        models=ModelSettings(provider="offline"),
        compute=ComputeSettings(backend="local", workers=2),
    )
    pool, _ = _run(data, pool_settings)
    assert pool.result["trials"] == threads.result["trials"]
    assert pool.result["best"] == threads.result["best"]


def test_a_search_space_that_fixes_every_field_is_refused_and_a_plan_says_what_it_searches(
    settings: Settings,
) -> None:
    from pydantic import ValidationError

    from quant.problems import validation_problems

    with pytest.raises(ValidationError) as caught:
        OptimizationRequest.model_validate({**SMALL, "search_space": {"max_leverage": 1.0}})
    [(field, problem)] = validation_problems(caught.value.errors())
    assert field == "search_space" and "every field is fixed (max_leverage 1.0" in problem
    assert "nothing to search" in problem
    outcome, _ = _run(SMALL, settings)
    rationale = outcome.result["plan"]["rationale"]
    assert rationale == (
        "Keeping the requested search space and method: it searches volatility target 5.00% "
        "to 25.00%; weight rule: inverse volatility or sigmoid volatility rule; lookback 21 to "
        "105 trading days; rebalancing every 5 to 40 trading days; it fixes trading cost 5.0 "
        "bps; it leaves every other setting at its default: leverage 1.00x, risk aversion 2.00, "
        "steepness 10.00, risky sleeve equal-weight portfolio, no hedge."
    )
    defaults = StrategyConfig()  # what a field the request leaves out is held at, stated
    assert f"leverage {multiple(defaults.max_leverage)}" in rationale
    assert "no hedge" in rationale and "strike" not in rationale and "_" not in rationale
