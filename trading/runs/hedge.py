"""A deployment's hedge run: the option hedge of a strategy with an overlay, planned at a fire
(`execution.hedge`: a strategy component beside the rebalance's targets) and traded through the
same order queue as the rebalance's shares (`trading.queue.trade_run`), on the deployment's
options account (`trading.accounts`: the paper options account, cash settled, or its Alpaca
account, listed contracts settled in shares, so held options are closed the session before
expiry).

The run at `fire` (one per rebalance fire, after the rebalance), under `run_id`:

1. `skipped` when its hedging is halted (the hedging kill switch, `trading.kill_switch`) or the
   deployment is not active, except a paused deployment on a broker that settles in shares
   (Alpaca): its run is an expiry guard (`execution.hedge.expiry_guard`: it buys nothing, and
   closes every held leg once one would expire before the next run could close it), so a
   deployment paused by hand, by the kill switch or by a limit breach is never exercised into
   shares; the scheduler submits its hedge job at each of its fires while it is paused
   (`trading.scheduling`).
2. The options account moves to the fire (what expires settles at its expiry's close; open
   orders fill at the closes since), and its trades and settlements go to the hedge ledger.
3. If no order of the run was sent yet, the plan is made on the closes known at the fire: the
   sleeve's notional from the stock account's holdings at the last close, the equity being the
   stock sleeve's cash and holdings plus the hedge's cash (its ledger) and marks; its orders are
   enqueued on the hedge's queue (`hedge-<deployment id>`). A plan that cannot be made (too few
   closes, no listed contract for a leg) fails the run with the reason, nothing sent. Its
   options are priced as the account prices them (`OptionsAccount.pricing`: on Alpaca at the
   implied volatility its quotes gave when recorded, else on realised volatility:
   `trading.hedge_pricing`), and the plan says which (`volatility`).
4. The queue is dispatched; the paper account moves to the next close (where the orders fill at
   the model price: never at a price known when they were placed) once the market data has it,
   while Alpaca fills in real time; the orders and fills are synced. The plan (action, notes,
   each order's model and limit price) is recorded as the run's `hedge_planned` event as soon as
   it is made; the finished run's `hedge_run` event repeats it (from that event on a retried
   attempt) with what became of its orders.

Its outcome is a `trading.runs.outcome.RunOutcome` of kind `hedge`: `filled`, `no_trades`,
`open` (orders still working), `failed` (an order dead-lettered or canceled, or no plan;
`reason` says why) or `skipped`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd

from execution.brokers.base import AccountState
from execution.errors import BrokerRejectedError, OrderPlanError
from execution.hedge import HedgePlan, OptionPosition, expiry_guard, plan_hedge
from execution.ledger import Fill
from execution.options import parse_occ
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from services.market_data import last_closed_session
from store import Deployment, NewOrder, Store
from trading.accounts.interface import OptionsAccount
from trading.deployments import schedule_of
from trading.hedge_values import marked_value
from trading.hedges import halted, hedge_account, hedge_spec
from trading.ledger import Ledger, from_entry
from trading.queue import INTENT_CODES, AccountQueue, RetryPolicy, hedge_order_id, trade_run
from trading.runs.outcome import RunOutcome, orders_status


def plan_json(plan: HedgePlan) -> dict[str, Any]:
    """A hedge plan as JSON: action, notes, net premium and each order."""
    return {
        "action": plan.action,
        "notes": plan.notes,
        "net_premium": plan.net_premium,
        "orders": [
            {
                "symbol": o.contract.symbol,
                "side": o.side,
                "intent": o.intent,
                "contracts": o.contracts,
                "model_price": o.model_price,
                "limit_price": o.limit_price,
            }
            for o in plan.orders
        ],
    }


def run_hedge(
    store: Store,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    *,
    account: OptionsAccount,
    stock: AccountState,
    closes: pd.DataFrame,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
    session: date | None = None,
    check: bool = False,
) -> RunOutcome:
    """Run the hedge of `deployment` at `fire` (see the module docstring) on its options
    `account`, with `stock` the stock sleeve's state (its cash without the hedge's) and `closes`
    the universe's closes known at the fire (the last row prices the sleeve). A finished run
    appends its `hedge_run` event once. With `session`, the run claims that session first
    (`claim_session`): a daily check (`check`) finding it claimed by another run, or a
    rebalance's run finding it claimed by the check, is skipped."""
    outcome = RunOutcome("hedge", deployment.id, run_id, fire, "skipped")
    guard = deployment.status == "paused" and account.settlement == "physical"
    holder = None
    if halted(deployment):
        outcome.reason = "hedging is halted by the hedging kill switch"
    elif deployment.status != "active" and not guard:
        outcome.reason = f"the deployment is {deployment.status}"
    elif session is not None and (
        holder := claim_session(store, deployment, session, run_id, check)
    ):
        outcome.reason = (
            f"the hedge already ran on {session.isoformat()}, by "
            f"{'the daily hedge check' if holder['check'] else 'the rebalance run'} "
            f"{holder['run_id']}: one hedge run trades a session"
        )
    else:
        ledger = Ledger(store, deployment.owner, hedge_account(deployment))
        queue = AccountQueue(
            store, deployment.owner, ledger.book_id, account, ledger, retry or RetryPolicy(), sleep
        )
        _trade(queue, ledger, account, deployment, stock, closes, outcome, guard=guard)
    if outcome.status != "open":
        store.append_deployment_event(
            deployment.owner, deployment.id, "hedge_run", outcome.to_json(), key=f"hedge:{run_id}"
        )
    return outcome


