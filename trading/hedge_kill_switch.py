"""The hedging kill switch: halt the option hedges of an owner's deployments (or of one) and
close every option they hold. Separate from the kill switch (`trading.kill_switch`), which
stops the deployments' rebalancing and leaves their hedges alone; either can be pulled alone.

Pulling it, for each deployment with a hedge: its spec's `hedging` becomes halted (a deployment
`updated` event with the reason: no hedge run trades while it is, `trading.hedging`), its hedge
orders still queued are canceled and the unfilled rest of those sent is canceled at the broker,
then every option position not yet expired is closed (sell to close a long, buy to close a
short) through the hedge queue: on the paper account filling at the next close's model price
(past the market data's end the closing orders stay working, reported as `submitted`), on
Alpaca as market orders filling as the market trades (`trading.hedge_brokers`); and a
`hedges_closed` event records what was closed and how it went (its orders dead-lettered, if
any, stay in the hedge queue's dead letters: pull again; a broker that cannot be reached is a
failure of the report: pull again). Releasing it lets hedge runs trade again (an `updated` event
too); the next run buys the hedge afresh. Safe to pull twice: the second finds nothing to close.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from execution.errors import BrokerError, OrderPlanError
from execution.hedge import OptionPosition, close_all
from execution.options import parse_occ
from services.errors import InputError
from settings import Settings, get_settings
from store import ConflictError, Deployment, NewOrder, OrderUpdate, QueuedOrder, Store
from trading.execution_queue import RetryPolicy
from trading.hedge_accounts import (
    HedgeAccount,
    HedgeLedger,
    hedge_account,
    hedge_spec,
    vol_model_of,
)
from trading.hedge_brokers import hedge_opened, open_hedge_account
from trading.hedge_queue import dispatch_hedges, hedge_order_id, sync_hedges


@dataclass
class HedgeKillReport:
    """What the switch did: deployments halted (or released), orders canceled, closing orders
    sent (`closed`: each with its symbol, side, contracts, status) and failures (pull again)."""

    halted: list[str] = field(default_factory=list)
    released: list[str] = field(default_factory=list)
    canceled_orders: list[str] = field(default_factory=list)
    closed: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The report as JSON."""
        return {
            "halted": self.halted,
            "released": self.released,
            "canceled_orders": self.canceled_orders,
            "closed": self.closed,
            "failures": self.failures,
        }


def _hedged(store: Store, owner: str, deployment_id: str | None) -> list[Deployment]:
    if deployment_id is not None:
        deployment = store.get_deployment(owner, deployment_id)
        if "hedge" not in deployment.spec:
            raise InputError("deployment_id", f"deployment {deployment_id} has no option hedge")
        return [deployment]
    return [d for d in store.list_deployments(owner) if "hedge" in d.spec]


