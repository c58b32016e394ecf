"""The order queue: one pipeline for both instrument kinds. A deployment's orders on one account
(`account`: the broker account of its shares, `paper-<id>` or `alpaca-<number>`, or of its
hedge's options, `hedge-<id>`) are the store's first-in-first-out queue of that account: sent
to the account's broker with bounded retries and a dead-letter state, and brought back from it
with their fills into the account's ledger.

Orders: a run's orders get client order ids that are the same on every attempt of the run, so a
retried or resumed run never trades twice: `stg-<16 hex>-<index>` for the shares of a rebalance,
`hdg-<16 hex>-<index>-<intent>` for the options of a hedge, whose id carries the position intent
(bo, so, bc, sc: buy/sell to open/close) that makes it an option order (`order_request`).
Option orders are sent as market orders: the paper options account fills them at the model
price; the Alpaca options account prices its own (`trading.accounts.alpaca`).

Sending: each queued order is submitted under its client order id (the broker places it at most
once). A broker that cannot be reached is tried again after `RetryPolicy.delay` seconds, up to
`max_attempts` attempts per order; then the order is dead-lettered (status `dead`) and the queued
orders after it from the same run are canceled (a run is sent whole or not at all). An order the
broker refuses takes its kind's refusal status (`REFUSED`): a share order is `rejected` with the
broker's reason; an option order is a dead letter at once (a poisoned message: trying again
cannot help), which cancels the rest of its run like any dead letter. An order the broker
reports filled (or partly) as it is submitted is recorded `submitted`: its fills and its status
are recorded together by the sync that follows.

Syncing: each sent order takes the broker's status, filled quantity and average price, and the
account's new fills (since the ledger's last one; for options, trades and settlements) go to
the ledger, **in one atomic write** (`write_executions`, `Store.record_executions`: one SQLite
transaction, one DynamoDB `TransactWriteItems`): the store never holds an order filled without
its fills, nor fills whose order's new status was lost. An order the broker reports filled
beyond what its fills listed so far hold keeps its status until they are listed (the next sync).
So an order is `filled` or `partially_filled` exactly when its fills in the ledger add up to its
filled quantity; `rejected` and `dead` orders have none (a broker's `rejected` after a part filled
is recorded `canceled`, with that part, and the store refuses a rejected order with fills).
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
from execution.instruments import InstrumentKind
from execution.ledger import CashFlow
from execution.options import PositionIntent
from settings import metrics
from store import ConflictError, LedgerEntry, NewOrder, OrderUpdate, QueuedOrder, Store
from store.executions import MAX_WRITES_PER_EXECUTION, RecordedExecutions, execution_size
from trading.ledger import AccountLedger, Ledger, to_entry

STATUS_FROM_BROKER = {
    "new": "submitted",
    "partially_filled": "partially_filled",
    "filled": "filled",
    "canceled": "canceled",
    "rejected": "rejected",
}
REFUSED: dict[InstrumentKind, Literal["rejected", "dead"]] = {"stock": "rejected", "option": "dead"}
"""The status of an order the broker refuses, by its instrument kind (see the module docstring)."""
logger = logging.getLogger("stratigos.execution")
QUANTITY_TOLERANCE = 1e-9
"""Shares (or contracts) by which an order's filled quantity may exceed its fills' sum."""
SYNC_ATTEMPTS = 3
"""Syncs tried when another worker changed an order's status meanwhile."""
FILL_LOOKBACK = timedelta(seconds=1)
"""How far before the ledger's last fill the broker's fills are read again (duplicates are
recognised by fill id), so fills stamped with the same time are never missed."""
ENQUEUE_CHUNK = 45
"""Orders enqueued per store write."""
INTENT_CODES: dict[PositionIntent, str] = {
    "buy_to_open": "bo",
    "sell_to_open": "so",
    "buy_to_close": "bc",
    "sell_to_close": "sc",
}
_INTENTS = {code: intent for intent, code in INTENT_CODES.items()}
HEDGE_ORDER_PREFIX = "hdg-"


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
    """The client order id of the `index`-th order of a deployment's rebalance at `fire`: the
    same for every attempt of that run, unique across runs, 23 characters (brokers allow 48)."""
    digest = hashlib.sha256(f"{deployment_id}|{fire.isoformat()}".encode()).hexdigest()
    return f"stg-{digest[:16]}-{index:02d}"


