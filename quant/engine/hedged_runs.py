"""Configs holding an option hedge (`StrategyConfig.overlay`): the hedge's unit series priced
once per path, hedge and lookback (`quant.engine.hedge_kernels.run_units`), then every config
run by the hedged day loop (`hedge_kernels.simulate_hedged` through
`schedule_kernels.run_schedule`), chunk of paths by chunk."""

from __future__ import annotations

import numpy as np

from quant.engine import hedge_kernels as HK
from quant.engine.inputs import Inputs
from quant.engine.path_kernels import N_METRICS
from quant.engine.resources import hedged_chunk_size, threads_for
from quant.engine.schedule_kernels import run_schedule
from quant.engine.weights import custom_targets, is_builtin, rule_parameters, weight_codes
from quant.engine.window_kernels import stats_single
from quant.options.vol_model import ImpliedVolModel
from quant.sleeve import build_schedule
from quant.strategy import ROLL_BANDS, StrategyConfig

_HEDGE_KINDS = {"put": HK.KIND_PUT, "put_spread": HK.KIND_PUT_SPREAD, "collar": HK.KIND_COLLAR}
_ROLL_RULES = {"expiry": HK.RULE_EXPIRY, "band": HK.RULE_BAND, "delta": HK.RULE_DELTA}

HedgeKey = tuple[int, float, float, int, int, float]
"""What a unit of hedge depends on besides the path (see `hedge_key`)."""

Stats = tuple[np.ndarray, np.ndarray, np.ndarray]
"""Window statistics (sigma, mu, safe rate), each [P, J]."""


def hedge_key(cfg: StrategyConfig) -> HedgeKey:
    """What a unit of `cfg`'s hedge depends on besides the path: kind, the two strikes (the
    bought put's, then the sold put's or call's; 0 for a plain put), tenor, the roll rule and
    its band (moneyness or delta; 0 when rolling at expiry)."""
    second = {"put": 0.0, "put_spread": cfg.overlay_lower_strike, "collar": cfg.overlay_call_strike}
    band_field = ROLL_BANDS.get(cfg.overlay_roll)
    band = float(getattr(cfg, band_field)) if band_field else 0.0
    return (
        _HEDGE_KINDS[cfg.overlay], cfg.overlay_strike, second[cfg.overlay],
        cfg.overlay_tenor_days, _ROLL_RULES[cfg.overlay_roll], band,
    )  # fmt: skip


def unit_series(
    keys: list[HedgeKey],
    R: np.ndarray,
    S: np.ndarray,
    L: int,
    model: ImpliedVolModel,
) -> np.ndarray:
    """Unit series [U, P, N_UNIT_ROWS, T] of the hedges `keys` on the paths R [P, T]."""
    P, T = R.shape
    units = np.zeros((len(keys), P, HK.N_UNIT_ROWS, T))
    with threads_for(len(keys) * P * (T - L) * 50):  # pricing a day costs ~50 config-days
        HK.run_units(
            np.ascontiguousarray(R), np.ascontiguousarray(S), L,
            np.array([key[0] for key in keys], dtype=np.int64),
            np.array([[key[1], key[2]] for key in keys], dtype=np.float64),
            np.array([key[3] for key in keys], dtype=np.int64),
            np.array([key[4] for key in keys], dtype=np.int64),
            np.array([key[5] for key in keys], dtype=np.float64),
            np.array(model.as_tuple(), dtype=np.float64), model.realised_window, units,
        )  # fmt: skip
    return units


def evaluate_hedged(
    cfgs: list[StrategyConfig],
    idx: list[int],
    sleeve: str,
    L: int,
    inp: Inputs,
    out: np.ndarray,
    hedge_out: np.ndarray,
    fallbacks: np.ndarray,
    model: ImpliedVolModel,
    chunk_size: int | None,
) -> None:
    """Metrics and hedge statistics of the hedged configs `idx`, which share a sleeve and a
    lookback L, into ``out[:, idx, :]`` and ``hedge_out[:, idx, :]``. On a single series the
    hedge units are priced once for every rebalance step."""
    keys = sorted({hedge_key(cfgs[i]) for i in idx})
    P, T = inp.n_paths, inp.n_days
    n_assets = inp.assets.shape[2] if inp.assets is not None and sleeve != "single" else 0
    n_custom = sum(not is_builtin(cfgs[i]) for i in idx)
    step = chunk_size or hedged_chunk_size(T, len(keys), n_assets, n_custom, len(idx))
    steps = sorted({cfgs[i].rebalance_every for i in idx})
    by_step = {k: [i for i in idx if cfgs[i].rebalance_every == k] for k in steps}
    for p0 in range(0, P, step):
        p1 = min(P, p0 + step)
        S = inp.safe_rows(p0, p1)
        units = None
        for k, members in by_step.items():
            if sleeve == "single":
                R = np.ascontiguousarray(inp.single_matrix()[p0:p1])
                stats = stats_single(R, S, L, k)
                v_new = v_pre = np.zeros((1, 1, 1))
            else:
                assert inp.assets is not None
                sched = build_schedule(inp.assets[p0:p1], S, sleeve, L, k, inp.asset_names)
                R = np.ascontiguousarray(sched.returns)
                stats = (sched.sigma, sched.mu, sched.safe)
                v_new = np.ascontiguousarray(sched.v_new)
                v_pre = np.ascontiguousarray(sched.v_pre)
                fallbacks[members, p0:p1] = sched.fallbacks[None, :]
                units = None  # a multi-asset sleeve's returns depend on its schedule
            if units is None:
                units = unit_series(keys, R, S, L, model)
            sel = [cfgs[i] for i in members]
            part, part_hedge = _run(
                sel, keys, R, S, L, k, stats, sleeve != "single", v_new, v_pre, units
            )
            out[:, members, p0:p1] = part
            hedge_out[:, members, p0:p1] = part_hedge


def _run(
    sel: list[StrategyConfig],
    keys: list[HedgeKey],
    R: np.ndarray,
    S: np.ndarray,
    L: int,
    k: int,
    stats: Stats,
    multi: bool,
    v_new: np.ndarray,
    v_pre: np.ndarray,
    units: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """(metrics [9, C, P], hedge statistics [2, C, P]) of the hedged configs `sel` (one
    schedule L, k) on the paths R [P, T]."""
    targets, custom_of = custom_targets(sel, stats)
    hedge_params = np.array(
        [(c.overlay_hedge_ratio, c.overlay_budget or 0.0) for c in sel], dtype=np.float64
    ).reshape(len(sel), 2)
    unit_of = np.array([keys.index(hedge_key(c)) for c in sel], dtype=np.int64)
    tenor = np.array([c.overlay_tenor_days for c in sel], dtype=np.int64)
    part = np.empty((N_METRICS, len(sel), R.shape[0]))
    part_hedge = np.empty((HK.N_HEDGE, len(sel), R.shape[0]))
    sig, mu, saf = (np.ascontiguousarray(x) for x in stats)
    with threads_for(R.shape[0] * len(sel) * (R.shape[1] - L)):
        run_schedule(
            R, S, L, k, sig, mu, saf, multi, v_new, v_pre, weight_codes(sel),
            rule_parameters(sel), custom_of, targets, part,
            (units, unit_of, tenor, hedge_params, part_hedge),
        )  # fmt: skip
    return part, part_hedge
