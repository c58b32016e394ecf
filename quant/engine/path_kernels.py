"""Compiled day loop of one config on one path, and the pieces every day loop of the engine shares.

A *path* is one history of daily simple returns of the risky sleeve ``r`` (length T) with the
matching safe-asset returns ``s``; a config runs on it from day L (its lookback) to T-1 by the
rules of docs/engine.md ("The strategy, day by day"). Shared by the plain loop `simulate` here and
the hedged loop `quant.engine.hedge_kernels.simulate_hedged`:

- `rebalance`: the weight a rebalance sets and its cost, from `traded_notional` (what it trades,
  as a fraction of wealth);
- `PathTotals` and `record_day`: the running statistics of the path's days (sums of the net and
  excess returns and of the weights, the drawdown);
- `write_day`: the day-by-day record `EvaluationResult.series` reads;
- `path_metrics` and `write_metrics`: the nine metrics (`quant.metrics.METRICS`) at the end (the
  latter also for the SIMD block loop of `quant.engine.lane_kernels`).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

from quant.compiled import kernel
from quant.engine.tail_kernels import tail_quantile
from quant.engine.window_kernels import PERIODS, SQRT_PERIODS
from quant.metrics import METRICS

N_METRICS = len(METRICS)
ZERO_STD = 1e-14
"""Daily standard deviations (and downside deviations) at or below this count as zero."""
N_SERIES = 6
"""Rows of the day-by-day record of a plain config: weight, gross, cost, net, wealth, rebalance."""


class PathTotals(NamedTuple):
    """Running statistics of a path's days so far (wealth starts at 1 before day L)."""

    peak: float
    """Highest wealth so far (at least the starting 1)."""
    floor: float
    """peak x (1 - max_drawdown): a new drawdown record needs wealth below this."""
    max_drawdown: float
    weight_sum: float
    """Sum of the risky weights w_t."""
    net_sum: float
    """Sum of the net returns p_t."""
    excess_sum: float
    """Sum of the excess returns p_t - s_t."""


@kernel(inline="always")
def new_totals() -> PathTotals:
    """The statistics of a path before its first day."""
    return PathTotals(1.0, 1.0, 0.0, 0.0, 0.0, 0.0)


@kernel(inline="always")
def record_day(
    totals: PathTotals,
    buf: np.ndarray,
    i: int,
    net: float,
    safe: float,
    wealth: float,
    weight: float,
) -> PathTotals:
    """`PathTotals` after evaluation day i (net return ``net``, safe return ``safe``, ``wealth``
    after the day, risky weight ``weight``); the net return goes to ``buf[i]`` for the second
    pass of `path_metrics`."""
    peak, floor, mdd, weight_sum, net_sum, excess_sum = totals
    buf[i] = net
    if wealth > peak:
        peak = wealth
        floor = peak * (1.0 - mdd)
    elif wealth < floor:
        dd = 1.0 - wealth / peak
        if dd > mdd:
            mdd = dd
            floor = peak * (1.0 - mdd)
    return PathTotals(
        peak, floor, mdd, weight_sum + weight, net_sum + net, excess_sum + (net - safe)
    )


@kernel(inline="always")
def traded_notional(
    weight: float, w_pre: float, multi: bool, v_new: np.ndarray, v_pre: np.ndarray, j: int
) -> float:
    """What rebalance j trades, as a fraction of wealth: |w_t - w_pre| for a single series;
    with ``multi``, the trades in each of the sleeve's assets, sum_i |w_t v_new[j, i] - w_pre
    v_pre[j, i]| (new and drifted sleeve weights)."""
    if not multi:
        return abs(weight - w_pre)
    trade = 0.0
    for a in range(v_new.shape[1]):
        trade += abs(weight * v_new[j, a] - w_pre * v_pre[j, a])
    return trade


@kernel(inline="always")
def rebalance(
    targets: np.ndarray,
    j: int,
    w_pre: float,
    cost_rate: float,
    multi: bool,
    v_new: np.ndarray,
    v_pre: np.ndarray,
) -> tuple[float, float, float]:
    """Rebalance j of a day loop: (the risky weight it sets, ``targets[j]``; its trading cost as
    a fraction of wealth, ``cost_rate`` x `traded_notional`; its turnover |w_t - w_pre|), from
    the weight ``w_pre`` drifted into the day."""
    weight = targets[j]
    cost = cost_rate * traded_notional(weight, w_pre, multi, v_new, v_pre, j)
    return weight, cost, abs(weight - w_pre)


