"""Multi-asset sleeve configs without a hedge: the optimizer's sleeve built once per schedule
(`quant.sleeve.build_schedule`), then every config sharing it run by the per-config day loop
(`quant.engine.schedule_kernels.run_schedule`), chunk of paths by chunk."""

from __future__ import annotations

import numpy as np

from quant.engine.inputs import Inputs
from quant.engine.path_kernels import N_METRICS
from quant.engine.resources import auto_chunk_size
from quant.engine.schedule_kernels import run_schedule
from quant.engine.weights import custom_targets, rule_parameters, weight_codes
from quant.sleeve import build_schedule
from quant.strategy import StrategyConfig


def evaluate_sleeve(
    cfgs: list[StrategyConfig],
    idx: list[int],
    sleeve: str,
    L: int,
    k: int,
    inp: Inputs,
    out: np.ndarray,
    fallbacks: np.ndarray,
    chunk_size: int | None,
) -> None:
    """Metrics of the configs `idx` (one sleeve schedule: optimizer `sleeve`, lookback L, step k)
    into ``out[:, idx, :]``, and the sleeve's max-Sharpe fallbacks into ``fallbacks[idx, :]``."""
    assert inp.assets is not None
    P, T, N = inp.assets.shape
    step = chunk_size or auto_chunk_size(T, len(idx), N, n_configs=len(idx))
    sel = [cfgs[i] for i in idx]
    code = weight_codes(sel)
    params = rule_parameters(sel)
    for p0 in range(0, P, step):
        p1 = min(P, p0 + step)
        S = inp.safe_rows(p0, p1)
        sched = build_schedule(inp.assets[p0:p1], S, sleeve, L, k, inp.asset_names)
        targets, custom_of = custom_targets(sel, (sched.sigma, sched.mu, sched.safe))
        part = np.empty((N_METRICS, len(idx), p1 - p0))
        run_schedule(
            sched.returns, S, L, k, sched.sigma, sched.mu, sched.safe, True,
            np.ascontiguousarray(sched.v_new), np.ascontiguousarray(sched.v_pre), code, params,
            custom_of, targets, part, None,
        )  # fmt: skip
        out[:, idx, p0:p1] = part
        fallbacks[idx, p0:p1] = sched.fallbacks[None, :]
