"""Compiled runner of the per-config day loops: every config of one rebalance schedule (L, k)
and sleeve on every path, each with or without an option hedge.

Used for multi-asset sleeves (whose sleeve weights differ by schedule) and for configs holding a
hedge; single-series configs without a hedge run in the SIMD block loop of
`quant.engine.lane_kernels` instead.
"""

from __future__ import annotations

import numpy as np
from numba import prange

from quant.compiled import kernel
from quant.engine.hedge_kernels import N_HEDGED_SERIES, simulate_hedged
from quant.engine.path_kernels import simulate
from quant.engine.window_kernels import fill_targets


@kernel(parallel=True)
def run_schedule(
    R: np.ndarray,
    S: np.ndarray,
    L: int,
    k: int,
    sigma: np.ndarray,
    mu: np.ndarray,
    safe: np.ndarray,
    multi: bool,
    v_new: np.ndarray,
    v_pre: np.ndarray,
    code: np.ndarray,
    params: np.ndarray,
    custom_of: np.ndarray,
    custom_targets: np.ndarray,
    out: np.ndarray,
    hedges: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
) -> None:
    """Run configs c < C on paths p < P, writing their metrics to ``out[:, c, p]``.

    ``R`` [P, T] sleeve returns; ``S`` [P or 1, T] safe returns; ``sigma``, ``mu``, ``safe``
    [P, n_reb] window statistics; with ``multi``, ``v_new`` and ``v_pre`` [P, n_reb, N] are the
    sleeve's new and drifted asset weights (otherwise unused). Config c has the weight-function
    code ``code[c]`` (`window_kernels.CODE_*`) and ``params[c]`` = (target_vol, max_leverage,
    risk_aversion, steepness, cost rate); a custom function's clipped targets are
    ``custom_targets[custom_of[c]]`` [P, n_reb]. ``hedges`` is None when no config holds a hedge
    (the plain loop `path_kernels.simulate` runs, compiled without the hedged one), else (units
    [U, P, N_UNIT_ROWS, T], unit_of [C]: the unit series config c holds, tenor [C],
    hedge_params [C, 2]: hedge ratio and budget, hedge_out [N_HEDGE, C, P]) for
    `hedge_kernels.simulate_hedged`, which writes ``hedge_out[:, c, p]`` too.
    """
    P = R.shape[0]
    C = code.shape[0]
    no_series = np.zeros((N_HEDGED_SERIES, 1))
    for task in prange(P * C):
        p = task // C
        c = task % C
        targets = np.empty(sigma.shape[1])
        fill_targets(
            targets, code[c], sigma[p], mu[p], safe[p], params[c], custom_targets, custom_of[c], p
        )
        s = S[p if S.shape[0] > 1 else 0]
        vn = v_new[p] if multi else v_new[0]
        vp = v_pre[p] if multi else v_pre[0]
        if hedges is None:
            simulate(
                R[p], s, L, k, targets, params[c, 4], multi, vn, vp, no_series, False, out, c, p,
            )  # fmt: skip
        else:
            units, unit_of, tenor, hedge_params, hedge_out = hedges
            simulate_hedged(
                R[p], s, L, k, targets, params[c, 4], multi, vn, vp, units[unit_of[c], p],
                hedge_params[c, 0], hedge_params[c, 1], tenor[c], no_series, False, out, hedge_out,
                c, p,
            )  # fmt: skip
