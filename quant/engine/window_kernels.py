"""Compiled window statistics and built-in weight functions of the allocation engine.

On a rebalance day t with lookback L the weight rule sees only the window r_{t-L} .. r_{t-1}:
sigma (sample standard deviation, ddof=1, x sqrt(252), floored at `SIGMA_FLOOR`), mu (mean x 252)
and the safe rate (mean of s_{t-L} .. s_{t-1} x 252), all annualised. They come from per-path
prefix sums, so any lookback costs O(1) per rebalance day (docs/engine.md, "Implementation").
"""

from __future__ import annotations

import math

import numpy as np

from quant.compiled import kernel
from quant.estimators import PERIODS_PER_YEAR
from quant.strategy import SIGMA_FLOOR

PERIODS = float(PERIODS_PER_YEAR)
SQRT_PERIODS = math.sqrt(PERIODS)

CODE_INVERSE_VOL = 0
CODE_SIGMOID = 1
CODE_MERTON = 2
CODE_CUSTOM = -1
"""Weight-function codes: the built-in rules computed in compiled code, and a registered
(Python) function whose clipped targets are computed beforehand."""


@kernel()
def prefix_sums(
    r: np.ndarray, s: np.ndarray, cx: np.ndarray, cx2: np.ndarray, cs: np.ndarray
) -> float:
    """Fill prefix sums of the demeaned risky returns, their squares, and the safe returns.

    ``cx[t] = sum_{u<t} (r_u - shift)`` etc., with ``shift`` the path's mean risky return
    (returned); demeaning keeps the windowed variance free of cancellation to about 1e-13 relative.
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


@kernel()
def fill_targets(
    targets: np.ndarray,
    code: int,
    sigma: np.ndarray,
    mu: np.ndarray,
    safe: np.ndarray,
    params: np.ndarray,
    custom_targets: np.ndarray,
    custom: int,
    p: int,
) -> None:
    """``targets[j]``: the clipped risky weight of rebalance day j on path p, from the window
    statistics ``sigma[j]``, ``mu[j]``, ``safe[j]`` by the built-in rule `code` with ``params`` =
    (target_vol, max_leverage, risk_aversion, steepness); for `CODE_CUSTOM`, the given
    ``custom_targets[custom, p, j]``."""
    for j in range(targets.shape[0]):
        if code == CODE_CUSTOM:
            targets[j] = custom_targets[custom, p, j]
        else:
            targets[j] = target_weight(
                code, sigma[j], mu[j], safe[j], params[0], params[1], params[2], params[3]
            )


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
