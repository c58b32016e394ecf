"""European options under Black-Scholes-Merton: price, delta, gamma, vega and theta.

Conventions: ``spot`` and ``strike`` in the same currency units; ``maturity`` in years;
``rate`` (the risk-free rate) and ``dividend_yield`` continuously compounded per year;
``volatility`` annualised. Greeks are derivatives of the price per unit of the input:
delta per unit of spot, gamma per unit of spot squared, vega per 1.00 of volatility (not per
vol point), theta per year of calendar time (the change of price as time passes, so usually
negative; divide by 365 for a calendar day). At ``maturity == 0`` the price is the payoff and the
greeks are those of the payoff (delta 0 or +-1, no gamma, vega or theta); at ``volatility == 0``
the price is the discounted payoff of the forward.

The scalar kernels (and `model_volatility`, the implied-volatility model's) are numba functions so
the allocation engine can price along paths in compiled code; `black_scholes` and `option_price` are their vectorised, validated fronts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from quant.compiled import kernel
from quant.errors import PricingError

SQRT_2 = math.sqrt(2.0)
INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


@kernel()
def normal_cdf(x: float) -> float:
    """Standard normal distribution function, accurate in both tails (via erfc)."""
    return 0.5 * math.erfc(-x / SQRT_2)


@kernel()
def normal_pdf(x: float) -> float:
    """Standard normal density."""
    return INV_SQRT_2PI * math.exp(-0.5 * x * x)


@kernel()
def price_scalar(
    is_call: bool, s: float, k: float, t: float, r: float, q: float, sigma: float
) -> float:
    """Black-Scholes-Merton price of one European option (inputs assumed valid)."""
    if t <= 0.0:
        return max(s - k, 0.0) if is_call else max(k - s, 0.0)
    df_r = math.exp(-r * t)
    df_q = math.exp(-q * t)
    sd = sigma * math.sqrt(t)
    if sd <= 0.0:
        forward_payoff = s * df_q - k * df_r
        return max(forward_payoff, 0.0) if is_call else max(-forward_payoff, 0.0)
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    if is_call:
        return s * df_q * normal_cdf(d1) - k * df_r * normal_cdf(d2)
    return k * df_r * normal_cdf(-d2) - s * df_q * normal_cdf(-d1)


@kernel()
def greeks_scalar(
    is_call: bool, s: float, k: float, t: float, r: float, q: float, sigma: float
) -> tuple[float, float, float, float, float]:
    """(price, delta, gamma, vega, theta) of one European option (inputs assumed valid)."""
    if t <= 0.0 or sigma * math.sqrt(t) <= 0.0:
        price = price_scalar(is_call, s, k, t, r, q, sigma)
        df_q = math.exp(-q * max(t, 0.0))
        df_r = math.exp(-r * max(t, 0.0))
        in_the_money = s * df_q > k * df_r if is_call else s * df_q < k * df_r
        delta = 0.0
        theta = 0.0
        if in_the_money:
            delta = df_q if is_call else -df_q
            if t > 0.0:
                # the discounted forward payoff's time decay
                sign = 1.0 if is_call else -1.0
                theta = sign * (q * s * df_q - r * k * df_r)
        return price, delta, 0.0, 0.0, theta
    sqrt_t = math.sqrt(t)
    sd = sigma * sqrt_t
    df_r = math.exp(-r * t)
    df_q = math.exp(-q * t)
    d1 = (math.log(s / k) + (r - q) * t) / sd + 0.5 * sd
    d2 = d1 - sd
    pdf = normal_pdf(d1)
    gamma = df_q * pdf / (s * sd)
    vega = s * df_q * pdf * sqrt_t
    decay = -s * df_q * pdf * sigma / (2.0 * sqrt_t)
    if is_call:
        n1 = normal_cdf(d1)
        n2 = normal_cdf(d2)
        price = s * df_q * n1 - k * df_r * n2
        delta = df_q * n1
        theta = decay - r * k * df_r * n2 + q * s * df_q * n1
    else:
        n1 = normal_cdf(-d1)
        n2 = normal_cdf(-d2)
        price = k * df_r * n2 - s * df_q * n1
        delta = -df_q * n1
        theta = decay + r * k * df_r * n2 - q * s * df_q * n1
    return price, delta, gamma, vega, theta


@kernel()
def model_volatility(
    rv: float, moneyness: float, premium: float, skew: float, low: float, high: float
) -> float:
    """`ImpliedVolModel`'s implied volatility (on realised volatility) for one realised volatility
    and moneyness, given the model's `as_tuple()`."""
    vol = math.sqrt(rv * rv + premium) * moneyness ** (-skew)
    return min(max(vol, low), high)


