"""A deployment's rebalance run: decide, enqueue, send, let the orders fill, record the fills,
reconcile, and pause the deployment when something is wrong.

The run at `fire` (one per schedule fire, under the job id `run_id`):

1. An inactive deployment is `skipped`.
2. The account's earlier orders are synced first (the queue is first in first out).
3. If none of the run's orders has been sent yet, the decision is made (again, on a resumed
   run: the account has not changed, so the orders and their client order ids are the same)
   on the closes known at the fire (`execution.rebalance`), and its orders are enqueued. A
   plan that breaks a limit is `blocked`: nothing is sent, the deployment pauses.
4. The queue is dispatched (`trading.execution_queue`), `settle()` lets time pass until the
   orders can fill (the paper broker's next bar; nothing for a live broker), and the orders and
   fills are synced into the ledger.
5. The ledger is reconciled with the broker; a mismatch pauses the deployment. The account's
   value is checked against the drawdown limit; a breach pauses it too.

Outcome `status`: `filled` (every order of the run filled), `no_trades` (nothing to trade),
`open` (orders still working at the broker: the run is not finished), `failed` (an order was
rejected, dead-lettered or canceled; `reason` says which and why), `blocked` or `skipped`.
Every pause and failure is notified when a notifier is given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import pandas as pd

from execution.brokers.base import AccountState, Broker
from execution.deployment import DeploymentLimits, LimitBreach, drawdown_breach
from execution.errors import BrokerUnavailableError
from execution.rebalance import decide_rebalance
from notifications import messages
from notifications.messages import Notification
from store import ConflictError, Deployment, NewOrder, QueuedOrder, Store
from trading.deployments import account_of, change_status, deployed_strategy
from trading.execution_queue import (
    RetryPolicy,
    client_order_id,
    dispatch,
    orders_status,
    sync,
)
from trading.ledger import AccountLedger, Reconciliation, reconcile

logger = logging.getLogger("stratigos.execution")

RunStatus = Literal["filled", "no_trades", "open", "failed", "blocked", "skipped"]
Notify = Callable[[Notification, Deployment], None]


@dataclass
class ExecutionContext:
    """What a run works with: the store, the account's broker, the retry policy and `sleep`
    between retries, `settle` (called after sending: lets the orders fill, e.g. moves the paper
    broker to its next bar), `notify` (None: notify nobody) and `outside_cash`, the account's
    cash that is not the deployment's (currency; 0 for a paper account): the decision uses the
    broker's cash less it, the reconciliation expects the ledger's cash plus it. When that cash
    can move while the run runs (an Alpaca account whose option hedge trades beside it),
    `read_outside_cash` reads it afresh: every read of the account is then bracketed by two
    reads of it, repeated until they agree (`account_state`), so the account's cash and the
    outside cash are of the same moment."""

    store: Store
    broker: Broker
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    settle: Callable[[], None] = lambda: None
    notify: Notify | None = None
    outside_cash: float = 0.0
    read_outside_cash: Callable[[], float] | None = None


OUTSIDE_CASH_READS = 3
"""Reads of the account before a run gives up on outside cash that keeps moving (transient)."""


def account_state(ctx: ExecutionContext) -> AccountState:
    """The broker's account now, with `ctx.outside_cash` read around it when it can move (see
    `ExecutionContext`); `BrokerUnavailableError` (the attempt is retried) when it moved at
    every read."""
    if ctx.read_outside_cash is None:
        return ctx.broker.account()
    for _ in range(OUTSIDE_CASH_READS):
        before = ctx.read_outside_cash()
        state = ctx.broker.account()
        after = ctx.read_outside_cash()
        if after == before:
            ctx.outside_cash = after
            return state
    raise BrokerUnavailableError(
        f"the cash outside the deployment moved at each of {OUTSIDE_CASH_READS} reads of the "
        "account (its option hedge is trading): try again"
    )


@dataclass
class RebalanceOutcome:
    """What a run did (see the module docstring for `status`)."""

    deployment_id: str
    run_id: str
    fire: datetime
    status: RunStatus
    reason: str | None = None
    targets: dict[str, float] = field(default_factory=dict)
    orders: list[QueuedOrder] = field(default_factory=list)
    breaches: list[LimitBreach] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    reconciliation: Reconciliation | None = None
    equity: float | None = None
    paused: bool = False

    def to_json(self) -> dict[str, Any]:
        """The outcome as JSON (a rebalance job's result; `status` is stored as `outcome`: a
        job result's `status` is the job's own)."""
        return {
            "deployment_id": self.deployment_id,
            "run_id": self.run_id,
            "fire": self.fire.isoformat(),
            "outcome": self.status,
            "reason": self.reason,
            "targets": self.targets,
            "orders": [
                {
                    "client_order_id": o.client_order_id,
                    "symbol": o.symbol,
                    "side": o.side,
                    "quantity": o.quantity,
                    "status": o.status,
                    "filled_quantity": o.filled_quantity,
                    "average_price": o.average_price,
                    "attempts": o.attempts,
                    "reason": o.reason,
                }
                for o in self.orders
            ],
            "breaches": [b.__dict__ for b in self.breaches],
            "notes": self.notes,
            "reconciliation": None
            if self.reconciliation is None
            else self.reconciliation.to_json(),
            "equity": self.equity,
            "paused": self.paused,
        }

    def summary(self) -> dict[str, Any]:
        """What the run did in a few fields (its `run_finished` event): the outcome and why,
        orders and fills, the account's value after it, the limits it broke, whether it
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
        }


