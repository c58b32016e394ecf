"""What a trade ledger's fills and cash flows add up to: cash, FIFO tax lots of shares, option
contracts held, realised and unrealised P&L, premiums and settlements, and the time-weighted
return. One book takes fills of either instrument kind (`execution.instruments`).

Conventions: quantities are shares or whole contracts, always positive; a fill's `side` says buy
or sell. Prices are per share (of the underlying, for an option) and amounts are in the
account's currency: an option fill's amount is contracts x 100 x price. Cash moves by the fills
(buys cost amount + fee, sells bring amount - fee) and by the external cash flows (deposits
positive, withdrawals negative).

- **Shares** are held long only: a buy opens a tax lot whose cost basis is quantity x price plus
  the buy's fee; a sell closes the oldest lots first (FIFO) and realises its proceeds (quantity
  x price minus the sell's fee) minus the basis of the shares it closes; a sell of more shares
  than are held is refused.
- **Options** are held long or short (a collar's call and a put spread's lower put are sold).
  A fill's `event` says what it is: `trade` (an order's fill: a premium paid on a buy, received
  on a sell), `exercise` (a long option in the money at expiry, cash-settled: the holder
  receives the intrinsic value, a sell at that price), `assignment` (a short option in the money
  at expiry: the writer pays the intrinsic value, a buy at that price), `expiry` (an option
  out of the money at expiry: closed at 0) or `close_out` (a simulated account's option closed
  in cash at its model price when its deployment is retired, which no later run would close).
  A settlement must close contracts held on its side.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from execution.errors import LedgerError
from execution.instruments import InstrumentKind, instrument_kind, multiplier

Side = Literal["buy", "sell"]
FillEvent = Literal["trade", "exercise", "assignment", "expiry", "close_out"]
FILL_EVENTS: tuple[FillEvent, ...] = ("trade", "exercise", "assignment", "expiry", "close_out")

QUANTITY_TOLERANCE = 1e-9
"""Shares below this count as none (fractional-share arithmetic leaves dust)."""


@dataclass(frozen=True)
class Fill:
    """One execution of an order, or an option's settlement at expiry (`event`, see the module
    docstring): `quantity` shares or contracts of `symbol` bought or sold at `price` per share,
    with `fee` (>= 0) charged on it, at `time`, by order `order_id` (a settlement's own id for
    a settlement)."""

    fill_id: str
    order_id: str
    symbol: str
    side: Side
    quantity: float
    price: float
    fee: float
    time: datetime
    event: FillEvent = "trade"

    def __post_init__(self) -> None:
        what = "option fill" if self.kind == "option" else "fill"
        if self.side not in ("buy", "sell"):
            raise LedgerError(f"{what} {self.fill_id}: side must be buy or sell, got {self.side!r}")
        if self.event not in FILL_EVENTS or (self.event != "trade" and self.kind != "option"):
            raise LedgerError(f"{what} {self.fill_id}: unknown event {self.event!r}")
        if not (math.isfinite(self.fee) and self.fee >= 0):
            raise LedgerError(f"{what} {self.fill_id}: fee must be >= 0, got {self.fee!r}")
        if self.kind == "stock":
            for name in ("quantity", "price"):
                value = getattr(self, name)
                if not (math.isfinite(value) and value > 0):
                    raise LedgerError(
                        f"fill {self.fill_id}: {name} must be positive, got {value!r}"
                    )
            return
        if not (self.quantity > 0 and float(self.quantity).is_integer()):
            raise LedgerError(
                f"option fill {self.fill_id}: contracts must be a positive whole number, got "
                f"{self.quantity!r}"
            )
        if not (math.isfinite(self.price) and self.price >= 0):
            raise LedgerError(f"option fill {self.fill_id}: price must be >= 0")
        if self.event == "trade" and self.price == 0:
            raise LedgerError(f"option fill {self.fill_id}: a trade's price must be positive")

    @property
    def kind(self) -> InstrumentKind:
        """The instrument kind of the fill's symbol."""
        return instrument_kind(self.symbol)

    @property
    def amount(self) -> float:
        """The value traded or settled in currency: quantity x price (x 100 for options)."""
        return self.quantity * multiplier(self.kind) * self.price

    @property
    def cash_change(self) -> float:
        """What the fill does to cash: a buy pays amount + fee, a sell receives amount - fee."""
        return -self.amount - self.fee if self.side == "buy" else self.amount - self.fee


