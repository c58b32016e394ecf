"""The hedge's cost as search metrics, the vol model through the search path, hedged vs unhedged
on the same paths, overlay fields in search spaces and in the sensitivity analysis."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from quant import (
    Choices,
    Constraint,
    FixedValue,
    FloatRange,
    Objective,
    SearchSpace,
    SearchSpaceError,
    StrategyConfig,
    evaluate_path_means,
    one_at_a_time,
    search,
)
from quant.engine import evaluate
from quant.hedging import hedge_comparison, hedge_tradeoff, unhedged
from quant.metrics import HEDGE_METRICS, METRICS, PATH_METRICS
from quant.options import ImpliedVolModel

PUT = StrategyConfig(
    target_vol=0.2, lookback=42, overlay="put", overlay_strike=0.95, overlay_tenor_days=42
)


def _paths(seed: int, drift: float, vol: float, n_paths: int = 24, days: int = 160) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return drift / 252 + vol / np.sqrt(252) * rng.standard_t(4, size=(n_paths, days)) / np.sqrt(2)


SCENARIOS = {"bear": _paths(1, -0.25, 0.35), "base": _paths(2, 0.06, 0.16)}


def test_the_hedge_measures_are_metrics_of_every_evaluation() -> None:
    assert PATH_METRICS == METRICS + HEDGE_METRICS
    result = evaluate([PUT, unhedged(PUT)], SCENARIOS["bear"], 0.02)
    carry = result.metric("hedge_carry")
    assert np.array_equal(carry, result.hedge_premium - result.hedge_payoff)
    assert np.all(result.metric("hedge_premium")[0] > 0)
    assert np.all(result.metric("hedge_premium")[1] == 0) and np.all(carry[1] == 0)
    with pytest.raises(KeyError, match="hedge_carry"):
        result.metric("hedge_cost")
    means, _ = evaluate_path_means([PUT], SCENARIOS)
    assert set(means["bear"]) == set(PATH_METRICS)
    assert means["bear"]["hedge_carry"][0] == pytest.approx(carry[0].mean(), abs=1e-15)


def test_unhedged_is_the_same_strategy_without_its_options() -> None:
    bare = unhedged(PUT)
    assert bare.overlay == "none" and not bare.has_hedge
    assert bare.config_id == StrategyConfig(target_vol=0.2, lookback=42).config_id


def test_hedge_comparison_puts_the_strategy_beside_itself_unhedged_on_the_same_paths() -> None:
    from quant import as_scenarios

    scen = as_scenarios(SCENARIOS)
    model = ImpliedVolModel(variance_risk_premium=0.02)
    out = hedge_comparison(PUT, scen, safe=0.02, vol_model=model)
    assert set(out) == set(SCENARIOS)
    for name, paths in SCENARIOS.items():
        both = evaluate([PUT, unhedged(PUT)], paths, 0.02, vol_model=model)
        for metric in ("cagr", "sharpe", "max_drawdown", "cvar_95"):
            assert out[name]["hedged"][metric] == pytest.approx(both.metric(metric)[0].mean())
            assert out[name]["unhedged"][metric] == pytest.approx(both.metric(metric)[1].mean())
        for metric in HEDGE_METRICS:
            assert out[name]["hedged"][metric] == pytest.approx(both.metric(metric)[0].mean())
    # in the bear paths the put cuts the drawdown
    assert out["bear"]["hedged"]["max_drawdown"] < out["bear"]["unhedged"]["max_drawdown"]


HEDGE_SPACE = {
    "target_vol": FloatRange(0.15, 0.3),
    "lookback": FixedValue(42),
    "overlay": Choices(["none", "put"]),
    "overlay_strike": FloatRange(0.85, 1.0),
    "overlay_tenor_days": Choices([21, 42]),
}


def test_a_search_can_minimise_the_hedge_premium_under_a_drawdown_limit() -> None:
    result = search(
        HEDGE_SPACE,
        SCENARIOS,
        objective=Objective(weights={"hedge_premium": -1.0}),
        constraints=[Constraint("max_drawdown", scenario="bear", max=0.2)],
        method="random",
        budget=30,
        batch_size=15,
        seed=3,
    )
    trials = result.trials
    for metric in HEDGE_METRICS:
        assert f"bear.{metric}" in trials.columns
    bare = trials[trials["overlay"] == "none"]
    assert (bare["bear.hedge_premium"] == 0).all() and (bare["base.hedge_premium"] == 0).all()
    feasible = trials[trials["feasible"]]
    premium = (feasible["bear.hedge_premium"] + feasible["base.hedge_premium"]) / 2
    assert result.best_value == pytest.approx(-premium.min())
    assert result.best_metrics["bear"]["max_drawdown"] <= 0.2
    # the trade-off rows: unhedged closest to the limit first, then the cheapest passing hedges
    pairs = [
        (row, result.space.config({n: row[n] for n in result.space.names}))
        for row in trials.to_dict(orient="records")
    ]
    rows = hedge_tradeoff(pairs, "bear")
    hedged_rows = [r for r in rows if r["hedged"]]
    assert all(r["feasible"] for r in hedged_rows)
    assert [r["hedge_premium"] for r in hedged_rows] == sorted(
        r["hedge_premium"] for r in hedged_rows
    )
    if not bare.empty:
        assert rows[0]["hedged"] is False
        assert rows[0]["trial"] == int(bare.sort_values(["violation", "trial"]).iloc[0]["trial"])


def test_the_vol_model_reaches_every_evaluation_of_a_search() -> None:
    kwargs = {"method": "random", "budget": 12, "batch_size": 12, "seed": 5}
    cheap = search(HEDGE_SPACE, SCENARIOS, **kwargs)  # type: ignore[arg-type]
    model = ImpliedVolModel(variance_risk_premium=0.05, skew=3.0)
    dear = search(HEDGE_SPACE, SCENARIOS, vol_model=model, **kwargs)  # type: ignore[arg-type]
    assert dear.vol_model == model and cheap.vol_model == ImpliedVolModel()
    hedged = cheap.trials["overlay"] == "put"
    assert hedged.any()
    assert (
        dear.trials.loc[hedged, "bear.hedge_premium"]
        > cheap.trials.loc[hedged, "bear.hedge_premium"]
    ).all()
    assert (
        dear.trials.loc[~hedged, "bear.sharpe"] == cheap.trials.loc[~hedged, "bear.sharpe"]
    ).all()


def test_sensitivity_moves_overlay_fields_like_any_other_parameter() -> None:
    space = SearchSpace(HEDGE_SPACE)
    curves = one_at_a_time(PUT, space, SCENARIOS, objective="hedge_premium", points=3)
    assert set(curves) == {"target_vol", "overlay", "overlay_strike", "overlay_tenor_days"}
    overlay = curves["overlay"].set_index("value")
    assert overlay.loc["none", "objective"] == 0.0  # no options, no premium
    assert overlay.loc["put", "objective"] < 0.0  # minimised: the put costs
    strike = curves["overlay_strike"]
    assert strike["objective"].nunique() == len(strike)  # each strike costs something else
    # a strategy without options: the overlay's fields change nothing
    bare = unhedged(PUT)
    flat = one_at_a_time(bare, space, SCENARIOS, objective="sharpe", points=3)
    assert flat["overlay_strike"]["objective"].nunique() == 1
    assert flat["overlay_tenor_days"]["objective"].nunique() == 1


def test_sensitivity_leaves_out_strikes_that_make_no_strategy_with_the_others() -> None:
    spread = PUT.model_copy(update={"overlay": "put_spread", "overlay_lower_strike": 0.88})
    space = SearchSpace({"overlay": "put", "overlay_strike": FloatRange(0.8, 1.0)})
    curves = one_at_a_time(spread, space, SCENARIOS, points=5)
    values = list(curves["overlay_strike"]["value"])
    assert values == [0.9, 0.95, 1.0]  # 0.8 and 0.85 sit below the sold put's 0.88


@pytest.mark.parametrize(
    ("space", "field"),
    [
        ({"overlay_strike": FloatRange(0.8, 0.95)}, "overlay_strike"),
        (
            {"overlay": Choices(["none", "put"]), "overlay_lower_strike": FloatRange(0.7, 0.8)},
            "overlay_lower_strike",
        ),
        (
            {"overlay": "put", "overlay_roll_band": FloatRange(0.05, 0.2)},
            "overlay_roll_band",
        ),
        (
            {
                "overlay": "put",
                "overlay_roll": Choices(["expiry", "band"]),
                "overlay_roll_delta_band": FloatRange(0.05, 0.2),
            },
            "overlay_roll_delta_band",
        ),
        (
            {
                "overlay": "put",
                "overlay_roll": "delta",
                "overlay_roll_band": FloatRange(0.05, 0.2),
            },
            "overlay_roll_band",
        ),
        (
            {
                "overlay": Choices(["put", "put_spread"]),
                "overlay_lower_strike": FloatRange(0.8, 0.96),
            },
            "overlay_lower_strike",
        ),
        (
            {"overlay": Choices(["put", "collar"]), "overlay_strike": FloatRange(0.9, 1.12)},
            "overlay_call_strike",
        ),
    ],
)
def test_a_search_space_refuses_overlay_fields_it_would_search_in_vain_or_break(
    space: dict[str, object], field: str
) -> None:
    with pytest.raises(SearchSpaceError, match=f"^{field}:"):
        SearchSpace(space)


def test_a_search_space_searches_the_delta_band_when_it_can_roll_at_delta() -> None:
    space = SearchSpace(
        {
            "overlay": "put",
            "overlay_roll": Choices(["expiry", "delta"]),
            "overlay_roll_delta_band": FloatRange(0.05, 0.2),
        }
    )
    configs = [space.config(point) for point in space.grid()]
    assert {c.overlay_roll for c in configs} == {"expiry", "delta"}
    assert {c.overlay_roll_delta_band for c in configs} >= {0.05, 0.2}


def test_the_benchmarks_of_a_hedged_winner_hold_no_options() -> None:
    from quant import as_scenarios
    from quant.benchmark_strategies import benchmark_path_means, fully_invested

    assert fully_invested(PUT).overlay == "none"
    scen = as_scenarios(SCENARIOS)
    assert benchmark_path_means(PUT, scen, safe=0.02) == benchmark_path_means(
        unhedged(PUT), scen, safe=0.02
    )


def test_an_all_cash_trial_is_not_the_cheapest_hedge_and_the_winner_is_always_shown() -> None:
    put = StrategyConfig(overlay="put")
    bare = StrategyConfig()

    def row(trial: int, premium: float, weight: float, feasible: bool = True) -> dict[str, Any]:
        return {
            "trial": trial, "objective": 0.5 - trial / 100, "feasible": feasible,
            "violation": 0.0 if feasible else 0.1, "bear.hedge_premium": premium,
            "bear.hedge_carry": premium, "bear.max_drawdown": 0.1, "bear.cvar_95": 0.02,
            "bear.average_weight": weight,
        }  # fmt: skip

    def strike(trial: int) -> StrategyConfig:  # one distinct put per trial
        return put.model_copy(update={"overlay_strike": 0.8 + trial / 100})

    pairs = [
        (row(0, 0.0, 0.8, feasible=False), bare),
        (row(1, 0.0, 0.0), strike(1)),  # all in cash: its put buys nothing
        (row(2, 0.0, 0.6), strike(2)),  # invested, but its overlay paid nothing
        (row(3, 0.004, 0.7), strike(3)),
        *[(row(t, 0.01 + t / 1000, 0.7), strike(t)) for t in range(4, 12)],
    ]
    rows = hedge_tradeoff(pairs, "bear", winner=11)
    assert [r["trial"] for r in rows] == [0, 3, 4, 5, 6, 7, 11]
    assert rows[1]["hedge_premium"] == 0.004  # the cheapest that hedges something
    assert [r["trial"] for r in hedge_tradeoff(pairs, "bear", winner=3)] == [0, 3, 4, 5, 6, 7]
