"""Multi-asset sleeves: the engine against a plain reference loop written from docs/engine.md.

The reference calls the same optimizers (their own correctness is tested in their own files); what
is checked here is the sleeve mechanics: windows, candidate statistics, drift, asset-level costs.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from quant.engine import METRICS, evaluate
from quant.errors import DataError
from quant.optimizers.hrp import hierarchical_risk_parity
from quant.optimizers.mean_variance import max_sharpe, min_volatility
from quant.optimizers.risk_budgeting import risk_parity
from quant.strategy import StrategyConfig

TOL = 1e-10


def reference_sleeve_weights(name: str, window: np.ndarray, rf: float) -> tuple[np.ndarray, bool]:
    names = [f"asset_{i}" for i in range(window.shape[1])]
    cov = pd.DataFrame(np.cov(window, rowvar=False, ddof=1) * 252, index=names, columns=names)
    if name == "hrp":
        return hierarchical_risk_parity(pd.DataFrame(window, columns=names)).to_numpy(), False
    if name == "risk_parity":
        return risk_parity(cov).to_numpy(), False
    if name == "min_volatility":
        return min_volatility(cov).to_numpy(), False
    mu = pd.Series(window.mean(axis=0) * 252, index=names)
    if (mu > rf).any():
        return max_sharpe(mu, cov, risk_free_rate=rf).to_numpy(), False
    return min_volatility(cov).to_numpy(), True


def reference_sleeve_run(cfg: StrategyConfig, r: np.ndarray, s: np.ndarray) -> dict[str, float]:
    """Plain day loop: sleeve re-optimised on rebalance days, drifting in between."""
    T, N = r.shape
    L, k, c, m = cfg.lookback, cfg.rebalance_every, cfg.cost_bps, cfg.max_leverage
    w_pre = 0.0
    v_pre = np.zeros(N)
    nets, weights = [], []
    turnover = 0.0
    fallbacks = 0
    for t in range(L, T):
        if (t - L) % k == 0:
            window = r[t - L : t]
            rf = np.mean(s[t - L : t]) * 252
            v, fell = reference_sleeve_weights(cfg.sleeve, window, rf)
            fallbacks += fell
            cand = window @ v
            sigma = max(np.std(cand, ddof=1) * math.sqrt(252), 1e-8)
            mu = np.mean(cand) * 252
            if cfg.weight_function == "inverse_vol":
                w = cfg.target_vol / sigma
            elif cfg.weight_function == "sigmoid":
                w = m / (1 + math.exp(cfg.steepness * (sigma - cfg.target_vol) / cfg.target_vol))
            else:
                w = (mu - rf) / (cfg.risk_aversion * sigma**2)
            w = min(max(w, 0.0), m)
            cost = c / 1e4 * np.sum(np.abs(w * v - w_pre * v_pre))
            turnover += abs(w - w_pre)
        else:
            w, v, cost = w_pre, v_pre, 0.0
        R = float(r[t] @ v)
        g = w * R + (1 - w) * s[t]
        nets.append(g - cost)
        weights.append(w)
        w_pre = w * (1 + R) / (1 + g)
        v_pre = v * (1 + r[t]) / (1 + R)
    p = np.array(nets)
    e = p - s[L:]
    n = T - L
    wealth = np.cumprod(1 + p)
    q = np.quantile(p, 0.05)
    std_e = np.std(e, ddof=1)
    down = math.sqrt(np.mean(np.minimum(e, 0) ** 2))
    return {
        "cagr": wealth[-1] ** (252 / n) - 1,
        "volatility": np.std(p, ddof=1) * math.sqrt(252),
        "sharpe": np.mean(e) / std_e * math.sqrt(252) if std_e > 1e-14 else 0.0,
        "sortino": np.mean(e) * math.sqrt(252) / down if down > 1e-14 else 0.0,
        "max_drawdown": float(np.max(1 - wealth / np.maximum(1, np.maximum.accumulate(wealth)))),
        "var_95": -q,
        "cvar_95": -np.mean(p[p <= q]),
        "turnover": turnover / (n / 252),
        "average_weight": float(np.mean(weights)),
        "fallbacks": fallbacks,
    }


def asset_paths(seed: int, P: int, T: int, N: int, drift: float = 0.0004) -> np.ndarray:
    rng = np.random.default_rng(seed)
    vols = rng.uniform(0.006, 0.025, size=N)
    common = rng.normal(0, 0.008, size=(P, T, 1))
    return drift + common * rng.uniform(0.3, 1.0, size=N) + rng.normal(0, 1, (P, T, N)) * vols


@pytest.mark.parametrize("sleeve", ["hrp", "risk_parity", "min_volatility", "max_sharpe"])
def test_sleeve_matches_reference_loop(sleeve: str) -> None:
    P, T, N = 2, 130, 4
    A = asset_paths(hash(sleeve) % 1000, P, T, N)
    rng = np.random.default_rng(1)
    S = rng.normal(0.02 / 252, 1e-4, size=(P, T))
    cfgs = [
        StrategyConfig(sleeve=sleeve, weight_function="inverse_vol", lookback=40,  # type: ignore[arg-type]
                       rebalance_every=9, cost_bps=20, max_leverage=1.5),
        StrategyConfig(sleeve=sleeve, weight_function="sigmoid", lookback=40,  # type: ignore[arg-type]
                       rebalance_every=9, cost_bps=5, target_vol=0.15),
        StrategyConfig(sleeve=sleeve, weight_function="merton", lookback=25,  # type: ignore[arg-type]
                       rebalance_every=4, cost_bps=10, max_leverage=2.0),
    ]  # fmt: skip
    res = evaluate(cfgs, A, S)
    for ci, cfg in enumerate(cfgs):
        for p in range(P):
            ref = reference_sleeve_run(cfg, A[p], S[p])
            for name in METRICS:
                assert getattr(res, name)[ci, p] == pytest.approx(ref[name], rel=TOL, abs=TOL), (
                    name, ci, p,
                )  # fmt: skip
            assert res.sleeve_fallbacks[ci, p] == ref["fallbacks"]


def test_max_sharpe_falls_back_to_min_volatility_when_nothing_beats_the_safe_rate() -> None:
    P, T, N = 1, 90, 3
    A = asset_paths(5, P, T, N, drift=-0.01)  # every asset loses in every window
    cfg = StrategyConfig(sleeve="max_sharpe", lookback=30, rebalance_every=10, cost_bps=10)
    twin = cfg.model_copy(update={"sleeve": "min_volatility"})
    res = evaluate([cfg, twin], A, 0.05)
    n_rebalances = len(range(30, T, 10))
    assert res.sleeve_fallbacks[0, 0] == n_rebalances
    assert res.sleeve_fallbacks[1, 0] == 0
    for name in METRICS:
        assert getattr(res, name)[0, 0] == getattr(res, name)[1, 0]


def test_dataframe_input_series_and_asset_costs() -> None:
    T = 100
    A = asset_paths(9, 1, T, 3)[0]
    frame = pd.DataFrame(A, columns=["SPY", "TLT", "GLD"])
    cfg = StrategyConfig(sleeve="risk_parity", lookback=20, rebalance_every=5, cost_bps=30)
    res = evaluate([cfg], frame, 0.01)
    series = res.series(0)
    assert series.index[0] == 20 and len(series) == T - 20
    assert series["rebalance"].sum() == len(range(20, T, 5))
    # costs only on rebalance days, and the net return is gross minus cost
    assert (series.loc[~series["rebalance"], "cost"] == 0).all()
    np.testing.assert_allclose(series["net"], series["gross"] - series["cost"], rtol=0, atol=1e-16)
    # asset-level trades exceed the allocation change once the sleeve weights themselves move
    # (sum_i |w v_i - w_pre v_pre_i| >= |w - w_pre|); w_pre rebuilt from the day before
    s = 0.01 / 252
    w, g = series["weight"].to_numpy(), series["gross"].to_numpy()
    sleeve_ret = (g - (1 - w) * s) / w
    w_pre = np.r_[0.0, w[:-1] * (1 + sleeve_ret[:-1]) / (1 + g[:-1])]
    flags = series["rebalance"].to_numpy()
    dw = np.abs(w - w_pre)[flags]
    cost = series["cost"].to_numpy()[flags]
    assert (cost >= cfg.cost_bps / 1e4 * dw - 1e-15).all()
    assert (cost > cfg.cost_bps / 1e4 * dw + 1e-7).any()
    assert cost[0] == pytest.approx(cfg.cost_bps / 1e4 * w[0], rel=1e-12)  # day L: from all-safe
    wealth = float(np.prod(1 + series["net"]))
    assert res.cagr[0, 0] == pytest.approx(wealth ** (252 / len(series)) - 1, rel=1e-12)


def test_sleeve_input_errors_name_asset_and_shape() -> None:
    A = asset_paths(3, 1, 60, 3)[0]
    frame = pd.DataFrame(A, columns=["SPY", "TLT", "GLD"])
    frame.iloc[12, 1] = np.nan
    cfg = StrategyConfig(sleeve="hrp", lookback=20)
    with pytest.raises(DataError, match=r"path 0, day 12, asset TLT"):
        evaluate([cfg], frame, 0.0)
    with pytest.raises(DataError, match=r"\(T, N\), \(P, T, N\)"):
        evaluate([cfg], np.zeros(60), 0.0)
    with pytest.raises(DataError, match="sleeve='single'"):
        evaluate([cfg, StrategyConfig(lookback=20)], A, 0.0)