INTEREST_NOTE = "interest"
"""The note of a cash flow that is interest the account's cash earned (income, not money moved
into the account)."""


@dataclass(frozen=True)
class CashFlow:
    """Money moved into (`amount` > 0) or out of (< 0) the account at `time`, or, with the note
    `INTEREST_NOTE`, interest its cash earned."""

    flow_id: str
    amount: float
    time: datetime
    note: str = ""

    def __post_init__(self) -> None:
        if not math.isfinite(self.amount) or self.amount == 0:
            raise LedgerError(f"cash flow {self.flow_id}: amount must be a non-zero number")

    @property
    def external(self) -> bool:
        """Whether the flow moved money into or out of the account (a deposit or withdrawal,
        which a time-weighted return leaves out), not income it earned."""
        return self.note != INTEREST_NOTE


@dataclass(frozen=True)
class TaxLot:
    """Shares bought together and still held: `quantity` left, the cost basis per share (price
    plus the buy's fee spread over its shares), when and by which fill they were bought."""

    symbol: str
    quantity: float
    cost_per_share: float
    opened_at: datetime
    fill_id: str

    @property
    def cost_basis(self) -> float:
        """The lot's remaining cost basis (quantity x cost per share)."""
        return self.quantity * self.cost_per_share


@dataclass(frozen=True)
class Position:
    """Shares held in one symbol: quantity, cost basis (of the open lots) and realised P&L."""

    symbol: str
    quantity: float
    cost_basis: float
    realised_pnl: float

    def unrealised_pnl(self, price: float) -> float:
        """Market value at `price` minus the cost basis of the shares held."""
        return self.quantity * price - self.cost_basis


