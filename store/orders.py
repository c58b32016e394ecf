"""The execution queue: orders waiting to be sent to a broker account, first in first out per
account, each under the caller's idempotent client order id, and what became of them.

An order is enqueued `queued`, becomes `submitted` when the broker accepted it, then
`partially_filled`, `filled`, `canceled` or `rejected` as the broker reports, or `dead` when
sending it failed more times than the retry policy allows (the dead-letter state). A `queued`,
`rejected` or `dead` order has no fills: an order whose rest is refused after a part filled is
`canceled`, its filled quantity saying how much. Within an
account, orders keep the `sequence` they were enqueued in: the queue hands them out in that
order. A client order id is the owner's: another owner's order under the same id is another
order, which neither owner ever meets. Enqueueing an order whose client order id the owner
already stored adds nothing (a retried or duplicated run enqueues the same orders again
harmlessly); the same id with different contents is a `ConflictError`.

An account several deployments share trades one netted set of orders per decision time
(`execution.netting`): each such order carries its `allocations`, the part of it each
deployment asked for (they add up to its quantity), by which its fills are attributed to the
deployments' ledgers. An order with an `internal_price` is a crossing inside the account (one
deployment buys what another sells): it is never sent to a broker and fills at that price.
"""

from __future__ import annotations

import json
import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from store.common import check_owner, from_micros
from store.errors import ConflictError

QueuedOrderStatus = Literal[
    "queued", "submitted", "partially_filled", "filled", "canceled", "rejected", "dead"
]
ORDER_STATUSES: frozenset[str] = frozenset(
    {"queued", "submitted", "partially_filled", "filled", "canceled", "rejected", "dead"}
)
OPEN_ORDER_STATUSES: frozenset[str] = frozenset({"queued", "submitted", "partially_filled"})
UNFILLED_ORDER_STATUSES: frozenset[str] = frozenset({"queued", "rejected", "dead"})
"""The statuses of an order none of which filled."""
"""Statuses of an order that still needs the queue's attention."""
MAX_ORDERS_PER_ENQUEUE = 45
"""Orders one `enqueue_orders` call may add (one atomic write on every backend)."""


ALLOCATION_TOLERANCE = 1e-9
"""Shares by which an order's allocations may miss its quantity (float sums)."""


@dataclass(frozen=True)
class Allocation:
    """The part of a netted order one deployment asked for: `quantity` shares (> 0) on the
    order's side, for `deployment_id`."""

    deployment_id: str
    quantity: float


@dataclass(frozen=True)
class NewOrder:
    """An order to enqueue: `quantity` shares (> 0) of `symbol` to `side` (buy or sell); on a
    shared account its `allocations` (empty: the enqueuing deployment's alone) and, for a
    crossing inside the account, the `internal_price` it fills at (None: sent to the broker)."""

    client_order_id: str
    symbol: str
    side: Literal["buy", "sell"]
    quantity: float
    allocations: tuple[Allocation, ...] = ()
    internal_price: float | None = None


@dataclass(frozen=True)
class QueuedOrder:
    """An order of the queue: where it goes (`account`), who made it (`deployment_id`, `run_id`),
    its place in the account's queue (`sequence`, from 1), its status, send `attempts`, how much
    filled at what average price, and the broker's or the queue's `reason` when it did not
    fill."""

    client_order_id: str
    owner: str
    account: str
    deployment_id: str
    run_id: str
    sequence: int
    symbol: str
    side: Literal["buy", "sell"]
    quantity: float
    status: QueuedOrderStatus
    attempts: int
    filled_quantity: float
    average_price: float | None
    reason: str | None
    created_at: datetime
    updated_at: datetime
    allocations: tuple[Allocation, ...] = ()
    internal_price: float | None = None

    @property
    def is_open(self) -> bool:
        """Whether the order still needs the queue (queued, submitted or partially filled)."""
        return self.status in OPEN_ORDER_STATUSES


def check_new_orders(orders: Sequence[NewOrder]) -> None:
    """ValueError unless every order is well formed and client order ids are unique."""
    if len(orders) > MAX_ORDERS_PER_ENQUEUE:
        raise ValueError(f"at most {MAX_ORDERS_PER_ENQUEUE} orders per enqueue, got {len(orders)}")
    seen: set[str] = set()
    for order in orders:
        if not order.client_order_id or order.client_order_id in seen:
            raise ValueError(f"client order ids must be unique and non-empty: {order!r}")
        seen.add(order.client_order_id)
        if not order.symbol:
            raise ValueError(f"order {order.client_order_id}: symbol must be non-empty")
        if order.side not in ("buy", "sell"):
            raise ValueError(f"order {order.client_order_id}: side must be buy or sell")
        if not (math.isfinite(order.quantity) and order.quantity > 0):
            raise ValueError(f"order {order.client_order_id}: quantity must be positive")
        _check_allocations(order)


