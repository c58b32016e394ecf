"""What PMs ask that the tools now serve (issue 61), every number against a plain computation
from the embedded closes written here: VaR and CVaR at a horizon by both methods, money amounts
on a stated capital, caps, floors and group limits kept by risk parity, a cap on HRP, and HRP
refusing a group limit with why."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest

from quant.data import load_sp500_prices
from tools import ToolContext, build_tools

CLOSES = load_sp500_prices()
WEIGHTS = {"AAPL": 0.5, "KO": 0.3, "XOM": 0.2}


@pytest.fixture(scope="module")
def tools() -> dict[str, Any]:
    return {t.name: t for t in build_tools(ToolContext())}


def _daily(tickers: list[str], start: str) -> np.ndarray:
    """Daily simple returns from the close before `start` to the data's end."""
    dates = CLOSES.index
    first = dates.searchsorted(pd.Timestamp(start)) - 1
    closes = CLOSES[tickers].to_numpy()[first:]
    return closes[1:] / closes[:-1] - 1.0


def _tail(values: np.ndarray, level: float) -> tuple[float, float]:
    q = float(np.quantile(values, 1 - level))
    return -q, -float(values[values <= q].mean())


def test_var_and_cvar_at_a_horizon_by_both_methods(tools: dict[str, Any]) -> None:
    out = tools["portfolio_risk_report"].invoke(
        {"weights": WEIGHTS, "start": "2019-01-01", "level": 0.99, "horizon_days": 10,
         "capital": 1_000_000}
    )  # fmt: skip
    daily = _daily(list(WEIGHTS), "2019-01-01") @ np.array(list(WEIGHTS.values()))
    windows = np.array([np.prod(1 + daily[i : i + 10]) - 1 for i in range(len(daily) - 9)])
    var, cvar = _tail(windows, 0.99)
    methods = out["horizon"]["methods"]
    assert out["horizon"]["days"] == 10
    assert methods["overlapping"]["var"] == pytest.approx(var, rel=6e-4)
    assert methods["overlapping"]["cvar"] == pytest.approx(cvar, rel=6e-4)
    assert methods["overlapping"]["windows"] == len(windows)
    one_var, one_cvar = _tail(daily, 0.99)
    assert methods["square_root_of_time"]["var"] == pytest.approx(one_var * 10**0.5, rel=6e-4)
    assert methods["square_root_of_time"]["cvar"] == pytest.approx(one_cvar * 10**0.5, rel=6e-4)
    assert "overlapping" in methods["overlapping"]["definition"]
    assert out["amounts"]["overlapping.var"] == pytest.approx(var * 1e6, abs=0.01)
    assert out["amounts"]["var_historical"] == pytest.approx(one_var * 1e6, abs=0.01)


def test_a_one_day_report_has_no_horizon(tools: dict[str, Any]) -> None:
    out = tools["portfolio_risk_report"].invoke({"weights": WEIGHTS})
    assert "horizon" not in out and "amounts" not in out


def test_weights_in_money_on_a_stated_capital(tools: dict[str, Any]) -> None:
    out = tools["optimize_portfolio"].invoke(
        {"method": "min_volatility", "universe": list(WEIGHTS), "capital": 250_000}
    )
    assert out["capital"] == 250_000
    for ticker, amount in out["amounts"].items():
        assert amount == pytest.approx(out["weights"][ticker] * 250_000, abs=15)  # 4 dp weights
    assert sum(out["amounts"].values()) == pytest.approx(250_000, abs=0.05)


def _risk_shares(weights: dict[str, float], tickers: list[str]) -> np.ndarray:
    daily = _daily(tickers, "2018-01-02")
    cov = np.cov(daily, rowvar=False)
    w = np.array([weights[t] for t in tickers])
    return w * (cov @ w) / (w @ cov @ w)


def test_risk_parity_keeps_caps_floors_and_group_limits(tools: dict[str, Any]) -> None:
    tickers = ["AAPL", "AMD", "MSFT", "KO", "XOM", "JPM"]
    free = tools["optimize_portfolio"].invoke({"method": "risk_parity", "universe": tickers})
    shares = _risk_shares(free["weights"], tickers)
    assert np.allclose(shares, 1 / 6, atol=2e-3)  # equal risk contributions without limits
    out = tools["optimize_portfolio"].invoke(
        {"method": "risk_parity", "universe": tickers, "max_weight": 0.25, "min_weight": 0.05,
         "sector_limits": {"tech": {"max": 0.3}}}
    )  # fmt: skip
    weights = out["weights"]
    assert "limits_broken" not in out
    assert max(weights.values()) <= 0.25 + 1e-4 and min(weights.values()) >= 0.05 - 1e-4
    assert weights["AAPL"] + weights["AMD"] + weights["MSFT"] <= 0.3 + 1e-4
    assert any("tech" in limit for limit in out["limits"])


def test_a_cap_on_hrp_is_applied_and_a_group_limit_refused_with_why(tools: dict[str, Any]) -> None:
    tickers = ["AAPL", "KO", "PG", "PEP", "WMT"]
    free = tools["optimize_portfolio"].invoke({"method": "hrp", "universe": tickers})
    assert max(free["weights"].values()) > 0.25
    capped = tools["optimize_portfolio"].invoke(
        {"method": "hrp", "universe": tickers, "max_weight": 0.25}
    )
    assert max(capped["weights"].values()) <= 0.25 + 1e-4
    refused = tools["optimize_portfolio"].invoke(
        {"method": "hrp", "universe": tickers, "sector_limits": {"staples": {"max": 0.5}}}
    )
    assert isinstance(refused, str) and "hrp cannot keep a limit on a group" in refused
    assert "staples" in refused and "risk_parity" in refused
