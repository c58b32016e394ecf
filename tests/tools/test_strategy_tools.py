"""backtest_strategy, run_strategy_search, sensitivity_analysis, search_results and search_status
against direct quant calls on the same inputs."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quant import (
    Choices,
    Constraint,
    FloatRange,
    IntRange,
    Objective,
    SearchResult,
    StrategyConfig,
    evaluate,
    load_sp500_prices,
    one_at_a_time,
    parameter_importance,
    search,
    to_returns,
)
from quant.options.vol_model import ImpliedVolModel
from tools import ToolContext, build_tools, in_process_search

UNIVERSE = ["AAPL", "JNJ", "KO", "XOM"]
SCENARIO_ARGS = {
    "universe": UNIVERSE,
    "names": ["bull", "bear", "base"],
    "n_paths": 40,
    "horizon": 126,
    "seed": 1,
}
SPACE = {
    "target_vol": {"low": 0.05, "high": 0.3},
    "lookback": {"low": 21, "high": 63, "step": 21},
    "weight_function": {"choices": ["inverse_vol", "sigmoid"]},
}
QUANT_SPACE = {
    "target_vol": FloatRange(0.05, 0.3),
    "lookback": IntRange(21, 63, step=21),
    "weight_function": Choices(["inverse_vol", "sigmoid"]),
}


def tool(context: ToolContext, name: str) -> Any:
    return {t.name: t for t in build_tools(context)}[name]


def small(result: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(result, dict), result
    assert len(json.dumps(result, allow_nan=False)) < 4096
    return result


def close(value: float | None, reference: float) -> bool:
    assert value is not None
    return abs(value - reference) <= 5e-4 * abs(reference) + 1e-12


def rounded(x: float) -> float | None:
    return None if not math.isfinite(x) else float(f"{x:.4g}")


class Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int, float]] = []

    def __call__(self, done: int, total: int, best: float) -> None:
        self.calls.append((done, total, best))


@pytest.fixture(scope="module")
def shared() -> tuple[ToolContext, str, Recorder]:
    """A context with one scenario set (module-wide, to keep the tests fast)."""
    recorder = Recorder()
    context = ToolContext(progress=recorder)
    result = tool(context, "generate_market_scenarios").invoke(SCENARIO_ARGS)
    return context, result["scenario_set_id"], recorder


@pytest.fixture(scope="module")
def searched(shared: tuple[ToolContext, str, Recorder]) -> tuple[dict[str, Any], SearchResult]:
    """The tool's search and the same search called directly."""
    context, scn, recorder = shared
    recorder.calls.clear()
    result = tool(context, "run_strategy_search").invoke(
        {"scenario_set_id": scn, "space": SPACE, "budget": 30, "batch_size": 10, "seed": 2}
    )
    scenarios = context.artifacts.get(scn, "scenarios").scenarios
    direct = search(QUANT_SPACE, scenarios, budget=30, batch_size=10, seed=2, safe=0.02)
    return result, direct


# ---------------------------------------------------------------------------------------------
# backtest
# ---------------------------------------------------------------------------------------------
def test_backtest_on_scenarios_matches_evaluate(shared: tuple[ToolContext, str, Recorder]) -> None:
    context, scn, _ = shared
    config = {"target_vol": 0.12, "lookback": 42, "weight_function": "sigmoid", "cost_bps": 5}
    result = small(
        tool(context, "backtest_strategy").invoke({"config": config, "scenario_set_id": scn})
    )
    scenarios = context.artifacts.get(scn, "scenarios").scenarios
    cfg = StrategyConfig.model_validate(config)
    assert result["config_id"] == cfg.config_id
    assert result["evaluated_days"] == 126 - 42
    for name in ("bull", "bear", "base"):
        risky = scenarios.paths[name].mean(axis=2)
        direct = evaluate([cfg], risky, 0.02)
        for metric in ("sharpe", "cagr", "max_drawdown", "cvar_95", "turnover"):
            assert close(result["metrics"][name][metric], float(direct.metric(metric)[0].mean()))
        assert close(result["metrics"][name]["p05_cagr"], float(np.quantile(direct.cagr[0], 0.05)))


