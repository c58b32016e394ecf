"""optimize_portfolio, efficient_frontier and portfolio_risk_report against direct quant calls and
plain numpy references."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant import (
    efficient_frontier,
    efficient_return,
    hierarchical_risk_parity,
    load_sp500_prices,
    max_sharpe,
    mean_returns,
    min_volatility,
    risk_parity,
    risk_report,
    sample_covariance,
    to_returns,
)
from tools import ToolContext, build_tools
from tools.portfolio import MIN_TAIL_SESSIONS

UNIVERSE = ["AAPL", "JNJ", "KO", "MSFT", "XOM", "JPM", "WMT", "PG"]


@pytest.fixture(scope="module")
def window() -> pd.DataFrame:
    return to_returns(load_sp500_prices()).loc["2016-01-01":"2020-12-31", UNIVERSE]


@pytest.fixture()
def context() -> ToolContext:
    return ToolContext()


def tool(context: ToolContext, name: str) -> Any:
    return {t.name: t for t in build_tools(context)}[name]


def small(result: dict[str, Any]) -> dict[str, Any]:
    assert isinstance(result, dict), result
    assert len(json.dumps(result, allow_nan=False)) < 4096
    return result


def close(value: float | None, reference: float) -> bool:
    assert value is not None
    return abs(value - reference) <= 5e-4 * abs(reference) + 1e-12


RANGE = {"universe": UNIVERSE, "start": "2016-01-01", "end": "2020-12-31"}


@pytest.mark.parametrize(
    ("args", "direct"),
    [
        ({"method": "hrp"}, lambda r, mu, cov: hierarchical_risk_parity(r)),
        ({"method": "risk_parity"}, lambda r, mu, cov: risk_parity(cov)),
        ({"method": "min_volatility"}, lambda r, mu, cov: min_volatility(cov)),
        (
            {"method": "min_volatility", "max_weight": 0.2},
            lambda r, mu, cov: min_volatility(cov, bounds=(0.0, 0.2)),
        ),
        (
            {"method": "max_sharpe", "risk_free_rate": 0.02, "max_weight": 0.3},
            lambda r, mu, cov: max_sharpe(mu, cov, risk_free_rate=0.02, bounds=(0.0, 0.3)),
        ),
        (
            {"method": "efficient_return", "target_return": 0.15},
            lambda r, mu, cov: efficient_return(mu, cov, 0.15),
        ),
    ],
)
def test_optimize_matches_direct_call(
    context: ToolContext, window: pd.DataFrame, args: dict[str, Any], direct: Any
) -> None:
    result = small(tool(context, "optimize_portfolio").invoke({**RANGE, **args}))
    mu, cov = mean_returns(window), sample_covariance(window)
    expected = direct(window, mu, cov).reindex(UNIVERSE)
    assert list(result["weights"]) == UNIVERSE
    for name in UNIVERSE:
        assert result["weights"][name] == round(float(expected[name]), 4) + 0.0
    # the stored portfolio holds the unrounded weights
    record = context.artifacts.get(result["portfolio_id"], "portfolio")
    np.testing.assert_allclose(record.weights.to_numpy(), expected.to_numpy(), atol=1e-12)
    # statistics from plain numpy on the same weights
    w = expected.to_numpy()
    r = window.to_numpy()
    ret = r.mean(axis=0) @ w * 252
    vol = np.sqrt(w @ np.cov(r, rowvar=False, ddof=1) @ w * 252)
    rf = args.get("risk_free_rate", 0.0)
    assert close(result["expected_return"], ret)
    assert close(result["volatility"], vol)
    assert close(result["sharpe"], (ret - rf) / vol)
    assert result["date_range"]["days"] == len(window)


def test_frontier_matches_direct_call(context: ToolContext, window: pd.DataFrame) -> None:
    result = small(
        tool(context, "efficient_frontier").invoke({**RANGE, "points": 12, "max_weight": 0.4})
    )
    mu, cov = mean_returns(window), sample_covariance(window)
    direct = efficient_frontier(mu, cov, points=12, bounds=(0.0, 0.4))
    assert len(result["points"]) == 12
    for point, (_, row) in zip(result["points"], direct.iterrows(), strict=True):
        assert close(point["return"], row["return"])
        assert close(point["volatility"], row["volatility"])
        assert close(point["sharpe"], row["sharpe"])
    assert result["max_sharpe_point"]["index"] == int(direct["sharpe"].to_numpy().argmax())
    stored = context.artifacts.get(result["frontier_id"], "frontier")
    pd.testing.assert_frame_equal(stored, direct)


def test_frontier_of_fifty_points_stays_small(context: ToolContext) -> None:
    result = small(tool(context, "efficient_frontier").invoke({"points": 50}))
    assert len(result["points"]) == 50


def test_risk_report_by_id_and_by_weights(context: ToolContext, window: pd.DataFrame) -> None:
    optimised = tool(context, "optimize_portfolio").invoke({**RANGE, "method": "hrp"})
    report_tool = tool(context, "portfolio_risk_report")
    by_id = small(report_tool.invoke({"portfolio_id": optimised["portfolio_id"], "level": 0.99}))
    weights = hierarchical_risk_parity(window)
    direct = risk_report(weights, window, level=0.99)
    assert by_id["date_range"]["start"] == window.index[0].date().isoformat()
    for key in ("var_historical", "cvar_historical", "var_gaussian", "max_drawdown", "volatility"):
        assert close(by_id[key], getattr(direct, key))
    for name in UNIVERSE:
        assert close(by_id["risk_contributions"][name], float(direct.risk_contributions[name]))
    # plain reference for the historical VaR and the contributions
    port = window.to_numpy() @ weights.reindex(UNIVERSE).to_numpy()
    assert close(by_id["var_historical"], -np.quantile(port, 0.01))
    assert close(sum(by_id["risk_contributions"].values()), 1.0)

    by_weights = small(
        report_tool.invoke(
            {"weights": {"aapl": 0.5, "MSFT": 0.3}, "start": "2019-01-01", "end": "2019-12-31"}
        )
    )
    sub = to_returns(load_sp500_prices()).loc["2019-01-01":"2019-12-31", ["AAPL", "MSFT"]]
    port = sub.to_numpy() @ np.array([0.5, 0.3])
    assert by_weights["weights_sum"] == 0.8
    assert close(by_weights["volatility"], port.std(ddof=1) * np.sqrt(252))
    assert close(by_weights["var_historical"], -np.quantile(port, 0.05))
    assert close(by_weights["cvar_historical"], -port[port <= np.quantile(port, 0.05)].mean())


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [
        ("optimize_portfolio", {"method": "max_sharpe", "max_weight": 0.01}, "infeasible"),
        (
            "optimize_portfolio",
            {"method": "efficient_return", "target_return": 3.0},
            "above the largest achievable return",
        ),
        (
            "optimize_portfolio",
            {"method": "efficient_risk", "target_volatility": 0.01},
            "below the minimum achievable volatility",
        ),
        (
            "optimize_portfolio",
            {"method": "max_sharpe", "risk_free_rate": 0.5, "universe": ["KO", "PG"]},
            "risk-free rate",
        ),
        ("optimize_portfolio", {"method": "efficient_return"}, "needs target_return"),
        (
            "optimize_portfolio",
            # risk parity keeps caps (issue 61; test_pm_coverage): one no weights can meet is
            # refused, saying why
            {"method": "risk_parity", "universe": ["KO", "PG", "AMD"], "max_weight": 0.3},
            "max_weight 0.3 is infeasible for 3 assets",
        ),
        ("optimize_portfolio", {"method": "black_litterman"}, "method: must be one of hrp,"),
        ("optimize_portfolio", {}, "method: is required"),
        ("optimize_portfolio", {"method": "hrp", "universe": ["AAPL", "TSLA"]}, "unknown ticker"),
        ("efficient_frontier", {"points": 1}, "points"),
        ("efficient_frontier", {"points": 51}, "points"),
        ("efficient_frontier", {"max_weight": 0.01}, "infeasible"),
        ("portfolio_risk_report", {}, "exactly one of portfolio_id or weights"),
        (
            "portfolio_risk_report",
            {"portfolio_id": "pf_000000", "weights": {"AAPL": 1.0}},
            "exactly one",
        ),
        ("portfolio_risk_report", {"portfolio_id": "pf_000000"}, "unknown portfolio artifact id"),
        ("portfolio_risk_report", {"weights": {"AAPL": 1.0}, "level": 1.5}, "level"),
        ("portfolio_risk_report", {"weights": {"ZZZ": 1.0}}, "unknown ticker ZZZ"),
    ],
)
def test_portfolio_errors_are_readable(
    context: ToolContext, name: str, args: dict[str, Any], needle: str
) -> None:
    out = tool(context, name).invoke(args)
    assert isinstance(out, str), out
    assert needle in out


def test_risk_report_rejects_another_kind_of_id(context: ToolContext) -> None:
    frontier = tool(context, "efficient_frontier").invoke({"points": 3})
    out = tool(context, "portfolio_risk_report").invoke({"portfolio_id": frontier["frontier_id"]})
    assert isinstance(out, str)
    assert f"{frontier['frontier_id']!r} is a frontier artifact, not a portfolio artifact" in out


@given(
    level=st.sampled_from([0.9, 0.95, 0.975, 0.99, 0.995, 0.999]),
    start=st.sampled_from(["2016-01-01", "2019-01-01", "2020-06-01", "2022-01-01", "2022-10-01"]),
)
@settings(max_examples=30, deadline=None)
def test_a_var_resting_on_too_few_losses_says_so(level: float, start: str) -> None:
    """The warning is given exactly when the historical CVaR averages fewer than
    MIN_TAIL_SESSIONS losses, counted here on the returns themselves."""
    report = tool(ToolContext(), "portfolio_risk_report").invoke(
        {"weights": {"AAPL": 0.5, "KO": 0.5}, "start": start, "level": level}
    )
    sub = to_returns(load_sp500_prices()).loc[start:, ["AAPL", "KO"]]
    port = sub.to_numpy() @ np.array([0.5, 0.5])
    losses = int((port <= np.quantile(port, 1 - level)).sum())
    assert close(report["cvar_historical"], -port[port <= np.quantile(port, 1 - level)].mean())
    if losses < MIN_TAIL_SESSIONS:
        assert report["thin_tail"]["tail_sessions"] == losses
        assert report["thin_tail"]["sessions"] == len(port)
        assert (
            f"rest on the {'single worst' if losses == 1 else f'worst {losses}'} of"
            in (report["thin_tail"]["note"])
        )
    else:
        assert "thin_tail" not in report


@settings(max_examples=12, deadline=None)
@given(
    first=st.fixed_dictionaries(
        {
            "method": st.sampled_from(["hrp", "min_volatility", "risk_parity"]),
            "start": st.sampled_from(["2016-01-01", "2018-01-01"]),
            "universe": st.permutations(UNIVERSE[:4]),
        }
    ),
    second=st.fixed_dictionaries(
        {
            "method": st.sampled_from(["hrp", "min_volatility", "risk_parity"]),
            "start": st.sampled_from(["2016-01-01", "2018-01-01"]),
            "universe": st.permutations(UNIVERSE[:4]),
        }
    ),
)
def test_a_build_asked_again_is_the_same_portfolio(
    first: dict[str, Any], second: dict[str, Any]
) -> None:
    """The same method over the same window to the same weights is the portfolio built before,
    under its id (a chat saves it once), here whatever the order of the universe (these four
    stocks' weights do not depend on it; HRP's may, and then the weights differ); any other
    build is a portfolio of its own."""
    context = ToolContext()
    build = tool(context, "optimize_portfolio")
    before = build.invoke({"end": "2020-12-31", **first})["portfolio_id"]
    after = build.invoke({"end": "2020-12-31", **second})["portfolio_id"]
    same = (first["method"], first["start"]) == (second["method"], second["start"])
    assert (after == before) is same
    assert len(context.artifacts.ids("portfolio")) == (1 if same else 2)