def claim_session(
    store: Store, deployment: Deployment, session: date, run_id: str, check: bool
) -> dict[str, Any] | None:
    """Claim `session` for the hedge run `run_id` (the `hedge_day` event keyed by the session:
    the first run's stands); None when this run may trade, else the claim of the run that
    stops it (a daily check is stopped by any other run, a rebalance's run by the check)."""
    event = store.append_deployment_event(
        deployment.owner,
        deployment.id,
        "hedge_day",
        {"session": session.isoformat(), "run_id": run_id, "check": check},
        key=f"hedge-day:{session.isoformat()}",
    )
    holder: dict[str, Any] = dict(event.data)
    if holder["run_id"] == run_id or not (check or holder["check"]):
        return None
    return holder


def _trade(
    queue: AccountQueue,
    ledger: Ledger,
    account: OptionsAccount,
    deployment: Deployment,
    stock: AccountState,
    closes: pd.DataFrame,
    outcome: RunOutcome,
    *,
    guard: bool,
) -> None:
    """Plan and trade the hedge at the outcome's fire on `account` through `queue` (its fills
    in the hedge's `ledger`; the expiry `guard`'s plan for a paused deployment settled in
    shares), saying in `outcome` what it did."""
    store, fire, run_id = queue.store, outcome.fire, outcome.run_id
    account.advance(fire)

    def plan() -> list[NewOrder] | None:
        try:
            pricing = account.pricing(hedge_spec(deployment)["underlying"], fire)
            made = (
                _guard_plan(deployment, fire, account, pricing.model)
                if guard
                else _plan(deployment, fire, account, ledger, stock, closes, pricing.model)
            )
        except (OrderPlanError, BrokerRejectedError) as exc:
            outcome.status, outcome.reason = "failed", f"no hedge plan: {exc}"
            return None
        made_json = {**plan_json(made), "volatility": pricing.to_json()}
        outcome.plan = _record_plan(store, deployment, run_id, made_json)
        return [
            NewOrder(
                hedge_order_id(deployment.id, run_id, i, o.intent), o.symbol, o.side, o.quantity
            )
            for i, o in enumerate(made.orders)
        ]

    orders = trade_run(queue, deployment.id, run_id, plan, lambda: account.settle_after(fire))
    if orders is None:
        return
    if outcome.plan is None:  # planned by an earlier attempt: the plan it recorded
        outcome.plan = _record_plan(store, deployment, run_id, None)
    outcome.orders = orders
    outcome.status, outcome.reason = orders_status(orders, "hedge orders")
    outcome.positions, outcome.cash = account.option_positions(), ledger.book.cash


def _record_plan(
    store: Store, deployment: Deployment, run_id: str, plan: dict[str, Any] | None
) -> dict[str, Any] | None:
    """The run's plan as its first attempt recorded it (the `hedge_planned` event, once per
    run): `plan` when this attempt made the first, else the one recorded then."""
    event = store.append_deployment_event(
        deployment.owner,
        deployment.id,
        "hedge_planned",
        {"run_id": run_id, "plan": plan},
        key=f"hedge-plan:{run_id}",
    )
    recorded: dict[str, Any] | None = event.data["plan"]
    return recorded


def _positions(account: OptionsAccount) -> list[OptionPosition]:
    return [
        OptionPosition(parse_occ(symbol), n) for symbol, n in account.option_positions().items()
    ]


def _plan(
    deployment: Deployment,
    fire: datetime,
    account: OptionsAccount,
    ledger: Ledger,
    stock: AccountState,
    closes: pd.DataFrame,
    vol_model: ImpliedVolModel,
) -> HedgePlan:
    market = account.market(hedge_spec(deployment)["underlying"], fire)
    last = closes.iloc[-1]
    risky = sum(q * float(last[s]) for s, q in stock.positions.items())
    positions = _positions(account)
    live = {p.contract.symbol: p.contracts for p in positions if p.contract.expiry > market.today}
    marks = marked_value(live, lambda symbol: account.mark(symbol, fire))
    return plan_hedge(
        StrategyConfig.model_validate(deployment.spec["strategy"]["config"]),
        hedge_spec(deployment)["underlying"],
        market,
        positions,
        risky_notional=risky,
        equity=stock.cash + risky + ledger.book.cash + marks,
        vol_model=vol_model,
        spent_last_year=spent_last_year(ledger, fire),
        settlement=account.settlement,
        listed=account.listed,
        next_run=_next_run(deployment, fire) if account.settlement == "physical" else None,
    )


def _guard_plan(
    deployment: Deployment, fire: datetime, account: OptionsAccount, vol_model: ImpliedVolModel
) -> HedgePlan:
    market = account.market(hedge_spec(deployment)["underlying"], fire)
    return expiry_guard(_positions(account), market, vol_model, _next_run(deployment, fire))


def _next_run(deployment: Deployment, fire: datetime) -> date | None:
    """The last close the deployment's next fire after `fire` will know (None: none known)."""
    schedule = schedule_of(deployment.spec)
    following = schedule.next_fire(fire)
    return None if following is None else last_closed_session(schedule.calendar, following)


def spent_last_year(ledger: Ledger, at: datetime) -> float:
    """The net premium the hedge paid opening options over the 365 days to `at` (buys to open
    minus sells to open, fees left out; currency), from the hedge ledger's trades."""
    entries = [from_entry(e) for e in ledger.store.ledger(ledger.owner, ledger.book_id)]
    sign = {INTENT_CODES["buy_to_open"]: 1.0, INTENT_CODES["sell_to_open"]: -1.0}
    spent = 0.0
    for fill in entries:
        if isinstance(fill, Fill) and fill.event == "trade":
            code = fill.order_id.rsplit("-", 1)[-1]
            if at - timedelta(days=365) < fill.time <= at:
                spent += sign.get(code, 0.0) * fill.amount
    return spent