def test_backtest_on_history_matches_evaluate() -> None:
    context = ToolContext()
    args = {"config": {"target_vol": 0.1}, "universe": ["MSFT", "PG"], "start": "2019-01-01"}
    result = small(tool(context, "backtest_strategy").invoke(args))
    history = to_returns(load_sp500_prices()).loc["2019-01-01":, ["MSFT", "PG"]]
    direct = evaluate([StrategyConfig(target_vol=0.1)], history.mean(axis=1).to_numpy(), 0.02)
    for metric in ("sharpe", "cagr", "volatility", "max_drawdown", "average_weight"):
        assert close(result["metrics"][metric], float(direct.metric(metric)[0, 0]))
    assert result["history"]["days"] == len(history)
    assert result["history"]["risky"] == "equal_weight"


@pytest.mark.parametrize(("start", "lookback"), [("2022-11-29", 63), ("2022-12-20", 21)])
def test_a_window_shorter_than_the_lookback_reads_the_sessions_before_it(
    start: str, lookback: int
) -> None:
    """The lookback's sessions come from before the window and the strategy is measured over
    the window's sessions alone: the metrics equal `evaluate` on exactly those sessions."""
    context = ToolContext()
    config = {"target_vol": 0.1, "lookback": lookback}
    args = {"config": config, "universe": ["AAPL", "KO"], "start": start}
    result = small(tool(context, "backtest_strategy").invoke(args))
    returns = to_returns(load_sp500_prices())[["AAPL", "KO"]]
    window = returns.loc[start:]
    first = returns.index.get_loc(window.index[0])
    history = returns.iloc[first - lookback :]
    direct = evaluate([StrategyConfig(**config)], history.mean(axis=1).to_numpy(), 0.02)
    for metric in ("sharpe", "cagr", "volatility", "max_drawdown"):
        assert close(result["metrics"][metric], float(direct.metric(metric)[0, 0]))
    assert result["history"]["evaluated_days"] == len(window)
    warm_up = result["history"]["warm_up"]
    assert warm_up["sessions"] == lookback
    assert warm_up["end"] == str(returns.index[first - 1].date())
    assert f"fewer than the lookback of {lookback} needs" in warm_up["note"]


def test_backtest_with_a_put_overlay_reports_its_premium_and_payoff(
    shared: tuple[ToolContext, str, Recorder],
) -> None:
    context, scn, _ = shared
    config = {"target_vol": 0.15, "overlay": "put", "overlay_strike": 0.9, "overlay_tenor_days": 21}
    model = {"variance_risk_premium": 0.02, "skew": 2.0}
    args = {"config": config, "scenario_set_id": scn, "vol_model": model}
    result = small(tool(context, "backtest_strategy").invoke(args))
    cfg = StrategyConfig.model_validate(config)
    vol_model = ImpliedVolModel(**model)
    assert result["config"]["overlay"] == "put" and result["config_id"] == cfg.config_id
    assert result["vol_model"] == vol_model.model_dump(mode="json")
    assert "hedge_premium, hedge_payoff, hedge_carry" in result["units"]
    scenarios = context.artifacts.get(scn, "scenarios").scenarios
    for name in ("bull", "bear", "base"):
        direct = evaluate([cfg], scenarios.paths[name].mean(axis=2), 0.02, vol_model=vol_model)
        for metric in ("hedge_premium", "hedge_payoff", "hedge_carry", "max_drawdown", "cagr"):
            assert close(result["metrics"][name][metric], float(direct.metric(metric)[0].mean()))
        assert result["metrics"][name]["hedge_premium"] > 0
    # the default model prices the same put differently; no overlay, no hedge measures
    default = small(
        tool(context, "backtest_strategy").invoke({"config": config, "scenario_set_id": scn})
    )
    assert default["metrics"]["bear"]["hedge_premium"] != result["metrics"]["bear"]["hedge_premium"]
    bare = small(
        tool(context, "backtest_strategy").invoke(
            {"config": {"target_vol": 0.15}, "scenario_set_id": scn}
        )
    )
    assert "hedge_premium" not in bare["metrics"]["bear"] and "vol_model" not in bare


