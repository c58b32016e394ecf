"""Compiled loops of the engine's option hedges: a hedge's value along a path, and a strategy that
holds it (see docs/engine.md, "Option hedges"; `StrategyConfig.overlay` names the hedge).

A *unit* of hedge is one bought put per unit of the risky sleeve's level (plus the sold put or
call of a spread or collar). Its value along a path depends on the path and on the hedge's
parameters, not on the strategy's weights, so `unit_series` runs once per path and hedge and
`simulate_hedged` reads it for every strategy that holds that hedge. `simulate_hedged` is the
day loop of `quant.engine.path_kernels.simulate` with holdings kept in currency, so that options
can be bought, marked and sold; it shares that module's rebalance trade, path statistics, day
record and metrics.
"""

from __future__ import annotations

import math

import numpy as np
from numba import prange

from quant.compiled import kernel
from quant.engine.path_kernels import (
    N_SERIES,
    new_totals,
    path_metrics,
    rebalance,
    record_day,
    write_day,
)
from quant.engine.window_kernels import PERIODS, SQRT_PERIODS
from quant.options.pricing import greeks_scalar, model_volatility, price_scalar

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
N_HEDGED_SERIES = N_SERIES + 3
"""Rows of the day-by-day record of a hedged config: those of a plain one, then the options'
value, the premium paid and the value received (fractions of wealth)."""


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


@kernel(inline="always")
def _purchase(
    hold_a: float,
    level: float,
    unit_premium: float,
    unit_gross: float,
    hedge_ratio: float,
    budget: float,
    tenor: int,
    wealth: float,
    cost_rate: float,
) -> tuple[float, float, float]:
    """(units, premium, trading cost) of a purchase at a roll: ``hedge_ratio`` units per unit of
    the sleeve's level held in the risky asset (``hold_a`` / ``level``), fewer when their premium
    would exceed ``budget`` x ``wealth`` x tenor / 252 (``budget`` <= 0: no cap); the cost is
    ``cost_rate`` x the legs' absolute values (``unit_gross`` a unit)."""
    n_units = hedge_ratio * hold_a / level
    if budget > 0.0 and unit_premium > 0.0:
        cap = budget * wealth * tenor / PERIODS
        if n_units * unit_premium > cap:
            n_units = cap / unit_premium
    return n_units, n_units * unit_premium, cost_rate * n_units * unit_gross


@kernel(inline="always")
def _write_hedged_day(
    series: np.ndarray,
    i: int,
    weight: float,
    net: float,
    cost: float,
    wealth: float,
    rebalanced: bool,
    option_value: float,
    premium: float,
    payoff: float,
    start: float,
) -> None:
    """``series[:, i]`` of a hedged day: the plain rows (`write_day`; gross = net + cost), then
    the options' value, the premium paid and the value received, as fractions of wealth
    (``start``: wealth at the start of the day)."""
    write_day(series, i, weight, net + cost / start, cost / start, net, wealth, rebalanced)
    series[6, i] = option_value / wealth if wealth != 0.0 else 0.0
    series[7, i] = premium / start
    series[8, i] = payoff / start


@kernel()
def simulate_hedged(
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
    series: np.ndarray,
    write: bool,
    out: np.ndarray,
    hedge_out: np.ndarray,
    c: int,
    p: int,
) -> None:
    """`path_kernels.simulate` for a config holding the hedge whose unit series is ``units``
    (docs/engine.md, "Option hedges": holdings in currency, units sold or settled at a roll and
    bought from the safe holding by `_purchase`, costs taken from it); also writes the premium
    paid and value received (fractions of wealth per year) to ``hedge_out[:, c, p]``."""
    T = r.shape[0]
    buf = np.empty(T - L)
    hold_a, hold_b, level, n_units, wealth = 0.0, 1.0, 1.0, 0.0, 1.0  # risky, safe: currency
    totals, turnover, paid, received = new_totals(), 0.0, 0.0, 0.0
    next_reb, j = L, 0
    for t in range(L, T):
        u = t - 1
        start = wealth
        cost = premium = payoff = 0.0
        roll = units[1, u] != ROLL_NONE
        if roll and n_units != 0.0:  # sold at their value, or settled at their payoff
            payoff = n_units * units[0, u]
            cost += cost_rate * n_units * units[4, u]
            hold_b += payoff
            n_units = 0.0
            received += payoff / start
        option_value = n_units * units[0, u]
        w_pre = hold_a / start
        rebalanced = t == next_reb
        if rebalanced:
            wt, fraction, traded = rebalance(targets, j, w_pre, cost_rate, multi, v_new, v_pre)
            cost += fraction * start
            turnover += traded
            j += 1
            next_reb += k
            hold_a = wt * start
            hold_b = start - hold_a - option_value
        else:
            wt = w_pre
        if roll:
            n_units, premium, fee = _purchase(
                hold_a, level, units[2, u], units[3, u], hedge_ratio, budget, tenor, start,
                cost_rate,
            )  # fmt: skip
            cost += fee
            hold_b -= premium
            paid += premium / start
        level *= 1.0 + r[t]
        hold_a *= 1.0 + r[t]
        hold_b = hold_b * (1.0 + s[t]) - cost
        option_value = n_units * units[0, t]
        wealth = hold_a + hold_b + option_value
        pnet = wealth / start - 1.0
        totals = record_day(totals, buf, t - L, pnet, s[t], wealth, wt)
        if write:
            _write_hedged_day(
                series, t - L, wt, pnet, cost, wealth, rebalanced, option_value, premium, payoff,
                start,
            )  # fmt: skip
    if n_units != 0.0:  # the options still held, marked at the last close
        received += n_units * units[0, T - 1] / wealth
    path_metrics(buf, s, L, wealth, totals, turnover, out, c, p)
    hedge_out[0, c, p] = paid / ((T - L) / PERIODS)
    hedge_out[1, c, p] = received / ((T - L) / PERIODS)


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
    """`unit_series` of U hedges (parameters indexed by the first axis) on P paths, into
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
