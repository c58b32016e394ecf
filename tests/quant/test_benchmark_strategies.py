"""The unmanaged benchmarks against plain reference implementations kept here: a day loop for
buy-and-hold, and metrics computed by hand from the returns over the winner's window."""

from __future__ import annotations

import numpy as np
import pytest

from quant import ScenarioData
from quant.benchmark_strategies import benchmark_path_means, buy_and_hold_returns
from quant.strategy import StrategyConfig

SAFE = 0.02


def reference_buy_and_hold(assets: np.ndarray, start: int) -> np.ndarray:
    """One path (days, assets): equal holdings bought on day `start`, drifting day by day."""
    days, n = assets.shape
    out = assets.mean(axis=1).copy()
    holdings = np.full(n, 1.0 / n)
    for t in range(start, days):
        out[t] = float(holdings @ assets[t]) / holdings.sum()
        holdings = holdings * (1.0 + assets[t])
    return out


def reference_metrics(returns: np.ndarray) -> dict[str, float]:
    """The engine's definitions (docs/engine.md), written out plainly, for one return series."""
    wealth = np.cumprod(1.0 + returns)
    peaks = np.maximum(1.0, np.maximum.accumulate(wealth))
    excess = returns - SAFE / 252
    quantile = np.quantile(returns, 0.05)
    return {
        "cagr": wealth[-1] ** (252 / len(returns)) - 1,
        "volatility": returns.std(ddof=1) * np.sqrt(252),
        "sharpe": excess.mean() / excess.std(ddof=1) * np.sqrt(252),
        "max_drawdown": float(np.max(1.0 - wealth / peaks)),
        "var_95": -quantile,
        "cvar_95": -returns[returns <= quantile].mean(),
    }


@pytest.fixture
def assets() -> np.ndarray:
    rng = np.random.default_rng(11)
    return rng.normal(0.0004, 0.012, size=(3, 300, 4)) + rng.normal(0, 0.004, size=(3, 300, 1))


def test_buy_and_hold_returns_equal_a_day_loop(assets: np.ndarray) -> None:
    fast = buy_and_hold_returns(assets, 63)
    for path in range(assets.shape[0]):
        reference = reference_buy_and_hold(assets[path], 63)
        np.testing.assert_allclose(fast[path], reference, rtol=1e-12, atol=1e-15)
    # weights drift: not the daily-rebalanced equal-weight portfolio
    assert not np.allclose(fast[:, 64:], assets.mean(axis=2)[:, 64:])


def test_benchmark_metrics_equal_the_reference_over_the_winners_window(assets: np.ndarray) -> None:
    winner = StrategyConfig(target_vol=0.08, lookback=63, rebalance_every=21, max_leverage=1.5)
    market = np.ascontiguousarray(assets[:, :, 0] * 0.8 + 0.0001)
    data = ScenarioData(
        np.ascontiguousarray(assets.mean(axis=2)), np.ascontiguousarray(assets), market
    )
    means = benchmark_path_means(winner, {"base": data}, safe=SAFE)
    sleeve = [reference_metrics(data.risky[p, 63:]) for p in range(3)]
    held = [reference_metrics(reference_buy_and_hold(assets[p], 63)[63:]) for p in range(3)]
    indexed = [reference_metrics(market[p, 63:]) for p in range(3)]
    references = {  # the winner's sleeve is the daily-rebalanced equal weights: listed once
        "equal_weight": sleeve,
        "buy_and_hold": held,
        "market": indexed,
    }
    assert set(means) == set(references)
    for key, reference in references.items():
        for metric, expected_values in zip(
            reference[0], zip(*(r.values() for r in reference), strict=True), strict=True
        ):
            value = means[key]["base"][metric]
            expected = np.mean(expected_values)
            assert value == pytest.approx(expected, rel=1e-9, abs=1e-12), (key, metric)
        assert means[key]["base"]["hedge_premium"] == 0.0  # no benchmark holds options
    alone = benchmark_path_means(winner, {"base": ScenarioData(market)}, safe=SAFE)
    assert set(alone) == {"buy_and_hold"}  # one asset (the sleeve): no basket, no market


def test_the_initial_purchase_pays_the_winners_cost(assets: np.ndarray) -> None:
    data = ScenarioData(np.ascontiguousarray(assets.mean(axis=2)), np.ascontiguousarray(assets))
    free = benchmark_path_means(StrategyConfig(lookback=63), {"base": data}, safe=SAFE)
    costly = benchmark_path_means(
        StrategyConfig(lookback=63, cost_bps=50), {"base": data}, safe=SAFE
    )
    for key in ("equal_weight", "buy_and_hold"):
        assert costly[key]["base"]["cagr"] < free[key]["base"]["cagr"]


@pytest.mark.parametrize("sleeve", ["min_volatility", "hrp"])
def test_an_optimizer_s_sleeve_is_its_own_benchmark(assets: np.ndarray, sleeve: str) -> None:
    """A sleeve an optimizer builds is another portfolio than equal weights: held at 100% of
    wealth it is a benchmark row of its own."""
    data = ScenarioData(np.ascontiguousarray(assets.mean(axis=2)), np.ascontiguousarray(assets))
    winner = StrategyConfig(lookback=63, rebalance_every=21, sleeve=sleeve)
    means = benchmark_path_means(winner, {"base": data}, safe=SAFE)
    assert set(means) == {"risky_sleeve", "buy_and_hold", "equal_weight"}
    built, equal = means["risky_sleeve"]["base"], means["equal_weight"]["base"]
    assert built["volatility"] != pytest.approx(equal["volatility"], rel=1e-6)
