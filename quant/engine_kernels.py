"""Compiled (numba) loops of the allocation engine; see `quant.engine` and docs/engine.md.

Everything here works on float64 numpy arrays. A *path* is one history of daily simple returns of
the risky sleeve ``r`` (length T) with the matching safe-asset returns ``s``. A config is described
by plain arrays (lookback L, rebalance step k, weight-function code, parameters, cost rate).
Single-series configs run in `run_blocks`: blocks of configs sharing one rebalance schedule step
through the days together as SIMD lanes (one per config). Multi-asset sleeves and
`EvaluationResult.series` use the per-config loop `simulate`. Per task the scratch memory is
O(lanes x T) per thread, so evaluation memory is dominated by the inputs and the [9, C, P]
metric outputs.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import prange

from quant.compiled import kernel
from quant.estimators import PERIODS_PER_YEAR
from quant.metrics import METRICS

PERIODS = float(PERIODS_PER_YEAR)
SQRT_PERIODS = math.sqrt(PERIODS)
SIGMA_FLOOR = 1e-8
ZERO_STD = 1e-14
"""Daily standard deviations (and downside deviations) at or below this count as zero."""
VAR_LEVEL = 0.05

N_METRICS = len(METRICS)
LANES = 32
"""Most configs of one rebalance schedule (L, k) that `run_blocks` steps through the days together
(one lane each; the lane loops compile to SIMD code). Also the row stride of the lane state."""
VECTOR = 8
"""Lane counts are padded to a multiple of this (the SIMD width in float64 with AVX-512)."""
TAIL_Z = 1.3
"""First threshold mean - z std for the candidates of the 5 % quantile (about 10 % of normal data)."""
TAIL_SAMPLE = 256
"""Second threshold: the `TAIL_SAMPLE_SHARE` quantile of about this many evenly spaced values."""
TAIL_SAMPLE_SHARE = 0.1

CODE_INVERSE_VOL = 0
CODE_SIGMOID = 1
CODE_MERTON = 2
CODE_CUSTOM = -1


@kernel()
def prefix_sums(
    r: np.ndarray, s: np.ndarray, cx: np.ndarray, cx2: np.ndarray, cs: np.ndarray
) -> float:
    """Fill prefix sums of the demeaned risky returns, their squares, and the safe returns.

    ``cx[t] = sum_{u<t} (r_u - shift)`` etc., with ``shift`` the path's mean risky return (returned);
    demeaning keeps the windowed variance free of cancellation to about 1e-13 relative.
    """
    T = r.shape[0]
    shift = 0.0
    for t in range(T):
        shift += r[t]
    shift /= T
    a = 0.0
    b = 0.0
    c = 0.0
    cx[0] = 0.0
    cx2[0] = 0.0
    cs[0] = 0.0
    for t in range(T):
        d = r[t] - shift
        a += d
        b += d * d
        c += s[t]
        cx[t + 1] = a
        cx2[t + 1] = b
        cs[t + 1] = c
    return shift


@kernel()
def window_stats(
    cx: np.ndarray, cx2: np.ndarray, cs: np.ndarray, shift: float, t: int, L: int
) -> tuple[float, float, float]:
    """(sigma, mu, safe_rate) annualised over the window r_{t-L} .. r_{t-1}; sigma floored."""
    s1 = cx[t] - cx[t - L]
    s2 = cx2[t] - cx2[t - L]
    mean = s1 / L
    var = (s2 - s1 * mean) / (L - 1)
    if var < 0.0:
        var = 0.0
    sigma = math.sqrt(var * PERIODS)
    if sigma < SIGMA_FLOOR:
        sigma = SIGMA_FLOOR
    mu = (mean + shift) * PERIODS
    safe = (cs[t] - cs[t - L]) / L * PERIODS
    return sigma, mu, safe


@kernel()
def target_weight(
    code: int,
    sigma: float,
    mu: float,
    safe: float,
    target_vol: float,
    max_leverage: float,
    risk_aversion: float,
    steepness: float,
) -> float:
    """Built-in weight function `code` clipped to [0, max_leverage] (sigma already floored)."""
    if code == CODE_INVERSE_VOL:
        w = target_vol / sigma
    elif code == CODE_SIGMOID:
        w = max_leverage / (1.0 + math.exp(steepness * (sigma - target_vol) / target_vol))
    else:
        w = (mu - safe) / (risk_aversion * sigma * sigma)
    if w < 0.0:
        w = 0.0
    elif w > max_leverage:
        w = max_leverage
    return w


SMALL_SELECT = 12
"""Below this many values `kth_smallest` finishes with an insertion sort."""


@kernel()
def kth_smallest(values: np.ndarray, m: int, k: int, work: np.ndarray) -> float:
    """The k-th smallest (0-based) of ``values[:m]`` (left unchanged); ``work``: 2 m scratch.

    Quickselect with out-of-place three-way partitions between the two halves of ``work``: a
    pass writes the values below the pivot (median of three) to the front and those above it to
    the back of the other half, without branches (a branchy in-place partition mispredicts about
    every second comparison on random data).
    """
    if work.shape[0] < 2 * m or values.shape[0] < m or not 0 <= k < m:
        raise ValueError("kth_smallest: needs 0 <= k < m <= len(values), len(work) >= 2 m")
    for i in range(m):
        work[i] = values[i]
    base = 0  # the live values are work[base : base + size], in half `half`
    size = m
    half = 0
    while size > SMALL_SELECT:
        x = work[base]
        y = work[base + size // 2]
        zz = work[base + size - 1]
        pivot = max(min(x, y), min(max(x, y), zz))
        out = m if half == 0 else 0
        n_lt = 0
        n_gt = 0
        for i in range(base, base + size):
            v = work[i]
            work[out + n_lt] = v
            work[out + size - 1 - n_gt] = v
            n_lt += 1 if v < pivot else 0
            n_gt += 1 if v > pivot else 0
        if k < n_lt:
            base = out
            size = n_lt
        elif k >= size - n_gt:
            k -= size - n_gt
            base = out + size - n_gt
            size = n_gt
        else:
            return pivot
        half = 1 - half
    for i in range(base + 1, base + size):  # insertion sort of the few left
        v = work[i]
        j = i - 1
        while j >= base and work[j] > v:
            work[j + 1] = work[j]
            j -= 1
        work[j + 1] = v
    return work[base + k]


@kernel()
def quantile_of_candidates(
    cand: np.ndarray, m: int, n: int, work: np.ndarray
) -> tuple[float, float]:
    """(5 % quantile, mean of the values at or below it) of n values whose lo + 2 smallest
    (lo = floor(0.05 (n - 1))) are among ``cand[:m]``, every one of which is below each value
    left out. numpy's linear interpolation between the order statistics lo and lo + 1.
    ``work``: 2 m scratch."""
    vi = (n - 1) * VAR_LEVEL
    lo = math.floor(vi)
    a = kth_smallest(cand, m, lo, work)
    # b, the next order statistic: a again if a is repeated, else the least value above a
    at_most_a = 0
    above = np.inf
    for i in range(m):  # branch-free (selects), so it vectorises
        x = cand[i]
        at_most_a += 1 if x <= a else 0
        y = x if x > a else np.inf
        above = y if y < above else above
    b = a if at_most_a >= lo + 2 else above
    gamma = vi - lo
    diff = b - a
    q = b - diff * (1.0 - gamma) if gamma >= 0.5 else a + diff * gamma
    tail = 0.0
    count = 0
    for i in range(m):
        x = cand[i]
        tail += x if x <= q else 0.0
        count += 1 if x <= q else 0
    return q, tail / count


@kernel()
def tail_quantile(
    values: np.ndarray, start: int, stride: int, n: int, mean: float, std: float, cand: np.ndarray
) -> tuple[float, float]:
    """(5 % quantile, mean of the values at or below it) of ``values[start + i * stride]``, i < n.

    The quantile is numpy's default (linear interpolation between the order statistics lo and
    lo + 1, lo = floor(0.05 (n - 1))). ``cand``: 3 n scratch. Only the values below a threshold
    are copied to ``cand`` and searched for the quantile: first mean - `TAIL_Z` std; if fewer
    than lo + 2 values fall below it (heavy tails), a high quantile of a sample of the values;
    finally all values, so the result is exact whatever the distribution. Constant values (``std`` 0) are recognised in one pass.
    """
    if cand.shape[0] < 3 * n:
        raise ValueError("tail_quantile: cand must hold 3 n values")
    if std == 0.0:  # e.g. a lane that never leaves the safe asset: maybe all values equal
        low = values[start]
        high = low
        for i in range(n):
            x = values[start + i * stride]
            low = x if x < low else low
            high = x if x > high else high
        if low == high:
            return low, low
    size = math.floor((n - 1) * VAR_LEVEL) + 2
    attempt = 0 if 4 * size < n else 2
    while True:
        if attempt == 0:
            thr = mean - TAIL_Z * std
        elif attempt == 1:  # heavy tails or mixtures: a threshold from a sample of the values
            step = max(1, n // TAIL_SAMPLE)
            ns = n // step
            for i in range(ns):
                cand[i] = values[start + i * step * stride]
            rank = min(ns - 1, math.ceil(TAIL_SAMPLE_SHARE * ns) + 2)
            thr = kth_smallest(cand, ns, rank, cand[n:])
        else:
            thr = np.inf
        m = 0
        for i in range(n):
            x = values[start + i * stride]
            cand[m] = x
            m += 1 if x < thr else 0
        if m >= size:
            break
        attempt += 1
    return quantile_of_candidates(cand, m, n, cand[n:])


@kernel()
def path_metrics(
    buf: np.ndarray,
    s: np.ndarray,
    L: int,
    n: int,
    sum_p: float,
    sum_e: float,
    wealth: float,
    mdd: float,
    turn: float,
    wsum: float,
    scratch: np.ndarray,
    out: np.ndarray,
    c: int,
    p: int,
) -> None:
    """Write the 9 metrics of one config on one path to ``out[:, c, p]`` from its n net returns
    ``buf[0..n-1]`` (days L .. T-1), the safe returns ``s``, the sums of p and of e = p - s, the
    final wealth, the max drawdown, the summed |w_t - w_pre| and the summed weights."""
    # second pass: central moments of the net returns p and the excess returns e = p - s
    mean_p = sum_p / n
    mean_e = sum_e / n
    ss_p = 0.0
    ss_e = 0.0
    down = 0.0
    for i in range(n):
        x = buf[i]
        dp = x - mean_p
        ss_p += dp * dp
        e = x - s[L + i]
        de = e - mean_e
        ss_e += de * de
        if e < 0.0:
            down += e * e
    std_p = math.sqrt(ss_p / (n - 1))
    std_e = math.sqrt(ss_e / (n - 1))
    down_dev = math.sqrt(down / n)

    cagr = wealth ** (PERIODS / n) - 1.0 if wealth > 0.0 else -1.0
    sharpe = mean_e / std_e * SQRT_PERIODS if std_e > ZERO_STD else 0.0
    sortino = mean_e * SQRT_PERIODS / down_dev if down_dev > ZERO_STD else 0.0
    qv, tail = tail_quantile(buf, 0, 1, n, mean_p, std_p, scratch)
    out[0, c, p] = cagr
    out[1, c, p] = std_p * SQRT_PERIODS
    out[2, c, p] = sharpe
    out[3, c, p] = sortino
    out[4, c, p] = mdd
    out[5, c, p] = -qv
    out[6, c, p] = -tail
    out[7, c, p] = turn / (n / PERIODS)
    out[8, c, p] = wsum / n


@kernel()
def simulate(
    r: np.ndarray,
    s: np.ndarray,
    L: int,
    k: int,
    targets: np.ndarray,
    cost_rate: float,
    multi: bool,
    v_new: np.ndarray,
    v_pre: np.ndarray,
    buf: np.ndarray,
    scratch: np.ndarray,
    series: np.ndarray,
    write: bool,
    out: np.ndarray,
    c: int,
    p: int,
) -> None:
    """Run one config on one path from day L to T-1 and write its 9 metrics to ``out[:, c, p]``.

    ``targets[j]`` is the (clipped) risky weight set on rebalance day L + j k. With ``multi``, the
    trading cost uses the sleeve's asset weights: ``v_new[j]`` (new) and ``v_pre[j]`` (drifted,
    carried into the day). With ``write``, ``series[0..5, t-L]`` receive weight, gross, cost, net,
    wealth and the rebalance flag. Scratch: ``buf`` T values, ``scratch`` 3 T values.
    """
    T = r.shape[0]
    n = T - L
    w_pre = 0.0
    # Between rebalances the weight is tracked through the values of the two holdings (risky
    # A, safe B, per unit of wealth at the last rebalance): w = A / (A + B) equals the rule
    # w_pre = w (1 + r) / (1 + g) exactly in arithmetic, and keeps the loop-carried dependency
    # a single multiplication (the division is off the critical path).
    hold_a = 0.0
    hold_b = 1.0
    wealth = 1.0
    peak = 1.0
    floor_dd = 1.0  # peak * (1 - mdd): a new drawdown record needs wealth below this
    mdd = 0.0
    turn = 0.0
    wsum = 0.0
    sum_p = 0.0
    sum_e = 0.0
    next_reb = L
    j = 0
    n_assets = v_new.shape[1]
    for t in range(L, T):
        rt = r[t]
        st = s[t]
        if t == next_reb:
            wt = targets[j]
            dw = abs(wt - w_pre)
            if multi:
                trade = 0.0
                for a in range(n_assets):
                    trade += abs(wt * v_new[j, a] - w_pre * v_pre[j, a])
            else:
                trade = dw
            cost = cost_rate * trade
            turn += dw
            j += 1
            next_reb += k
            hold_a = wt
            hold_b = 1.0 - wt
            flag = 1.0
        else:
            wt = w_pre
            cost = 0.0
            flag = 0.0
        g = wt * rt + (1.0 - wt) * st
        pnet = g - cost
        i = t - L
        buf[i] = pnet
        sum_p += pnet
        sum_e += pnet - st
        wealth = wealth * (1.0 + pnet)
        if wealth > peak:
            peak = wealth
            floor_dd = peak * (1.0 - mdd)
        elif wealth < floor_dd:
            dd = 1.0 - wealth / peak
            if dd > mdd:
                mdd = dd
                floor_dd = peak * (1.0 - mdd)
        wsum += wt
        if write:
            series[0, i] = wt
            series[1, i] = g
            series[2, i] = cost
            series[3, i] = pnet
            series[4, i] = wealth
            series[5, i] = flag
        hold_a = hold_a * (1.0 + rt)
        hold_b = hold_b * (1.0 + st)
        total = hold_a + hold_b
        w_pre = hold_a / total if total != 0.0 else wt

    path_metrics(buf, s, L, n, sum_p, sum_e, wealth, mdd, turn, wsum, scratch, out, c, p)


# ----------------------------------------------------------------------------- block kernel
# Lane state rows of `run_blocks` (row f of lane c at z[f * LANES + c]): one flat array with a
# compile-time row stride lets LLVM prove the rows independent and vectorise the lane loops.
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
_COST = 14  # cost rate x |w_t - w_pre| on the current rebalance day
_CRATE = 15
_TV = 16
_ML = 17
_GAM = 18
_KAP = 19
_TGT = 20  # targets of the lanes whose weight function is not vectorised (sigmoid, custom)
_KIND = 21  # 0: inverse_vol (and padding lanes, target_vol 0), 1: target in row _TGT, 2: merton
N_ROWS = 22


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
    n = T - L
    # day L: the first rebalance, from w_pre = 0 (row _W is 0); the shifts of the sums are
    # the first day's values, then the sums restart from 0
    for c in range(nlanes):
        z[_W * LANES + c] = 0.0
        z[_TURN * LANES + c] = 0.0
        z[_WEALTH * LANES + c] = 1.0
        z[_PEAK * LANES + c] = 1.0
        z[_RMIN * LANES + c] = 1.0
        z[_WSUM * LANES + c] = 0.0
        z[_SHP * LANES + c] = 0.0
        z[_SHE * LANES + c] = 0.0
        z[_S1P * LANES + c] = 0.0
        z[_S2P * LANES + c] = 0.0
        z[_S1E * LANES + c] = 0.0
        z[_S2E * LANES + c] = 0.0
        z[_DOWN * LANES + c] = 0.0
    sigma, mu, safe = window_stats(cx, cx2, cs, shift, L, L)
    _scalar_targets(z, bounds, sigma, custom, 0)
    rt = r[L]
    st = s[L]
    ga = 1.0 + rt
    gb = 1.0 + st
    _lanes_day(z, buf[:LANES], nlanes, rt, st, ga, gb, True, sigma, mu - safe)
    for c in range(nlanes):
        pn = buf[c]
        z[_SHP * LANES + c] = pn
        z[_SHE * LANES + c] = pn - st
        z[_S1P * LANES + c] = 0.0
        z[_S2P * LANES + c] = 0.0
        z[_S1E * LANES + c] = 0.0
        z[_S2E * LANES + c] = 0.0
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
    for c in range(bounds[3]):
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
        wl = z[_WEALTH * LANES + c]
        q, tail = tail_quantile(buf, c, LANES, n, z[_SHP * LANES + c] + mean_dp, std_p, cand)
        oc = out_index[c]
        out[0, oc, p] = wl ** (PERIODS / n) - 1.0 if wl > 0.0 else -1.0
        out[1, oc, p] = std_p * SQRT_PERIODS
        out[2, oc, p] = mean_e / std_e * SQRT_PERIODS if std_e > ZERO_STD else 0.0
        out[3, oc, p] = mean_e * SQRT_PERIODS / down_dev if down_dev > ZERO_STD else 0.0
        out[4, oc, p] = 1.0 - z[_RMIN * LANES + c]
        out[5, oc, p] = -q
        out[6, oc, p] = -tail
        out[7, oc, p] = z[_TURN * LANES + c] / (n / PERIODS)
        out[8, oc, p] = z[_WSUM * LANES + c] / n


@kernel(parallel=True)
def run_blocks(
    R: np.ndarray,
    S: np.ndarray,
    block_start: np.ndarray,
    block_lanes: np.ndarray,
    block_lookback: np.ndarray,
    block_step: np.ndarray,
    block_bounds: np.ndarray,
    target_vol: np.ndarray,
    max_leverage: np.ndarray,
    risk_aversion: np.ndarray,
    steepness: np.ndarray,
    cost_rate: np.ndarray,
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
    weight 0). Config i of that order writes ``out[:, out_index[i], p]``. A custom weight function
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
        nlanes = block_lanes[b]
        for c in range(LANES):
            real = c < nb
            z[_CRATE * LANES + c] = cost_rate[c0 + c] if real else 0.0
            z[_TV * LANES + c] = target_vol[c0 + c] if real else 0.0
            z[_ML * LANES + c] = max_leverage[c0 + c] if real else 0.0
            z[_GAM * LANES + c] = risk_aversion[c0 + c] if real else 1.0
            z[_KAP * LANES + c] = steepness[c0 + c] if real else 0.0
            bnd = block_bounds[b]
            sig_or_custom = (bnd[0] <= c < bnd[1]) or (bnd[2] <= c < bnd[3])
            z[_KIND * LANES + c] = 2.0 if bnd[1] <= c < bnd[2] else (1.0 if sig_or_custom else 0.0)
        sp = p if S.shape[0] > 1 else p - p
        cp = p if custom_targets.shape[0] > 1 else p - p
        # O(T) per task, small next to the O(lanes x T) day loop; no P x T working arrays
        shift = prefix_sums(R[p], S[sp], sums[0], sums[1], sums[2])
        simulate_block(
            R[p], S[sp], sums[0], sums[1], sums[2], shift, block_lookback[b], block_step[b],
            block_bounds[b], nlanes, custom_targets[cp], z, buf_all[tid], cand_all[tid], out,
            out_index[c0 : c0 + nb], p,
        )  # fmt: skip


@kernel()
def stats_single(
    R: np.ndarray, S: np.ndarray, L: int, k: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(sigma, mu, safe_rate), each [P, n_reb], on the rebalance days of (L, k): same numbers as
    the compiled loop uses, for weight functions evaluated in Python."""
    P, T = R.shape
    n_reb = (T - L - 1) // k + 1
    sig = np.empty((P, n_reb))
    mus = np.empty((P, n_reb))
    saf = np.empty((P, n_reb))
    cx = np.empty(T + 1)
    cx2 = np.empty(T + 1)
    cs = np.empty(T + 1)
    for p in range(P):
        s = S[p if S.shape[0] > 1 else 0]
        shift = prefix_sums(R[p], s, cx, cx2, cs)
        for j in range(n_reb):
            a, b, c = window_stats(cx, cx2, cs, shift, L + j * k, L)
            sig[p, j] = a
            mus[p, j] = b
            saf[p, j] = c
    return sig, mus, saf


