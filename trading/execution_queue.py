"""The execution queue at work: sending an account's queued orders to its broker first in first
out, with bounded retries and a dead-letter state, and bringing back what the broker did.

Sending: each queued order is submitted under its client order id (the broker places it at most
once, so a retried or resumed run never trades twice). A broker that cannot be reached is tried
again after `RetryPolicy.delay` seconds, up to `max_attempts` attempts per order; then the order
is dead-lettered (status `dead`) and the queued orders after it from the same run are canceled
(a rebalance is sent whole or not at all). An order the broker refuses is `rejected` with the
broker's reason. An order the broker reports filled (or partly) as it is submitted is recorded
`submitted`: its fills and its status are recorded together by the sync that follows.

Syncing: each submitted order takes the broker's status, filled quantity and average price, and
the account's new fills (since the ledger's last one) go to the ledger, **in one atomic write**
(`write_executions`, `Store.record_executions`): the store never holds an order filled without
its fills, nor fills whose order's new status was lost. An order the broker reports filled
beyond what its fills listed so far hold keeps its status until they are listed (the next sync).
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from execution.brokers.base import Broker, BrokerOrder, OrderRequest
from execution.errors import BrokerRejectedError, BrokerUnavailableError
from execution.ledger import CashFlow
from store import ConflictError, LedgerEntry, OrderUpdate, QueuedOrder, Store
from store.executions import MAX_WRITES_PER_EXECUTION
from trading.ledger import AccountLedger, to_entry

STATUS_FROM_BROKER = {
    "new": "submitted",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
    "rejected": "rejected",
}
logger = logging.getLogger("stratigos.execution")
QUANTITY_TOLERANCE = 1e-9
"""Shares (or contracts) by which an order's filled quantity may exceed its fills' sum."""
SYNC_ATTEMPTS = 3
"""Syncs tried when another worker changed an order's status meanwhile."""
FILL_LOOKBACK = timedelta(seconds=1)
"""How far before the ledger's last fill the broker's fills are read again (duplicates are
recognised by fill id), so fills stamped with the same time are never missed."""


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per order (`max_attempts`, at least 1) and the wait before the n-th retry:
    `backoff_seconds` x 2^(n-1)."""

    max_attempts: int = 3
    backoff_seconds: float = 1.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.backoff_seconds < 0:
            raise ValueError("max_attempts must be >= 1 and backoff_seconds >= 0")

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        return self.backoff_seconds * 2 ** (retry - 1)


def client_order_id(deployment_id: str, fire: datetime, index: int) -> str:
    """The client order id of the `index`-th order of a deployment's run at `fire`: the same
    for every attempt of that run, unique across runs, 23 characters (brokers allow 48)."""
    digest = hashlib.sha256(f"{deployment_id}|{fire.isoformat()}".encode()).hexdigest()
    return f"stg-{digest[:16]}-{index:02d}"


@dataclass
class DispatchReport:
    """What a dispatch did: orders submitted, rejected by the broker, dead-lettered, and
    canceled because an earlier order of their run was dead-lettered."""

    submitted: list[QueuedOrder] = field(default_factory=list)
    rejected: list[QueuedOrder] = field(default_factory=list)
    dead: list[QueuedOrder] = field(default_factory=list)
    canceled: list[QueuedOrder] = field(default_factory=list)


def dispatch(
    store: Store,
    owner: str,
    account: str,
    broker: Broker,
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DispatchReport:
    """Send the account's queued share orders in queue order (see `dispatch_orders`); an order
    the broker refuses is `rejected`."""

    def submit(order: QueuedOrder) -> BrokerOrder:
        request = OrderRequest(order.client_order_id, order.symbol, order.side, order.quantity)
        return broker.submit(request)

    return dispatch_orders(
        store, owner, account, submit, refused="rejected", retry=retry, sleep=sleep
    )


def dispatch_orders(
    store: Store,
    owner: str,
    account: str,
    submit: Callable[[QueuedOrder], BrokerOrder],
    *,
    refused: Literal["rejected", "dead"],
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DispatchReport:
    """Send the account's queued orders in queue order through `submit` (see the module
    docstring); an order the broker refuses takes the status `refused` (`rejected`, or `dead`
    for a queue whose refusals are dead letters). What the broker said is recorded after the
    orders are sent, in one write: a worker that dies before it leaves them queued, and the next
    one sends them again under the same client order ids, which the broker recognises. Every
    dead letter is logged as an `order_dead_lettered` event (what the operations alarm counts)."""
    policy = retry or RetryPolicy()
    updates: list[OrderUpdate] = []
    dead_runs: set[str] = set()
    for order in store.open_orders(owner, account):
        if order.status != "queued":
            continue
        if order.run_id in dead_runs:
            reason = "not sent: an earlier order of its run was dead-lettered"
            updates.append(OrderUpdate(order.client_order_id, "queued", "canceled", reason=reason))
            continue
        update = _send(order, submit, refused, policy, sleep)
        if update.status == "dead":
            dead_runs.add(order.run_id)
            logger.error(
                "order %s dead-lettered: %s",
                order.client_order_id,
                update.reason,
                extra={
                    "event": "order_dead_lettered",
                    "client_order_id": order.client_order_id,
                    "deployment_id": order.deployment_id,
                    "account": account,
                    "run_id": order.run_id,
                },
            )
        updates.append(update)
    report = DispatchReport()
    for order in store.update_orders(owner, updates):
        {
            "dead": report.dead,
            "rejected": report.rejected,
            "canceled": report.canceled,
        }.get(order.status, report.submitted).append(order)
    return report


def _send(
    order: QueuedOrder,
    submit: Callable[[QueuedOrder], BrokerOrder],
    refused: Literal["rejected", "dead"],
    policy: RetryPolicy,
    sleep: Callable[[float], None],
) -> OrderUpdate:
    attempts = order.attempts
    while True:
        attempts += 1
        try:
            placed = submit(order)
        except BrokerRejectedError as exc:
            reason = str(exc) if refused == "rejected" else f"refused by the broker: {exc}"
            return OrderUpdate(
                order.client_order_id, "queued", refused, attempts=attempts, reason=reason
            )
        except BrokerUnavailableError as exc:
            if attempts >= policy.max_attempts:
                reason = f"broker unavailable after {attempts} attempts: {exc}"
                return OrderUpdate(
                    order.client_order_id, "queued", "dead", attempts=attempts, reason=reason
                )
            sleep(policy.delay(attempts - order.attempts))
            continue
        return as_sent(_from_broker(order, placed, attempts=attempts))


OrdersStatus = Literal["filled", "no_trades", "open", "failed"]


def orders_status(
    orders: Sequence[QueuedOrder], what: str = "orders"
) -> tuple[OrdersStatus, str | None]:
    """What a run's `orders` came to, and why when it is not `filled` or `no_trades`: `failed`
    when any ended unfilled, else `open` while any is still working at the broker. `what` names
    the orders in the reason ("orders", "hedge orders")."""
    if not orders:
        return "no_trades", None
    unfilled = [o for o in orders if not o.is_open and o.status != "filled"]
    if unfilled:
        reasons = "; ".join(f"{o.symbol} {o.side} {o.status}: {o.reason}" for o in unfilled)
        return "failed", f"{len(unfilled)} of {len(orders)} {what} did not fill: {reasons}"
    still_open = [o for o in orders if o.is_open]
    if still_open:
        return "open", f"{len(still_open)} of {len(orders)} {what} are still working at the broker"
    return "filled", None


def as_sent(update: OrderUpdate) -> OrderUpdate:
    """What a dispatch records of an order the broker took: `submitted` when the broker says it
    already filled (wholly or partly), since its fills are recorded by the next sync together
    with its status; the update itself otherwise."""
    if not update.filled_quantity:
        return update
    return OrderUpdate(
        update.client_order_id, update.expected_status, "submitted", attempts=update.attempts
    )


def covered(updates: Sequence[OrderUpdate], filled: Mapping[str, float]) -> list[OrderUpdate]:
    """The updates whose filled quantity the ledger's fills (`filled`: quantity per order id,
    those about to be written included) hold; the others wait for their fills."""
    kept = []
    for update in updates:
        quantity = update.filled_quantity or 0.0
        if quantity <= filled.get(update.client_order_id, 0.0) + QUANTITY_TOLERANCE:
            kept.append(update)
        else:
            logger.info(
                "order %s: the broker reports %s filled, its fills hold %s: status kept until "
                "its fills are listed",
                update.client_order_id,
                quantity,
                filled.get(update.client_order_id, 0.0),
                extra={"event": "order_fills_pending", "client_order_id": update.client_order_id},
            )
    return kept


def write_executions(
    store: Store,
    owner: str,
    book: str,
    entries: Sequence[LedgerEntry],
    updates: Sequence[OrderUpdate],
) -> list[QueuedOrder]:
    """Write `entries` (in their order) and `updates` with `Store.record_executions`: all in
    one atomic write when they fit (`MAX_WRITES_PER_EXECUTION`), else in consecutive writes,
    each order's update in the write that holds its last entry (an update without entries in
    the last write). A failure between two writes leaves fills without their order's new status
    (the next sync writes it), never a status without its fills. Returns the updated orders."""
    last: dict[str, int] = {e.order_id: i for i, e in enumerate(entries) if e.order_id}
    with_entry: dict[int, list[OrderUpdate]] = {}
    alone: list[OrderUpdate] = []
    for update in updates:
        index = last.get(update.client_order_id)
        (alone if index is None else with_entry.setdefault(index, [])).append(update)
    writes: list[tuple[list[LedgerEntry], list[OrderUpdate]]] = [([], [])]
    steps = [([e], with_entry.get(i, [])) for i, e in enumerate(entries)]
    steps += [([], [u]) for u in alone]
    for step_entries, step_updates in steps:
        size = len(writes[-1][0]) + len(writes[-1][1]) + len(step_entries) + len(step_updates)
        if size > MAX_WRITES_PER_EXECUTION:
            writes.append(([], []))
        writes[-1][0].extend(step_entries)
        writes[-1][1].extend(step_updates)
    stored: list[QueuedOrder] = []
    for write_entries, write_updates in writes:
        if write_entries or write_updates:
            stored += store.record_executions(owner, book, write_entries, write_updates).orders
    return stored


def _from_broker(
    order: QueuedOrder, placed: BrokerOrder, *, attempts: int | None = None
) -> OrderUpdate:
    return OrderUpdate(
        order.client_order_id,
        order.status,
        STATUS_FROM_BROKER[placed.status],
        attempts=attempts,
        filled_quantity=placed.filled_quantity,
        average_price=placed.average_fill_price,
        reason=placed.reason,
    )


def _changed(order: QueuedOrder, update: OrderUpdate) -> bool:
    return (update.status, update.filled_quantity, update.average_price) != (
        order.status,
        order.filled_quantity,
        order.average_price,
    )


def sync(
    store: Store, owner: str, account: str, broker: Broker, ledger: AccountLedger
) -> list[QueuedOrder]:
    """Bring the account's sent orders up to date with the broker and record the account's new
    fills in `ledger`, together (`write_executions`; none from before the ledger opened: an
    Alpaca account's earlier history is not the deployment's); returns the account's orders
    still open. Retried when another worker changed an order meanwhile."""
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            return _sync(store, owner, account, broker, ledger)
        except ConflictError:
            if attempt == SYNC_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def record_with_fills(
    store: Store,
    owner: str,
    broker: Broker,
    ledger: AccountLedger,
    updates: Sequence[OrderUpdate],
) -> list[OrderUpdate]:
    """Write `updates` together with the account's new fills (those since the ledger's last
    one, none from before it opened), leaving out the updates whose filled quantity the fills
    do not hold yet (`covered`); the updates written."""
    since = ledger.opened_at
    if since is not None and ledger.last_fill_time is not None:
        since = max(since, ledger.last_fill_time - FILL_LOOKBACK)
    new = ledger.new_items(broker.fills(since))
    filled = dict(ledger.filled)
    for item in new:
        if not isinstance(item, CashFlow):
            filled[item.order_id] = filled.get(item.order_id, 0.0) + item.quantity
    kept = covered(updates, filled)
    write_executions(store, owner, ledger.book_id, [to_entry(i) for i in new], kept)
    ledger.applied(new)
    return kept


def _sync(
    store: Store, owner: str, account: str, broker: Broker, ledger: AccountLedger
) -> list[QueuedOrder]:
    orders = store.open_orders(owner, account)
    updates = [
        update
        for order in orders
        if order.status != "queued"
        for update in [_from_broker(order, broker.order(order.client_order_id))]
        if _changed(order, update)
    ]
    updates = record_with_fills(store, owner, broker, ledger, updates)
    return store.open_orders(owner, account) if updates else orders
