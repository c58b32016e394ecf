"""A deployment's rebalance run: decide, enqueue, send, let the orders fill, record the fills,
reconcile, and pause the deployment when something is wrong.

The run at `fire` (one per schedule fire, under the job id `run_id`):

1. An inactive deployment is `skipped`.
2. The account's earlier orders are synced first (the queue is first in first out).
3. If none of the run's orders has been sent yet, the decision is made (again, on a resumed
   run: the account has not changed, so the orders and their client order ids are the same)
   on the closes known at the fire (`execution.rebalance`), and its orders are enqueued. A
   plan that breaks a limit is `blocked`: nothing is sent, the deployment pauses.
4. The queue is dispatched (`trading.queue.trade_run`, as for a hedge's options), `settle()`
   lets time pass until the orders can fill (the paper broker's next bar; nothing for a live
   broker), and the orders and fills are synced into the ledger.
5. The ledger is reconciled with the broker; a mismatch pauses the deployment. The account's
   value is checked against the drawdown limit; a breach pauses it too.

Its outcome is a `trading.runs.outcome.RunOutcome` of kind `rebalance`. Every pause and failure
is notified when a notifier is given.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pandas as pd

from execution.brokers.base import AccountState, StockBroker
from execution.deployment import DeploymentLimits, LimitBreach, drawdown_breach
from execution.errors import BrokerUnavailableError
from execution.ledger import CashFlow
from execution.netting import conflicts_of, net_orders
from execution.orders import PlannedOrder
from execution.rebalance import decide_rebalance, last_prices
from notifications import messages
from notifications.messages import Notification
from store import Allocation, ConflictError, Deployment, NewOrder, Store
from trading.accounts.shared import netted_order
from trading.deployments import account_of, change_status, deployed_strategy
from trading.ledger import CASH_TOLERANCE, AccountLedger, Ledger, reconcile
from trading.queue import (
    AccountQueue,
    RetryPolicy,
    client_order_id,
    trade_run,
)
from trading.runs.outcome import RunOutcome, order_json, orders_status

logger = logging.getLogger("stratigos.execution")

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
    outside cash are of the same moment. `interest(since)` is the interest the account's cash
    earned after `since` (a paper account's; None: no interest the ledger records), recorded in
    the ledger before it is reconciled; on a paper account several deployments share,
    `book_interest(ledger)` credits the account and each member's book the interest the books
    earned at their own rates instead (`trading.accounts.interest`). `notes` are said first in
    the run's outcome (what the prices the decision used were:
    `services.market_data.decision_closes`)."""

    store: Store
    broker: StockBroker
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], None] = time.sleep
    settle: Callable[[], None] = lambda: None
    notify: Notify | None = None
    outside_cash: float = 0.0
    read_outside_cash: Callable[[], float] | None = None
    interest: Callable[[datetime | None], list[CashFlow]] | None = None
    book_interest: Callable[[AccountLedger], object] | None = None
    notes: list[str] = field(default_factory=list)


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


def rebalance(
    ctx: ExecutionContext,
    ledger: Ledger,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    closes: pd.DataFrame,
) -> RunOutcome:
    """Run the rebalance of `deployment` at `fire` (see the module docstring). `closes` are
    the closing prices known at the fire (oldest first; the last row prices the plan) and
    `ledger` the deployment's ledger. A finished run (any status but `open`) appends its
    `run_finished` event to the deployment's events, once per run."""
    outcome = RunOutcome("rebalance", deployment.id, run_id, fire, "skipped")
    if deployment.status != "active":
        outcome.reason = f"the deployment is {deployment.status}"
    else:
        _trade(ctx, ledger, deployment, closes, outcome)
    if outcome.status != "open":
        ctx.store.append_deployment_event(
            deployment.owner,
            deployment.id,
            "run_finished",
            outcome.summary(),
            key=f"run:{run_id}",
        )
    return outcome


def refuse(
    store: Store,
    notify: Notify | None,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    reason: str,
) -> RunOutcome:
    """The outcome of a run of an active deployment refused before deciding (e.g. on stale
    prices): `failed` with `reason`, its `run_finished` event appended (once per run) and the
    failure notified when `notify` is given. Nothing is traded."""
    outcome = RunOutcome("rebalance", deployment.id, run_id, fire, "failed", reason=reason)
    store.append_deployment_event(
        deployment.owner, deployment.id, "run_finished", outcome.summary(), key=f"run:{run_id}"
    )
    _notify_failure(notify, deployment, outcome, fire)
    return outcome


