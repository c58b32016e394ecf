"""Listed option contracts as the execution layer trades them: the contract, its OCC symbol and
what a position in it is worth at expiry (`settlement_price`: what an expired contract settles
for).

Conventions: a contract is on `CONTRACT_MULTIPLIER` (100) shares of its underlying; strikes and
premiums are per share in the account's currency, so one contract bought at a premium p costs
100 x p (plus fees). Quantities of options are contracts (whole numbers). The OCC symbol is the
root (the underlying, up to six characters), the expiry as YYMMDD, P or C, and the strike times
1,000 on eight digits: the SPY put expiring 2025-06-20 struck at 500 is ``SPY250620P00500000``.
"""

from __future__ import annotations

import functools
import math
import re
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from execution.errors import OrderPlanError

OptionKind = Literal["put", "call"]
CONTRACT_MULTIPLIER = 100
"""Shares of the underlying per listed contract."""
PositionIntent = Literal["buy_to_open", "sell_to_open", "buy_to_close", "sell_to_close"]
OPTION_INTENTS: tuple[PositionIntent, ...] = (
    "buy_to_open",
    "sell_to_open",
    "buy_to_close",
    "sell_to_close",
)
"""What an option order does to a position: buy or sell, to open it or to close it."""

OPTIONS_LEVEL_NEEDED: dict[str, int] = {
    "buy_to_open": 2,
    "sell_to_close": 1,
    "buy_to_close": 1,
    "sell_to_open": 3,
}
"""The options trading level an intent needs on an account, after Alpaca's levels (0 none;
1 covered calls and cash-secured puts, and closing; 2 buying calls and puts; 3 spreads, where
a sold leg is covered by a bought one). A hedge's sold leg (a collar's call, a put spread's lower
put) is opened as part of a spread with the bought put, so it needs level 3."""
_OCC = re.compile(r"^([A-Z][A-Z0-9.]{0,5})(\d{6})([PC])(\d{8})$")


@dataclass(frozen=True, order=True)
class OptionContract:
    """A European option on `underlying` expiring at the close of `expiry`, a put or a call,
    struck at `strike` (currency per share, positive, at most 99,999.999 with three decimals)."""

    underlying: str
    expiry: date
    kind: OptionKind
    strike: float

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[A-Z][A-Z0-9.]{0,5}", self.underlying):
            raise OrderPlanError(
                f"option underlying must be 1 to 6 capital letters or digits, got "
                f"{self.underlying!r}"
            )
        if self.kind not in ("put", "call"):
            raise OrderPlanError(f"option kind must be put or call, got {self.kind!r}")
        thousandths = self.strike * 1000
        if not (
            math.isfinite(self.strike)
            and 0 < self.strike < 100_000
            and abs(thousandths - round(thousandths)) < 1e-6
        ):
            raise OrderPlanError(
                f"strike must be in (0, 100000) with at most three decimals, got {self.strike!r}"
            )

    @property
    def symbol(self) -> str:
        """The OCC symbol (see the module docstring)."""
        return (
            f"{self.underlying}{self.expiry:%y%m%d}{'P' if self.kind == 'put' else 'C'}"
            f"{round(self.strike * 1000):08d}"
        )

    def intrinsic(self, underlying_price: float) -> float:
        """The option's value per share at expiry with the underlying at `underlying_price`."""
        if self.kind == "put":
            return max(self.strike - underlying_price, 0.0)
        return max(underlying_price - self.strike, 0.0)


def parse_occ(symbol: str) -> OptionContract:
    """The contract an OCC symbol names (`OrderPlanError` if it is not one); expiries are
    read in the years 2000-2099."""
    match = _OCC.match(symbol)
    if match is None:
        raise OrderPlanError(f"{symbol!r} is not an OCC option symbol (e.g. SPY250620P00500000)")
    root, day, kind, strike = match.groups()
    try:
        expiry = date(2000 + int(day[:2]), int(day[2:4]), int(day[4:]))
    except ValueError:
        raise OrderPlanError(f"{symbol!r}: {day} is not a date (YYMMDD)") from None
    return OptionContract(root, expiry, "put" if kind == "P" else "call", int(strike) / 1000)


@functools.lru_cache(maxsize=4096)
def is_option_symbol(symbol: str) -> bool:
    """Whether `symbol` is an OCC option symbol (not a share's ticker)."""
    return _OCC.match(symbol) is not None


def settlement_price(contract: OptionContract, closes: pd.Series) -> float:
    """What an expired contract settles for, per share: its intrinsic value at the
    underlying's close of its expiry session (the last of `closes`, indexed by session date, on
    or before the expiry). The paper options account books it in cash at that close (an
    `exercise` or `assignment` in the money, an `expiry` at 0 otherwise); after it, the option
    is worth nothing more and the settlement is cash. `OrderPlanError` when `closes` holds no
    close on or before the expiry."""
    known = closes.dropna().loc[: pd.Timestamp(contract.expiry)]
    if known.empty:
        raise OrderPlanError(
            f"no close of {contract.underlying} on or before {contract.symbol}'s expiry "
            f"({contract.expiry}) to settle it at"
        )
    return contract.intrinsic(float(known.iloc[-1]))