def test_backtest_takes_a_delta_band_roll() -> None:
    """A put rolled at a delta band: the tool's config reaches the engine (its id and numbers are
    those of the delta-rolled config, which differ from rolling at expiry)."""
    context = ToolContext()
    config = {
        "overlay": "put",
        "overlay_strike": 0.95,
        "overlay_roll": "delta",
        "overlay_roll_delta_band": 0.05,
    }
    args = {"config": config, "universe": ["MSFT", "PG"], "start": "2019-01-01"}
    result = small(tool(context, "backtest_strategy").invoke(args))
    cfg = StrategyConfig.model_validate(config)
    assert result["config_id"] == cfg.config_id
    assert result["config"]["overlay_roll_delta_band"] == 0.05
    history = to_returns(load_sp500_prices()).loc["2019-01-01":, ["MSFT", "PG"]]
    risky = history.mean(axis=1).to_numpy()
    expiry = cfg.model_copy(update={"overlay_roll": "expiry"})
    direct = evaluate([cfg, expiry], risky, 0.02)
    for metric in ("hedge_premium", "cagr", "max_drawdown"):
        assert close(result["metrics"][metric], float(direct.metric(metric)[0, 0]))
    assert direct.hedge_premium[0, 0] != direct.hedge_premium[1, 0]


def test_backtest_on_weighted_scenarios_uses_the_weighted_sleeve() -> None:
    context = ToolContext()
    made = tool(context, "generate_market_scenarios").invoke(
        {"weights": {"AAPL": 0.75, "KO": 0.25}, "names": ["bear"], "n_paths": 20, "horizon": 84}
    )
    out = tool(context, "backtest_strategy").invoke(
        {"config": {"lookback": 21}, "scenario_set_id": made["scenario_set_id"]}
    )
    scenarios = context.artifacts.get(made["scenario_set_id"]).scenarios
    risky = scenarios.paths["bear"] @ np.array([0.75, 0.25])
    direct = evaluate([StrategyConfig(lookback=21)], risky, 0.02)
    assert close(out["metrics"]["bear"]["sharpe"], float(direct.sharpe[0].mean()))


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"config": {"target_vol": -0.1}}, "config.target_vol: must be greater than 0"),
        ({"config": {"weight_function": "kelly"}}, "weight_function='kelly' is not registered"),
        ({"config": {"lookbak": 10}}, "config.lookbak: is not a field here"),
        ({}, "give config (the strategy to test) or run_id"),
        ({"run_id": "job_x"}, "run_id: search 'job_x' cannot be read here"),
        ({"config": {}, "scenario_set_id": "scn_ffffff"}, "unknown scenarios artifact id"),
        (
            {"config": {}, "scenario_set_id": "scn_ffffff", "start": "2019"},
            "historical backtest only",
        ),
        (
            {"config": {"lookback": 900}, "start": "1990-01-01", "end": "1990-12-31"},
            "the market data holds only 0 sessions before it: use a shorter lookback",
        ),
        (
            {"config": {"overlay": "put", "overlay_roll": "delta", "overlay_roll_delta_band": 0.7}},
            "config.overlay_roll_delta_band: must be at most 0.5",
        ),
        (
            {"config": {"overlay": "put", "overlay_roll": "gamma"}},
            "config.overlay_roll: must be one of expiry, band or delta",
        ),
    ],
)
def test_backtest_errors_are_readable(args: dict[str, Any], needle: str) -> None:
    out = tool(ToolContext(), "backtest_strategy").invoke(args)
    assert isinstance(out, str), out
    assert needle in out


# ---------------------------------------------------------------------------------------------
# search
# ---------------------------------------------------------------------------------------------
def test_search_matches_direct_call(searched: tuple[dict[str, Any], SearchResult]) -> None:
    result, direct = searched
    small(result)
    assert result["best_config"] == direct.best_config.model_dump(mode="json")
    assert result["best_value"] == rounded(direct.best_value)
    assert result["n_trials"] == direct.n_trials == 30
    assert result["convergence"] == [rounded(v) for v in direct.convergence]
    top = direct.top(5)
    assert [t["trial"] for t in result["top"]] == [int(v) for v in top["trial"]]
    assert [t["objective"] for t in result["top"]] == [rounded(v) for v in top["objective"]]
    assert result["deflated_sharpe"]["probability"] == rounded(direct.deflated_sharpe.probability)
    assert direct.paired_sharpe is not None
    paired = result["paired_sharpe_vs_runner_up"]
    assert paired["mean_difference"] == rounded(direct.paired_sharpe["overall"].mean)
    assert paired["significant"] == direct.paired_sharpe["overall"].significant
    for scenario in ("bull", "bear", "base"):
        assert result["best_metrics"][scenario]["sharpe"] == rounded(
            direct.best_metrics[scenario]["sharpe"]
        )