@kernel(parallel=True)
def run_sleeve(
    R: np.ndarray,
    S: np.ndarray,
    L: int,
    k: int,
    sigma: np.ndarray,
    mu: np.ndarray,
    safe: np.ndarray,
    v_new: np.ndarray,
    v_pre: np.ndarray,
    code: np.ndarray,
    target_vol: np.ndarray,
    max_leverage: np.ndarray,
    risk_aversion: np.ndarray,
    steepness: np.ndarray,
    cost_rate: np.ndarray,
    custom_targets: np.ndarray,
    out: np.ndarray,
) -> None:
    """Configs sharing one multi-asset sleeve schedule (L, k, optimizer) on all paths.

    ``R`` [P, T] sleeve returns, ``sigma/mu/safe`` [P, n_reb] sleeve window statistics,
    ``v_new/v_pre`` [P, n_reb, N] new and drifted asset weights of the sleeve.
    """
    P, T = R.shape
    C = code.shape[0]
    no_series = np.zeros((6, 1))
    n_reb = (T - L - 1) // k + 1
    for task in prange(P * C):
        p = task // C
        c = task % C
        s = S[p if S.shape[0] > 1 else 0]
        buf = np.empty(T)
        scratch = np.empty(3 * T)
        targets = np.empty(n_reb)
        for j in range(n_reb):
            if code[c] == CODE_CUSTOM:
                targets[j] = custom_targets[c, p, j]
            else:
                targets[j] = target_weight(
                    code[c], sigma[p, j], mu[p, j], safe[p, j], target_vol[c],
                    max_leverage[c], risk_aversion[c], steepness[c],
                )  # fmt: skip
        simulate(
            R[p], s, L, k, targets, cost_rate[c], True, v_new[p], v_pre[p], buf, scratch,
            no_series, False, out, c, p,
        )  # fmt: skip
