"""The vectorised engine against a plain per-config, per-day reference loop written from the rules
in docs/engine.md (kept here, deliberately straightforward)."""

from __future__ import annotations

import math

import numba
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import quant.engine.resources as resources
from quant.engine import METRICS, evaluate
from quant.engine import tail_kernels as K
from quant.errors import ConstraintError, DataError, InsufficientDataError, QuantError
from quant.horizons import MAX_HORIZON_DAYS
from quant.strategy import StrategyConfig, register_weight_function

TOL = 1e-10


# ----------------------------------------------------------------------------- reference
def reference_weight(cfg: StrategyConfig, window: np.ndarray, safe_window: np.ndarray) -> float:
    sigma = max(np.std(window, ddof=1) * math.sqrt(252), 1e-8)
    mu = np.mean(window) * 252
    safe_rate = np.mean(safe_window) * 252
    m = cfg.max_leverage
    if cfg.weight_function == "inverse_vol":
        w = cfg.target_vol / sigma
    elif cfg.weight_function == "sigmoid":
        w = m / (1 + math.exp(cfg.steepness * (sigma - cfg.target_vol) / cfg.target_vol))
    elif cfg.weight_function == "merton":
        w = (mu - safe_rate) / (cfg.risk_aversion * sigma**2)
    else:
        raise AssertionError(cfg.weight_function)
    return min(max(w, 0.0), m)


def reference_run(cfg: StrategyConfig, r: np.ndarray, s: np.ndarray) -> dict[str, object]:
    """Day loop from the written rules."""
    T = len(r)
    L, k, c = cfg.lookback, cfg.rebalance_every, cfg.cost_bps
    w_pre = 0.0
    weights, nets, rebal, costs, gross = [], [], [], [], []
    turnover = 0.0
    for t in range(L, T):
        if (t - L) % k == 0:
            w = reference_weight(cfg, r[t - L : t], s[t - L : t])
            cost = c / 1e4 * abs(w - w_pre)
            turnover += abs(w - w_pre)
            rebal.append(True)
        else:
            w = w_pre
            cost = 0.0
            rebal.append(False)
        g = w * r[t] + (1 - w) * s[t]
        p = g - cost
        weights.append(w)
        nets.append(p)
        costs.append(cost)
        gross.append(g)
        w_pre = w * (1 + r[t]) / (1 + g)
    p = np.array(nets)
    e = p - s[L:]
    n = T - L
    wealth = np.cumprod(1 + p)
    peak = np.maximum(1.0, np.maximum.accumulate(wealth))
    std_e = np.std(e, ddof=1)
    down = math.sqrt(np.mean(np.minimum(e, 0.0) ** 2))
    q = np.quantile(p, 0.05)
    metrics = {
        "cagr": wealth[-1] ** (252 / n) - 1,
        "volatility": np.std(p, ddof=1) * math.sqrt(252),
        "sharpe": np.mean(e) / std_e * math.sqrt(252) if std_e > 1e-14 else 0.0,
        "sortino": np.mean(e) * math.sqrt(252) / down if down > 1e-14 else 0.0,
        "max_drawdown": float(np.max(1 - wealth / peak)),
        "var_95": -q,
        "cvar_95": -np.mean(p[p <= q]),
        "turnover": turnover / (n / 252),
        "average_weight": np.mean(weights),
    }
    return {
        "metrics": metrics,
        "series": pd.DataFrame(
            {
                "weight": weights,
                "gross": gross,
                "cost": costs,
                "net": nets,
                "wealth": wealth,
                "rebalance": rebal,
            },
            index=pd.RangeIndex(L, T, name="day"),
        ),
    }


def random_config(rng: np.random.Generator, T: int) -> StrategyConfig:
    return StrategyConfig(
        target_vol=float(rng.uniform(0.03, 0.3)),
        weight_function=str(rng.choice(["inverse_vol", "sigmoid", "merton"])),
        lookback=int(rng.integers(2, min(90, T - 2))),
        rebalance_every=int(rng.integers(1, 30)),
        max_leverage=float(rng.uniform(0.3, 2.5)),
        risk_aversion=float(rng.uniform(0.5, 6.0)),
        steepness=float(rng.uniform(1.0, 20.0)),
        cost_bps=float(rng.choice([0.0, rng.uniform(0, 50)])),
    )