def test_search_reports_progress_after_every_batch(
    shared: tuple[ToolContext, str, Recorder], searched: tuple[dict[str, Any], SearchResult]
) -> None:
    _, _, recorder = shared
    _, direct = searched
    assert [c[:2] for c in recorder.calls] == [(10, 30), (20, 30), (30, 30)]
    np.testing.assert_allclose([c[2] for c in recorder.calls], direct.convergence, rtol=1e-12)


def test_search_result_artifact_round_trip(
    shared: tuple[ToolContext, str, Recorder], searched: tuple[dict[str, Any], SearchResult]
) -> None:
    context, scn, _ = shared
    result, direct = searched
    record = context.artifacts.get(result["search_id"], "search")
    assert record.scenario_set_id == scn
    pd.testing.assert_frame_equal(record.result.trials, direct.trials)
    # the stored result keeps a plain objective (no progress hook)
    assert type(record.result.objective) is Objective


def test_search_with_objective_constraints_and_grid(
    shared: tuple[ToolContext, str, Recorder],
) -> None:
    context, scn, _ = shared
    args = {
        "scenario_set_id": scn,
        "space": {"target_vol": {"low": 0.05, "high": 0.25, "grid_points": 5}, "lookback": 42},
        "objective": {"weights": {"sharpe": 1.0, "max_drawdown": -0.5}, "aggregate": "min"},
        "constraints": [{"metric": "max_drawdown", "scenario": "bear", "max": 0.12}],
        "method": "grid",
        "budget": 10,
    }
    result = small(tool(context, "run_strategy_search").invoke(args))
    scenarios = context.artifacts.get(scn, "scenarios").scenarios
    direct = search(
        {"target_vol": FloatRange(0.05, 0.25, grid_points=5), "lookback": 42},
        scenarios,
        objective=Objective(weights={"sharpe": 1.0, "max_drawdown": -0.5}, aggregate="min"),
        constraints=[Constraint("max_drawdown", scenario="bear", max=0.12)],
        method="grid",
        budget=10,
        safe=0.02,
    )
    assert result["n_trials"] == 5  # the whole grid, once
    assert result["best_config"]["target_vol"] == direct.best_config.target_vol
    assert result["n_feasible"] == direct.n_feasible
    assert result["best_metrics"]["bear"]["max_drawdown"] <= 0.12


def test_long_convergence_is_downsampled(shared: tuple[ToolContext, str, Recorder]) -> None:
    context, scn, _ = shared
    result = small(
        tool(context, "run_strategy_search").invoke(
            {
                "scenario_set_id": scn,
                "space": {"target_vol": {"low": 0.05, "high": 0.3}},
                "method": "random",
                "budget": 120,
                "batch_size": 1,
            }
        )
    )
    assert len(result["convergence"]) <= 50
    batches = result["convergence_batches"]
    assert batches[0] == 0 and batches[-1] == 119
    record = context.artifacts.get(result["search_id"], "search")
    full = record.result.convergence
    assert result["convergence"] == [rounded(full[i]) for i in batches]


