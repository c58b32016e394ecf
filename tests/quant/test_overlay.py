"""Option overlays in the engine against a plain per-day reference loop written from the rules in
docs/engine.md ("Option overlays"), pricing every option with QuantLib's Black formula."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quant.engine import METRICS, evaluate
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from tests.quant.test_engine import random_paths, reference_weight

TOL = 1e-9


def _model_vol(model: ImpliedVolModel, rv: float, moneyness: float) -> float:
    vol = math.sqrt(rv**2 + model.variance_risk_premium) * moneyness ** (-model.skew)
    return min(max(vol, model.min_volatility), model.max_volatility)


def _legs(cfg: StrategyConfig) -> list[tuple[float, int, float]]:
    """(sign, QuantLib option type, strike / level at purchase) of each leg."""
    import QuantLib as ql  # imported where it prices, not when the module is collected

    legs = [(1.0, ql.Option.Put, cfg.overlay_strike)]
    if cfg.overlay == "put_spread":
        legs.append((-1.0, ql.Option.Put, cfg.overlay_lower_strike))
    if cfg.overlay == "collar":
        legs.append((-1.0, ql.Option.Call, cfg.overlay_call_strike))
    return legs


def _value(legs, strikes, level, years, rate, rv, model) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    import QuantLib as ql

    value = gross = 0.0
    for (sign, option_type, _), strike in zip(legs, strikes, strict=True):
        vol = _model_vol(model, rv, strike / level)
        forward = level * math.exp(rate * years)
        price = ql.blackFormula(
            option_type, strike, forward, vol * math.sqrt(years), math.exp(-rate * years)
        )
        value += sign * price
        gross += price
    return value, gross


def _put_delta(strike, level, years, rate, rv, model) -> float:  # type: ignore[no-untyped-def]
    """QuantLib's Black-Scholes delta of a put at the model volatility for its moneyness."""
    import QuantLib as ql

    vol = _model_vol(model, rv, strike / level)
    calculator = ql.BlackCalculator(
        ql.PlainVanillaPayoff(ql.Option.Put, strike),
        level * math.exp(rate * years),
        vol * math.sqrt(years),
        math.exp(-rate * years),
    )
    return float(calculator.delta(level))


def reference_overlay(
    cfg: StrategyConfig, r: np.ndarray, s: np.ndarray, model: ImpliedVolModel
) -> tuple[dict[str, float], pd.DataFrame, tuple[float, float]]:
    """Metrics, day-by-day series and (premium, payoff per year) of one hedged config."""
    T = len(r)
    L, k, c = cfg.lookback, cfg.rebalance_every, cfg.cost_bps / 1e4
    legs = _legs(cfg)
    tenor = cfg.overlay_tenor_days

    def rv_at(u: int) -> float:
        window = r[max(0, u - model.realised_window + 1) : u + 1]
        return float(np.std(window, ddof=1) * math.sqrt(252))

    def rate_at(u: int) -> float:
        return 252 * math.log1p(s[u])

    a, b, units = 0.0, 1.0, 0.0
    level = 1.0
    strikes: list[float] = []
    expiry = -1
    wealth_prev = 1.0
    rows = []
    paid = received = 0.0
    turnover = 0.0
    for t in range(L, T):
        u = t - 1
        held_value = held_gross = 0.0
        if strikes:
            held_value, held_gross = _value(
                legs, strikes, level, (expiry - u) / 252, rate_at(u), rv_at(u), model
            )
        # what happens at the close of day u
        early = False
        if strikes and u != expiry and cfg.overlay_roll == "band":
            early = abs(strikes[0] / level - cfg.overlay_strike) > cfg.overlay_roll_band
        elif strikes and u != expiry and cfg.overlay_roll == "delta":
            held = _put_delta(strikes[0], level, (expiry - u) / 252, rate_at(u), rv_at(u), model)
            new = _put_delta(
                cfg.overlay_strike * level, level, tenor / 252, rate_at(u), rv_at(u), model
            )
            early = abs(held - new) > cfg.overlay_roll_delta_band
        if not strikes or u == expiry:
            roll, sale_cost = True, 0.0
        elif early:
            roll, sale_cost = True, c * units * held_gross
        else:
            roll, sale_cost = False, 0.0
        cost = 0.0
        payoff = premium = 0.0
        if roll and strikes:
            payoff = units * held_value
            b += payoff
            cost += sale_cost
            received += payoff / wealth_prev
            units = 0.0
        option_value = units * held_value
        w_pre = a / wealth_prev
        rebalance = (t - L) % k == 0
        if rebalance:
            w = reference_weight(cfg, r[t - L : t], s[t - L : t])
            cost += c * abs(w - w_pre) * wealth_prev
            turnover += abs(w - w_pre)
            a = w * wealth_prev
            b = wealth_prev - a - option_value
        else:
            w = w_pre
        if roll:
            strikes = [m * level for _, _, m in legs]
            expiry = u + tenor
            unit_premium, unit_gross = _value(
                legs, strikes, level, tenor / 252, rate_at(u), rv_at(u), model
            )
            units = cfg.overlay_hedge_ratio * a / level
            if cfg.overlay_budget is not None and unit_premium > 0:
                cap = cfg.overlay_budget * wealth_prev * tenor / 252
                units = min(units, cap / unit_premium)
            premium = units * unit_premium
            b -= premium
            cost += c * units * unit_gross
            paid += premium / wealth_prev
        level *= 1 + r[t]
        a *= 1 + r[t]
        b = b * (1 + s[t]) - cost
        mark = 0.0
        if strikes:
            mark, _ = _value(legs, strikes, level, (expiry - t) / 252, rate_at(t), rv_at(t), model)
        wealth = a + b + units * mark
        rows.append(
            {
                "weight": w,
                "net": wealth / wealth_prev - 1,
                "wealth": wealth,
                "hedge_value": units * mark / wealth,
                "premium": premium / wealth_prev,
                "payoff": payoff / wealth_prev,
                "rebalance": rebalance,
            }
        )
        wealth_prev = wealth
    series = pd.DataFrame(rows, index=pd.RangeIndex(L, T, name="day"))
    received += units * mark / wealth_prev
    p = series["net"].to_numpy()
    e = p - s[L:]
    n = T - L
    wealth_path = series["wealth"].to_numpy()
    peak = np.maximum(1.0, np.maximum.accumulate(wealth_path))
    std_e = np.std(e, ddof=1)
    down = math.sqrt(np.mean(np.minimum(e, 0.0) ** 2))
    q = np.quantile(p, 0.05)
    metrics = {
        "cagr": wealth_path[-1] ** (252 / n) - 1,
        "volatility": np.std(p, ddof=1) * math.sqrt(252),
        "sharpe": np.mean(e) / std_e * math.sqrt(252) if std_e > 1e-14 else 0.0,
        "sortino": np.mean(e) * math.sqrt(252) / down if down > 1e-14 else 0.0,
        "max_drawdown": float(np.max(1 - wealth_path / peak)),
        "var_95": -q,
        "cvar_95": -np.mean(p[p <= q]),
        "turnover": turnover / (n / 252),
        "average_weight": float(series["weight"].mean()),
    }
    years = n / 252
    return metrics, series, (paid / years, received / years)


