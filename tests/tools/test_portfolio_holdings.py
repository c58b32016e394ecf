"""`optimize_portfolio` with `holdings` ("a portfolio of 5 stocks"): the portfolio holds that many
of the universe, is the method's portfolio of them (the same as building on those stocks alone),
says how they were chosen, and a count it cannot keep is refused before any build, naming the
field."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tools import ToolContext, build_tools

UNIVERSE = ["AAPL", "JNJ", "KO", "MSFT", "XOM", "JPM", "WMT", "PG", "PEP", "CVX"]
WINDOW = {"start": "2016-01-01", "end": "2020-12-31"}


def optimize(args: dict[str, Any]) -> Any:
    tools = {t.name: t for t in build_tools(ToolContext())}
    return tools["optimize_portfolio"].invoke({"universe": UNIVERSE, **WINDOW, **args})


@settings(max_examples=12, deadline=None)
@given(
    method=st.sampled_from(("hrp", "min_volatility", "max_sharpe", "risk_parity")),
    count=st.integers(min_value=2, max_value=len(UNIVERSE)),
)
def test_a_build_holds_the_count_asked_as_the_method_s_portfolio_of_them(
    method: str, count: int
) -> None:
    result = optimize({"method": method, "holdings": count})
    assert isinstance(result, dict), result
    weights = result["weights"]
    said = result["holdings"]
    assert said["asked"] == count and said["chosen_from"] == len(UNIVERSE)
    assert said["held"] == sum(1 for w in weights.values() if w > 1e-6) <= count
    assert set(weights) <= set(UNIVERSE) and len(weights) <= count
    if said["held"] > 1:  # the method's portfolio of the stocks chosen, built on them alone
        alone = optimize({"method": method, "universe": sorted(weights, key=UNIVERSE.index)})
        assert alone["weights"] == weights
        assert alone["volatility"] == result["volatility"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        ({"method": "hrp", "holdings": 11}, "holdings: 11 asked of a universe of 10"),
        ({"method": "hrp", "holdings": 1}, "holdings"),
        ({"method": "hrp", "holdings": 4, "max_weight": 0.2}, "hold at least 5, or cap at 25.0%"),
        ({"method": "min_volatility", "holdings": 4, "min_weight": 0.05}, "min_weight"),
        ({"method": "hrp", "holdings": 4, "asset_limits": {"KO": {"max": 0.3}}}, "asset_limits"),
    ],
)
def test_a_count_that_cannot_be_kept_is_refused_naming_the_field(
    args: dict[str, Any], needle: str
) -> None:
    out = optimize(args)
    assert isinstance(out, str), out
    assert needle in out