def random_paths(rng: np.random.Generator, P: int, T: int) -> np.ndarray:
    vol = rng.uniform(0.003, 0.03, size=(P, 1))
    regime = 1.0 + 1.5 * (rng.random((P, T)) < 0.1)
    return rng.normal(0.0004, 1.0, size=(P, T)) * vol * regime


def assert_matches_reference(res, cfgs, R, S) -> None:  # type: ignore[no-untyped-def]
    for ci, cfg in enumerate(cfgs):
        for p in range(R.shape[0]):
            ref = reference_run(cfg, R[p], S[p])["metrics"]
            for name in METRICS:
                got = getattr(res, name)[ci, p]
                want = ref[name]  # type: ignore[index]
                assert got == pytest.approx(want, rel=TOL, abs=TOL), (name, ci, p, cfg)


# ----------------------------------------------------------------------------- exactness
@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), safe_series=st.booleans())
def test_matches_reference_loop(seed: int, safe_series: bool) -> None:
    rng = np.random.default_rng(seed)
    T = int(rng.integers(40, 400))
    P = int(rng.integers(1, 4))
    R = random_paths(rng, P, T)
    cfgs = [random_config(rng, T) for _ in range(6)]
    if safe_series:
        S = rng.normal(0.03 / 252, 0.0002, size=(P, T))
        res = evaluate(cfgs, R, S)
    else:
        S = np.full((P, T), 0.025 / 252)
        res = evaluate(cfgs, R, 0.025)
    assert_matches_reference(res, cfgs, R, S)


def test_every_weight_function_and_edge_schedule() -> None:
    rng = np.random.default_rng(7)
    T = 300
    R = random_paths(rng, 2, T)
    cfgs = [
        StrategyConfig(weight_function=w, lookback=L, rebalance_every=k, cost_bps=c, max_leverage=m)
        for w in ("inverse_vol", "sigmoid", "merton")
        for L, k in ((2, 1), (63, 21), (T - 2, 1), (30, 500))
        for c, m in ((0.0, 1.0), (25.0, 2.0))
    ]
    res = evaluate(cfgs, R, 0.04)
    assert_matches_reference(res, cfgs, R, np.full((2, T), 0.04 / 252))
    # the target actually moves: weights differ between weight functions
    assert np.ptp(res.average_weight) > 0.1


def test_series_matches_reference_and_metrics() -> None:
    rng = np.random.default_rng(3)
    T = 260
    R = random_paths(rng, 2, T)
    S = rng.normal(0.02 / 252, 1e-4, size=(2, T))
    cfg = StrategyConfig(weight_function="sigmoid", lookback=40, rebalance_every=7, cost_bps=12)
    res = evaluate([cfg], R, S)
    frame = res.series(0, 1)
    ref = reference_run(cfg, R[1], S[1])["series"]
    assert list(frame.columns) == ["weight", "gross", "cost", "net", "wealth", "rebalance"]
    pd.testing.assert_frame_equal(frame, ref, rtol=1e-12, atol=1e-14)  # type: ignore[arg-type]
    assert frame["wealth"].iloc[-1] ** (252 / len(frame)) - 1 == pytest.approx(res.cagr[0, 1])
    np.testing.assert_array_equal(res.net_returns(0, 1), frame["net"].to_numpy())
    with pytest.raises(IndexError):
        res.net_returns(0, 2)


def test_chunking_gives_identical_results() -> None:
    rng = np.random.default_rng(11)
    T = 200
    R = random_paths(rng, 7, T)
    cfgs = [random_config(rng, T) for _ in range(40)]  # more than one block of configs
    full = evaluate(cfgs, R, 0.01)
    for chunk in (1, 3):
        part = evaluate(cfgs, R, 0.01, chunk_size=chunk)
        for name in METRICS:
            np.testing.assert_array_equal(getattr(part, name), getattr(full, name))


def test_automatic_chunking_from_memory_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(12)
    R = random_paths(rng, 5, 120)
    cfgs = [random_config(rng, 120) for _ in range(5)]
    full = evaluate(cfgs, R, 0.0)
    monkeypatch.setattr(resources, "MEMORY_BUDGET_BYTES", 1)
    assert resources.auto_chunk_size(120, 1) == 1
    tiny = evaluate(cfgs, R, 0.0)
    np.testing.assert_array_equal(tiny.sharpe, full.sharpe)