CONFIGS = [
    StrategyConfig(overlay="put"),
    StrategyConfig(overlay="put", overlay_strike=0.9, overlay_tenor_days=21, cost_bps=10.0),
    StrategyConfig(
        overlay="put_spread",
        overlay_strike=1.0,
        overlay_lower_strike=0.85,
        lookback=30,
        rebalance_every=5,
        weight_function="sigmoid",
        max_leverage=1.5,
    ),
    StrategyConfig(
        overlay="collar",
        overlay_strike=0.97,
        overlay_call_strike=1.06,
        overlay_roll="band",
        overlay_roll_band=0.04,
        cost_bps=5.0,
        target_vol=0.2,
        max_leverage=2.0,
    ),
    StrategyConfig(overlay="put", overlay_budget=0.01, overlay_hedge_ratio=1.5, cost_bps=2.0),
    StrategyConfig(
        overlay="put",
        overlay_roll="band",
        overlay_roll_band=0.03,
        weight_function="merton",
        lookback=40,
        rebalance_every=1,
    ),
    StrategyConfig(
        overlay="put",
        overlay_strike=0.93,
        overlay_roll="delta",
        overlay_roll_delta_band=0.06,
        cost_bps=3.0,
        target_vol=0.15,
    ),
    StrategyConfig(
        overlay="collar",
        overlay_strike=0.95,
        overlay_call_strike=1.08,
        overlay_tenor_days=42,
        overlay_roll="delta",
        overlay_roll_delta_band=0.1,
        overlay_budget=0.02,
        weight_function="sigmoid",
        rebalance_every=3,
    ),
]
MODELS = [
    ImpliedVolModel(),
    ImpliedVolModel(variance_risk_premium=0.0, skew=0.0, realised_window=63),
]