def _trade(
    ctx: ExecutionContext,
    ledger: Ledger,
    deployment: Deployment,
    closes: pd.DataFrame,
    outcome: RunOutcome,
) -> None:
    """Decide and trade the run of an active deployment, saying in `outcome` what it did."""
    fire, run_id = outcome.fire, outcome.run_id
    limits = DeploymentLimits.model_validate(deployment.spec["limits"])
    outcome.notes = list(ctx.notes)

    def plan() -> list[NewOrder] | None:
        state = account_state(ctx)
        decision = decide_rebalance(
            deployed_strategy(deployment.spec),
            closes,
            state.positions,
            state.cash - ctx.outside_cash,
            limits,
            fractional=ctx.broker.fractional,
        )
        outcome.targets, outcome.notes = decision.targets, [*ctx.notes, *decision.notes]
        if decision.breaches:
            outcome.status, outcome.breaches = "blocked", decision.breaches
            outcome.reason = "; ".join(b.message for b in decision.breaches)
            _pause(ctx, deployment, outcome, decision.breaches[0], fire)
            return None
        return [
            NewOrder(client_order_id(deployment.id, fire, i), o.symbol, o.side, o.quantity)
            for i, o in enumerate(decision.plan.orders)
        ]

    queue = AccountQueue(
        ctx.store,
        deployment.owner,
        account_of(deployment),
        ctx.broker,
        ledger,
        ctx.retry,
        ctx.sleep,
    )
    orders = trade_run(queue, deployment.id, run_id, plan, ctx.settle)
    if orders is None:
        return
    outcome.orders = orders
    outcome.status, outcome.reason = orders_status(orders)
    _check_account(ctx, ledger, deployment, outcome, closes, limits, fire)
    if outcome.status == "failed":
        _notify_failure(ctx.notify, deployment, outcome, fire)


def _check_account(
    ctx: ExecutionContext,
    ledger: Ledger,
    deployment: Deployment,
    outcome: RunOutcome,
    closes: pd.DataFrame,
    limits: DeploymentLimits,
    fire: datetime,
) -> None:
    if ctx.interest is not None:
        ledger.record(ctx.interest(ledger.last_interest_time))
    state = account_state(ctx)
    outcome.reconciliation = reconcile(ledger.book, state, ctx.outside_cash)
    last = last_prices(closes)
    outcome.equity = (
        state.cash - ctx.outside_cash + sum(q * last[s] for s, q in state.positions.items())
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
        _mismatch(
            ctx, deployment, outcome, "the ledger does not match the broker's positions and cash"
        )
    peak = _record_peak(ctx.store, deployment, outcome.equity)
    breach = drawdown_breach([peak, outcome.equity], limits)
    if breach is not None:
        outcome.breaches.append(breach)
        _pause(ctx, deployment, outcome, breach, fire)


def _mismatch(
    ctx: ExecutionContext, deployment: Deployment, outcome: RunOutcome, reason: str
) -> None:
    """Pause the deployment for the mismatch in `outcome.reconciliation`, saying `reason`,
    and notify its destinations."""
    assert outcome.reconciliation is not None
    paused = _set_paused(ctx.store, deployment, reason)
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
                time=outcome.fire,
            ),
            deployment,
        )


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
    outcome: RunOutcome,
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
    notify: Notify | None, deployment: Deployment, outcome: RunOutcome, fire: datetime
) -> None:
    if notify is None:
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
    notify(notification, deployment)


@dataclass
class SharedAccount:
    """An account several deployments share, as its run at a fire sees it: its name, its
    ledger (the members' books), and the members deciding at the fire (active, their
    schedule firing then: `trading.accounts.shared.deciding`)."""

    account: str
    ledger: AccountLedger
    deciding: list[Deployment]


def rebalance_shared(
    ctx: ExecutionContext,
    shared: SharedAccount,
    fire: datetime,
    run_id: str,
    closes: pd.DataFrame,
) -> dict[str, RunOutcome]:
    """The run of a shared account at `fire` (`run_id`: `trading.accounts.shared.
    account_run_id`), one outcome per deciding member. Each member decides on its own book
    (its shares and cash in the ledger) as a deployment trading alone does; the plans are
    netted (`execution.netting`: crossings inside the account, one net order per symbol, each
    with its allocations); the net is checked once against the account (its buying power; a
    member the kill switch paused meanwhile is left out); the orders go through the account's
    queue like any run's (`trading.queue.trade_run`: crossings filled at the decision's prices,
    the rest sent, synced, every fill split into the members' books in one write); then the
    members' books together are reconciled with the account, and each member's value is
    checked against its own drawdown limit. Each finished member's `run_finished` event holds
    the account's run (`account`: members, netted orders, conflicts), once per run."""
    store = ctx.store
    outcomes = {
        m.id: RunOutcome("rebalance", m.id, run_id, fire, "skipped", notes=list(ctx.notes))
        for m in shared.deciding
    }
    about: dict[str, Any] = {
        "account": shared.account,
        "deciding": [m.id for m in shared.deciding],
        "conflicts": [],
    }

    def plan() -> list[NewOrder] | None:
        return _net_plan(ctx, shared, outcomes, closes, fire)

    queue = AccountQueue(
        store,
        shared.ledger.owner,
        shared.account,
        ctx.broker,
        shared.ledger,
        ctx.retry,
        ctx.sleep,
    )
    orders = trade_run(queue, shared.account, run_id, plan, ctx.settle, crossed_at=fire)
    about["orders"] = [order_json(o) for o in orders or []]
    about["conflicts"] = [
        c.to_json() for c in conflicts_of([netted_order(o) for o in orders or []])
    ]
    if orders is not None:
        for member in shared.deciding:
            mine = [o for o in orders if any(a.deployment_id == member.id for a in o.allocations)]
            outcome = outcomes[member.id]
            if outcome.status == "skipped" and outcome.reason is None:
                outcome.orders = mine
                outcome.status, outcome.reason = orders_status(mine)
        _check_shared(ctx, shared, outcomes, closes, fire)
    for member in shared.deciding:
        outcome = outcomes[member.id]
        outcome.account = about
        if outcome.status != "open":
            store.append_deployment_event(
                member.owner, member.id, "run_finished", outcome.summary(), key=f"run:{run_id}"
            )
        if outcome.status == "failed":
            _notify_failure(ctx.notify, member, outcome, fire)
    return outcomes


