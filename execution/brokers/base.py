"""What every broker adapter offers the execution queue: an account, positions, and market
orders identified by the caller's client order id.

Conventions: quantities are shares (fractional only where `fractional` is true), always
positive, with a `side`; prices and cash are in the account's currency; times are timezone-aware
UTC. `submit` is idempotent by `client_order_id`: submitting the same id again returns the order
already placed and never places a second one (a retried or duplicated run is safe). Order
statuses follow Alpaca's names: new, partially_filled, filled, canceled, rejected.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

from execution.ledger import Fill, Side

OrderStatus = Literal["new", "partially_filled", "filled", "canceled", "rejected"]
FINAL_STATUSES: frozenset[OrderStatus] = frozenset({"filled", "canceled", "rejected"})


@dataclass(frozen=True)
class OrderRequest:
    """A market order for `quantity` shares of `symbol`, good for the day it first trades."""

    client_order_id: str
    symbol: str
    side: Side
    quantity: float


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
    """Cash and the shares held per symbol, as the broker reports them."""

    cash: float
    positions: dict[str, float]


class Broker(Protocol):
    """A brokerage account the execution queue trades through."""

    name: str
    fractional: bool

    def account(self) -> AccountState:
        """Cash and positions now."""
        ...

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
        """The account's fills (after `since`, if given), oldest first."""
        ...
