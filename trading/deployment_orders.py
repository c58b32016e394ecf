"""A deployment's orders: the one way every view lists them (`GET /v1/deployments/{id}/orders`
and its HTML report, `stratigos deploy orders`, the tearsheets, the hedge's view, the web UI
and MCP read this list).

A deployment's orders are the orders it enqueued itself (on its own account, and its hedge's
on `hedge-<id>`) and, on an account several deployments share, every order of the account
with an allocation to it: a netted order belongs to each strategy that asked for a part of it,
and to each with **that strategy's part** (`DeploymentOrder.quantity`: its allocation;
`filled_quantity`: what its book holds of the order's fills, the slices
`execution.netting.attribute_fill` wrote), beside the account's whole order (`order`). Orders
come by account, then in queue order.
"""

from __future__ import annotations

from dataclasses import dataclass

from store import Deployment, QueuedOrder, Store
from trading.deployments import account_of, is_shared
from trading.ledger import Ledger


@dataclass(frozen=True)
class DeploymentOrder:
    """An order as one deployment sees it: the queue's `order`, the deployment's part of it
    (`quantity`, shares or contracts) and of its fills (`filled_quantity`); for an order of
    the deployment's own, the order's."""

    order: QueuedOrder
    quantity: float
    filled_quantity: float

    @property
    def netted(self) -> bool:
        """Whether the order is a shared account's (its allocations say whose parts)."""
        return bool(self.order.allocations)

    @property
    def crossed(self) -> bool:
        """Whether it crossed inside the shared account (never sent to the broker)."""
        return self.order.internal_price is not None


def deployment_orders(store: Store, deployment: Deployment) -> list[DeploymentOrder]:
    """The deployment's orders, each with its part (see the module docstring), by account and
    sequence."""
    own = [
        DeploymentOrder(o, o.quantity, o.filled_quantity)
        for o in store.list_orders(deployment.owner, deployment_id=deployment.id)
    ]
    if not is_shared(deployment):
        return own
    netted = [
        o
        for o in store.list_orders(deployment.owner, deployment_id=account_of(deployment))
        if any(a.deployment_id == deployment.id for a in o.allocations)
    ]
    filled = Ledger(store, deployment.owner, deployment.id).filled if netted else {}
    parts = [
        DeploymentOrder(
            o,
            sum(a.quantity for a in o.allocations if a.deployment_id == deployment.id),
            filled.get(o.client_order_id, 0.0),
        )
        for o in netted
    ]
    return sorted(own + parts, key=lambda o: (o.order.account, o.order.sequence))
