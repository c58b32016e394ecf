"""Accounts several deployments share (`trading.deployments.is_shared`): who trades them, who
decides at a decision time, what they trade, and their ledger.

An account's **members** are the owner's deployments on it (forward tests are never members:
they trade their own accounts), oldest first, whatever their status: a paused or retired
member's shares and cash stay in the account and in its own book. At a decision time (a fire)
the **deciding** members are the active ones whose own schedule fires then; the others hold.
The account's run id at a fire is the same for every member's rebalance job at that fire, so
the account trades one netted set of orders per decision time however many jobs run it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta

from execution.netting import NettedOrder, conflicts_of
from store import Deployment, QueuedOrder, Store
from trading.deployments import account_of, is_forward_test, is_shared, schedule_of
from trading.ledger import AccountLedger

_AT = timedelta(microseconds=1)


def account_members(store: Store, owner: str, account: str) -> list[Deployment]:
    """The owner's deployments on `account` (forward tests left out), oldest first."""
    members = [
        d
        for d in store.list_deployments(owner)
        if account_of(d) == account and not is_forward_test(d)
    ]
    return sorted(members, key=lambda d: (d.created_at, d.id))


def fires_at(deployment: Deployment, fire: datetime) -> bool:
    """Whether the deployment's own schedule fires at `fire`."""
    return fire in schedule_of(deployment.spec).fires_between(fire - _AT, fire)


def deciding(members: Sequence[Deployment], fire: datetime) -> list[Deployment]:
    """The members that decide at `fire`: active, and their schedule fires then."""
    return [m for m in members if m.status == "active" and fires_at(m, fire)]


def account_universe(members: Sequence[Deployment]) -> list[str]:
    """Every symbol a member trades, sorted."""
    return sorted({s for m in members for s in m.spec["universe"]})


def traded_universe(store: Store, deployment: Deployment) -> list[str]:
    """The symbols the deployment's stock account holds or trades: its universe, or on a shared
    account every member's."""
    if not is_shared(deployment):
        return list(deployment.spec["universe"])
    return account_universe(account_members(store, deployment.owner, account_of(deployment)))


def account_run_id(account: str, fire: datetime) -> str:
    """The account's run at `fire`: its orders' run id, the same for every member's job."""
    digest = hashlib.sha256(f"{account}|{fire.isoformat()}".encode()).hexdigest()
    return f"acct-{digest[:16]}"


def account_ledger(store: Store, owner: str, account: str) -> AccountLedger:
    """The account's ledger over its members' books."""
    return AccountLedger(
        store, owner, account, [m.id for m in account_members(store, owner, account)]
    )


def netted_order(order: QueuedOrder) -> NettedOrder:
    """A shared account's stored order as the netting made it."""
    parts = tuple((a.deployment_id, a.quantity) for a in order.allocations)
    return NettedOrder(order.symbol, order.side, order.quantity, parts, order.internal_price)


def account_runs(store: Store, owner: str, account: str) -> list[dict[str, object]]:
    """The account's netted runs, oldest first: each decision time's orders (what each
    deployment asked for, whether it crossed inside the account) and the conflicts netted."""
    runs: dict[str, list[QueuedOrder]] = {}
    for order in store.list_orders(owner, deployment_id=account):
        runs.setdefault(order.run_id, []).append(order)
    return [
        {
            "run_id": run_id,
            "created_at": orders[0].created_at.isoformat(),
            "orders": [
                {
                    "client_order_id": o.client_order_id,
                    "symbol": o.symbol,
                    "side": o.side,
                    "quantity": o.quantity,
                    "status": o.status,
                    "filled_quantity": o.filled_quantity,
                    "average_price": o.average_price,
                    "allocations": {a.deployment_id: a.quantity for a in o.allocations},
                    "crossed": o.internal_price is not None,
                }
                for o in orders
            ],
            "conflicts": [c.to_json() for c in conflicts_of([netted_order(o) for o in orders])],
        }
        for run_id, orders in runs.items()
    ]