def _net_plan(
    ctx: ExecutionContext,
    shared: SharedAccount,
    outcomes: dict[str, RunOutcome],
    closes: pd.DataFrame,
    fire: datetime,
) -> list[NewOrder] | None:
    """The shared account's orders at `fire`: each deciding member's plan on its own book
    (a member the kill switch paused meanwhile is left out; one breaking a limit is blocked
    and paused), netted, checked once against the account's cash; None (nothing sent) when
    the account cannot pay for the net buys. Says in `outcomes` what it did."""
    store = ctx.store
    wants: dict[str, list[PlannedOrder]] = {}
    for member in shared.deciding:
        outcome = outcomes[member.id]
        if store.get_deployment(member.owner, member.id).status != "active":
            outcome.reason = "paused before its orders were netted (the kill switch)"
            continue
        book = shared.ledger.members[member.id].book
        limits = DeploymentLimits.model_validate(member.spec["limits"])
        decision = decide_rebalance(
            deployed_strategy(member.spec),
            closes.loc[:, list(member.spec["universe"])],
            book.holdings(),
            book.cash,
            limits,
            fractional=ctx.broker.fractional,
        )
        outcome.targets, outcome.notes = decision.targets, [*ctx.notes, *decision.notes]
        if decision.breaches:
            outcome.status, outcome.breaches = "blocked", decision.breaches
            outcome.reason = "; ".join(b.message for b in decision.breaches)
            _pause(ctx, member, outcome, decision.breaches[0], fire)
            continue
        wants[member.id] = decision.plan.orders
    netted = net_orders(wants)
    state = account_state(ctx)
    needed = netted.buying_power_needed()
    if needed > state.cash - ctx.outside_cash + CASH_TOLERANCE:
        reason = (
            f"the account's net buys need {needed:,.2f} and its deployments hold "
            f"{state.cash - ctx.outside_cash:,.2f} in cash: nothing was sent"
        )
        for member_id in wants:
            outcomes[member_id].status, outcomes[member_id].reason = "blocked", reason
        return None
    return [
        NewOrder(
            client_order_id(shared.account, fire, i),
            o.symbol,
            o.side,
            o.quantity,
            allocations=tuple(Allocation(d, q) for d, q in o.allocations),
            internal_price=o.internal_price,
        )
        for i, o in enumerate(netted.orders)
    ]


def _check_shared(
    ctx: ExecutionContext,
    shared: SharedAccount,
    outcomes: dict[str, RunOutcome],
    closes: pd.DataFrame,
    fire: datetime,
) -> None:
    """After a shared account's trades: each member's book credited its interest at its own
    rate (`ExecutionContext.book_interest`), the books together reconciled with the account (a
    mismatch pauses every deciding member and notifies it), and each member's value (its book
    at the last closes) against its own drawdown limit."""
    ledger = shared.ledger
    if ctx.book_interest is not None:
        ctx.book_interest(ledger)
    state = account_state(ctx)
    reconciliation = reconcile(ledger.books(), state, ctx.outside_cash)
    last = closes.iloc[-1]
    for member in shared.deciding:
        outcome = outcomes[member.id]
        outcome.reconciliation = reconciliation
        book = ledger.members[member.id].book
        outcome.equity = book.cash + sum(q * float(last[s]) for s, q in book.holdings().items())
        if not reconciliation.matches:
            _mismatch(
                ctx,
                member,
                outcome,
                "the account's ledgers do not match the broker's positions and cash",
            )
        limits = DeploymentLimits.model_validate(member.spec["limits"])
        peak = _record_peak(ctx.store, member, outcome.equity)
        breach = drawdown_breach([peak, outcome.equity], limits)
        if breach is not None:
            outcome.breaches.append(breach)
            _pause(ctx, member, outcome, breach, fire)
    if not reconciliation.matches:
        logger.warning(
            "reconciliation mismatch: the deployments of account %s paused",
            shared.account,
            extra={
                "event": "reconciliation_mismatch",
                "account": shared.account,
                **reconciliation.to_json(),
            },
        )