def test_one_dimensional_input_and_shared_safe_series() -> None:
    rng = np.random.default_rng(5)
    R = random_paths(rng, 3, 150)
    s = rng.normal(1e-4, 1e-5, 150)
    cfgs = [StrategyConfig(lookback=20, rebalance_every=5)]
    both = evaluate(cfgs, R, s)
    one = evaluate(cfgs, R[1], s)
    assert one.sharpe.shape == (1, 1)
    assert one.sharpe[0, 0] == both.sharpe[0, 1]
    assert_matches_reference(both, cfgs, R, np.tile(s, (3, 1)))


def test_custom_weight_function_runs_through_python_path() -> None:
    name = "half_inverse_vol_test"

    def half(sigma, mu, safe_rate, params):  # type: ignore[no-untyped-def]
        return 0.5 * params.target_vol / sigma

    register_weight_function(name, half)
    rng = np.random.default_rng(8)
    R = random_paths(rng, 3, 200)
    base = StrategyConfig(lookback=30, rebalance_every=3, cost_bps=10, max_leverage=3.0)
    custom = base.model_copy(update={"weight_function": name})
    # half the target vol with inverse-vol gives the same weights as `half` at the full target
    twin = base.model_copy(update={"target_vol": base.target_vol / 2})
    res = evaluate([custom, twin], R, 0.01)
    for metric in METRICS:
        np.testing.assert_allclose(getattr(res, metric)[0], getattr(res, metric)[1], rtol=1e-12)


def test_zero_volatility_excess_gives_zero_ratios() -> None:
    # merton with a risky asset that never beats the safe rate stays in the safe asset: p = s
    T = 120
    rng = np.random.default_rng(2)
    r = -0.001 + 0.001 * rng.standard_normal(T)
    cfg = StrategyConfig(weight_function="merton", lookback=20)
    res = evaluate([cfg], r, 0.03)
    assert res.average_weight[0, 0] == 0.0
    assert res.sharpe[0, 0] == 0.0
    assert res.sortino[0, 0] == 0.0
    assert res.volatility[0, 0] == pytest.approx(0.0, abs=1e-15)
    assert res.cagr[0, 0] == pytest.approx((1 + 0.03 / 252) ** 252 - 1, rel=1e-12)
    assert res.max_drawdown[0, 0] == 0.0


def test_to_frame_and_summary() -> None:
    rng = np.random.default_rng(4)
    R = random_paths(rng, 2, 100)
    cfgs = [StrategyConfig(lookback=10), StrategyConfig(lookback=20, weight_function="sigmoid")]
    res = evaluate(cfgs, R, 0.0)
    frame = res.to_frame()
    assert len(frame) == 4
    assert (
        frame.loc[(frame.config_index == 1) & (frame.path == 0), "sharpe"].item()
        == res.sharpe[1, 0]
    )
    assert frame.config_id.iloc[3] == cfgs[1].config_id
    assert res.summary().loc[cfgs[0].config_id, "cagr"] == pytest.approx(res.cagr[0].mean())


# ----------------------------------------------------------------------------- bad input
def test_lookback_too_long_is_refused_with_field_and_value() -> None:
    with pytest.raises(InsufficientDataError, match=r"lookback=99.*T=100"):
        evaluate([StrategyConfig(lookback=99)], np.zeros(100) + 0.001, 0.0)


def test_nan_and_inf_are_refused_naming_path_and_day() -> None:
    R = np.full((3, 50), 0.001)
    R[2, 17] = np.nan
    with pytest.raises(DataError, match=r"NaN in risky returns on path 2, day 17"):
        evaluate([StrategyConfig(lookback=5)], R, 0.0)
    S = np.full((3, 50), 0.0001)
    S[1, 4] = np.inf
    with pytest.raises(DataError, match=r"infinite value in safe returns on path 1, day 4"):
        evaluate([StrategyConfig(lookback=5)], np.full((3, 50), 0.001), S)
    with pytest.raises(DataError, match=r"> -1"):
        evaluate([StrategyConfig(lookback=5)], np.full(50, -1.0), 0.0)


