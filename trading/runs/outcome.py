"""What a run did: one outcome type for the rebalance and the hedge runs (`RunOutcome`), and
what a run's orders came to.

`status`: `filled` (every order of the run filled), `no_trades` (nothing to trade), `open`
(orders still working at the broker: the run is not finished), `failed` (an order was rejected,
dead-lettered or canceled, or a hedge plan could not be made; `reason` says which and why),
`blocked` (a rebalance whose plan breaks a limit: nothing sent) or `skipped` (the deployment
is not active, or its hedging is halted).

As JSON (a rebalance job's result and a hedge run's `hedge_run` event) the status is stored as
`outcome` (a job result's `status` is the job's own), and each order is rendered by its
instrument kind: shares as `quantity` and `filled_quantity`, options as `contracts` and
`filled_contracts`; an order of an account several deployments share also gives its
`allocations` (deployment id -> shares) and whether it `crossed` inside the account.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from execution.deployment import LimitBreach
from store import QueuedOrder
from trading.ledger import Reconciliation
from trading.queue import order_kind

RunKind = Literal["rebalance", "hedge"]
RunStatus = Literal["filled", "no_trades", "open", "failed", "blocked", "skipped"]
OrdersStatus = Literal["filled", "no_trades", "open", "failed"]
QUANTITY_NAMES = {
    "stock": ("quantity", "filled_quantity"),
    "option": ("contracts", "filled_contracts"),
}
"""The names of an order's quantity and filled quantity, by its instrument kind."""


def order_json(order: QueuedOrder) -> dict[str, Any]:
    """An order of a run as JSON, its quantities named by its instrument kind."""
    quantity, filled = QUANTITY_NAMES[order_kind(order.client_order_id)]
    return {
        "client_order_id": order.client_order_id,
        "symbol": order.symbol,
        "side": order.side,
        quantity: order.quantity,
        "status": order.status,
        filled: order.filled_quantity,
        "average_price": order.average_price,
        "attempts": order.attempts,
        "reason": order.reason,
        **(
            {
                "allocations": {a.deployment_id: a.quantity for a in order.allocations},
                "crossed": order.internal_price is not None,
            }
            if order.allocations
            else {}
        ),
    }


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


@dataclass
class RunOutcome:
    """What a run of `kind` did (see the module docstring for `status`). A rebalance's also
    says its `targets`, the limits it broke, notes, the reconciliation, the account's `equity`
    after it and whether it `paused` the deployment; a hedge's, its `plan` (as recorded by its
    `hedge_planned` event), the contracts held after it per OCC symbol and the hedge's net
    `cash` (currency)."""

    kind: RunKind
    deployment_id: str
    run_id: str
    fire: datetime
    status: RunStatus
    reason: str | None = None
    orders: list[QueuedOrder] = field(default_factory=list)
    targets: dict[str, float] = field(default_factory=dict)
    breaches: list[LimitBreach] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reconciliation: Reconciliation | None = None
    equity: float | None = None
    paused: bool = False
    plan: dict[str, Any] | None = None
    positions: dict[str, int] = field(default_factory=dict)
    cash: float = 0.0
    account: dict[str, Any] | None = None
    """On an account several deployments share: the account's run (`trading.runs.rebalance.
    rebalance_shared`): the account, its deciding members, the netted orders and conflicts."""

    def to_json(self) -> dict[str, Any]:
        """The outcome as JSON: a rebalance job's result, a hedge run's `hedge_run` event."""
        head = {
            "deployment_id": self.deployment_id,
            "run_id": self.run_id,
            "fire": self.fire.isoformat(),
            "outcome": self.status,
            "reason": self.reason,
        }
        orders = [order_json(o) for o in self.orders]
        if self.kind == "hedge":
            return {
                **head,
                "plan": self.plan,
                "orders": orders,
                "positions": self.positions,
                "cash": self.cash,
            }
        return {
            **head,
            "targets": self.targets,
            "orders": orders,
            "breaches": [b.__dict__ for b in self.breaches],
            "notes": self.notes,
            "reconciliation": None
            if self.reconciliation is None
            else self.reconciliation.to_json(),
            "equity": self.equity,
            "paused": self.paused,
            **({} if self.account is None else {"account": self.account}),
        }

    def summary(self) -> dict[str, Any]:
        """What a rebalance did in a few fields (its `run_finished` event): the outcome and
        why, orders and fills, the account's value after it, the limits it broke, whether it
        paused the deployment and whether the books reconciled."""
        return {
            "run_id": self.run_id,
            "fire": self.fire.isoformat(),
            "outcome": self.status,
            "reason": self.reason,
            "orders": len(self.orders),
            "filled": sum(order.status == "filled" for order in self.orders),
            "equity": self.equity,
            "breaches": [breach.limit for breach in self.breaches],
            "reconciled": None if self.reconciliation is None else self.reconciliation.matches,
            "paused": self.paused,
            **({} if self.account is None else {"account": self.account}),
        }