def _check_allocations(order: NewOrder) -> None:
    """ValueError unless the order's allocations name distinct deployments with positive
    quantities adding up to its quantity, and an internal price (which needs allocations) is a
    positive number."""
    ids = [a.deployment_id for a in order.allocations]
    if len(set(ids)) != len(ids) or not all(ids):
        raise ValueError(f"order {order.client_order_id}: allocations name distinct deployments")
    if any(not (math.isfinite(a.quantity) and a.quantity > 0) for a in order.allocations):
        raise ValueError(f"order {order.client_order_id}: allocated quantities must be positive")
    total = sum(a.quantity for a in order.allocations)
    if order.allocations and abs(total - order.quantity) > ALLOCATION_TOLERANCE * max(
        1.0, order.quantity
    ):
        raise ValueError(
            f"order {order.client_order_id}: allocations add up to {total:g}, not its quantity "
            f"{order.quantity:g}"
        )
    price = order.internal_price
    if price is not None and (not order.allocations or not (math.isfinite(price) and price > 0)):
        raise ValueError(
            f"order {order.client_order_id}: an internal price is positive and needs allocations"
        )


def allocations_json(allocations: Sequence[Allocation]) -> str | None:
    """The stored form of allocations (None for none)."""
    if not allocations:
        return None
    return json.dumps([[a.deployment_id, a.quantity] for a in allocations])


def allocations_from(text: str | None) -> tuple[Allocation, ...]:
    """The allocations a stored value holds."""
    if not text:
        return ()
    return tuple(Allocation(str(d), float(q)) for d, q in json.loads(text))


def same_order(stored: QueuedOrder, new: NewOrder, account: str, deployment_id: str) -> bool:
    """Whether `new` is the order already stored under its client order id."""
    return (
        stored.account,
        stored.deployment_id,
        stored.symbol,
        stored.side,
        stored.quantity,
        stored.allocations,
        stored.internal_price,
    ) == (
        account,
        deployment_id,
        new.symbol,
        new.side,
        new.quantity,
        new.allocations,
        new.internal_price,
    )


def id_taken(client_order_id: str) -> ConflictError:
    """The refusal of an enqueue whose client order id names another of the owner's orders."""
    return ConflictError(f"client order id {client_order_id} is taken by another of your orders")


def status_conflict(current: QueuedOrder, expected_status: str, note: str = "") -> ConflictError:
    """The refusal of an update guarded by `expected_status` of an order that is
    `current.status` (`note` ends the message, e.g. ": nothing written")."""
    return ConflictError(
        f"order {current.client_order_id} is {current.status}, not {expected_status}{note}",
        current=current,
    )


class OrderQueueRepository(ABC):
    """The owner's execution queues (one per broker account)."""

    def enqueue_orders(
        self,
        owner: str,
        account: str,
        deployment_id: str,
        run_id: str,
        orders: Sequence[NewOrder],
    ) -> list[QueuedOrder]:
        """Append `orders` to `account`'s queue in one atomic write (those already stored under
        their client order id are not added again) and return them all as stored, in queue
        order. `ConflictError` (nothing written) if an id is stored with other contents."""
        check_owner(owner)
        if not account or "#" in account or not deployment_id or not run_id:
            raise ValueError("account (without #), deployment_id and run_id must be non-empty")
        check_new_orders(orders)
        if not orders:
            return []
        return self._enqueue_orders(owner, account, deployment_id, run_id, list(orders))

    @abstractmethod
    def _enqueue_orders(
        self,
        owner: str,
        account: str,
        deployment_id: str,
        run_id: str,
        orders: list[NewOrder],
    ) -> list[QueuedOrder]:
        """`enqueue_orders` after its checks."""

    @abstractmethod
    def get_order(self, owner: str, client_order_id: str) -> QueuedOrder:
        """The order, or `NotFoundError`."""

    @abstractmethod
    def open_orders(self, owner: str, account: str) -> list[QueuedOrder]:
        """The account's orders that are queued, submitted or partially filled, in queue
        order."""

    @abstractmethod
    def list_orders(
        self, owner: str, *, deployment_id: str | None = None, run_id: str | None = None
    ) -> list[QueuedOrder]:
        """The owner's orders (of a deployment and/or run, if given), by account and
        sequence."""

    def update_order(
        self,
        owner: str,
        client_order_id: str,
        *,
        expected_status: str,
        status: str,
        attempts: int | None = None,
        filled_quantity: float | None = None,
        average_price: float | None = None,
        reason: str | None = None,
    ) -> QueuedOrder:
        """Record what became of the order if it is still `expected_status`; the other fields
        change only when given. `ConflictError` (nothing written) if its status changed
        meanwhile, `NotFoundError` if there is no such order."""
        update = OrderUpdate(
            client_order_id,
            expected_status,
            status,
            attempts=attempts,
            filled_quantity=filled_quantity,
            average_price=average_price,
            reason=reason,
        )
        return self._update_order(owner, client_order_id, expected_status, update.changes())

    def update_orders(self, owner: str, updates: Sequence[OrderUpdate]) -> list[QueuedOrder]:
        """Apply each update whose order is still at its expected status (in one atomic write
        on SQLite); an order whose status changed meanwhile is returned as it is now. Returns
        the orders in the order of `updates`; `NotFoundError` if one does not exist."""
        check_owner(owner)
        changes = [(u.client_order_id, u.expected_status, u.changes()) for u in updates]
        return self._update_orders(owner, changes) if changes else []

    @abstractmethod
    def _update_order(
        self, owner: str, client_order_id: str, expected_status: str, changes: dict[str, Any]
    ) -> QueuedOrder:
        """`update_order` after its checks (`changes`: column -> new value)."""

    @abstractmethod
    def _update_orders(
        self, owner: str, updates: list[tuple[str, str, dict[str, Any]]]
    ) -> list[QueuedOrder]:
        """`update_orders` after its checks: (client order id, expected status, changes)."""