def test_search_runner_can_be_swapped() -> None:
    calls: list[dict[str, Any]] = []

    def runner(**kwargs: Any) -> SearchResult:
        calls.append(kwargs)
        return in_process_search(**kwargs)

    context = ToolContext(search_runner=runner)
    scn = tool(context, "generate_market_scenarios").invoke({**SCENARIO_ARGS, "n_paths": 10})
    out = tool(context, "run_strategy_search").invoke(
        {"scenario_set_id": scn["scenario_set_id"], "budget": 4, "batch_size": 2}
    )
    assert isinstance(out, dict)
    assert len(calls) == 1
    assert calls[0]["budget"] == 4 and calls[0]["method"] == "tpe"
    assert calls[0]["progress"] is None
    assert set(calls[0]["space"]) == {
        "target_vol",
        "lookback",
        "rebalance_every",
        "weight_function",
    }


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"space": {"target_vol": {"low": 0.3, "high": 0.1}}}, "target_vol"),
        ({"space": {"lookback": {"low": 21, "high": 200}}}, "lookback"),
        ({"space": {"lookback": {"low": 10.5, "high": 40}}}, "whole numbers"),
        ({"space": {"alpha": {"low": 0, "high": 1}}}, "space.alpha"),
        ({"budget": 0}, "budget"),
        ({"budget": 5001}, "budget"),
        ({"batch_size": 501}, "batch_size"),
        ({"method": "bayes"}, "method"),
        ({"objective": {"metric": "alpha"}}, "objective.metric"),
        ({"objective": {"metric": "sharpe", "weights": {"cagr": 1}}}, "not both"),
        ({"objective": {"scenario_weights": {"crash": 1.0}}}, "unknown scenario 'crash'"),
        (
            {"constraints": [{"metric": "max_drawdown", "max": 0.0001}], "budget": 4},
            "none of the 4 trials satisfied the constraints",
        ),
        ({"constraints": [{"metric": "max_drawdown"}]}, "give min, max or both"),
    ],
)
def test_search_errors_are_readable(
    shared: tuple[ToolContext, str, Recorder], args: dict[str, Any], needle: str
) -> None:
    context, scn, _ = shared
    before = len(context.artifacts.ids("search"))
    out = tool(context, "run_strategy_search").invoke({"scenario_set_id": scn, **args})
    assert isinstance(out, str), out
    assert needle in out
    assert len(context.artifacts.ids("search")) == before


def test_search_needs_a_known_scenario_set() -> None:
    out = tool(ToolContext(), "run_strategy_search").invoke({"scenario_set_id": "scn_123456"})
    assert isinstance(out, str)
    assert "unknown scenarios artifact id 'scn_123456'" in out
    assert "generate_market_scenarios" in out


def test_search_work_limit() -> None:
    context = ToolContext(max_search_path_days=1000)
    scn = tool(context, "generate_market_scenarios").invoke({**SCENARIO_ARGS, "n_paths": 10})
    out = tool(context, "run_strategy_search").invoke({"scenario_set_id": scn["scenario_set_id"]})
    assert isinstance(out, str)
    assert "path-days" in out


# ---------------------------------------------------------------------------------------------
# sensitivity, results, status
# ---------------------------------------------------------------------------------------------
def test_sensitivity_matches_direct_call(
    shared: tuple[ToolContext, str, Recorder], searched: tuple[dict[str, Any], SearchResult]
) -> None:
    context, scn, _ = shared
    result, direct = searched
    out = small(
        tool(context, "sensitivity_analysis").invoke(
            {"search_id": result["search_id"], "points": 5}
        )
    )
    scenarios = context.artifacts.get(scn, "scenarios").scenarios
    curves = one_at_a_time(direct.best_config, direct.space, scenarios, points=5, safe=0.02)
    importance = parameter_importance(direct, seed=0)
    assert set(out["parameters"]) == set(curves)
    for name, frame in curves.items():
        got = out["parameters"][name]
        assert got["objective"] == [rounded(v) for v in frame["objective"]]
        assert len(got["values"]) == len(frame)
    assert [i["parameter"] for i in out["importance"]] == list(importance.index)
    assert [i["importance"] for i in out["importance"]] == [rounded(v) for v in importance]
    assert out["best_objective"] == rounded(direct.best_value)
    stored = context.artifacts.get(out["sensitivity_id"], "sensitivity")
    assert set(stored["curves"]) == set(curves)


