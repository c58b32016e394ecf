"""The at-the-money implied volatility of a chain: the expiry nearest the tenor with quotes on
both sides of the spot, calls and puts averaged per strike, linear in the strike between the two
strikes around the spot; and why a chain gives none."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest

from execution.atm_volatility import NoAtmVolatilityError, OptionQuote, atm_volatility
from execution.options import OptionContract

TODAY = date(2026, 3, 2)


def _quote(days: int, kind: str, strike: float, vol: float | None) -> OptionQuote:
    contract = OptionContract("SPY", TODAY + timedelta(days=days), kind, strike)  # type: ignore[arg-type]
    return OptionQuote(contract, vol)


def test_the_nearest_expiry_s_volatility_between_the_strikes_around_the_spot() -> None:
    quotes = [
        # the 25-day expiry (nearest 30), calls and puts at 95, 100, 105
        _quote(25, "call", 95.0, 0.24), _quote(25, "put", 95.0, 0.26),
        _quote(25, "call", 100.0, 0.21), _quote(25, "put", 100.0, 0.23),
        _quote(25, "call", 105.0, 0.19), _quote(25, "put", 105.0, None),
        # farther expiries: not used
        _quote(40, "call", 100.0, 0.5), _quote(40, "put", 105.0, 0.5),
        _quote(10, "call", 100.0, 0.9), _quote(10, "put", 105.0, 0.9),
    ]  # fmt: skip
    atm = atm_volatility(quotes, 102.0, TODAY, 30)
    assert atm.expiry == TODAY + timedelta(days=25) and atm.strikes == (100.0, 105.0)
    # numpy's linear interpolation of the per-strike means (the 105 put has no volatility)
    expected = np.interp(102.0, [95.0, 100.0, 105.0], [0.25, 0.22, 0.19])
    assert atm.volatility == pytest.approx(float(expected), rel=1e-12)
    assert atm.quotes == 5
    on_a_strike = atm_volatility(quotes, 100.0, TODAY, 30)
    assert on_a_strike.strikes == (100.0,) and on_a_strike.volatility == pytest.approx(0.22)


def test_an_expiry_without_quotes_on_both_sides_of_the_spot_is_passed_over() -> None:
    quotes = [
        _quote(30, "call", 110.0, 0.3), _quote(30, "call", 115.0, 0.3),  # all above the spot
        _quote(45, "put", 95.0, 0.2), _quote(45, "put", 105.0, 0.4),
        _quote(-1, "put", 95.0, 0.9), _quote(0, "put", 105.0, 0.9),  # expired, expiring today
    ]  # fmt: skip
    atm = atm_volatility(quotes, 100.0, TODAY, 30)
    assert atm.expiry == TODAY + timedelta(days=45) and atm.volatility == pytest.approx(0.3)
    # two expiries equally near the tenor: the earlier
    even = [
        _quote(d, "call", k, v) for d in (20, 40) for k, v in ((95.0, 0.1), (105.0, 0.1 + d / 1000))
    ]
    assert atm_volatility(even, 100.0, TODAY, 30).expiry == TODAY + timedelta(days=20)


def test_a_chain_without_volatilities_or_around_the_spot_gives_none() -> None:
    with pytest.raises(NoAtmVolatilityError, match="no quote of the chain"):
        atm_volatility([_quote(30, "call", 100.0, None)], 100.0, TODAY, 30)
    with pytest.raises(NoAtmVolatilityError, match="both sides of the spot 120"):
        atm_volatility([_quote(30, "call", 100.0, 0.2)], 120.0, TODAY, 30)
    with pytest.raises(NoAtmVolatilityError, match="no quote"):
        atm_volatility([], 100.0, TODAY, 30)