@dataclass
class Book:
    """The state that a ledger's entries, applied in time order, leave: cash, fees and the
    deposits (`contributions`); for shares the open tax lots, shares and realised P&L per
    symbol; for options the contracts held per OCC symbol (positive long, negative short;
    symbols closed out are dropped), premiums paid and received and the settlements' value.
    Build one with `Book.replay(entries)`."""

    cash: float = 0.0
    lots: dict[str, deque[TaxLot]] = field(default_factory=dict)
    realised: dict[str, float] = field(default_factory=dict)
    fees: float = 0.0
    contributions: float = 0.0
    shares: dict[str, float] = field(default_factory=dict)
    contracts: dict[str, int] = field(default_factory=dict)
    premiums_paid: float = 0.0
    premiums_received: float = 0.0
    settlements: float = 0.0

    @classmethod
    def replay(cls, entries: Iterable[Fill | CashFlow]) -> Book:
        """The book after `entries` (sorted by time; entries at the same time keep their order).
        Raises `LedgerError` for a sell of more shares than are held."""
        book = cls()
        for entry in sorted(entries, key=lambda e: e.time):
            book.apply(entry)
        return book

    def apply(self, entry: Fill | CashFlow) -> None:
        """Add one entry (the ledger is append-only: entries are never changed or removed)."""
        if isinstance(entry, CashFlow):
            self.cash += entry.amount
            self.contributions += entry.amount
            return
        if entry.kind == "option":
            self._apply_option(entry)
            return
        self.cash += entry.cash_change
        self.fees += entry.fee
        if entry.side == "buy":
            lot = TaxLot(
                entry.symbol,
                entry.quantity,
                (entry.quantity * entry.price + entry.fee) / entry.quantity,
                entry.time,
                entry.fill_id,
            )
            self.lots.setdefault(entry.symbol, deque()).append(lot)
            self.shares[entry.symbol] = self.shares.get(entry.symbol, 0.0) + entry.quantity
            return
        self._close(entry)
        left = self.shares.get(entry.symbol, 0.0) - entry.quantity
        # the lots left hold what is left; none left holds exactly nothing
        self.shares[entry.symbol] = max(left, 0.0) if self.lots[entry.symbol] else 0.0

    def _close(self, sell: Fill) -> None:
        lots = self.lots.setdefault(sell.symbol, deque())
        held = self.shares.get(sell.symbol, 0.0)
        if sell.quantity > held + QUANTITY_TOLERANCE:
            raise LedgerError(
                f"fill {sell.fill_id}: sells {sell.quantity:g} {sell.symbol} but {held:g} are "
                "held (positions are long only)"
            )
        remaining = sell.quantity
        basis = 0.0
        while remaining > QUANTITY_TOLERANCE and lots:
            lot = lots[0]
            taken = min(lot.quantity, remaining)
            basis += taken * lot.cost_per_share
            remaining -= taken
            left = lot.quantity - taken
            if left <= QUANTITY_TOLERANCE:
                lots.popleft()
            else:
                lots[0] = TaxLot(lot.symbol, left, lot.cost_per_share, lot.opened_at, lot.fill_id)
        proceeds = sell.quantity * sell.price - sell.fee
        self.realised[sell.symbol] = self.realised.get(sell.symbol, 0.0) + proceeds - basis

    def _apply_option(self, entry: Fill) -> None:
        held = self.contracts.get(entry.symbol, 0)
        signed = round(entry.quantity) * (1 if entry.side == "buy" else -1)
        if entry.event != "trade" and (held == 0 or abs(held + signed) > abs(held)):
            raise LedgerError(
                f"option fill {entry.fill_id}: a {entry.event} of {entry.quantity:g} "
                f"{entry.symbol} but {held} are held"
            )
        self.cash += entry.cash_change
        self.fees += entry.fee
        if entry.event != "trade":
            self.settlements += entry.cash_change + entry.fee
        elif entry.side == "buy":
            self.premiums_paid += entry.amount
        else:
            self.premiums_received += entry.amount
        left = held + signed
        if left == 0:
            self.contracts.pop(entry.symbol, None)
        else:
            self.contracts[entry.symbol] = left

    def positions(self) -> dict[str, Position]:
        """Every symbol of shares ever traded: shares held (0 once closed), open cost basis,
        realised P&L."""
        symbols = sorted(set(self.lots) | set(self.realised))
        out = {}
        for symbol in symbols:
            lots = self.lots.get(symbol, deque())
            out[symbol] = Position(
                symbol,
                sum(lot.quantity for lot in lots),
                sum(lot.cost_basis for lot in lots),
                self.realised.get(symbol, 0.0),
            )
        return out

    def holdings(self) -> dict[str, float]:
        """Shares held per symbol (only symbols with shares)."""
        return {
            symbol: quantity
            for symbol, quantity in sorted(self.shares.items())
            if quantity > QUANTITY_TOLERANCE
        }

    def market_value(self, prices: Mapping[str, float]) -> float:
        """Cash plus the shares held at `prices` (every held symbol needs a price)."""
        missing = [s for s in self.holdings() if s not in prices]
        if missing:
            raise LedgerError(f"no price for held symbols: {', '.join(missing)}")
        return self.cash + sum(q * prices[s] for s, q in self.holdings().items())

    def unrealised_pnl(self, prices: Mapping[str, float]) -> float:
        """Market value of the shares held at `prices` minus their cost basis."""
        positions = self.positions()
        return sum(positions[s].unrealised_pnl(prices[s]) for s in self.holdings())

    def realised_pnl(self) -> float:
        """Realised P&L over every symbol of shares (net of the fees of the closed shares)."""
        return sum(self.realised.values())


def time_weighted_return(values: Sequence[float], flows: Sequence[float]) -> float:
    """The time-weighted return of an account valued at `values[t]` at the end of each period t,
    with external cash flows `flows[t]` arriving at the start of period t (before it trades;
    `flows[0]` is the opening deposit). Each period's return is values[t] / (values[t-1] +
    flows[t]) - 1 (the first: values[0] / flows[0] - 1), and they compound, so deposits and
    withdrawals do not count as performance. Raises `LedgerError` when a period starts with
    no money."""
    if len(values) != len(flows) or not values:
        raise LedgerError("values and flows must be non-empty and of the same length")
    growth = 1.0
    start = 0.0
    for t, (value, flow) in enumerate(zip(values, flows, strict=True)):
        invested = start + flow
        if not invested > 0:
            raise LedgerError(f"period {t} starts with {invested:g}: nothing invested to return on")
        growth *= value / invested
        start = value
    return growth - 1.0
