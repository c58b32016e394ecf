"""The portfolio use cases: one definition of a portfolio's ex-ante performance for the API and
the tools, checked against a plain reference, including the zero-volatility case."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quant import portfolio_performance
from quant.errors import DataError
from services.portfolios import analyse_portfolio, build_portfolio, estimates, frontier
from tools import build_tools
from tools.context import FrameMarketData, ToolContext


def _returns(seed: int = 3, days: int = 500) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.bdate_range("2020-01-01", periods=days, name="date")
    data = rng.normal(0.0004, 0.012, size=(days, 4)) + rng.normal(0, 0.008, size=(days, 1))
    return pd.DataFrame(data, index=index, columns=["AAA", "BBB", "CCC", "DDD"])


def test_performance_matches_a_plain_reference() -> None:
    returns = _returns()
    mu = returns.mean() * 252
    cov = returns.cov() * 252  # ddof=1
    weights = pd.Series([0.1, 0.2, 0.3, 0.4], index=returns.columns)
    got = portfolio_performance(weights, mu, cov, risk_free_rate=0.02)
    expected = sum(weights[a] * mu[a] for a in returns.columns)
    variance = sum(
        weights[a] * weights[b] * cov.loc[a, b] for a in returns.columns for b in returns.columns
    )
    assert got.expected_return == pytest.approx(expected, rel=1e-12)
    assert got.volatility == pytest.approx(math.sqrt(variance), rel=1e-12)
    assert got.sharpe_ratio == pytest.approx((expected - 0.02) / math.sqrt(variance), rel=1e-12)


def _hedged_pair() -> pd.DataFrame:
    """Two assets whose equal-weight mix earns exactly 0.04% every day (zero volatility)."""
    noise = np.random.default_rng(5).normal(0, 0.01, 300)
    index = pd.bdate_range("2021-01-01", periods=300, name="date")
    return pd.DataFrame({"LONG": 0.0004 + noise, "SHORT": 0.0004 - noise}, index=index)


def test_the_sharpe_ratio_is_undefined_at_zero_volatility_in_the_service_and_the_tool() -> None:
    returns = _hedged_pair()
    mu, cov = estimates(returns)
    mix = pd.Series({"LONG": 0.5, "SHORT": 0.5})
    performance = portfolio_performance(mix, mu, cov, risk_free_rate=0.0)
    assert performance.volatility == pytest.approx(0.0, abs=1e-12)
    assert math.isnan(performance.sharpe_ratio)
    with pytest.raises(DataError, match="variance is zero"):  # no risk contributions to show
        analyse_portfolio(mix, returns, mu=mu, cov=cov)

    context = ToolContext(data=FrameMarketData(returns))
    tool = next(t for t in build_tools(context) if t.name == "optimize_portfolio")
    built = tool.invoke(
        {"method": "efficient_return", "target_return": 0.1008, "universe": ["LONG", "SHORT"]}
    )
    assert built["weights"] == {"LONG": 0.5, "SHORT": 0.5}
    assert built["volatility"] == pytest.approx(0.0, abs=1e-6)
    assert built["sharpe"] is None  # as the API reports it (null), never 0.0


def test_the_tool_reports_the_service_s_numbers_for_the_same_portfolio() -> None:
    from quant import sp500_returns

    returns = sp500_returns()[["AAPL", "MSFT", "JNJ"]].loc["2018-01-01":"2022-12-28"]
    mu, cov = estimates(returns)
    weights = build_portfolio("max_sharpe", returns, mu=mu, cov=cov, risk_free_rate=0.02)
    service = analyse_portfolio(weights, returns, mu=mu, cov=cov, risk_free_rate=0.02)
    tool = next(t for t in build_tools(ToolContext()) if t.name == "optimize_portfolio")
    built = tool.invoke(
        {
            "method": "max_sharpe",
            "universe": ["AAPL", "MSFT", "JNJ"],
            "start": "2018-01-01",
            "end": "2022-12-28",
            "risk_free_rate": 0.02,
        }
    )
    assert built["expected_return"] == pytest.approx(service.performance.expected_return, rel=1e-3)
    assert built["volatility"] == pytest.approx(service.performance.volatility, rel=1e-3)
    assert built["sharpe"] == pytest.approx(service.performance.sharpe_ratio, rel=1e-3)


def test_the_frontier_falls_back_to_minimum_volatility_when_nothing_beats_the_risk_free_rate() -> (
    None
):
    returns = _returns()
    mu, cov = estimates(returns)
    found = frontier(mu, cov, n_points=5, risk_free_rate=float(mu.max()) + 0.5)
    assert found.selected == "min_volatility"
    first = found.points.iloc[0][list(returns.columns)].astype(float)
    assert found.weights.to_dict() == pytest.approx(first.to_dict(), abs=0)
    assert found.points["volatility"].iloc[0] == pytest.approx(found.points["volatility"].min())
