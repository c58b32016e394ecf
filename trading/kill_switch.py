"""The kill switch: stop every deployment of an owner (or of one broker account) at once.

It pauses each active deployment (paused ones stay paused, retired ones are left alone), cancels
the rebalance jobs not yet finished (a running one stops at its next check and never succeeds),
cancels the orders still queued, and asks the broker to cancel the unfilled rest of every order
already sent (a paper account's state is saved; what had filled stays filled and in the ledger:
an order the broker reports filled, wholly or partly, is recorded with the account's new fills
in one write, `trading.execution_queue.record_with_fills`).
Safe to pull twice: the second pull finds nothing left to stop.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from execution.errors import BrokerError
from jobs.job_runner import JobRunner
from services.errors import InputError
from settings import Settings, get_settings
from store import ConflictError, Deployment, OrderUpdate, Store
from trading.brokers import deployment_broker
from trading.deployments import change_status
from trading.execution_queue import record_with_fills
from trading.forward_test import FORWARD_TEST_MODE
from trading.ledger import AccountLedger
from trading.rebalancing import account_of
from trading.scheduling import REBALANCE_KIND


@dataclass
class KillReport:
    """What the switch stopped: deployments paused, jobs cancelled, orders canceled (queued
    ones, and sent ones at the broker), and broker calls that failed (with the reason: their
    orders stay open and the switch can be pulled again)."""

    paused: list[str] = field(default_factory=list)
    cancelled_jobs: list[str] = field(default_factory=list)
    canceled_orders: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def kill_switch(
    store: Store, owner: str, *, account: str | None = None, settings: Settings | None = None
) -> KillReport:
    """Stop the owner's deployments (those trading `account`, if given); see the module
    docstring. Sent orders are canceled at each deployment's own broker (`settings`, default the
    process's, say which Alpaca account is the owner's). An `account` none of the owner's
    deployments trades is an `InputError`."""
    report = KillReport()
    if account is not None and not any(
        account_of(d) == account for d in store.list_deployments(owner)
    ):
        raise InputError("account", f"none of your deployments trades account {account!r}")
    deployments = [
        d
        for d in store.list_deployments(owner, statuses=["active", "paused"])
        if d.spec.get("mode") != FORWARD_TEST_MODE and (account is None or account_of(d) == account)
    ]
    for deployment in deployments:
        if deployment.status == "active":
            try:
                change_status(
                    store,
                    owner,
                    deployment.id,
                    "paused",
                    by="kill_switch",
                    reason="the kill switch was pulled",
                )
                report.paused.append(deployment.id)
            except ConflictError:
                report.failures.append(f"{deployment.id}: changed meanwhile; pull again")
    ids = {d.id for d in deployments}
    runner = JobRunner(store)
    for job in store.list_jobs(owner, statuses=["pending", "running"], limit=1000):
        if job.kind == REBALANCE_KIND and job.request.get("deployment_id") in ids:
            try:
                runner.cancel(owner, job.id)
                report.cancelled_jobs.append(job.id)
            except ConflictError:
                pass  # it finished meanwhile
    for deployment in deployments:
        _cancel_orders(store, deployment, report, settings or get_settings())
    return report


def _cancel_orders(
    store: Store, deployment: Deployment, report: KillReport, settings: Settings
) -> None:
    account = account_of(deployment)
    open_orders = store.open_orders(deployment.owner, account)
    queued = [o for o in open_orders if o.status == "queued"]
    reason = "canceled by the kill switch"
    done = store.update_orders(
        deployment.owner,
        [OrderUpdate(o.client_order_id, "queued", "canceled", reason=reason) for o in queued],
    )
    report.canceled_orders += [o.client_order_id for o in done if o.status == "canceled"]
    sent = [o for o in open_orders if o.status != "queued"]
    if not sent:
        return
    try:
        broker = deployment_broker(store, deployment, settings)
    except BrokerError as exc:
        report.failures += [f"{o.client_order_id}: {exc}" for o in sent]
        return
    updates = []
    for order in sent:
        try:
            at_broker = broker.cancel(order.client_order_id)
        except BrokerError as exc:
            report.failures.append(f"{order.client_order_id}: {exc}")
            continue
        updates.append(
            OrderUpdate(
                order.client_order_id,
                order.status,
                "filled" if at_broker.status == "filled" else "canceled",
                filled_quantity=at_broker.filled_quantity,
                average_price=at_broker.average_fill_price,
                reason=at_broker.reason or reason,
            )
        )
    # an order that filled (wholly or partly) is recorded with its fills, in one write
    unfilled = [u for u in updates if not u.filled_quantity]
    done = store.update_orders(deployment.owner, unfilled)
    ledger = AccountLedger(store, deployment.owner, deployment.id)
    filled = [u for u in updates if u.filled_quantity]
    written = record_with_fills(store, deployment.owner, broker, ledger, filled) if filled else []
    done += [store.get_order(deployment.owner, u.client_order_id) for u in written]
    report.canceled_orders += [o.client_order_id for o in done if o.status == "canceled"]