def hedge_order_id(deployment_id: str, run_id: str, index: int, intent: PositionIntent) -> str:
    """The client order id of the `index`-th order of a hedge run `run_id` (the same for every
    attempt of the run; 26 characters), carrying the order's position intent."""
    digest = hashlib.sha256(f"{deployment_id}|hedge|{run_id}".encode()).hexdigest()
    return f"{HEDGE_ORDER_PREFIX}{digest[:16]}-{index:02d}-{INTENT_CODES[intent]}"


def order_kind(client_order_id: str) -> InstrumentKind:
    """The instrument kind of a queued order: `option` for a hedge order (its id carries a
    position intent), `stock` for any other."""
    return "option" if client_order_id.startswith(HEDGE_ORDER_PREFIX) else "stock"


def intent_of(client_order_id: str) -> PositionIntent:
    """The position intent a hedge order's client order id carries (`BrokerRejectedError` for
    an id without one)."""
    code = client_order_id.rsplit("-", 1)[-1]
    if code not in _INTENTS:
        raise BrokerRejectedError(f"{client_order_id!r} is not a hedge order id (no intent)")
    return _INTENTS[code]


def order_request(order: QueuedOrder) -> OrderRequest:
    """What the broker is sent for a queued order: its shares, or (an order whose id carries a
    position intent) its whole contracts with that intent."""
    if order_kind(order.client_order_id) == "stock":
        return OrderRequest(order.client_order_id, order.symbol, order.side, order.quantity)
    intent = intent_of(order.client_order_id)
    return OrderRequest(
        order.client_order_id, order.symbol, order.side, round(order.quantity), intent
    )


def enqueue(
    store: Store,
    owner: str,
    account: str,
    deployment_id: str,
    run_id: str,
    orders: Sequence[NewOrder],
) -> list[QueuedOrder]:
    """Append a run's orders to the account's queue, in their order (`ENQUEUE_CHUNK` a write;
    idempotent by client order id); returns them as stored, in queue order."""
    stored: list[QueuedOrder] = []
    for start in range(0, len(orders), ENQUEUE_CHUNK):
        stored += store.enqueue_orders(
            owner, account, deployment_id, run_id, list(orders[start : start + ENQUEUE_CHUNK])
        )
    return stored


def run_orders(
    store: Store, owner: str, account: str, deployment_id: str, run_id: str
) -> list[QueuedOrder]:
    """The orders of a deployment's run on the account's queue, in queue order."""
    orders = store.list_orders(owner, deployment_id=deployment_id, run_id=run_id)
    return [order for order in orders if order.account == account]


@dataclass
class DispatchReport:
    """What a dispatch did: orders submitted, rejected by the broker, dead-lettered, and
    canceled because an earlier order of their run was dead-lettered."""

    submitted: list[QueuedOrder] = field(default_factory=list)
    rejected: list[QueuedOrder] = field(default_factory=list)
    dead: list[QueuedOrder] = field(default_factory=list)
    canceled: list[QueuedOrder] = field(default_factory=list)

    def orders(self) -> list[QueuedOrder]:
        """Every order the dispatch wrote, as its write left it."""
        return [*self.submitted, *self.rejected, *self.dead, *self.canceled]