def test_shape_mismatches_are_explained() -> None:
    with pytest.raises(DataError, match=r"safe must be .*\(3, 50\)"):
        evaluate([StrategyConfig(lookback=5)], np.zeros((3, 50)), np.zeros((2, 50)))
    with pytest.raises(DataError, match=r"\(T,\) or \(P, T\)"):
        evaluate([StrategyConfig(lookback=5)], np.zeros((2, 3, 4)), 0.0)
    with pytest.raises(DataError, match=r"DataFrame of 2 assets"):
        evaluate([StrategyConfig(lookback=5)], pd.DataFrame(np.zeros((50, 2))), 0.0)


@pytest.mark.parametrize(
    ("field", "value"),
    [("target_vol", 0.0), ("target_vol", -1.0), ("rebalance_every", 0), ("cost_bps", -1.0),
     ("lookback", 1), ("max_leverage", 0.0), ("rebalance_every", 2521), ("rebalance_every", 2**63)],
)  # fmt: skip
def test_bad_config_values_refused(field: str, value: float) -> None:
    # via a mapping: ConstraintError (a QuantError) naming field and value
    with pytest.raises(ConstraintError, match=field) as info:
        evaluate([{field: value}], np.zeros(100) + 0.001, 0.0)
    assert str(value) in str(info.value)
    # a config that skipped validation is re-checked
    cfg = StrategyConfig.model_construct(**{**StrategyConfig().model_dump(), field: value})
    with pytest.raises(ConstraintError, match=rf"{field} must be .*{value}"):
        evaluate([cfg], np.zeros(100) + 0.001, 0.0)


def test_custom_weight_function_returning_nan_is_refused() -> None:
    register_weight_function("nan_test", lambda sigma, mu, safe_rate, params: sigma * np.nan)
    with pytest.raises(QuantError, match="nan_test"):
        evaluate([StrategyConfig(weight_function="nan_test", lookback=5)], np.full(30, 0.001), 0.0)


# ----------------------------------------------------------------------------- block kernel
@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    n=st.integers(2, 700),
    kind=st.sampled_from(["normal", "heavy", "ties", "outlier", "skewed"]),
    stride=st.sampled_from([1, 3]),
)
def test_tail_quantile_equals_numpy(seed: int, n: int, kind: str, stride: int) -> None:
    # the 5 % quantile (numpy's linear interpolation) and the mean below it, from a threshold
    # pre-selection that must fall back correctly when the normal guess keeps too few values
    rng = np.random.default_rng(seed)
    x: np.ndarray
    if kind == "normal":
        x = rng.normal(0.0003, 0.01, n)
    elif kind == "heavy":
        x = rng.standard_t(2, n) * 0.01
    elif kind == "ties":
        x = rng.integers(-3, 4, n) * 0.01
    elif kind == "outlier":  # one huge gain: mean - z std lies below every value
        x = np.full(n, 1e-4)
        x[rng.integers(n)] = 50.0
    else:
        x = -(rng.exponential(0.01, n) ** 2)
    values = np.full(n * stride, np.nan)
    values[::stride] = x
    std = float(np.std(x, ddof=1)) if n > 1 else 0.0
    q, tail = K.tail_quantile(values, 0, stride, n, float(np.mean(x)), std, np.empty(3 * n))
    want = np.quantile(x, 0.05)
    assert q == want
    assert tail == pytest.approx(np.mean(x[x <= want]), rel=1e-12, abs=1e-15)


