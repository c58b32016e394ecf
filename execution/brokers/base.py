"""What every broker adapter offers the order queue: orders identified by the caller's client
order id, their fills, and an account's positions, for instrument kinds stock and option
(`execution.instruments`).

Conventions: quantities are shares (fractional only where `fractional` is true) or whole
contracts, always positive, with a `side`; prices are per share and cash is in the account's
currency; times are timezone-aware UTC. An option order names its position intent (buy or sell
to open or close); a share order names none. `submit` is idempotent by `client_order_id`:
submitting the same id again returns the order already placed and never places a second one (a
retried or duplicated run is safe). Order statuses follow Alpaca's names: new,
partially_filled, filled, canceled, rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from execution.instruments import InstrumentKind
from execution.ledger import Fill, Side
from execution.options import PositionIntent

OrderStatus = Literal["new", "partially_filled", "filled", "canceled", "rejected"]
FINAL_STATUSES: frozenset[OrderStatus] = frozenset({"filled", "canceled", "rejected"})


@dataclass(frozen=True)
class OrderRequest:
    """An order for `quantity` of `symbol`, good for the day it first trades: shares at the
    market, or (with a position `intent`) whole option contracts of the OCC `symbol`, at the
    market or at `limit_price` per share."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: float
    intent: PositionIntent | None = None
    limit_price: float | None = None

    @property
    def kind(self) -> InstrumentKind:
        """`option` for an order with a position intent, `stock` otherwise."""
        return "stock" if self.intent is None else "option"


@dataclass(frozen=True)
class BrokerOrder:
    """An order as the broker holds it: how much of it filled, at what average price, and, when
    rejected or canceled, why."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: float
    status: OrderStatus
    submitted_at: datetime
    filled_quantity: float = 0.0
    average_fill_price: float | None = None
    reason: str | None = None

    @property
    def is_final(self) -> bool:
        """Whether the order can change no more (filled, canceled or rejected)."""
        return self.status in FINAL_STATUSES


@dataclass(frozen=True)
class AccountState:
    """Cash and the shares held per symbol, as the broker reports them, and, where the broker
    reports them (Alpaca), the account's equity (cash and every position at the broker's
    prices) and buying power; None where it does not (the paper broker)."""

    cash: float
    positions: dict[str, float]
    equity: float | None = None
    buying_power: float | None = None


class Broker(Protocol):
    """A brokerage account the order queue trades through. An account object trades one
    instrument kind's orders and lists that kind's fills (`fills`); one broker account that
    holds both kinds (Alpaca) is seen through one object per kind."""

    name: str

    def submit(self, request: OrderRequest) -> BrokerOrder:
        """Place the order, or return the one already placed under its client order id.
        Raises `BrokerRejectedError` when the broker refuses it and `BrokerUnavailableError`
        when it cannot be reached."""
        ...

    def order(self, client_order_id: str) -> BrokerOrder:
        """The order placed under `client_order_id` (`BrokerRejectedError` if there is none)."""
        ...

    def cancel(self, client_order_id: str) -> BrokerOrder:
        """Cancel what has not filled yet; a final order is returned as it is."""
        ...

    def fills(self, since: datetime | None = None) -> list[Fill]:
        """The account's fills of its kind (those after `since` at least, if given), oldest
        first: for options, its trades and settlements."""
        ...


class StockBroker(Broker, Protocol):
    """An account trading shares: its cash and shares, and whether it takes fractional ones."""

    fractional: bool

    def account(self) -> AccountState:
        """Cash and positions now."""
        ...


class OptionsBroker(Broker, Protocol):
    """An account trading options: quantities are contracts, prices per share;
    `option_positions` are signed (short negative)."""

    def options_level(self) -> int:
        """The account's approved options trading level (0: no options)."""
        ...

    def option_positions(self) -> dict[str, int]:
        """Contracts held per OCC symbol (negative: short)."""
        ...