def rebalance(
    ctx: ExecutionContext,
    ledger: AccountLedger,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    closes: pd.DataFrame,
) -> RebalanceOutcome:
    """Run the rebalance of `deployment` at `fire` (see the module docstring). `closes` are
    the closing prices known at the fire (oldest first; the last row prices the plan) and
    `ledger` the deployment's ledger. A finished run (any status but `open`) appends its
    `run_finished` event to the deployment's events, once per run."""
    outcome = _rebalance(ctx, ledger, deployment, fire, run_id, closes)
    if outcome.status != "open":
        ctx.store.append_deployment_event(
            deployment.owner,
            deployment.id,
            "run_finished",
            outcome.summary(),
            key=f"run:{run_id}",
        )
    return outcome


def _rebalance(
    ctx: ExecutionContext,
    ledger: AccountLedger,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    closes: pd.DataFrame,
) -> RebalanceOutcome:
    outcome = RebalanceOutcome(deployment.id, run_id, fire, "skipped")
    if deployment.status != "active":
        outcome.reason = f"the deployment is {deployment.status}"
        return outcome
    store, account = ctx.store, account_of(deployment)
    sync(store, deployment.owner, account, ctx.broker, ledger)
    run_orders = store.list_orders(deployment.owner, deployment_id=deployment.id, run_id=run_id)
    limits = DeploymentLimits.model_validate(deployment.spec["limits"])
    if all(order.status == "queued" for order in run_orders):
        state = account_state(ctx)
        decision = decide_rebalance(
            deployed_strategy(deployment.spec),
            closes,
            state.positions,
            state.cash - ctx.outside_cash,
            limits,
            fractional=ctx.broker.fractional,
        )
        outcome.targets, outcome.notes = decision.targets, decision.notes
        if decision.breaches:
            outcome.status, outcome.breaches = "blocked", decision.breaches
            outcome.reason = "; ".join(b.message for b in decision.breaches)
            _pause(ctx, deployment, outcome, decision.breaches[0], fire)
            return outcome
        new_orders = [
            NewOrder(client_order_id(deployment.id, fire, i), o.symbol, o.side, o.quantity)
            for i, o in enumerate(decision.plan.orders)
        ]
        for start in range(0, len(new_orders), 45):
            store.enqueue_orders(
                deployment.owner, account, deployment.id, run_id, new_orders[start : start + 45]
            )
    dispatch(store, deployment.owner, account, ctx.broker, retry=ctx.retry, sleep=ctx.sleep)
    ctx.settle()
    sync(store, deployment.owner, account, ctx.broker, ledger)
    outcome.orders = store.list_orders(deployment.owner, deployment_id=deployment.id, run_id=run_id)
    outcome.status, outcome.reason = orders_status(outcome.orders)
    _check_account(ctx, ledger, deployment, outcome, closes, limits, fire)
    if outcome.status == "failed":
        _notify_failure(ctx, deployment, outcome, fire)
    return outcome