@pytest.mark.parametrize("model", MODELS)
def test_overlay_matches_reference_loop(model: ImpliedVolModel) -> None:
    """Every metric, the hedge's premium and payoff, and the day-by-day series agree with the
    reference loop to 1e-9, for puts, spreads and collars, expiry, band and delta rolls, a binding
    budget, leverage, costs and a safe rate that moves."""
    rng = np.random.default_rng(7)
    T = 400
    R = random_paths(rng, 3, T)
    S = rng.normal(0.03 / 252, 0.0002, size=(3, T))
    res = evaluate(CONFIGS, R, S, vol_model=model)
    for ci, cfg in enumerate(CONFIGS):
        for p in range(3):
            metrics, series, (premium, payoff) = reference_overlay(cfg, R[p], S[p], model)
            for name in METRICS:
                got = getattr(res, name)[ci, p]
                assert got == pytest.approx(metrics[name], rel=TOL, abs=TOL), (name, ci, p)
            assert res.hedge_premium[ci, p] == pytest.approx(premium, rel=TOL, abs=TOL)
            assert res.hedge_payoff[ci, p] == pytest.approx(payoff, rel=TOL, abs=TOL)
        ours = res.series(ci, 0)
        _, series, _ = reference_overlay(cfg, R[0], S[0], model)
        for column in ("weight", "net", "wealth", "hedge_value", "premium", "payoff"):
            np.testing.assert_allclose(ours[column], series[column], rtol=TOL, atol=TOL)
        assert (ours["rebalance"] == series["rebalance"]).all()


def _purchase_days(series: pd.DataFrame) -> list[int]:
    """The days t whose start (the close of t-1) bought options."""
    return [int(t) for t in series.index[series["premium"] > 0]]


def test_a_delta_band_rolls_before_expiry_where_the_expiry_rule_waits() -> None:
    """A path that falls 2 % a day for 10 days after the first purchase: the held 95 % put's
    delta moves from about -0.3 towards -1 while a new 95 % put's stays near -0.3, so the delta
    rule sells it and buys a new one long before its 63-day expiry; the expiry rule keeps it.
    The engine's roll days are the reference loop's, and the results differ."""
    rng = np.random.default_rng(4)
    L = 63
    calm = rng.normal(0.0003, 0.008, L + 5)
    fall = np.full(10, -0.02)
    r = np.concatenate([calm, fall, rng.normal(0.0003, 0.008, 150)])
    s = np.zeros_like(r)
    expiry = StrategyConfig(overlay="put", overlay_strike=0.95, lookback=L)
    delta = expiry.model_copy(update={"overlay_roll": "delta", "overlay_roll_delta_band": 0.1})
    res = evaluate([expiry, delta], r, s)
    by_expiry = _purchase_days(res.series(0))
    by_delta = _purchase_days(res.series(1))
    assert by_expiry == [L, L + 63, L + 126]
    early = [t for t in by_delta if L < t < L + 63]
    assert early, by_delta
    assert L + 5 < early[0] <= L + 16  # during or just after the fall
    _, reference_series, _ = reference_overlay(delta, r, s, ImpliedVolModel())
    assert _purchase_days(reference_series) == by_delta
    assert res.hedge_premium[1, 0] > res.hedge_premium[0, 0]
    assert res.cagr[1, 0] != res.cagr[0, 0]
    assert res.hedge_payoff[1, 0] != res.hedge_payoff[0, 0]


def test_budget_caps_every_purchase() -> None:
    cfg = StrategyConfig(overlay="put", overlay_strike=1.0, overlay_budget=0.02)
    R = random_paths(np.random.default_rng(3), 1, 800)
    series = evaluate([cfg], R, 0.02).series(0)
    bought = series["premium"][series["premium"] > 0]
    assert len(bought) >= 10
    assert (bought <= 0.02 * 63 / 252 * (1 + 1e-12)).all()
    # at the money at 63 days the cap binds: uncapped, the hedge would cost more
    uncapped = evaluate([cfg.model_copy(update={"overlay_budget": None})], R, 0.02).series(0)
    assert uncapped["premium"].max() > bought.max()


def test_a_put_limits_the_drawdown_of_a_crash() -> None:
    """A path that rises calmly, then falls 35 % in 30 days: the put's payoff offsets part of
    the fall (the hedged drawdown is smaller), and in calm years the hedge costs return."""
    rng = np.random.default_rng(11)
    calm = rng.normal(0.0004, 0.006, 500)
    crash = np.full(30, (0.65) ** (1 / 30) - 1)
    r = np.concatenate([calm, crash, rng.normal(0.0003, 0.01, 100)])
    plain = StrategyConfig(target_vol=0.15)
    hedged = plain.model_copy(update={"overlay": "put", "overlay_strike": 0.95})
    res = evaluate([plain, hedged], r, 0.0)
    assert res.max_drawdown[1, 0] < res.max_drawdown[0, 0] - 0.03
    assert res.hedge_payoff[1, 0] > 0
    calm_only = evaluate([plain, hedged], calm, 0.0)
    assert calm_only.cagr[1, 0] < calm_only.cagr[0, 0]


def test_hedged_results_do_not_depend_on_chunks() -> None:
    rng = np.random.default_rng(5)
    R = random_paths(rng, 7, 300)
    full = evaluate(CONFIGS, R, 0.01)
    chunked = evaluate(CONFIGS, R, 0.01, chunk_size=2)
    for name in (*METRICS, "hedge_premium", "hedge_payoff"):
        np.testing.assert_array_equal(getattr(full, name), getattr(chunked, name))