@kernel(inline="always")
def write_day(
    series: np.ndarray,
    i: int,
    weight: float,
    gross: float,
    cost: float,
    net: float,
    wealth: float,
    rebalanced: bool,
) -> None:
    """Rows 0-5 of ``series[:, i]``: weight, gross return, cost, net return, wealth, rebalance
    flag (1.0 or 0.0) of evaluation day i."""
    series[0, i] = weight
    series[1, i] = gross
    series[2, i] = cost
    series[3, i] = net
    series[4, i] = wealth
    series[5, i] = 1.0 if rebalanced else 0.0


@kernel()
def write_metrics(
    out: np.ndarray,
    c: int,
    p: int,
    n: int,
    wealth: float,
    std_p: float,
    mean_e: float,
    std_e: float,
    down_dev: float,
    max_drawdown: float,
    quantile: float,
    tail_mean: float,
    turnover: float,
    weight_sum: float,
) -> None:
    """``out[:, c, p]``: the nine metrics, in `METRICS` order, of n evaluation days with final
    ``wealth``, daily std ``std_p`` of the net returns, mean ``mean_e`` and std ``std_e`` of the
    excess returns, downside deviation ``down_dev``, the 5 % quantile of the net returns and the
    mean of those at or below it, the summed allocation changes and the summed weights."""
    out[0, c, p] = wealth ** (PERIODS / n) - 1.0 if wealth > 0.0 else -1.0
    out[1, c, p] = std_p * SQRT_PERIODS
    out[2, c, p] = mean_e / std_e * SQRT_PERIODS if std_e > ZERO_STD else 0.0
    out[3, c, p] = mean_e * SQRT_PERIODS / down_dev if down_dev > ZERO_STD else 0.0
    out[4, c, p] = max_drawdown
    out[5, c, p] = -quantile
    out[6, c, p] = -tail_mean
    out[7, c, p] = turnover / (n / PERIODS)
    out[8, c, p] = weight_sum / n


@kernel(inline="always")
def path_metrics(
    buf: np.ndarray,
    s: np.ndarray,
    L: int,
    wealth: float,
    totals: PathTotals,
    turnover: float,
    out: np.ndarray,
    c: int,
    p: int,
) -> None:
    """Write the 9 metrics of one config on one path to ``out[:, c, p]`` from its n net returns
    ``buf[0..n-1]`` (days L .. T-1), the safe returns ``s``, the final wealth, the path's
    `PathTotals` and its summed allocation changes |w_t - w_pre|."""
    n = s.shape[0] - L
    # second pass: central moments of the net returns p and the excess returns e = p - s
    mean_p = totals.net_sum / n
    mean_e = totals.excess_sum / n
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
    qv, tail = tail_quantile(buf, 0, 1, n, mean_p, std_p, np.empty(3 * n))
    write_metrics(
        out, c, p, n, wealth, std_p, mean_e, std_e, down_dev, totals.max_drawdown, qv, tail,
        turnover, totals.weight_sum,
    )  # fmt: skip


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
    wealth and the rebalance flag (`write_day`).
    """
    T = r.shape[0]
    buf = np.empty(T - L)
    w_pre = 0.0
    # Between rebalances the weight is tracked through the values of the two holdings (risky
    # A, safe B, per unit of wealth at the last rebalance): w = A / (A + B) equals the rule
    # w_pre = w (1 + r) / (1 + g) exactly in arithmetic, and keeps the loop-carried dependency
    # a single multiplication (the division is off the critical path).
    hold_a = 0.0
    hold_b = 1.0
    wealth = 1.0
    totals = new_totals()
    turnover = 0.0
    next_reb = L
    j = 0
    for t in range(L, T):
        rt = r[t]
        st = s[t]
        rebalanced = t == next_reb
        if rebalanced:
            wt, cost, traded = rebalance(targets, j, w_pre, cost_rate, multi, v_new, v_pre)
            turnover += traded
            j += 1
            next_reb += k
            hold_a = wt
            hold_b = 1.0 - wt
        else:
            wt = w_pre
            cost = 0.0
        g = wt * rt + (1.0 - wt) * st
        pnet = g - cost
        wealth = wealth * (1.0 + pnet)
        totals = record_day(totals, buf, t - L, pnet, st, wealth, wt)
        if write:
            write_day(series, t - L, wt, g, cost, pnet, wealth, rebalanced)
        hold_a = hold_a * (1.0 + rt)
        hold_b = hold_b * (1.0 + st)
        total = hold_a + hold_b
        w_pre = hold_a / total if total != 0.0 else wt
    path_metrics(buf, s, L, wealth, totals, turnover, out, c, p)