def dispatch(
    store: Store,
    owner: str,
    account: str,
    broker: Broker,
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    orders: Sequence[QueuedOrder] | None = None,
) -> DispatchReport:
    """Send the account's queued orders to `broker` in queue order (see the module docstring):
    `orders`, the account's open orders in queue order as the caller has just read and written
    them (None: read from the store). What the broker said is recorded after the orders are
    sent, in one write: a worker that dies before it leaves them queued, and the next one sends
    them again under the same client order ids, which the broker recognises. Every dead letter
    is logged as an `order_dead_lettered` event (what the operations alarm counts)."""
    policy = retry or RetryPolicy()
    updates: list[OrderUpdate] = []
    dead_runs: set[str] = set()
    for order in store.open_orders(owner, account) if orders is None else orders:
        if order.status != "queued" or order.internal_price is not None:
            continue  # sent already, or a crossing inside the account (never sent)
        if order.run_id in dead_runs:
            reason = "not sent: an earlier order of its run was dead-lettered"
            updates.append(OrderUpdate(order.client_order_id, "queued", "canceled", reason=reason))
            continue
        update = _send(order, broker, policy, sleep)
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
    if report.rejected:
        metrics.orders_finished(0, len(report.rejected))
    return report


def _send(
    order: QueuedOrder, broker: Broker, policy: RetryPolicy, sleep: Callable[[float], None]
) -> OrderUpdate:
    attempts = order.attempts
    while True:
        attempts += 1
        try:
            placed = broker.submit(order_request(order))
        except BrokerRejectedError as exc:
            refused = REFUSED[order_kind(order.client_order_id)]
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
    entries: Sequence[tuple[str, LedgerEntry]],
    updates: Sequence[OrderUpdate],
) -> list[QueuedOrder]:
    """Write `entries` (each with its book, in their order) and `updates` with
    `Store.record_executions`: all in one atomic write when they fit
    (`MAX_WRITES_PER_EXECUTION`, each book beyond the first counted), else in consecutive
    writes, each order's update in the write that holds its last entry (an update without
    entries in the last write), the slices of one fill (same order, same time) kept together.
    A failure between two writes leaves fills without their order's new status (the next sync
    writes it), never a status without its fills. Returns the updated orders."""
    last: dict[str, int] = {e.order_id: i for i, (_, e) in enumerate(entries) if e.order_id}
    with_entry: dict[int, list[OrderUpdate]] = {}
    alone: list[OrderUpdate] = []
    for update in updates:
        index = last.get(update.client_order_id)
        (alone if index is None else with_entry.setdefault(index, [])).append(update)
    steps: list[tuple[list[tuple[str, LedgerEntry]], list[OrderUpdate]]] = []
    for i, (book, entry) in enumerate(entries):
        same_fill = (
            steps
            and steps[-1][0]
            and (steps[-1][0][-1][1].order_id, steps[-1][0][-1][1].time)
            == (entry.order_id, entry.time)
            and steps[-1][0][-1][0] != book
        )
        if same_fill:
            steps[-1][0].append((book, entry))
            steps[-1][1].extend(with_entry.get(i, []))
        else:
            steps.append(([(book, entry)], with_entry.get(i, [])))
    steps += [([], [u]) for u in alone]
    writes: list[tuple[list[tuple[str, LedgerEntry]], list[OrderUpdate]]] = [([], [])]
    for step_entries, step_updates in steps:
        grown = [*writes[-1][0], *step_entries]
        size = execution_size(
            len(grown), len(writes[-1][1]) + len(step_updates), len({b for b, _ in grown})
        )
        if size > MAX_WRITES_PER_EXECUTION:
            writes.append(([], []))
        writes[-1][0].extend(step_entries)
        writes[-1][1].extend(step_updates)
    stored: list[QueuedOrder] = []
    for write_entries, write_updates in writes:
        if write_entries or write_updates:
            stored += _record(store, owner, write_entries, write_updates).orders
    if filled := sum(order.status == "filled" for order in stored):
        metrics.orders_finished(filled, 0)
    return stored


def _record(
    store: Store,
    owner: str,
    entries: Sequence[tuple[str, LedgerEntry]],
    updates: Sequence[OrderUpdate],
) -> RecordedExecutions:
    """One `Store.record_executions` write of `entries` (by book) and `updates`."""
    books: dict[str, list[LedgerEntry]] = {}
    for book, entry in entries:
        books.setdefault(book, []).append(entry)
    if not books:  # updates alone: no book is written (the name is not used)
        return store.record_executions(owner, "-", [], updates)
    first, *rest = books
    if not rest:
        return store.record_executions(owner, first, books[first], updates)
    return store.record_executions(
        owner, first, books[first], updates, other_books={b: books[b] for b in rest}
    )


