"""The at-the-money implied volatility of an option chain: what the implied-volatility history
records each session (`trading.day.iv_history`). Pure logic: no I/O, no clock.

From the quotes of one underlying (each an OCC contract and the implied volatility its quote
gives, annualised; quotes without one are left out):

1. **Expiry**: the listed expiry nearest `tenor_days` calendar days after `today` (the earlier
   of two equally near), among those with quotes on both sides of the spot (a strike at or
   below it and one at or above it).
2. **Volatility at a strike**: the mean of its call's and its put's implied volatilities (the
   one quoted when only one is).
3. **At the money**: linear in the strike between the nearest strike at or below the spot and
   the nearest at or above it (the strike's own when the spot is on it).

`NoAtmVolatilityError` says why a chain gives none (no quote with a volatility, none on both
sides of the spot).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from execution.errors import ExecutionError
from execution.options import OptionContract


class NoAtmVolatilityError(ExecutionError):
    """The chain gives no at-the-money implied volatility (the message says why)."""


@dataclass(frozen=True)
class OptionQuote:
    """A contract and the implied volatility its quote gives (annualised, a fraction; None when
    the quote gives none), with the bid and ask per share when quoted."""

    contract: OptionContract
    implied_volatility: float | None
    bid: float | None = None
    ask: float | None = None


@dataclass(frozen=True)
class AtmVolatility:
    """The at-the-money implied volatility `volatility` of the expiry `expiry`, interpolated
    between `strikes` (one or two), from `quotes` quotes of that expiry."""

    volatility: float
    expiry: date
    strikes: tuple[float, ...]
    quotes: int


def atm_volatility(
    quotes: Sequence[OptionQuote], spot: float, today: date, tenor_days: int
) -> AtmVolatility:
    """The at-the-money implied volatility of the chain (see the module docstring)."""
    by_expiry: dict[date, dict[float, list[float]]] = {}
    for quote in quotes:
        vol, contract = quote.implied_volatility, quote.contract
        if vol is not None and vol > 0 and contract.expiry > today:
            by_expiry.setdefault(contract.expiry, {}).setdefault(contract.strike, []).append(vol)
    if not by_expiry:
        raise NoAtmVolatilityError("no quote of the chain gives an implied volatility")
    around = {
        expiry: strikes
        for expiry, strikes in by_expiry.items()
        if min(strikes) <= spot <= max(strikes)
    }
    if not around:
        raise NoAtmVolatilityError(f"no expiry has quotes on both sides of the spot {spot:g}")
    expiry = min(around, key=lambda e: (abs((e - today).days - tenor_days), e))
    strikes = around[expiry]
    below = max(k for k in strikes if k <= spot)
    above = min(k for k in strikes if k >= spot)
    low, high = _mean(strikes[below]), _mean(strikes[above])
    if above == below:
        return AtmVolatility(low, expiry, (below,), _count(strikes))
    volatility = low + (high - low) * (spot - below) / (above - below)
    return AtmVolatility(volatility, expiry, (below, above), _count(strikes))


def _count(strikes: dict[float, list[float]]) -> int:
    return sum(len(v) for v in strikes.values())


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)
