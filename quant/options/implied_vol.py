"""Implied volatility of European options under Black-Scholes-Merton.

`implied_volatility` inverts `quant.options.pricing.price_scalar` in the volatility: the
result reprices the given premium to within a few units in the last place, which puts the
volatility within about 1e-12 of the true one wherever vega is not negligible. A premium outside
the no-arbitrage bounds (at or below the discounted intrinsic value, at or above the discounted
spot for a call or the discounted strike for a put), or at zero maturity, has no implied volatility
and raises `NoImpliedVolatilityError` naming the bound.
"""

from __future__ import annotations

import math

import numpy as np

from quant.compiled import kernel
from quant.errors import NoImpliedVolatilityError
from quant.options.pricing import checked_inputs, greeks_scalar, price_scalar

MAX_VOLATILITY = 100.0
"""Largest volatility searched (10,000 % a year); a premium that needs more is refused."""

_NO_SOLUTION_BELOW = 1
_NO_SOLUTION_ABOVE = 2
_NO_SOLUTION_EXPIRED = 3
_NO_SOLUTION_TOO_HIGH = 4


@kernel()
def implied_volatility_scalar(
    is_call: bool, s: float, k: float, t: float, r: float, q: float, premium: float
) -> tuple[float, int]:
    """(volatility, status): status 0 when found, else a `_NO_SOLUTION_*` code."""
    if t <= 0.0:
        return math.nan, _NO_SOLUTION_EXPIRED
    df_r = math.exp(-r * t)
    df_q = math.exp(-q * t)
    if is_call:
        lower = max(s * df_q - k * df_r, 0.0)
        upper = s * df_q
    else:
        lower = max(k * df_r - s * df_q, 0.0)
        upper = k * df_r
    if premium <= lower:
        return math.nan, _NO_SOLUTION_BELOW
    if premium >= upper:
        return math.nan, _NO_SOLUTION_ABOVE
    low = 0.0
    high = 1.0
    while price_scalar(is_call, s, k, t, r, q, high) < premium:
        low = high
        high *= 2.0
        if high > MAX_VOLATILITY:
            return math.nan, _NO_SOLUTION_TOO_HIGH
    # Newton steps in volatility, kept inside the bracket [low, high] by bisection.
    sigma = 0.5 * (low + high)
    atm = math.sqrt(2.0 * abs(math.log(s * df_q / (k * df_r))) / t)
    if low < atm < high:
        sigma = atm  # the inflection point: Newton from here converges monotonically
    for _ in range(200):
        price, _d, _g, vega, _th = greeks_scalar(is_call, s, k, t, r, q, sigma)
        diff = price - premium
        if diff == 0.0:
            return sigma, 0
        if diff > 0.0:
            high = sigma
        else:
            low = sigma
        step_ok = vega > 0.0
        candidate = sigma - diff / vega if step_ok else 0.5 * (low + high)
        if not (low < candidate < high):
            candidate = 0.5 * (low + high)
        if abs(candidate - sigma) <= 1e-15 * max(sigma, 1e-3) or high - low <= 1e-16:
            return candidate, 0
        sigma = candidate
    return sigma, 0


@kernel()
def _implied_array(
    is_call: np.ndarray,
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    premium: np.ndarray,
    out: np.ndarray,
    status: np.ndarray,
) -> None:
    for i in range(s.shape[0]):
        out[i], status[i] = implied_volatility_scalar(
            is_call[i], s[i], k[i], t[i], r[i], q[i], premium[i]
        )


def implied_volatility(
    kind: object,
    premium: object,
    spot: object,
    strike: object,
    maturity: object,
    rate: object,
    dividend_yield: object = 0.0,
) -> np.ndarray:
    """Annualised Black-Scholes-Merton volatility that reprices each premium; inputs broadcast.

    Units and conventions as in `quant.options.pricing`. Raises `NoImpliedVolatilityError`
    (naming the element, the premium and the bound it breaks) when any premium has no implied
    volatility, and `PricingError` for invalid inputs.
    """
    shape, is_call, (s, k, t, r, q, premium_flat) = checked_inputs(
        kind, spot, strike, maturity, rate, dividend_yield, "premium", premium
    )
    out = np.empty(s.shape[0])
    status = np.zeros(s.shape[0], dtype=np.int64)
    _implied_array(is_call, s, k, t, r, q, premium_flat, out, status)
    failed = np.flatnonzero(status)
    if failed.size:
        i = int(failed[0])
        kind_name = "call" if is_call[i] else "put"
        where = f"element {i}" if shape else "the option"
        reasons = {
            _NO_SOLUTION_BELOW: "is at or below the discounted intrinsic value",
            _NO_SOLUTION_ABOVE: "is at or above its no-arbitrage upper bound "
            + ("(the discounted spot)" if is_call[i] else "(the discounted strike)"),
            _NO_SOLUTION_EXPIRED: "belongs to an option with zero maturity",
            _NO_SOLUTION_TOO_HIGH: f"needs a volatility above {MAX_VOLATILITY:g}",
        }
        raise NoImpliedVolatilityError(
            f"no implied volatility for {where} ({kind_name}, spot {s[i]!r}, strike {k[i]!r}, "
            f"maturity {t[i]!r}): premium {premium_flat[i]!r} {reasons[int(status[i])]}",
            index=i,
        )
    return out.reshape(shape)