def _from_broker(
    order: QueuedOrder, placed: BrokerOrder, *, attempts: int | None = None
) -> OrderUpdate:
    status = STATUS_FROM_BROKER[placed.status]
    if status == "rejected" and placed.filled_quantity > 0:
        status = "canceled"  # a part filled: the rest was refused, the order is not rejected
    return OrderUpdate(
        order.client_order_id,
        order.status,
        status,
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
    store: Store, owner: str, account: str, broker: Broker, ledger: Ledger | AccountLedger
) -> list[QueuedOrder]:
    """Bring the account's sent orders up to date with the broker and record the account's new
    fills in `ledger`, together (`write_executions`; none from before the ledger opened: an
    Alpaca account's earlier history is not the deployment's); returns the account's orders
    still open (those open when the sync read them, as its write left them). Retried when
    another worker changed an order meanwhile."""
    return [o for o in _synced(store, owner, account, broker, ledger) if o.is_open]


def _synced(
    store: Store, owner: str, account: str, broker: Broker, ledger: Ledger | AccountLedger
) -> list[QueuedOrder]:
    """`sync`: every order it read (the account's open orders then), as its write left them,
    in queue order."""
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
    ledger: Ledger | AccountLedger,
    updates: Sequence[OrderUpdate],
) -> list[OrderUpdate]:
    """Write `updates` together with the account's new fills (those since the ledger's last
    one, none from before it opened), leaving out the updates whose filled quantity the fills
    do not hold yet (`covered`); the updates written."""
    return _record_with_fills(store, owner, broker, ledger, updates)[0]


def _record_with_fills(
    store: Store,
    owner: str,
    broker: Broker,
    ledger: Ledger | AccountLedger,
    updates: Sequence[OrderUpdate],
) -> tuple[list[OrderUpdate], list[QueuedOrder]]:
    """`record_with_fills`: the updates written and the orders as the write left them."""
    since = ledger.opened_at
    if since is not None and ledger.last_fill_time is not None:
        since = max(since, ledger.last_fill_time - FILL_LOOKBACK)
    new = ledger.new_items(broker.fills(since))
    arriving: dict[str, float] = {}
    for item in new:
        if isinstance(item, CashFlow) or item.event != "trade":
            continue
        arriving[item.order_id] = arriving.get(item.order_id, 0.0) + item.quantity
    filled = {
        update.client_order_id: ledger.filled.get(update.client_order_id, 0.0)
        + arriving.get(update.client_order_id, 0.0)
        for update in updates
    }
    kept = covered(updates, filled)
    written = write_executions(store, owner, ledger.entries_for(new), kept)
    ledger.applied(new)
    return kept, written


def _sync(
    store: Store, owner: str, account: str, broker: Broker, ledger: Ledger | AccountLedger
) -> list[QueuedOrder]:
    orders = store.open_orders(owner, account)
    updates = [
        update
        for order in orders
        if order.status != "queued"
        for update in [_from_broker(order, broker.order(order.client_order_id))]
        if _changed(order, update)
    ]
    _, written = _record_with_fills(store, owner, broker, ledger, updates)
    return latest(orders, written)


def latest(orders: Sequence[QueuedOrder], newer: Sequence[QueuedOrder]) -> list[QueuedOrder]:
    """`orders` and `newer` (orders of the same account, e.g. as a later write left them), each
    order in its `newer` version when there is one, in queue order."""
    merged = {order.client_order_id: order for order in orders}
    merged.update((order.client_order_id, order) for order in newer)
    return sorted(merged.values(), key=lambda order: order.sequence)