@dataclass(frozen=True)
class OrderUpdate:
    """What became of an order still at `expected_status`: its new `status` and, when given,
    its send attempts, filled quantity, average fill price and reason."""

    client_order_id: str
    expected_status: str
    status: str
    attempts: int | None = None
    filled_quantity: float | None = None
    average_price: float | None = None
    reason: str | None = None

    def changes(self) -> dict[str, Any]:
        """The columns to set (ValueError for a status or number that cannot be stored)."""
        if self.status not in ORDER_STATUSES or self.expected_status not in ORDER_STATUSES:
            raise ValueError(f"order status must be one of {sorted(ORDER_STATUSES)}")
        if self.attempts is not None and self.attempts < 0:
            raise ValueError("attempts must be >= 0")
        if self.filled_quantity is not None and not (
            math.isfinite(self.filled_quantity) and self.filled_quantity >= 0
        ):
            raise ValueError("filled_quantity must be a number >= 0")
        if self.status in UNFILLED_ORDER_STATUSES and (self.filled_quantity or 0.0) > 0:
            raise ValueError(
                f"order {self.client_order_id}: a {self.status} order has no fills, got "
                f"filled_quantity {self.filled_quantity:g} (an order refused after a part "
                "filled is canceled)"
            )
        changes: dict[str, Any] = {"status": self.status}
        for name in ("attempts", "filled_quantity", "average_price", "reason"):
            value = getattr(self, name)
            if value is not None:
                changes[name] = value
        return changes


def queued_order(
    order: NewOrder,
    owner: str,
    account: str,
    deployment_id: str,
    run_id: str,
    sequence: int,
    now: int,
) -> QueuedOrder:
    """The QueuedOrder an enqueue stores for `order` at `sequence`, at `now` (microseconds since
    the epoch): queued, never attempted, nothing filled; the values as a stored row gives them
    back (`order_from_row`)."""
    time = from_micros(now)
    assert time is not None
    return QueuedOrder(
        client_order_id=order.client_order_id,
        owner=owner,
        account=account,
        deployment_id=deployment_id,
        run_id=run_id,
        sequence=sequence,
        symbol=order.symbol,
        side=order.side,
        quantity=float(order.quantity),
        status="queued",
        attempts=0,
        filled_quantity=0.0,
        average_price=None,
        reason=None,
        created_at=time,
        updated_at=time,
        allocations=tuple(
            Allocation(a.deployment_id, float(a.quantity)) for a in order.allocations
        ),
        internal_price=None if order.internal_price is None else float(order.internal_price),
    )


def order_from_row(d: Mapping[str, Any]) -> QueuedOrder:
    """The QueuedOrder a stored row or item holds."""
    average = d.get("average_price")
    internal = d.get("internal_price")
    return QueuedOrder(
        client_order_id=d["client_order_id"],
        owner=d["owner"],
        account=d["account"],
        deployment_id=d["deployment_id"],
        run_id=d["run_id"],
        sequence=int(d["sequence"]),
        symbol=d["symbol"],
        side=d["side"],
        quantity=float(d["quantity"]),
        status=d["status"],
        attempts=int(d["attempts"]),
        filled_quantity=float(d["filled_quantity"]),
        average_price=None if average is None else float(average),
        reason=d.get("reason"),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
        allocations=allocations_from(d.get("allocations")),
        internal_price=None if internal is None else float(internal),
    )
