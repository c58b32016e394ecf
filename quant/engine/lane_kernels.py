"""Compiled SIMD block loop of the allocation engine: configs of one single-series schedule
stepped through the days together, one vector lane per config.

The rules are those of the per-config loop `quant.engine.path_kernels.simulate`, laid out for
SIMD: configs sharing a rebalance schedule (L, k) form blocks of at most `LANES`, and each day
every lane loop runs over all lanes of a block without branches, so LLVM vectorises it. Per task
the scratch memory is O(lanes x T) per thread (docs/engine.md, "Implementation").
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from quant.compiled import kernel
from quant.engine.path_kernels import write_metrics
from quant.engine.tail_kernels import tail_quantile
from quant.engine.window_kernels import prefix_sums, window_stats

LANES = 32
"""Most configs of one rebalance schedule (L, k) that `run_blocks` steps through the days together
(one lane each; the lane loops compile to SIMD code). Also the row stride of the lane state."""
VECTOR = 8
"""Lane counts are padded to a multiple of this (the SIMD width in float64 with AVX-512)."""

# Lane state rows (row f of lane c at z[f * LANES + c]): one flat array with a compile-time row
# stride lets LLVM prove the rows independent and vectorise the lane loops.
_W = 0  # weight carried into the day (w_pre), then the day's weight
_W0 = 1  # weight set on the last rebalance day
_WEALTH = 2
_PEAK = 3
_RMIN = 4  # min over days of wealth / peak (max drawdown = 1 - RMIN)
_TURN = 5
_WSUM = 6
_S1P = 7  # sums of p - shp and its square (shifted data: shp = first day's p)
_S2P = 8
_S1E = 9  # sums of e - she and its square, e = p - s
_S2E = 10
_DOWN = 11  # sum of min(e, 0)^2
_SHP = 12
_SHE = 13
_TV = 14  # the lane's parameters: target_vol, max_leverage, risk aversion, steepness, cost rate
_ML = 15
_GAM = 16
_KAP = 17
_CRATE = 18
_TGT = 19  # targets of the lanes whose weight function is not vectorised (sigmoid, custom)
_KIND = 20  # 0: inverse_vol (and padding lanes, target_vol 0), 1: target in row _TGT, 2: merton
N_ROWS = 21
_STARTING = (_W, _TURN, _WSUM, _SHP, _SHE, _S1P, _S2P, _S1E, _S2E, _DOWN)
"""Rows that start at 0 (wealth, peak and the wealth / peak minimum start at 1)."""
_SHIFTED_SUMS = (_S1P, _S2P, _S1E, _S2E)
"""Rows of the shifted sums, restarted after day L has set the shifts."""
_PARAM_ROWS = (_TV, _ML, _GAM, _KAP, _CRATE)
_PADDING = (0.0, 0.0, 1.0, 0.0, 0.0)
"""Parameters of a padding lane (weight 0 whatever the day), row by row of `_PARAM_ROWS`."""


@kernel()
def _scalar_targets(
    z: np.ndarray, bounds: np.ndarray, sigma: float, custom: np.ndarray, j: int
) -> None:
    """Row _TGT of the sigmoid lanes [bounds[0], bounds[1]) (math.exp: not vectorised) and the
    custom lanes [bounds[2], bounds[3]) (their j-th given target); clipped to [0, max_leverage]."""
    b0 = max(bounds[0], 0)  # max(., 0): the lane index is not negative (no wraparound code)
    for c in range(b0, bounds[1]):
        tv = z[_TV * LANES + c]
        ml = z[_ML * LANES + c]
        w = ml / (1.0 + math.exp(z[_KAP * LANES + c] * (sigma - tv) / tv))
        w = w if w > 0.0 else 0.0
        z[_TGT * LANES + c] = w if w < ml else ml
    for c in range(max(bounds[2], 0), bounds[3]):
        z[_TGT * LANES + c] = custom[j]


@kernel(error_model="numpy", inline="always")
def _lanes_day(
    z: np.ndarray,
    row: np.ndarray,
    nlanes: int,
    rt: float,
    st: float,
    ga: float,
    gb: float,
    rebalance: bool,
    sigma: float,
    excess: float,
) -> None:
    """One day of every lane: on a rebalance day the new target weight (inverse_vol and merton
    computed here, the others read from row _TGT), its turnover and cost; then the net return
    into ``row``, wealth, drawdown, sums, and the drift of the weight (``ga``, ``gb``: growth of
    the risky and safe asset since the last rebalance, this day included). Branch-free over the
    lanes, so LLVM vectorises the loop (called with a constant ``rebalance``)."""
    for c in range(nlanes):
        if rebalance:
            kind = z[_KIND * LANES + c]
            w_inv = z[_TV * LANES + c] / sigma
            w_mer = excess / (z[_GAM * LANES + c] * sigma * sigma)
            w = w_mer if kind == 2.0 else (z[_TGT * LANES + c] if kind == 1.0 else w_inv)
            ml = z[_ML * LANES + c]
            w = w if w > 0.0 else 0.0
            w = w if w < ml else ml
            dw = abs(w - z[_W * LANES + c])
            z[_TURN * LANES + c] += dw
            z[_W0 * LANES + c] = w
            pn = w * rt + (1.0 - w) * st - z[_CRATE * LANES + c] * dw
        else:
            w = z[_W * LANES + c]
            pn = w * rt + (1.0 - w) * st
        row[c] = pn
        wl = z[_WEALTH * LANES + c] * (1.0 + pn)
        z[_WEALTH * LANES + c] = wl
        pk = z[_PEAK * LANES + c]
        pk = pk if pk > wl else wl
        z[_PEAK * LANES + c] = pk
        ratio = wl / pk
        rm = z[_RMIN * LANES + c]
        z[_RMIN * LANES + c] = ratio if ratio < rm else rm
        z[_WSUM * LANES + c] += w
        d = pn - z[_SHP * LANES + c]
        z[_S1P * LANES + c] += d
        z[_S2P * LANES + c] += d * d
        e = pn - st
        de = e - z[_SHE * LANES + c]
        z[_S1E * LANES + c] += de
        z[_S2E * LANES + c] += de * de
        en = e if e < 0.0 else 0.0
        z[_DOWN * LANES + c] += en * en
        w0 = z[_W0 * LANES + c]
        a = w0 * ga
        b = (1.0 - w0) * gb
        tot = a + b
        z[_W * LANES + c] = a / tot if tot != 0.0 else w


@kernel(error_model="numpy")
def _first_day(
    z: np.ndarray,
    buf: np.ndarray,
    nlanes: int,
    bounds: np.ndarray,
    custom: np.ndarray,
    rt: float,
    st: float,
    sigma: float,
    excess: float,
) -> None:
    """Day L of every lane (returns ``rt``, ``st``; window statistics ``sigma`` and ``excess`` =
    mu - safe rate): the state starts from w_pre = 0 in the safe asset, the first rebalance
    runs, and its net returns become the shifts of the one-pass sums (which restart from 0)."""
    for c in range(nlanes):
        for f in _STARTING:
            z[f * LANES + c] = 0.0
        z[_WEALTH * LANES + c] = 1.0
        z[_PEAK * LANES + c] = 1.0
        z[_RMIN * LANES + c] = 1.0
    _scalar_targets(z, bounds, sigma, custom, 0)
    _lanes_day(z, buf[:LANES], nlanes, rt, st, 1.0 + rt, 1.0 + st, True, sigma, excess)
    for c in range(nlanes):
        pn = buf[c]
        z[_SHP * LANES + c] = pn
        z[_SHE * LANES + c] = pn - st
        for f in _SHIFTED_SUMS:
            z[f * LANES + c] = 0.0


@kernel(error_model="numpy")
def _lane_metrics(
    z: np.ndarray,
    buf: np.ndarray,
    cand: np.ndarray,
    n: int,
    n_real: int,
    out: np.ndarray,
    out_index: np.ndarray,
    p: int,
) -> None:
    """The 9 metrics of the real lanes [0, n_real) from their state and their n net returns in
    ``buf`` (stride `LANES`), written to ``out[:, out_index[c], p]``."""
    for c in range(n_real):
        s1p = z[_S1P * LANES + c]
        mean_dp = s1p / n
        var_p = (z[_S2P * LANES + c] - s1p * mean_dp) / (n - 1)
        std_p = math.sqrt(var_p) if var_p > 0.0 else 0.0
        s1e = z[_S1E * LANES + c]
        mean_de = s1e / n
        mean_e = z[_SHE * LANES + c] + mean_de
        var_e = (z[_S2E * LANES + c] - s1e * mean_de) / (n - 1)
        std_e = math.sqrt(var_e) if var_e > 0.0 else 0.0
        down_dev = math.sqrt(z[_DOWN * LANES + c] / n)
        q, tail = tail_quantile(buf, c, LANES, n, z[_SHP * LANES + c] + mean_dp, std_p, cand)
        write_metrics(
            out, out_index[c], p, n, z[_WEALTH * LANES + c], std_p, mean_e, std_e, down_dev,
            1.0 - z[_RMIN * LANES + c], q, tail, z[_TURN * LANES + c], z[_WSUM * LANES + c],
        )  # fmt: skip


@kernel(error_model="numpy")
def simulate_block(
    r: np.ndarray,
    s: np.ndarray,
    cx: np.ndarray,
    cx2: np.ndarray,
    cs: np.ndarray,
    shift: float,
    L: int,
    k: int,
    bounds: np.ndarray,
    nlanes: int,
    custom: np.ndarray,
    z: np.ndarray,
    buf: np.ndarray,
    cand: np.ndarray,
    out: np.ndarray,
    out_index: np.ndarray,
    p: int,
) -> None:
    """Run the lanes of one block (configs sharing the schedule L, k) on one path.

    Lane parameters are in rows _CRATE, _TV, _ML, _GAM, _KAP, _KIND of ``z``; the real lanes are
    [0, bounds[3]) and write their 9 metrics to ``out[:, out_index[c], p]``. Per day every lane
    loop runs over all ``nlanes`` (a multiple of `VECTOR`) without branches, so it vectorises; the
    net returns go to ``buf[i * LANES + c]`` for the quantile.
    """
    T = r.shape[0]
    sigma, mu, safe = window_stats(cx, cx2, cs, shift, L, L)
    _first_day(z, buf, nlanes, bounds, custom, r[L], s[L], sigma, mu - safe)
    ga = 1.0 + r[L]
    gb = 1.0 + s[L]
    next_reb = L + k
    j = 1
    for t in range(L + 1, T):
        row = buf[(t - L) * LANES : (t - L + 1) * LANES]
        rt = r[t]
        st = s[t]
        if t == next_reb:
            sigma, mu, safe = window_stats(cx, cx2, cs, shift, t, L)
            _scalar_targets(z, bounds, sigma, custom, j)
            j += 1
            next_reb += k
            ga = 1.0 + rt
            gb = 1.0 + st
            _lanes_day(z, row, nlanes, rt, st, ga, gb, True, sigma, mu - safe)
        else:
            ga = ga * (1.0 + rt)
            gb = gb * (1.0 + st)
            _lanes_day(z, row, nlanes, rt, st, ga, gb, False, 0.0, 0.0)
    _lane_metrics(z, buf, cand, T - L, bounds[3], out, out_index, p)


@kernel()
def _load_lanes(z: np.ndarray, params: np.ndarray, bounds: np.ndarray) -> None:
    """Parameter rows of a block's lanes: lane c < len(params) gets ``params[c]`` (target_vol,
    max_leverage, risk_aversion, steepness, cost rate), the padding lanes after them hold weight 0
    (risk aversion 1); each lane's kind follows from the block's weight-function ``bounds``."""
    for c in range(LANES):
        real = c < params.shape[0]
        for f in range(len(_PARAM_ROWS)):
            z[_PARAM_ROWS[f] * LANES + c] = params[c, f] if real else _PADDING[f]
        sig_or_custom = (bounds[0] <= c < bounds[1]) or (bounds[2] <= c < bounds[3])
        z[_KIND * LANES + c] = (
            2.0 if bounds[1] <= c < bounds[2] else (1.0 if sig_or_custom else 0.0)
        )


@kernel(parallel=True)
def run_blocks(
    R: np.ndarray,
    S: np.ndarray,
    block_start: np.ndarray,
    block_lanes: np.ndarray,
    block_lookback: np.ndarray,
    block_step: np.ndarray,
    block_bounds: np.ndarray,
    params: np.ndarray,
    out_index: np.ndarray,
    custom_targets: np.ndarray,
    out: np.ndarray,
    n_threads: int,
) -> None:
    """All configs on all paths of a single-series sleeve, block by block.

    Configs are given sorted into blocks: block b holds the configs ``block_start[b] ..
    block_start[b + 1] - 1`` (at most `LANES`, one rebalance schedule ``block_lookback[b]``,
    ``block_step[b]``), grouped by weight function: with (b0, b1, b2, b3) = ``block_bounds[b]``,
    lanes [0, b0) are inverse_vol, [b0, b1) sigmoid, [b1, b2) merton, [b2, b3) custom, and the
    block is stepped through the days as ``block_lanes[b]`` SIMD lanes (padding lanes hold
    weight 0). Config i of that order has ``params[i]`` (target_vol, max_leverage, risk_aversion,
    steepness, cost rate) and writes ``out[:, out_index[i], p]``. A custom weight function
    (one config per call, a block of its own) reads its targets from ``custom_targets[p, :]``.
    Parallel over (path, block) tasks, dynamically scheduled when called under
    ``numba.parallel_chunksize(1)``; scratch memory is allocated once per thread (``n_threads``
    must be `numba.get_num_threads()`).
    """
    P, T = R.shape
    NB = block_lookback.shape[0]
    z_all = np.zeros((n_threads, N_ROWS * LANES))
    buf_all = np.empty((n_threads, T * LANES))
    cand_all = np.empty((n_threads, 3 * T))
    sums_all = np.empty((n_threads, 3, T + 1))
    for task in prange(P * NB):
        tid = numba.get_thread_id()
        p = task // NB
        b = task % NB
        z = z_all[tid]
        sums = sums_all[tid]
        c0 = block_start[b]
        nb = block_start[b + 1] - c0
        _load_lanes(z, params[c0 : c0 + nb], block_bounds[b])
        sp = p if S.shape[0] > 1 else p - p
        cp = p if custom_targets.shape[0] > 1 else p - p
        # O(T) per task, small next to the O(lanes x T) day loop; no P x T working arrays
        shift = prefix_sums(R[p], S[sp], sums[0], sums[1], sums[2])
        simulate_block(
            R[p], S[sp], sums[0], sums[1], sums[2], shift, block_lookback[b], block_step[b],
            block_bounds[b], block_lanes[b], custom_targets[cp], z, buf_all[tid], cand_all[tid],
            out, out_index[c0 : c0 + nb], p,
        )  # fmt: skip