def test_overlays_on_a_multi_asset_sleeve() -> None:
    """An HRP sleeve's returns carry the overlay like a single series: the same numbers as the
    reference loop run on the sleeve's returns."""
    rng = np.random.default_rng(9)
    assets = rng.normal(0.0003, 0.01, size=(300, 3))
    cfg = StrategyConfig(sleeve="hrp", overlay="put", lookback=40)
    res = evaluate([cfg], assets, 0.0)
    unhedged = evaluate([cfg.model_copy(update={"overlay": "none"})], assets, 0.0)
    assert res.hedge_premium[0, 0] > 0
    assert res.cagr[0, 0] != unhedged.cagr[0, 0]
    # the hedged series' weights are the unhedged ones' on rebalance days
    hedged_series = res.series(0)
    plain_series = unhedged.series(0)
    rebalances = hedged_series["rebalance"]
    np.testing.assert_allclose(
        hedged_series["weight"][rebalances], plain_series["weight"][rebalances], rtol=1e-12
    )


def test_configs_without_overlay_keep_their_ids_and_results() -> None:
    plain = StrategyConfig()
    assert "overlay" not in plain.canonical_json()
    assert StrategyConfig(overlay_strike=0.9).config_id == plain.config_id
    assert StrategyConfig(overlay="put").config_id != plain.config_id
    R = random_paths(np.random.default_rng(2), 2, 300)
    alone = evaluate([plain], R, 0.0)
    mixed = evaluate([plain, StrategyConfig(overlay="collar")], R, 0.0)
    for name in METRICS:
        np.testing.assert_array_equal(getattr(alone, name)[0], getattr(mixed, name)[0])
    assert (mixed.hedge_premium[0] == 0).all()


@pytest.mark.parametrize(
    ("update", "field"),
    [
        ({"overlay": "put_spread", "overlay_lower_strike": 0.97}, "overlay_lower_strike"),
        ({"overlay": "collar", "overlay_call_strike": 0.9}, "overlay_call_strike"),
        ({"overlay": "put", "overlay_tenor_days": 2}, "overlay_tenor_days"),
        ({"overlay": "straddle"}, "overlay"),
    ],
)
def test_bad_overlays_name_the_field(update: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        evaluate([{"overlay_strike": 0.95, **update}], np.zeros(100) + 0.001, 0.0)


@pytest.mark.parametrize("roll", ["expiry", "band", "delta"])
@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_random_overlays_match_reference_loop(roll: str, seed: int) -> None:
    rng = np.random.default_rng(seed)
    T = int(rng.integers(60, 300))
    kind = str(rng.choice(["put", "put_spread", "collar"]))
    strike = float(rng.uniform(0.8, 1.05))
    cfg = StrategyConfig(
        target_vol=float(rng.uniform(0.05, 0.3)),
        weight_function=str(rng.choice(["inverse_vol", "sigmoid", "merton"])),
        lookback=int(rng.integers(2, 40)),
        rebalance_every=int(rng.integers(1, 30)),
        max_leverage=float(rng.uniform(0.5, 2.0)),
        cost_bps=float(rng.choice([0.0, rng.uniform(0, 30)])),
        overlay=kind,
        overlay_strike=strike,
        overlay_lower_strike=strike - float(rng.uniform(0.02, 0.2)),
        overlay_call_strike=strike + float(rng.uniform(0.02, 0.3)),
        overlay_tenor_days=int(rng.integers(5, 130)),
        overlay_roll=roll,
        overlay_roll_band=float(rng.uniform(0.01, 0.2)),
        overlay_roll_delta_band=float(rng.uniform(0.01, 0.3)),
        overlay_hedge_ratio=float(rng.uniform(0.1, 2.0)),
        overlay_budget=None if rng.random() < 0.5 else float(rng.uniform(0.001, 0.1)),
    )
    model = ImpliedVolModel(
        variance_risk_premium=float(rng.uniform(0, 0.05)),
        skew=float(rng.uniform(0, 4)),
        realised_window=int(rng.integers(2, 80)),
    )
    R = random_paths(rng, 2, T)
    S = rng.normal(0.02 / 252, 0.0001, size=(2, T))
    res = evaluate([cfg], R, S, vol_model=model)
    for p in range(2):
        metrics, _, (premium, payoff) = reference_overlay(cfg, R[p], S[p], model)
        for name in METRICS:
            assert getattr(res, name)[0, p] == pytest.approx(metrics[name], rel=TOL, abs=TOL), name
        assert res.hedge_premium[0, p] == pytest.approx(premium, rel=TOL, abs=TOL)
        assert res.hedge_payoff[0, p] == pytest.approx(payoff, rel=TOL, abs=TOL)