def hedge_kill_switch(
    store: Store,
    owner: str,
    *,
    deployment_id: str | None = None,
    by: str = "api",
    settings: Settings | None = None,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> HedgeKillReport:
    """Halt the hedges of the owner's deployments (or of `deployment_id`) and close their
    options (see the module docstring); `by` names the interface (api, cli) in the events.
    Another owner's deployment behaves as missing (`NotFoundError`); one without a hedge is an
    `InputError` naming `deployment_id`."""
    report = HedgeKillReport()
    now = store.clock()
    settings = settings or get_settings()
    for deployment in _hedged(store, owner, deployment_id):
        try:
            _set_halted(store, deployment, True, by, now)
            report.halted.append(deployment.id)
        except ConflictError:
            report.failures.append(f"{deployment.id}: changed meanwhile; pull again")
            continue
        _close(store, deployment, now, report, settings, retry, sleep, by)
    return report


def release_hedges(
    store: Store, owner: str, *, deployment_id: str | None = None, by: str = "api"
) -> HedgeKillReport:
    """Let the hedges of the owner's deployments (or of one) trade again."""
    report = HedgeKillReport()
    now = store.clock()
    for deployment in _hedged(store, owner, deployment_id):
        if not (deployment.spec.get("hedging") or {}).get("halted"):
            continue
        try:
            _set_halted(store, deployment, False, by, now)
            report.released.append(deployment.id)
        except ConflictError:
            report.failures.append(f"{deployment.id}: changed meanwhile; release again")
    return report


def _set_halted(
    store: Store, deployment: Deployment, halted: bool, by: str, now: datetime
) -> Deployment:
    current = store.get_deployment(deployment.owner, deployment.id)
    reason = (
        "the hedging kill switch was pulled" if halted else "the hedging kill switch was released"
    )
    return store.update_deployment(
        deployment.owner,
        deployment.id,
        expected_version=current.version,
        spec={**current.spec, "hedging": {"halted": halted, "by": by, "at": now.isoformat()}},
        event_data={"reason": reason, "by": by},
    )


def _close(
    store: Store,
    deployment: Deployment,
    now: datetime,
    report: HedgeKillReport,
    settings: Settings,
    retry: RetryPolicy | None,
    sleep: Callable[[float], None],
    by: str,
) -> None:
    owner, book = deployment.owner, hedge_account(deployment)
    if not hedge_opened(store, deployment):
        return  # the hedge never traded: nothing to cancel or close
    reason = "canceled by the hedging kill switch"
    open_orders = store.open_orders(owner, book)
    queued = [o for o in open_orders if o.status == "queued"]
    done = store.update_orders(
        owner, [OrderUpdate(o.client_order_id, "queued", "canceled", reason=reason) for o in queued]
    )
    report.canceled_orders += [o.client_order_id for o in done if o.status == "canceled"]
    try:
        account = open_hedge_account(store, deployment, settings)
        _close_positions(store, deployment, account, open_orders, now, report, retry, sleep, by)
    except BrokerError as exc:
        report.failures.append(f"{deployment.id}: the broker could not be used: {exc}; pull again")
    except OrderPlanError as exc:
        report.failures.append(f"{deployment.id}: its options cannot be priced: {exc}")


def _close_positions(
    store: Store,
    deployment: Deployment,
    account: HedgeAccount,
    open_orders: list[QueuedOrder],
    now: datetime,
    report: HedgeKillReport,
    retry: RetryPolicy | None,
    sleep: Callable[[float], None],
    by: str,
) -> None:
    owner, book = deployment.owner, hedge_account(deployment)
    for order in [o for o in open_orders if o.status != "queued"]:
        account.cancel_option(order.client_order_id)
        report.canceled_orders.append(order.client_order_id)
    account.advance(now)
    ledger = HedgeLedger(store, owner, book)
    sync_hedges(store, owner, book, account, ledger)
    market = account.market(hedge_spec(deployment)["underlying"], now)
    positions = [
        OptionPosition(parse_occ(symbol), n)
        for symbol, n in sorted(account.option_positions().items())
    ]
    closing = close_all(positions, market, vol_model_of(deployment))
    run_id = f"hedge-kill-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"
    if closing:
        store.enqueue_orders(
            owner,
            book,
            deployment.id,
            run_id,
            [
                NewOrder(
                    hedge_order_id(deployment.id, run_id, i, o.intent),
                    o.contract.symbol,
                    o.side,
                    float(o.contracts),
                )
                for i, o in enumerate(closing)
            ],
        )
        dispatch_hedges(store, owner, book, account, retry=retry, sleep=sleep)
        account.settle_after(now)
        sync_hedges(store, owner, book, account, ledger)
    orders = [
        o
        for o in store.list_orders(owner, deployment_id=deployment.id, run_id=run_id)
        if o.account == book
    ]
    closed = [
        {
            "symbol": o.symbol,
            "side": o.side,
            "contracts": o.quantity,
            "status": o.status,
            "average_price": o.average_price,
            "reason": o.reason,
        }
        for o in orders
    ]
    report.closed += [{"deployment_id": deployment.id, **row} for row in closed]
    report.failures += [
        f"{deployment.id}: {o.symbol} {o.status}: {o.reason}"
        for o in orders
        if o.status in ("dead", "canceled", "rejected")
    ]
    store.append_deployment_event(
        owner,
        deployment.id,
        "hedges_closed",
        {"by": by, "run_id": run_id, "orders": closed, "positions": account.option_positions()},
        key=f"hedge-kill:{run_id}",
    )
