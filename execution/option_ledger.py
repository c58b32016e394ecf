"""What a hedge account's option trades and settlements add up to: contracts held per option,
cash, premiums paid and received, fees.

Conventions: quantities are contracts (whole, positive, with a `side`); prices are per share and
every amount is x `CONTRACT_MULTIPLIER` (100) shares per contract. An entry's `event` says what
it is: `trade` (an order's fill: a premium paid on a buy, received on a sell), `exercise` (a long
option in the money at expiry, cash-settled: the holder receives the intrinsic value, a sell at
that price), `assignment` (a short option in the money at expiry: the writer pays the intrinsic
value, a buy at that price) or `expiry` (an option out of the money at expiry: closed at 0).
Options can be held long or short (a collar's call and a put spread's lower put are sold).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from execution.errors import LedgerError
from execution.ledger import Side
from execution.options import CONTRACT_MULTIPLIER

OptionEvent = Literal["trade", "exercise", "assignment", "expiry"]
OPTION_EVENTS: tuple[OptionEvent, ...] = ("trade", "exercise", "assignment", "expiry")


@dataclass(frozen=True)
class OptionFill:
    """`contracts` of the option `symbol` (OCC) bought or sold at `price` per share with `fee`
    (currency, >= 0), at `time`, by order `order_id` (for settlements, the settlement's id)."""

    fill_id: str
    order_id: str
    symbol: str
    event: OptionEvent
    side: Side
    contracts: int
    price: float
    fee: float
    time: datetime

    def __post_init__(self) -> None:
        if self.event not in OPTION_EVENTS:
            raise LedgerError(f"option fill {self.fill_id}: unknown event {self.event!r}")
        if self.side not in ("buy", "sell"):
            raise LedgerError(f"option fill {self.fill_id}: side must be buy or sell")
        if not (isinstance(self.contracts, int) and self.contracts > 0):
            raise LedgerError(
                f"option fill {self.fill_id}: contracts must be a positive whole number, got "
                f"{self.contracts!r}"
            )
        if not (math.isfinite(self.price) and self.price >= 0):
            raise LedgerError(f"option fill {self.fill_id}: price must be >= 0")
        if self.event == "trade" and self.price == 0:
            raise LedgerError(f"option fill {self.fill_id}: a trade's price must be positive")
        if not (math.isfinite(self.fee) and self.fee >= 0):
            raise LedgerError(f"option fill {self.fill_id}: fee must be >= 0")

    @property
    def amount(self) -> float:
        """The premium or settlement value in currency (contracts x 100 x price)."""
        return self.contracts * CONTRACT_MULTIPLIER * self.price

    @property
    def cash_change(self) -> float:
        """What the entry does to cash: a buy pays amount + fee, a sell receives amount - fee."""
        return -self.amount - self.fee if self.side == "buy" else self.amount - self.fee


@dataclass
class OptionBook:
    """The state option entries leave, applied in time order: contracts per symbol (positive
    long, negative short; symbols closed out are dropped), cash, premiums and fees."""

    cash: float = 0.0
    contracts: dict[str, int] = field(default_factory=dict)
    premiums_paid: float = 0.0
    premiums_received: float = 0.0
    settlements: float = 0.0
    fees: float = 0.0

    @classmethod
    def replay(cls, entries: Iterable[OptionFill]) -> OptionBook:
        """The book after `entries` (sorted by time, ties in their order)."""
        book = cls()
        for entry in sorted(entries, key=lambda e: e.time):
            book.apply(entry)
        return book

    def apply(self, entry: OptionFill) -> None:
        """Add one entry. A settlement must close contracts held on its side (a long settles by
        a sell, a short by a buy): `LedgerError` otherwise."""
        held = self.contracts.get(entry.symbol, 0)
        signed = entry.contracts if entry.side == "buy" else -entry.contracts
        if entry.event != "trade" and (held == 0 or abs(held + signed) > abs(held)):
            raise LedgerError(
                f"option fill {entry.fill_id}: a {entry.event} of {entry.contracts} "
                f"{entry.symbol} but {held} are held"
            )
        self.cash += entry.cash_change
        self.fees += entry.fee
        if entry.event == "trade":
            if entry.side == "buy":
                self.premiums_paid += entry.amount
            else:
                self.premiums_received += entry.amount
        else:
            self.settlements += entry.cash_change + entry.fee
        left = held + signed
        if left == 0:
            self.contracts.pop(entry.symbol, None)
        else:
            self.contracts[entry.symbol] = left