@kernel()
def _greeks_array(
    is_call: np.ndarray,
    s: np.ndarray,
    k: np.ndarray,
    t: np.ndarray,
    r: np.ndarray,
    q: np.ndarray,
    sigma: np.ndarray,
    out: np.ndarray,
) -> None:
    for i in range(s.shape[0]):
        p, d, g, v, th = greeks_scalar(is_call[i], s[i], k[i], t[i], r[i], q[i], sigma[i])
        out[0, i] = p
        out[1, i] = d
        out[2, i] = g
        out[3, i] = v
        out[4, i] = th


@dataclass(frozen=True)
class OptionValues:
    """Price and greeks of European options, each an array of the broadcast input shape
    (0-d arrays for scalar inputs). Units as in the module docstring."""

    price: np.ndarray
    delta: np.ndarray
    gamma: np.ndarray
    vega: np.ndarray
    theta: np.ndarray


def _as_float(name: str, value: object) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise PricingError(f"{name} must be numeric, got {value!r}") from exc
    if not np.all(np.isfinite(array)):
        raise PricingError(f"{name} must be finite, got {value!r}")
    return array


def _as_is_call(kind: object) -> np.ndarray:
    array = np.asarray(kind)
    if array.dtype == np.bool_:
        return array
    if array.dtype.kind not in "US":
        raise PricingError(f"kind must be 'call' or 'put', got {kind!r}")
    flat = array.ravel()
    bad = [str(x) for x in flat if str(x) not in ("call", "put")]
    if bad:
        raise PricingError(f"kind must be 'call' or 'put', got {bad[0]!r}")
    return np.asarray(array == "call")


def checked_inputs(
    kind: object,
    spot: object,
    strike: object,
    maturity: object,
    rate: object,
    dividend_yield: object,
    last: str,
    value: object,
) -> tuple[tuple[int, ...], np.ndarray, list[np.ndarray]]:
    """(broadcast shape, flat is-call flags, flat float arrays of spot, strike, maturity, rate,
    dividend yield and `value`) of option inputs, `value` being the input named `last` (the
    volatility of a price, the premium of an implied volatility); `PricingError` naming the
    input that is not finite, a spot or strike not > 0, a maturity or `last` < 0, or shapes that
    do not broadcast."""
    values = {
        "spot": spot,
        "strike": strike,
        "maturity": maturity,
        "rate": rate,
        "dividend_yield": dividend_yield,
        last: value,
    }
    positive = ("spot", "strike")
    non_negative = ("maturity", last)
    is_call = _as_is_call(kind)
    arrays = {name: _as_float(name, given) for name, given in values.items()}
    for name in (*positive, *non_negative):
        array = arrays[name]
        bad = array <= 0 if name in positive else array < 0
        if np.any(bad):
            relation = "> 0" if name in positive else ">= 0"
            raise PricingError(f"{name} must be {relation}, got {array[bad].ravel()[0]!r}")
    try:
        shape = np.broadcast_shapes(is_call.shape, *(a.shape for a in arrays.values()))
    except ValueError as exc:
        shapes = {name: a.shape for name, a in arrays.items()}
        raise PricingError(f"inputs of shapes {shapes} do not broadcast") from exc

    def flat(array: np.ndarray) -> np.ndarray:
        # a copy, always: a full-shaped input's broadcast view is read-only, and the kernels,
        # compiled once per type of their arguments, take writable arrays (quant.engine.inputs.
        # kernel_array)
        return np.array(np.broadcast_to(array, shape), order="C").ravel()

    return shape, flat(is_call), [flat(a) for a in arrays.values()]


def black_scholes(
    kind: object,
    spot: object,
    strike: object,
    maturity: object,
    rate: object,
    volatility: object,
    dividend_yield: object = 0.0,
) -> OptionValues:
    """Price, delta, gamma, vega and theta of European options; inputs broadcast together.

    ``kind`` is "call" or "put" (or an array of them, or booleans meaning call). Raises
    `PricingError` naming the input when a value is not finite, a spot or strike is not positive,
    or a maturity or volatility is negative.
    """
    shape, is_call, (s, k, t, r, q, sigma) = checked_inputs(
        kind, spot, strike, maturity, rate, dividend_yield, "volatility", volatility
    )
    out = np.empty((5, s.shape[0]))
    _greeks_array(is_call, s, k, t, r, q, sigma, out)
    return OptionValues(*(row.reshape(shape) for row in out))


def option_price(
    kind: object,
    spot: object,
    strike: object,
    maturity: object,
    rate: object,
    volatility: object,
    dividend_yield: object = 0.0,
) -> np.ndarray:
    """Black-Scholes-Merton prices of European options (see `black_scholes`)."""
    return black_scholes(kind, spot, strike, maturity, rate, volatility, dividend_yield).price
