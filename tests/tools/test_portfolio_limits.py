"""optimize_portfolio keeps every weight limit a request states (a cap and a floor on every
weight, limits on named assets, sector limits), checked on the weights and against direct calls
of the optimizers and skfolio's peers, or refuses it saying why."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from quant import (
    hierarchical_risk_parity,
    load_sp500_prices,
    min_volatility,
    risk_parity,
    to_returns,
)
from tools import ToolContext, build_tools

UNIVERSE = ["AAPL", "MSFT", "AMD", "JPM", "XOM", "CVX", "KO", "PG"]
RANGE = {"universe": UNIVERSE, "start": "2016-01-01", "end": "2020-12-31"}
RETURNS = to_returns(load_sp500_prices()).loc["2016-01-01":"2020-12-31", UNIVERSE]
TECH = ["AAPL", "AMD", "MSFT"]  # the embedded classification's Information Technology


def run(args: dict[str, Any]) -> dict[str, Any]:
    tools = {t.name: t for t in build_tools(ToolContext())}
    result = tools["optimize_portfolio"].invoke({**RANGE, **args})
    assert isinstance(result, dict), result
    return result


def weights(result: dict[str, Any]) -> pd.Series:
    return pd.Series(result["weights"], dtype=float)


def test_hrp_keeps_a_cap_on_every_weight_as_bounded_hrp_does() -> None:
    result = run({"method": "hrp", "max_weight": 0.15})
    held = weights(result)
    assert held.max() <= 0.15 + 5e-5  # rounded to 4 decimals in the answer
    expected = hierarchical_risk_parity(RETURNS, bounds=(0.0, 0.15))
    assert (held - expected.round(4)).abs().max() < 1e-9
    largest = held.idxmax()
    assert result["limits"] == [f"at most 15.0% in any asset (largest {largest} {held.max():.1%})"]
    assert (held - hierarchical_risk_parity(RETURNS).round(4)).abs().max() > 0.01  # it binds


def test_named_assets_floors_and_caps_are_kept() -> None:
    result = run(
        {
            "method": "min_volatility",
            "min_weight": 0.03,
            "asset_limits": {"xom": {"max": 0.05}, "AMD": {"min": 0.1}},
        }
    )
    held = weights(result)
    assert held.min() >= 0.03 - 5e-5 and held["XOM"] <= 0.05 + 5e-5 and held["AMD"] >= 0.1 - 5e-5
    lower = pd.Series(0.03, index=UNIVERSE)
    upper = pd.Series(1.0, index=UNIVERSE)
    lower["AMD"], upper["XOM"] = 0.1, 0.05
    expected = min_volatility(RETURNS.cov() * 252, bounds=(lower, upper))
    assert (held - expected.round(4)).abs().max() < 1e-9
    assert result["limits"] == [
        f"at least 3.0% in every asset (smallest {held.idxmin()} {held.min():.1%})",
        f"XOM within 3.0% to 5.0% (holds {held['XOM']:.1%})",
        f"AMD within 10.0% to 100.0% (holds {held['AMD']:.1%})",
    ]


def test_a_sector_cap_holds_on_the_sum_of_its_weights() -> None:
    free = weights(run({"method": "max_sharpe"}))
    assert free[TECH].sum() > 0.3  # without the cap, technology takes more than 30%
    result = run({"method": "max_sharpe", "sector_limits": {"tech": {"max": 0.3}}})
    assert weights(result)[TECH].sum() <= 0.3 + 2e-4
    held = weights(result)[TECH].sum()
    assert result["limits"] == [
        f"tech (AAPL, AMD, MSFT) within 0.0% to 30.0% in all (holds {held:.1%})"
    ]
    assert "limits_broken" not in result


@pytest.mark.parametrize("method", ["risk_parity", "hrp"])
def test_names_capped_at_zero_are_left_out_by_every_method(method: str) -> None:
    """ "At most 0% in AAPL and MSFT": they hold nothing, the others the whole budget (risk
    parity: the plain risk parity of the others alone, `quant.risk_parity`, peer-checked in tests/quant)."""
    result = run({"method": method, "asset_limits": {"AAPL": {"max": 0}, "MSFT": {"max": 0}}})
    held = weights(result)
    assert held[["AAPL", "MSFT"]].tolist() == [0.0, 0.0] and held.sum() == pytest.approx(
        1, abs=1e-3
    )
    if method == "risk_parity":
        others = [t for t in UNIVERSE if t not in ("AAPL", "MSFT")]
        expected = risk_parity(RETURNS[others].cov() * 252)
        assert (held[others] - expected.round(4)).abs().max() < 2e-4


def test_limits_a_method_cannot_keep_are_refused_saying_why() -> None:
    tools = {t.name: t for t in build_tools(ToolContext())}
    optimize = tools["optimize_portfolio"]
    sector = optimize.invoke({**RANGE, "method": "hrp", "sector_limits": {"energy": {"max": 0.1}}})
    assert "hrp cannot keep a limit on a group of holdings (energy)" in str(sector)
    assert "min_volatility or max_sharpe" in str(sector)
    parity = optimize.invoke({**RANGE, "method": "risk_parity", "max_weight": 0.13})
    assert max(parity["weights"].values()) <= 0.13 + 1e-4  # risk parity keeps a cap (issue 61)
    outside = optimize.invoke(
        {**RANGE, "method": "min_volatility", "asset_limits": {"NVDA": {"max": 0.1}}}
    )
    assert "NVDA is not in the portfolio" in str(outside)
    crossed = optimize.invoke(
        {**RANGE, "method": "min_volatility", "asset_limits": {"KO": {"min": 0.4, "max": 0.2}}}
    )
    assert "min 0.4 is above max 0.2" in str(crossed)


@pytest.mark.parametrize("floor_sector", ["utilities"])
def test_a_floor_on_a_sector_the_portfolio_does_not_hold_is_refused(floor_sector: str) -> None:
    tools = {t.name: t for t in build_tools(ToolContext())}
    refused = tools["optimize_portfolio"].invoke(
        {**RANGE, "method": "min_volatility", "sector_limits": {floor_sector: {"min": 0.1}}}
    )
    assert f"none of the portfolio's assets is in '{floor_sector}'" in str(refused)
