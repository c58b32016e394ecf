"""Compiled loops of the option overlay: the overlay's value along a path, and a strategy that
holds it (see `quant.engine` and the "Option overlays" section of docs/engine.md).

A *unit* of overlay is one bought put per unit of the risky sleeve's level (plus the sold put or
call of a spread or collar). Its value along a path depends on the path and on the overlay's
parameters, not on the strategy's weights, so `unit_series` runs once per path and overlay and
`simulate_overlay` reads it for every strategy that holds that overlay.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from quant.compiled import kernel
from quant.engine_kernels import CODE_CUSTOM, PERIODS, SQRT_PERIODS, path_metrics, target_weight
from quant.options.black_scholes import greeks_scalar, price_scalar
from quant.options.vol_model import model_volatility

KIND_PUT = 0
KIND_PUT_SPREAD = 1
KIND_COLLAR = 2

RULE_EXPIRY = 0  # roll when the held options expire
RULE_BAND = 1  # also when the bought put's strike / level leaves a moneyness band
RULE_DELTA = 2  # also when the bought put's delta leaves a band around the new put's delta

ROLL_NONE = 0
ROLL_TRADE = 1  # buy new options (and sell any held ones at their value)
ROLL_EXPIRY = 2  # the held options expire (settled at their payoff), then buy new ones
N_UNIT_ROWS = 5
"""Rows of a unit series: value held at the close, roll code, value and gross value of the new
unit, gross value of the unit sold (see `unit_series`)."""
N_HEDGE = 2
"""Hedge statistics per config and path: premium paid and value received, per year of wealth."""


@kernel()
def realised_volatility(r: np.ndarray, u: int, window: int) -> float:
    """Annualised sample volatility (ddof=1) of r[max(0, u - window + 1) .. u]."""
    a = max(0, u - window + 1)
    n = u - a + 1
    mean = 0.0
    for i in range(a, u + 1):
        mean += r[i]
    mean /= n
    ss = 0.0
    for i in range(a, u + 1):
        d = r[i] - mean
        ss += d * d
    return math.sqrt(ss / (n - 1)) * SQRT_PERIODS


@kernel()
def _unit_value(
    kind: int,
    level: float,
    strikes: np.ndarray,
    years: float,
    rate: float,
    rv: float,
    vol: np.ndarray,
    out: np.ndarray,
) -> None:
    """out[0] = the unit's value, out[1] = the sum of its legs' absolute values."""
    value = 0.0
    gross = 0.0
    for leg in range(2 if kind != KIND_PUT else 1):
        is_call = kind == KIND_COLLAR and leg == 1
        sign = 1.0 if leg == 0 else -1.0
        k = strikes[leg]
        sigma = model_volatility(rv, k / level, vol[0], vol[1], vol[2], vol[3])
        price = price_scalar(is_call, level, k, years, rate, 0.0, sigma)
        value += sign * price
        gross += price
    out[0] = value
    out[1] = gross


@kernel()
def put_delta(
    level: float, strike: float, years: float, rate: float, rv: float, vol: np.ndarray
) -> float:
    """Black-Scholes-Merton delta (no dividend yield) of a put struck at ``strike`` on a level
    ``level``, ``years`` to expiry, priced at the model volatility ``vol`` = (variance premium,
    skew, min, max) for realised volatility ``rv`` and its moneyness strike / level."""
    sigma = model_volatility(rv, strike / level, vol[0], vol[1], vol[2], vol[3])
    return greeks_scalar(False, level, strike, years, rate, 0.0, sigma)[1]


@kernel()
def unit_series(
    r: np.ndarray,
    s: np.ndarray,
    L: int,
    kind: int,
    moneyness: np.ndarray,
    tenor: int,
    rule: int,
    band: float,
    vol: np.ndarray,
    window: int,
    units: np.ndarray,
) -> None:
    """Fill ``units[0..4, u]`` for the closes u = L-1 .. T-1 of one path.

    The sleeve's level is 1 at the close of day L-1 and grows with ``r``; options are bought at
    the close of day L-1, and again at the close of the day the held ones expire (``tenor``
    trading days after purchase) or, before then, the first close at which the roll ``rule``
    fires: with `RULE_BAND`, the bought put's strike / level leaves ``moneyness[0] +- band``;
    with `RULE_DELTA`, the bought put's delta (its strike, the years left, the model volatility
    at its moneyness) differs from the delta of the put the rule would buy at that close (strike
    ``moneyness[0]`` x level, ``tenor`` days) by more than ``band``. Never at the last close.
    ``moneyness`` holds the strikes / level at purchase (bought put, then the sold put or call).
    Options are priced by Black-Scholes-Merton with no dividend yield, at the rate
    ``252 ln(1 + s[u])`` and the volatility of the model ``vol`` = (variance premium, skew, min,
    max) applied to the realised volatility of the last ``window`` returns up to the close.

    Rows: 0, the value at the close of the unit held over day u (0 before the first purchase);
    1, the roll code (`ROLL_NONE`, `ROLL_TRADE`, `ROLL_EXPIRY`); 2 and 3, the value and the sum of
    the legs' absolute values of the unit bought at that close; 4, the legs' absolute values of
    the unit sold at that close (0 at expiry, when the options settle at their payoff).
    """
    T = r.shape[0]
    strikes = np.empty(2)
    pair = np.empty(2)
    level = 1.0
    expiry = -1
    held = False
    for u in range(L - 1, T):
        if u >= L:
            level *= 1.0 + r[u]
        rate = PERIODS * math.log1p(s[u])
        rv = realised_volatility(r, u, window)
        code = ROLL_NONE
        units[4, u] = 0.0
        if held:
            _unit_value(kind, level, strikes, (expiry - u) / PERIODS, rate, rv, vol, pair)
            units[0, u] = pair[0]
            if u == expiry:
                code = ROLL_EXPIRY
            elif rule == RULE_BAND:
                if abs(strikes[0] / level - moneyness[0]) > band:
                    code = ROLL_TRADE
            elif rule == RULE_DELTA:
                held_delta = put_delta(level, strikes[0], (expiry - u) / PERIODS, rate, rv, vol)
                new_delta = put_delta(level, moneyness[0] * level, tenor / PERIODS, rate, rv, vol)
                if abs(held_delta - new_delta) > band:
                    code = ROLL_TRADE
            if code == ROLL_TRADE:
                units[4, u] = pair[1]
        else:
            units[0, u] = 0.0
            code = ROLL_TRADE
        if u == T - 1:
            code = ROLL_NONE
            units[4, u] = 0.0
        units[1, u] = code
        if code != ROLL_NONE:
            strikes[0] = moneyness[0] * level
            strikes[1] = moneyness[1] * level
            expiry = u + tenor
            held = True
            _unit_value(kind, level, strikes, tenor / PERIODS, rate, rv, vol, pair)
            units[2, u] = pair[0]
            units[3, u] = pair[1]
        else:
            units[2, u] = 0.0
            units[3, u] = 0.0


@kernel()
def simulate_overlay(
    r: np.ndarray,
    s: np.ndarray,
    L: int,
    k: int,
    targets: np.ndarray,
    cost_rate: float,
    multi: bool,
    v_new: np.ndarray,
    v_pre: np.ndarray,
    units: np.ndarray,
    hedge_ratio: float,
    budget: float,
    tenor: int,
    buf: np.ndarray,
    scratch: np.ndarray,
    series: np.ndarray,
    write: bool,
    out: np.ndarray,
    hedge: np.ndarray,
    c: int,
    p: int,
) -> None:
    """Run one config holding an overlay on one path; write its metrics to ``out[:, c, p]`` and
    its premium paid and value received (fractions of wealth per year) to ``hedge[:, c, p]``.

    Holdings are tracked in currency: risky A, safe B (negative when borrowing), n overlay units
    of value ``units[0]``. At the start of day t (the close of day t-1): held options due to roll
    are sold at their value less costs, or settle at their payoff; on a rebalance day A is set to
    ``targets[j]`` of wealth (wealth counts the options); then new options are bought:
    ``hedge_ratio`` units per unit of the sleeve's level held in A, fewer when their premium would
    exceed ``budget`` x wealth x tenor / 252 (``budget`` <= 0: no cap), paid from B. During day t A earns
    r, B earns s, and the options are marked at the close; the day's costs (``cost_rate`` x the
    traded notional of the sleeve, and x the legs' absolute values of the options bought or sold
    before expiry) are then taken from B, as the engine takes costs from the day's return. The net return is the day's change of wealth. With ``write``,
    ``series[0..8, t-L]`` receive weight, gross, cost, net, wealth, rebalance flag, the options'
    value, premium paid and value received (fractions of wealth).
    """
    T = r.shape[0]
    n = T - L
    hold_a = 0.0
    hold_b = 1.0
    wealth = 1.0
    level = 1.0
    n_units = 0.0
    peak = 1.0
    floor_dd = 1.0  # peak * (1 - mdd): a new drawdown record needs wealth below this
    mdd = 0.0
    turn = 0.0
    wsum = 0.0
    sum_p = 0.0
    sum_e = 0.0
    paid = 0.0
    received = 0.0
    next_reb = L
    j = 0
    n_assets = v_new.shape[1]
    for t in range(L, T):
        u = t - 1
        rt = r[t]
        st = s[t]
        start = wealth
        cost = 0.0
        premium = 0.0
        payoff = 0.0
        roll = units[1, u]
        if roll != ROLL_NONE and n_units != 0.0:
            payoff = n_units * units[0, u]
            cost += cost_rate * n_units * units[4, u]
            hold_b += payoff
            n_units = 0.0
            received += payoff / start
        option_value = n_units * units[0, u]
        w_pre = hold_a / start
        flag = 0.0
        if t == next_reb:
            wt = targets[j]
            if multi:
                trade = 0.0
                for a in range(n_assets):
                    trade += abs(wt * v_new[j, a] - w_pre * v_pre[j, a])
            else:
                trade = abs(wt - w_pre)
            cost += cost_rate * trade * start
            turn += abs(wt - w_pre)
            j += 1
            next_reb += k
            hold_a = wt * start
            hold_b = start - hold_a - option_value
            flag = 1.0
        else:
            wt = w_pre
        if roll != ROLL_NONE:
            n_units = hedge_ratio * hold_a / level
            unit_premium = units[2, u]
            if budget > 0.0 and unit_premium > 0.0:
                cap = budget * start * tenor / PERIODS
                if n_units * unit_premium > cap:
                    n_units = cap / unit_premium
            premium = n_units * unit_premium
            cost += cost_rate * n_units * units[3, u]
            hold_b -= premium
            paid += premium / start
        level *= 1.0 + rt
        hold_a *= 1.0 + rt
        hold_b = hold_b * (1.0 + st) - cost
        option_value = n_units * units[0, t]
        wealth = hold_a + hold_b + option_value
        pnet = wealth / start - 1.0
        i = t - L
        buf[i] = pnet
        sum_p += pnet
        sum_e += pnet - st
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
            series[1, i] = pnet + cost / start
            series[2, i] = cost / start
            series[3, i] = pnet
            series[4, i] = wealth
            series[5, i] = flag
            series[6, i] = option_value / wealth if wealth != 0.0 else 0.0
            series[7, i] = premium / start
            series[8, i] = payoff / start
    if n_units != 0.0:
        received += n_units * units[0, T - 1] / wealth

    path_metrics(buf, s, L, n, sum_p, sum_e, wealth, mdd, turn, wsum, scratch, out, c, p)
    years = n / PERIODS
    hedge[0, c, p] = paid / years
    hedge[1, c, p] = received / years


@kernel(parallel=True)
def run_overlay(
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
    units: np.ndarray,
    code: np.ndarray,
    params: np.ndarray,
    custom_of: np.ndarray,
    custom_targets: np.ndarray,
    unit_of: np.ndarray,
    tenor: np.ndarray,
    out: np.ndarray,
    hedge: np.ndarray,
    out_index: np.ndarray,
) -> None:
    """Configs sharing one schedule (L, k) and sleeve, each holding an overlay, on all paths.

    ``R`` [P, T] sleeve returns; ``sigma``, ``mu``, ``safe`` [P, n_reb] window statistics;
    ``v_new`` and ``v_pre`` [P, n_reb, N] sleeve asset weights (read with ``multi``); ``units``
    [U, P, N_UNIT_ROWS, T] the unit series, ``unit_of[c]`` the one config c holds. ``code[c]`` is
    the weight function's code (`engine_kernels.CODE_*`) with ``params[c]`` = (target_vol,
    max_leverage, risk_aversion, steepness, cost rate, hedge ratio, budget); a custom function's
    clipped targets are ``custom_targets[custom_of[c]]`` [P, n_reb]. Config c writes
    ``out[:, out_index[c], p]`` and ``hedge[:, out_index[c], p]``.
    """
    P, T = R.shape
    C = code.shape[0]
    n_reb = sigma.shape[1]
    no_series = np.zeros((9, 1))
    for task in prange(P * C):
        p = task // C
        c = task % C
        s = S[p if S.shape[0] > 1 else 0]
        buf = np.empty(T)
        scratch = np.empty(3 * T)
        targets = np.empty(n_reb)
        for j in range(n_reb):
            if code[c] == CODE_CUSTOM:
                targets[j] = custom_targets[custom_of[c], p, j]
            else:
                targets[j] = target_weight(
                    code[c], sigma[p, j], mu[p, j], safe[p, j], params[c, 0], params[c, 1],
                    params[c, 2], params[c, 3],
                )  # fmt: skip
        simulate_overlay(
            R[p], s, L, k, targets, params[c, 4], multi,
            v_new[p] if multi else v_new[0], v_pre[p] if multi else v_pre[0],
            units[unit_of[c], p], params[c, 5], params[c, 6], tenor[c], buf, scratch, no_series,
            False, out, hedge, out_index[c], p,
        )  # fmt: skip


@kernel(parallel=True)
def run_units(
    R: np.ndarray,
    S: np.ndarray,
    L: int,
    kind: np.ndarray,
    moneyness: np.ndarray,
    tenor: np.ndarray,
    rule: np.ndarray,
    band: np.ndarray,
    vol: np.ndarray,
    window: int,
    units: np.ndarray,
) -> None:
    """`unit_series` of U overlays (parameters indexed by the first axis) on P paths, into
    ``units`` [U, P, N_UNIT_ROWS, T]."""
    U = kind.shape[0]
    P = R.shape[0]
    for task in prange(U * P):
        g = task // P
        p = task % P
        unit_series(
            R[p], S[p if S.shape[0] > 1 else 0], L, kind[g], moneyness[g], tenor[g], rule[g],
            band[g], vol, window, units[g, p],
        )  # fmt: skip
