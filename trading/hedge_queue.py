"""The hedge queue: a deployment's option orders sent to its hedge account first in first out,
with bounded retries and a dead-letter queue, apart from the stock orders' execution queue.

The queue is the store's order queue of the account `hedge-<deployment id>` (its own FIFO):
an order's `symbol` is the OCC symbol, `quantity` contracts, and its client order id
`hdg-<16 hex>-<index>-<intent>` carries the position intent (bo, so, bc, sc: buy/sell to
open/close), so a resumed run resends exactly what it planned. Orders are sent as market orders:
the paper account fills them at the model price (the plan's model and limit prices are in the
run's `hedge_run` event).

Sending: a broker that cannot be reached is tried again after `RetryPolicy.delay` seconds, up to
`max_attempts`; then the order is dead-lettered (`dead`). A broker's refusal dead-letters it at
once (a poisoned message: trying again cannot help), with the broker's reason. Either way the
queued orders after it from the same run are canceled: a roll is sent whole or not at all.

An order the broker reports filled as it is submitted is recorded `submitted`: its fills and
status are recorded together by the next sync.

Syncing: the account's new trades and settlements and each sent order's new status are written
in **one atomic write** (`trading.execution_queue.write_executions`: one SQLite transaction, one
DynamoDB `TransactWriteItems`), so an order is `filled` in the store exactly when its fills are
in the ledger: a worker dying at the write leaves neither, and the next sync writes both (ledger
entries are idempotent by id). An order the broker reports filled beyond the contracts its
listed trades hold keeps its status until they are listed. A partial fill is stored as
`partially_filled` with the contracts filled.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable

from execution.brokers.base import BrokerOrder, OptionOrderRequest, OptionsBroker
from execution.errors import BrokerRejectedError
from store import ConflictError, OrderUpdate, QueuedOrder, Store
from trading.execution_queue import (
    STATUS_FROM_BROKER,
    SYNC_ATTEMPTS,
    DispatchReport,
    RetryPolicy,
    covered,
    dispatch_orders,
    write_executions,
)
from trading.hedge_accounts import HedgeBroker, HedgeLedger, to_entry

INTENT_CODES = {
    "buy_to_open": "bo",
    "sell_to_open": "so",
    "buy_to_close": "bc",
    "sell_to_close": "sc",
}
_INTENTS = {code: intent for intent, code in INTENT_CODES.items()}


def hedge_order_id(deployment_id: str, run_id: str, index: int, intent: str) -> str:
    """The client order id of the `index`-th order of a hedge run (the same for every attempt
    of the run; 26 characters)."""
    digest = hashlib.sha256(f"{deployment_id}|hedge|{run_id}".encode()).hexdigest()
    return f"hdg-{digest[:16]}-{index:02d}-{INTENT_CODES[intent]}"


def intent_of(client_order_id: str) -> str:
    """The position intent a hedge order's client order id carries."""
    code = client_order_id.rsplit("-", 1)[-1]
    if code not in _INTENTS:
        raise BrokerRejectedError(f"{client_order_id!r} is not a hedge order id (no intent)")
    return _INTENTS[code]


def dispatch_hedges(
    store: Store,
    owner: str,
    account: str,
    broker: OptionsBroker,
    *,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> DispatchReport:
    """Send the hedge account's queued option orders (`trading.execution_queue.dispatch_orders`:
    a refused hedge order is a dead letter, and the rest of its hedge run is canceled)."""

    def submit(order: QueuedOrder) -> BrokerOrder:
        request = OptionOrderRequest(
            order.client_order_id,
            order.symbol,
            order.side,
            intent_of(order.client_order_id),
            round(order.quantity),
        )
        return broker.submit_option(request)

    return dispatch_orders(store, owner, account, submit, refused="dead", retry=retry, sleep=sleep)


def sync_hedges(
    store: Store, owner: str, account: str, broker: HedgeBroker, ledger: HedgeLedger
) -> list[QueuedOrder]:
    """Bring the account's sent orders up to date with the broker and record its new trades
    and settlements in `ledger`, together (see the module docstring); the account's orders
    still open. Retried when another worker changed an order meanwhile."""
    for attempt in range(1, SYNC_ATTEMPTS + 1):
        try:
            return _sync(store, owner, account, broker, ledger)
        except ConflictError:
            if attempt == SYNC_ATTEMPTS:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def _sync(
    store: Store, owner: str, account: str, broker: HedgeBroker, ledger: HedgeLedger
) -> list[QueuedOrder]:
    updates = []
    for order in store.open_orders(owner, account):
        if order.status == "queued":
            continue
        placed = broker.option_order(order.client_order_id)
        update = OrderUpdate(
            order.client_order_id,
            order.status,
            STATUS_FROM_BROKER[placed.status],
            filled_quantity=placed.filled_quantity,
            average_price=placed.average_fill_price,
            reason=placed.reason,
        )
        if (update.status, update.filled_quantity) != (order.status, order.filled_quantity):
            updates.append(update)
    new = ledger.new_fills(broker.option_fills(ledger.last_time))
    filled = dict(ledger.filled)
    for fill in new:
        if fill.event == "trade":
            filled[fill.order_id] = filled.get(fill.order_id, 0) + fill.contracts
    new.sort(key=lambda f: f.time)
    write_executions(store, owner, account, [to_entry(f) for f in new], covered(updates, filled))
    ledger.applied(new)
    return store.open_orders(owner, account)