def test_kth_smallest_equals_sorting() -> None:
    rng = np.random.default_rng(21)
    for m in (1, 2, 3, 12, 13, 40, 257, 1000):
        for k in {k for k in (0, 1, m // 2, m - 2, m - 1) if 0 <= k < m}:
            for values in (rng.integers(0, 5, m).astype(float), rng.normal(size=m)):  # ties too
                before = values.copy()
                got = K.kth_smallest(values, m, k, np.empty(2 * m))
                assert got == np.sort(values)[k]
                np.testing.assert_array_equal(values, before)


def test_large_blocks_of_one_schedule_match_reference() -> None:
    # 75 configs share one schedule (three blocks of lanes, the last padded), mixed weight
    # functions, costs and leverage, plus other schedules and a custom weight function
    name = "scaled_inverse_vol_block_test"
    register_weight_function(
        name, lambda sigma, mu, safe_rate, params: 0.8 * params.target_vol / sigma
    )
    rng = np.random.default_rng(17)
    T = 130
    R = random_paths(rng, 2, T)
    S = rng.normal(0.02 / 252, 1e-4, size=(2, T))
    cfgs = [
        random_config(rng, T).model_copy(update={"lookback": 25, "rebalance_every": 4})
        for _ in range(75)
    ]
    cfgs += [random_config(rng, T) for _ in range(6)]
    cfgs.insert(40, StrategyConfig(lookback=25, rebalance_every=4, weight_function=name))
    res = evaluate(cfgs, R, S)
    custom = cfgs[40]
    twin = custom.model_copy(update={"weight_function": "inverse_vol", "target_vol": 0.08})
    for metric in METRICS:  # the custom config equals inverse_vol at 0.8 x target vol
        np.testing.assert_allclose(
            getattr(res, metric)[40], getattr(evaluate([twin], R, S), metric)[0], rtol=1e-12
        )
    others = [i for i in range(len(cfgs)) if i != 40]
    sub = evaluate([cfgs[i] for i in others], R, S)
    for metric in METRICS:  # the custom config does not disturb the others
        np.testing.assert_array_equal(getattr(res, metric)[others], getattr(sub, metric))
    assert_matches_reference(sub, [cfgs[i] for i in others], R, S)


def test_results_do_not_depend_on_config_order_or_threads() -> None:
    rng = np.random.default_rng(23)
    T = 180
    R = random_paths(rng, 5, T)
    cfgs = [random_config(rng, T) for _ in range(30)]
    cfgs += [cfgs[0].model_copy(update={"target_vol": v}) for v in (0.05, 0.1, 0.2)]
    full = evaluate(cfgs, R, 0.01)
    perm = rng.permutation(len(cfgs))
    shuffled = evaluate([cfgs[i] for i in perm], R, 0.01)
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        single = evaluate(cfgs, R, 0.01)
    finally:
        numba.set_num_threads(threads)
    for metric in METRICS:
        np.testing.assert_array_equal(getattr(shuffled, metric), getattr(full, metric)[perm])
        np.testing.assert_array_equal(getattr(single, metric), getattr(full, metric))


def test_thread_choice_stays_within_numba_threads() -> None:
    n = numba.get_num_threads()
    assert resources._n_threads(resources.PARALLEL_ALWAYS_CONFIG_DAYS) == n
    assert 1 <= resources._n_threads(1000) <= n
    busy = resources._busy_cores()
    assert busy is None or busy >= 0


def test_the_machine_s_load_is_read_once_per_interval(monkeypatch: pytest.MonkeyPatch) -> None:
    """A run of compiled calls reads /proc once per `BUSY_READING_SECONDS` of the clock, and
    each call in between uses that reading."""
    readings = iter(range(100))
    monkeypatch.setattr(resources, "_read_busy_cores", lambda: next(readings))
    monkeypatch.setattr(resources, "_last_reading", (-math.inf, None))
    now = [1000.0]
    seen = []
    for step in [0.0, 0.03, 0.03, 0.03, 0.02, 0.05, 0.2, 0.0]:
        now[0] += step
        seen.append(resources._busy_cores(lambda: now[0]))
    # read at 1000.0, served until 1000.1 (not included), read again at 1000.11 and at 1000.36
    assert seen == [0, 0, 0, 0, 1, 1, 2, 2]
    assert resources._read_busy_cores() is None or resources._read_busy_cores() >= 0


@given(st.integers(1, MAX_HORIZON_DAYS))
@settings(max_examples=15, deadline=None)
def test_every_cadence_a_config_takes_runs(every: int) -> None:
    """Up to one rebalance in the longest horizon (`MAX_HORIZON_DAYS`) a config takes, and the
    engine runs it; above, it is refused before a run (2**63 had been taken and then overflowed
    the engine's integers mid-run)."""
    risky = np.random.default_rng(every).normal(0.0004, 0.01, 60)
    result = evaluate([StrategyConfig(lookback=5, rebalance_every=every)], risky, 0.0)
    assert np.isfinite(result.sharpe).all() and np.isfinite(result.cagr).all()