def test_search_results_pages_cover_every_trial_once(
    shared: tuple[ToolContext, str, Recorder], searched: tuple[dict[str, Any], SearchResult]
) -> None:
    context, _, _ = shared
    result, direct = searched
    results_tool = tool(context, "search_results")
    seen: list[dict[str, Any]] = []
    offset: int | None = 0
    pages = 0
    while offset is not None:
        page = small(
            results_tool.invoke({"search_id": result["search_id"], "offset": offset, "limit": 7})
        )
        assert page["total"] == 30
        seen.extend(page["trials"])
        offset = page["next_offset"]
        pages += 1
    assert pages == 5  # 7 + 7 + 7 + 7 + 2
    assert sorted(t["trial"] for t in seen) == list(range(30))
    expected = direct.trials.sort_values(["objective", "trial"], ascending=[False, True])
    assert [t["trial"] for t in seen] == [int(v) for v in expected["trial"]]
    assert [t["objective"] for t in seen] == [rounded(v) for v in expected["objective"]]
    # by a per-scenario loss metric: ascending (best first) by default, extra column shown
    page = results_tool.invoke(
        {
            "search_id": result["search_id"],
            "sort_by": "bear.max_drawdown",
            "limit": 3,
            "columns": ["base.sharpe"],
        }
    )
    dd = direct.trials.sort_values(["bear.max_drawdown", "trial"])
    assert [t["trial"] for t in page["trials"]] == [int(v) for v in dd["trial"][:3]]
    assert page["trials"][0]["bear.max_drawdown"] == rounded(dd["bear.max_drawdown"].iloc[0])
    assert page["trials"][0]["base.sharpe"] == rounded(dd["base.sharpe"].iloc[0])
    assert page["descending"] is False
    # past the end: an empty page
    empty = results_tool.invoke({"search_id": result["search_id"], "offset": 100})
    assert empty["trials"] == [] and empty["next_offset"] is None


def test_search_results_default_page_is_small(
    shared: tuple[ToolContext, str, Recorder], searched: tuple[dict[str, Any], SearchResult]
) -> None:
    context, _, _ = shared
    page = small(tool(context, "search_results").invoke({"search_id": searched[0]["search_id"]}))
    assert len(page["trials"]) == 20


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"sort_by": "alpha"}, "sort_by='alpha' is not a column"),
        ({"columns": ["bear.alpha"]}, "is not a column"),
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"offset": -1}, "offset"),
    ],
)
def test_search_results_errors(
    shared: tuple[ToolContext, str, Recorder],
    searched: tuple[dict[str, Any], SearchResult],
    args: dict[str, Any],
    needle: str,
) -> None:
    context, _, _ = shared
    out = tool(context, "search_results").invoke({"search_id": searched[0]["search_id"], **args})
    assert isinstance(out, str), out
    assert needle in out


def test_search_status(
    shared: tuple[ToolContext, str, Recorder], searched: tuple[dict[str, Any], SearchResult]
) -> None:
    context, scn, _ = shared
    result, direct = searched
    status = small(tool(context, "search_status").invoke({"search_id": result["search_id"]}))
    assert status["status"] == "finished"
    assert status["n_trials"] == 30 and status["budget"] == 30 and status["batches"] == 3
    assert status["best_value"] == rounded(direct.best_value)
    assert status["scenario_set_id"] == scn
    assert status["elapsed_s"] >= 0


@pytest.mark.parametrize("name", ["sensitivity_analysis", "search_results", "search_status"])
def test_unknown_search_id_names_id_and_kind(
    shared: tuple[ToolContext, str, Recorder], name: str
) -> None:
    context, scn, _ = shared
    out = tool(context, name).invoke({"search_id": "srch_nope00"})
    assert isinstance(out, str)
    assert "unknown search artifact id 'srch_nope00'" in out
    out = tool(context, name).invoke({"search_id": scn})
    assert isinstance(out, str)
    assert "is a scenarios artifact, not a search artifact" in out


def test_a_search_tool_can_ask_for_the_cheapest_hedge_under_a_limit(
    shared: tuple[ToolContext, str, Recorder],
) -> None:
    context, scn, _ = shared
    space = {
        "target_vol": 0.25,
        "lookback": 42,
        "overlay": {"choices": ["none", "put"]},
        "overlay_strike": {"low": 0.85, "high": 1.0, "grid_points": 4},
    }
    args = {
        "scenario_set_id": scn,
        "space": space,
        "objective": {"metric": "hedge_premium"},
        "constraints": [{"metric": "max_drawdown", "scenario": "bear", "max": 0.1}],
        "method": "grid",
        "budget": 8,
    }
    result = small(tool(context, "run_strategy_search").invoke(args))
    record = context.artifacts.get(result["search_id"], "search")
    trials = record.result.trials
    feasible = trials[trials["feasible"]]
    assert 0 < len(feasible) < len(trials)  # some puts meet the limit, the unhedged one does not
    assert not feasible["overlay"].eq("none").any()
    premium = feasible[[c for c in trials.columns if c.endswith(".hedge_premium")]].mean(axis=1)
    assert close(result["best_value"], -float(premium.min()))
    assert result["best_metrics"]["bear"]["max_drawdown"] <= 0.1