@dataclass(frozen=True)
class AccountQueue:
    """A deployment's order queue on one account, as a run uses it: the store's queue of
    `account` (owned by `owner`), sent to `broker` under `retry` (`sleep` between retries),
    its fills recorded in `ledger` (a shared account's: its members' books)."""

    store: Store
    owner: str
    account: str
    broker: Broker
    ledger: Ledger | AccountLedger
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep


def trade_run(
    queue: AccountQueue,
    deployment_id: str,
    run_id: str,
    plan: Callable[[], Sequence[NewOrder] | None],
    settle: Callable[[], None],
    *,
    crossed_at: datetime | None = None,
) -> list[QueuedOrder] | None:
    """A run's trading through the queue, the same for every instrument kind: sync the
    account's earlier orders (first in first out); unless an order of the run was sent already
    (a resumed run: its orders are those of its first attempt), `plan()` the run's orders and
    enqueue them (None from `plan` stops the run: nothing is sent, and None is returned); fill
    the run's crossings inside a shared account at `crossed_at` (`fill_crossings`); send
    the queue; `settle()` (let the orders fill: a simulated account moves to its next bar);
    sync again. Returns the run's orders as they then are.

    The queue is read once before the run's orders are enqueued and once after they are sent:
    the dispatch sends the open orders the first sync left and those the run enqueued, and
    the run's orders are returned as this run's writes and the last sync left them."""
    store, owner, account = queue.store, queue.owner, queue.account
    before = [o for o in _synced(store, owner, account, queue.broker, queue.ledger) if o.is_open]
    run = run_orders(store, owner, account, deployment_id, run_id)
    if all(o.status == "queued" for o in run):
        orders = plan()
        if orders is None:
            return None
        run = latest(run, enqueue(store, owner, account, deployment_id, run_id, orders))
    if isinstance(queue.ledger, AccountLedger) and crossed_at is not None:
        run = latest(run, fill_crossings(store, owner, queue.ledger, run, crossed_at))
    waiting = [o for o in latest(before, run) if o.is_open]
    report = dispatch(
        store, owner, account, queue.broker, retry=queue.retry, sleep=queue.sleep, orders=waiting
    )
    run = latest(run, report.orders())
    settle()
    synced = _synced(store, owner, account, queue.broker, queue.ledger)
    return _as_synced(store, owner, account, deployment_id, run_id, run, synced)


def _as_synced(
    store: Store,
    owner: str,
    account: str,
    deployment_id: str,
    run_id: str,
    run: list[QueuedOrder],
    synced: list[QueuedOrder],
) -> list[QueuedOrder]:
    """The run's orders (`run`: as this run last wrote or read them) after the last sync
    (`synced`: the orders it read, as its write left them): an order the sync read as it left
    it, one it did not read (closed before it) as the run last knew it when that is final;
    read from the store again when it is not (another worker closed it meanwhile)."""
    after = {order.client_order_id: order for order in synced}
    orders = [after.get(order.client_order_id, order) for order in run]
    if any(order.is_open and order.client_order_id not in after for order in orders):
        return run_orders(store, owner, account, deployment_id, run_id)
    return orders


def fill_crossings(
    store: Store,
    owner: str,
    ledger: AccountLedger,
    orders: Sequence[QueuedOrder],
    when: datetime,
) -> list[QueuedOrder]:
    """Fill the queued crossings among `orders` (`internal_price`: one strategy of a shared
    account buys what another sells) at `when`: each one's fills in its members' books and its
    status `filled`, in one atomic write per crossing (`write_executions`); the orders
    written."""
    written: list[QueuedOrder] = []
    for order in orders:
        if order.internal_price is None or order.status != "queued":
            continue
        slices = ledger.crossing_slices(order, when)
        update = OrderUpdate(
            order.client_order_id,
            "queued",
            "filled",
            filled_quantity=order.quantity,
            average_price=order.internal_price,
            reason="crossed inside the account",
        )
        written += write_executions(store, owner, [(d, to_entry(f)) for d, f in slices], [update])
        ledger.applied_slices(slices)
    return written