def _check_account(
    ctx: ExecutionContext,
    ledger: AccountLedger,
    deployment: Deployment,
    outcome: RebalanceOutcome,
    closes: pd.DataFrame,
    limits: DeploymentLimits,
    fire: datetime,
) -> None:
    state = account_state(ctx)
    outcome.reconciliation = reconcile(ledger.book, state, ctx.outside_cash)
    last = closes.iloc[-1]
    outcome.equity = (
        state.cash - ctx.outside_cash + sum(q * float(last[s]) for s, q in state.positions.items())
    )
    if not outcome.reconciliation.matches:
        logger.warning(
            "reconciliation mismatch: deployment %s paused",
            deployment.id,
            extra={
                "event": "reconciliation_mismatch",
                "deployment_id": deployment.id,
                "run_id": outcome.run_id,
                **outcome.reconciliation.to_json(),
            },
        )
        paused = _set_paused(
            ctx.store, deployment, "the ledger does not match the broker's positions and cash"
        )
        outcome.paused = outcome.paused or paused
        if ctx.notify is not None:
            ctx.notify(
                messages.reconciliation_mismatch(
                    **_about(deployment),
                    positions=[
                        messages.PositionMismatch(p.symbol, p.ledger_quantity, p.broker_quantity)
                        for p in outcome.reconciliation.positions
                    ],
                    ledger_cash=outcome.reconciliation.ledger_cash,
                    broker_cash=outcome.reconciliation.broker_cash,
                    paused=paused,
                    time=fire,
                ),
                deployment,
            )
    peak = _record_peak(ctx.store, deployment, outcome.equity)
    breach = drawdown_breach([peak, outcome.equity], limits)
    if breach is not None:
        outcome.breaches.append(breach)
        _pause(ctx, deployment, outcome, breach, fire)


def _record_peak(store: Store, deployment: Deployment, equity: float) -> float:
    """The account's highest value at a run so far (kept in the spec's `monitor`)."""
    for _ in range(3):
        current = store.get_deployment(deployment.owner, deployment.id)
        monitor = dict(current.spec.get("monitor") or {})
        peak = float(monitor.get("peak_equity", 0.0))
        if equity <= peak:
            return peak
        monitor["peak_equity"] = equity
        try:
            store.update_deployment(
                deployment.owner,
                deployment.id,
                expected_version=current.version,
                spec={**current.spec, "monitor": monitor},
                event_data={"reason": "a new peak of the account's value", "equity": equity},
            )
        except ConflictError:
            continue
        return equity
    return equity


def _pause(
    ctx: ExecutionContext,
    deployment: Deployment,
    outcome: RebalanceOutcome,
    breach: LimitBreach,
    fire: datetime,
) -> None:
    paused = _set_paused(ctx.store, deployment, f"{breach.limit}: {breach.message}")
    outcome.paused = outcome.paused or paused
    if ctx.notify is not None:
        ctx.notify(
            messages.limit_breach(
                **_about(deployment),
                limit=breach.limit.replace("_", " "),
                observed=breach.value,
                threshold=breach.allowed,
                unit="percent",
                paused=paused,
                time=fire,
            ),
            deployment,
        )


def _about(deployment: Deployment) -> dict[str, str]:
    """Whom and which deployment a notification is about (its first keyword arguments)."""
    return {
        "owner": deployment.owner,
        "deployment_id": deployment.id,
        "deployment_name": deployment.name,
    }


def _set_paused(store: Store, deployment: Deployment, reason: str) -> bool:
    """Pause the deployment if it is still active, saying why; whether this call paused it."""
    try:
        current = store.get_deployment(deployment.owner, deployment.id)
        if current.status != "active":
            return False
        change_status(store, deployment.owner, deployment.id, "paused", by="monitor", reason=reason)
    except ConflictError:
        return False
    return True


def _notify_failure(
    ctx: ExecutionContext, deployment: Deployment, outcome: RebalanceOutcome, fire: datetime
) -> None:
    if ctx.notify is None:
        return
    dead = [o for o in outcome.orders if o.status == "dead"]
    if dead:
        notification = messages.run_dead_lettered(
            **_about(deployment),
            run_id=outcome.run_id,
            reason=outcome.reason or "",
            attempts=max(o.attempts for o in dead),
            time=fire,
        )
    else:
        notification = messages.run_failed(
            **_about(deployment),
            run_id=outcome.run_id,
            reason=outcome.reason or "",
            attempt=1,
            max_attempts=1,
            time=fire,
        )
    ctx.notify(notification, deployment)
