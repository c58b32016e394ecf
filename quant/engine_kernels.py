"""Compiled (numba) loops of the allocation engine; see `quant.engine` and docs/engine.md.

Everything here works on float64 numpy arrays. A *path* is one history of daily simple returns of
the risky sleeve ``r`` (length T) with the matching safe-asset returns ``s``. A config is described
by plain arrays (lookback L, rebalance step k, weight-function code, parameters, cost rate).
Per-(config, path) memory is O(T) per thread, so evaluation memory is dominated by the inputs and
the [9, C, P] metric outputs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

PERIODS = 252.0
SQRT_PERIODS = math.sqrt(252.0)
SIGMA_FLOOR = 1e-8
ZERO_STD = 1e-14
"""Daily standard deviations (and downside deviations) at or below this count as zero."""
VAR_LEVEL = 0.05

N_METRICS = 9
METRIC_NAMES = (
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "var_95",
    "cvar_95",
    "turnover",
    "average_weight",
)
CONFIG_BLOCK = 32
"""Configs run by one parallel task for one path (the path's prefix sums are shared by them)."""

CODE_INVERSE_VOL = 0
CODE_SIGMOID = 1
CODE_MERTON = 2
CODE_CUSTOM = -1


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True)
def _sift_down(heap: np.ndarray, start: int, size: int) -> None:
    i = start
    while True:
        left = 2 * i + 1
        if left >= size:
            return
        big = left
        right = left + 1
        if right < size and heap[right] > heap[left]:
            big = right
        if heap[big] > heap[i]:
            tmp = heap[i]
            heap[i] = heap[big]
            heap[big] = tmp
            i = big
        else:
            return


@njit(cache=True, nogil=True)
def _interpolate_heap(heap: np.ndarray, size: int, vi: float, lo: int) -> float:
    """numpy's linear-interpolation quantile from a max-heap of the ``size = lo + 2`` smallest."""
    b = heap[0]
    a = heap[1]
    if size > 2 and heap[2] > a:
        a = heap[2]
    gamma = vi - lo
    diff = b - a
    if gamma >= 0.5:
        return b - diff * (1.0 - gamma)
    return a + diff * gamma


@njit(cache=True, nogil=True)
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
    heap: np.ndarray,
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
    wealth and the rebalance flag.
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

    # second pass: central moments of the net returns p and the excess returns e = p - s, and
    # the smallest values for the 5 % quantile (max-heap of the lo + 2 smallest)
    mean_p = sum_p / n
    mean_e = sum_e / n
    vi = (n - 1) * VAR_LEVEL
    lo = math.floor(vi)
    size = lo + 2
    for i in range(size):
        heap[i] = buf[i]
    for i in range(size // 2 - 1, -1, -1):
        _sift_down(heap, i, size)
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
        if i >= size and x < heap[0]:
            heap[0] = x
            _sift_down(heap, 0, size)
    std_p = math.sqrt(ss_p / (n - 1))
    std_e = math.sqrt(ss_e / (n - 1))
    down_dev = math.sqrt(down / n)

    cagr = wealth ** (PERIODS / n) - 1.0 if wealth > 0.0 else -1.0
    sharpe = mean_e / std_e * SQRT_PERIODS if std_e > ZERO_STD else 0.0
    sortino = mean_e * SQRT_PERIODS / down_dev if down_dev > ZERO_STD else 0.0

    qv = _interpolate_heap(heap, size, vi, lo)
    tail = 0.0
    count = 0
    for i in range(n):
        x = buf[i]
        if x <= qv:
            tail += x
            count += 1
    out[0, c, p] = cagr
    out[1, c, p] = std_p * SQRT_PERIODS
    out[2, c, p] = sharpe
    out[3, c, p] = sortino
    out[4, c, p] = mdd
    out[5, c, p] = -qv
    out[6, c, p] = -(tail / count)
    out[7, c, p] = turn / (n / PERIODS)
    out[8, c, p] = wsum / n


@njit(cache=True, nogil=True, parallel=True)
def run_single(
    R: np.ndarray,
    S: np.ndarray,
    lookback: np.ndarray,
    step: np.ndarray,
    code: np.ndarray,
    target_vol: np.ndarray,
    max_leverage: np.ndarray,
    risk_aversion: np.ndarray,
    steepness: np.ndarray,
    cost_rate: np.ndarray,
    custom_targets: np.ndarray,
    out: np.ndarray,
) -> None:
    """All configs on all paths of a single-series sleeve: ``R`` [P, T], ``S`` [P or 1, T].

    Configs with ``code == -1`` read their targets from ``custom_targets[p, :]`` (one such config
    per call). Parallel over (path, block of `CONFIG_BLOCK` configs).
    """
    P, T = R.shape
    C = lookback.shape[0]
    n_blocks = (C + CONFIG_BLOCK - 1) // CONFIG_BLOCK
    empty = np.zeros((1, 1))
    no_series = np.zeros((6, 1))
    for task in prange(P * n_blocks):
        p = task // n_blocks
        blk = task % n_blocks
        r = R[p]
        s = S[p if S.shape[0] > 1 else 0]
        cx = np.empty(T + 1)
        cx2 = np.empty(T + 1)
        cs = np.empty(T + 1)
        shift = prefix_sums(r, s, cx, cx2, cs)
        buf = np.empty(T)
        heap = np.empty(T)
        targets = np.empty(T)
        for c in range(blk * CONFIG_BLOCK, min(C, (blk + 1) * CONFIG_BLOCK)):
            L = lookback[c]
            k = step[c]
            n_reb = (T - L - 1) // k + 1
            if code[c] == CODE_CUSTOM:
                for j in range(n_reb):
                    targets[j] = custom_targets[p, j]
            else:
                for j in range(n_reb):
                    sigma, mu, safe = window_stats(cx, cx2, cs, shift, L + j * k, L)
                    targets[j] = target_weight(
                        code[c],
                        sigma,
                        mu,
                        safe,
                        target_vol[c],
                        max_leverage[c],
                        risk_aversion[c],
                        steepness[c],
                    )
            simulate(
                r, s, L, k, targets, cost_rate[c], False, empty, empty, buf, heap,
                no_series, False, out, c, p,
            )  # fmt: skip


@njit(cache=True, nogil=True)
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


@njit(cache=True, nogil=True, parallel=True)
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
        heap = np.empty(T)
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
            R[p], s, L, k, targets, cost_rate[c], True, v_new[p], v_pre[p], buf, heap,
            no_series, False, out, c, p,
        )  # fmt: skip
