"""The kill switches: one mechanism, two uses. Either can be pulled alone, and both are safe to
pull twice (the second pull finds nothing left to stop).

The mechanism stops a deployment's order queue on one account: the orders still queued are
canceled in the store; the broker is asked to cancel the unfilled rest of every order already
sent, and what it answers is recorded: an order that filled (wholly or partly) meanwhile is
recorded with the account's new fills in one write (`trading.queue.record_with_fills`), so what
filled stays filled and in the ledger; an order final at the broker keeps the broker's status;
one still working there (Alpaca cancels asynchronously) is recorded canceled. A broker call that
fails is a failure of the report (its order stays open: pull again).

- **The kill switch** (`kill_switch`) stops every deployment of an owner (or of one broker
  account) at once: it pauses each active deployment (paused ones stay paused, retired ones are
  left alone), cancels the rebalance jobs not yet finished (a running one stops at its next
  check and never succeeds) and stops the queue of its shares. Its hedge is left alone.
- **The hedging kill switch** (`hedge_kill_switch`) halts the option hedges of an owner's
  deployments (or of one) and closes every option they hold: each deployment's spec's `hedging`
  becomes halted (a deployment `updated` event with the reason: no hedge run trades while it
  is, `trading.runs.hedge`), the queue of its options is stopped, then every option position not
  yet expired is closed (sell to close a long, buy to close a short) through the same queue: on
  the paper account filling at the next close's model price (past the market data's end the
  closing orders stay working, reported as `submitted`), on Alpaca as market orders filling as
  the market trades (`trading.accounts.alpaca`); and a `hedges_closed` event records what was
  closed and how it went (its orders dead-lettered, if any, stay in the queue's dead letters:
  pull again; a broker that cannot be reached is a failure of the report: pull again).
  Releasing it (`release_hedges`) lets hedge runs trade again (an `updated` event too); the next
  run buys the hedge afresh.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from execution.brokers.base import Broker
from execution.errors import BrokerError, OrderPlanError
from execution.hedge import OptionPosition, close_all
from execution.options import parse_occ
from jobs.job_runner import JobRunner
from services.errors import InputError
from settings import Settings, get_settings
from store import ConflictError, Deployment, NewOrder, OrderUpdate, QueuedOrder, Store
from trading.accounts.opening import options_account, options_account_opened, stock_account
from trading.accounts.shared import account_ledger
from trading.deployments import account_of, change_status, is_forward_test, is_shared
from trading.hedges import hedge_account, hedge_spec, vol_model_of
from trading.ledger import AccountLedger, Ledger
from trading.queue import (
    STATUS_FROM_BROKER,
    AccountQueue,
    RetryPolicy,
    hedge_order_id,
    record_with_fills,
    run_orders,
    trade_run,
)
from trading.scheduling import REBALANCE_KIND


def _cancel_queued(
    store: Store, owner: str, orders: Sequence[QueuedOrder], reason: str
) -> list[str]:
    """Cancel the queued ones of `orders` in the store; the ids canceled."""
    queued = [o for o in orders if o.status == "queued"]
    done = store.update_orders(
        owner, [OrderUpdate(o.client_order_id, "queued", "canceled", reason=reason) for o in queued]
    )
    return [o.client_order_id for o in done if o.status == "canceled"]


def _cancel_sent(
    store: Store,
    owner: str,
    broker: Broker,
    ledger: Ledger | AccountLedger,
    orders: Sequence[QueuedOrder],
    reason: str,
) -> tuple[list[str], list[str]]:
    """Ask `broker` to cancel the sent ones of `orders` and record its answers (see the module
    docstring); the ids recorded canceled, and the failures."""
    updates, failures = [], []
    for order in [o for o in orders if o.status != "queued"]:
        try:
            answer = broker.cancel(order.client_order_id)
        except BrokerError as exc:
            failures.append(f"{order.client_order_id}: {exc}")
            continue
        status = STATUS_FROM_BROKER[answer.status] if answer.is_final else "canceled"
        updates.append(
            OrderUpdate(
                order.client_order_id,
                order.status,
                status,
                filled_quantity=answer.filled_quantity,
                average_price=answer.average_fill_price,
                reason=answer.reason or reason,
            )
        )
    done = store.update_orders(owner, [u for u in updates if not u.filled_quantity])
    filled = [u for u in updates if u.filled_quantity]
    written = record_with_fills(store, owner, broker, ledger, filled) if filled else []
    done += [store.get_order(owner, u.client_order_id) for u in written]
    return [o.client_order_id for o in done if o.status == "canceled"], failures


# -- the kill switch -------------------------------------------------------------------------


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
        if not is_forward_test(d) and (account is None or account_of(d) == account)
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
        _stop_shares(store, deployment, report, settings or get_settings())
    return report


def _stop_shares(
    store: Store, deployment: Deployment, report: KillReport, settings: Settings
) -> None:
    owner, reason = deployment.owner, "canceled by the kill switch"
    orders = store.open_orders(owner, account_of(deployment))
    report.canceled_orders += _cancel_queued(store, owner, orders, reason)
    sent = [o for o in orders if o.status != "queued"]
    if not sent:
        return
    try:
        broker = stock_account(store, deployment, settings)
    except BrokerError as exc:
        report.failures += [f"{o.client_order_id}: {exc}" for o in sent]
        return
    ledger: Ledger | AccountLedger = (
        account_ledger(store, owner, account_of(deployment))
        if is_shared(deployment)
        else Ledger(store, owner, deployment.id)
    )  # a shared account's fills go to its members' books
    canceled, failures = _cancel_sent(store, owner, broker, ledger, sent, reason)
    report.canceled_orders += canceled
    report.failures += failures


# -- the hedging kill switch -----------------------------------------------------------------


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
        if not options_account_opened(store, deployment):
            continue  # the hedge never traded: nothing to cancel or close
        try:
            _stop_options(store, deployment, now, report, settings, retry, sleep, by)
        except BrokerError as exc:
            report.failures.append(
                f"{deployment.id}: the broker could not be used: {exc}; pull again"
            )
        except OrderPlanError as exc:
            report.failures.append(f"{deployment.id}: its options cannot be priced: {exc}")
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


def _stop_options(
    store: Store,
    deployment: Deployment,
    now: datetime,
    report: HedgeKillReport,
    settings: Settings,
    retry: RetryPolicy | None,
    sleep: Callable[[float], None],
    by: str,
) -> None:
    """Stop the queue of the deployment's options, then close every option it holds through
    it."""
    owner, book = deployment.owner, hedge_account(deployment)
    reason = "canceled by the hedging kill switch"
    orders = store.open_orders(owner, book)
    report.canceled_orders += _cancel_queued(store, owner, orders, reason)
    account = options_account(store, deployment, settings)
    ledger = Ledger(store, owner, book)
    canceled, failures = _cancel_sent(store, owner, account, ledger, orders, reason)
    report.canceled_orders += canceled
    report.failures += failures
    account.advance(now)
    run_id = f"hedge-kill-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}"

    def plan() -> list[NewOrder] | None:  # every option held, closed at the model price of now
        market = account.market(hedge_spec(deployment)["underlying"], now)
        positions = [
            OptionPosition(parse_occ(symbol), n)
            for symbol, n in sorted(account.option_positions().items())
        ]
        closing = close_all(positions, market, vol_model_of(deployment))
        return [
            NewOrder(
                hedge_order_id(deployment.id, run_id, i, o.intent), o.symbol, o.side, o.quantity
            )
            for i, o in enumerate(closing)
        ] or None

    queue = AccountQueue(store, owner, book, account, ledger, retry or RetryPolicy(), sleep)
    trade_run(queue, deployment.id, run_id, plan, lambda: account.settle_after(now))
    closed = [
        {
            "symbol": o.symbol,
            "side": o.side,
            "contracts": o.quantity,
            "status": o.status,
            "average_price": o.average_price,
            "reason": o.reason,
        }
        for o in run_orders(store, owner, book, deployment.id, run_id)
    ]
    report.closed += [{"deployment_id": deployment.id, **row} for row in closed]
    report.failures += [
        f"{deployment.id}: {row['symbol']} {row['status']}: {row['reason']}"
        for row in closed
        if row["status"] in ("dead", "canceled", "rejected")
    ]
    store.append_deployment_event(
        owner,
        deployment.id,
        "hedges_closed",
        {"by": by, "run_id": run_id, "orders": closed, "positions": account.option_positions()},
        key=f"hedge-kill:{run_id}",
    )
