"""Hedge runs of deployed strategies with an option overlay: the deployment's `hedge` settings
checked at creation, and the run at a fire that plans (`execution.hedge`), enqueues, sends and
records the hedge's option orders.

A deployment's `hedge` (spec field): `underlying`, a symbol of the market data standing in for
the risky sleeve (e.g. SPY: a multi-asset sleeve has no listed option of its own, so the hedge
is sized on the sleeve's notional with a beta of 1 to the underlying), and optionally
`vol_model` (the `ImpliedVolModel` fields; the engine's defaults otherwise). A rule strategy with
an overlay needs one; a strategy without an overlay, or fixed weights, refuses one. Hedges trade
on the deployment's broker: its paper options account (`execution.brokers.paper_options`, cash
settled) or its Alpaca account (`trading.hedge_brokers`: listed contracts, settled in shares,
so held options are closed the session before expiry). On Alpaca, creation reads the account's
options trading level and refuses one below what the overlay's orders need, naming both; it
refuses a collar (its sold call is uncovered: the account holds no 100 shares of the underlying
per contract for it) and a tenor that does not exceed the most sessions between two of the
deployment's fires plus `PHYSICAL_CLOSE_SESSIONS` (each run must buy what the next one can close
before its expiry session).

The run at `fire` (one per rebalance fire, after the rebalance), under `run_id`:

1. `skipped` when its hedging is halted (the hedging kill switch, `trading.hedge_kill_switch`)
   or the deployment is not active, except a paused deployment on a broker that settles in
   shares (Alpaca): its run is an expiry guard (`execution.hedge.expiry_guard`: it buys
   nothing, and closes every held leg once one would expire before the next run could close
   it), so a deployment paused by hand, by the kill switch or by a limit breach is never
   exercised into shares; the scheduler submits its hedge job at each of its fires while it is
   paused (`trading.scheduling`).
2. The hedge account moves to the fire (what expires settles at its expiry's close; open
   orders fill at the closes since), and its trades and settlements go to the hedge ledger.
3. If no order of the run was sent yet, the plan is made on the closes known at the fire: the
   sleeve's notional from the stock account's holdings at the last close, the equity being the
   stock sleeve's cash and holdings plus the hedge's cash (its ledger) and marks; its orders are
   enqueued on the hedge queue (`trading.hedge_queue`). A plan that cannot be made (too few
   closes, no listed contract for a leg) fails the run with the reason, nothing sent.
4. The queue is dispatched; the paper account moves to the next close (where the orders fill at
   the model price: never at a price known when they were placed) once the market data has it,
   while Alpaca fills in real time; the orders and fills are synced. The plan (action, notes,
   each order's model and limit price) is recorded as the run's `hedge_planned` event as soon as
   it is made; the finished run's `hedge_run` event repeats it (from that event on a retried
   attempt) with what became of its orders.

Outcome `status`: `filled`, `no_trades`, `open` (orders still working), `failed` (an order
dead-lettered or canceled; `reason` says why) or `skipped`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

import pandas as pd

from execution.brokers.base import AccountState
from execution.errors import BrokerError, BrokerRejectedError, OrderPlanError
from execution.hedge import (
    PHYSICAL_CLOSE_SESSIONS,
    HedgePlan,
    OptionPosition,
    expiry_guard,
    options_level_needed,
    plan_hedge,
)
from execution.options import CONTRACT_MULTIPLIER, parse_occ
from execution.rebalance import DeployedStrategy, RuleStrategy
from execution.schedule import Schedule, trading_sessions
from quant.options import ImpliedVolModel
from quant.strategy import StrategyConfig
from services.errors import InputError
from services.market_data import last_closed_session
from store import Deployment, NewOrder, QueuedOrder, Store
from trading.execution_queue import RetryPolicy, orders_status
from trading.hedge_accounts import (
    HedgeAccount,
    HedgeLedger,
    from_entry,
    hedge_account,
    hedge_spec,
    vol_model_of,
)
from trading.hedge_queue import INTENT_CODES, dispatch_hedges, hedge_order_id, sync_hedges
from trading.hedge_values import market_on, position_marks

HedgeStatus = Literal["filled", "no_trades", "open", "failed", "skipped"]


def check_hedge(
    strategy: DeployedStrategy,
    hedge: Mapping[str, Any] | None,
    symbols: pd.Index,
    broker: str,
    options_level: Callable[[], int] | None = None,
    *,
    schedule: Schedule | None = None,
) -> dict[str, Any] | None:
    """The spec's `hedge` for a deployment of `strategy` on `broker` whose market data has
    `symbols` (see the module docstring); `InputError` naming the field otherwise. On a broker
    other than `paper`, `options_level` reads the account's options trading level: one below
    what the overlay's orders need (`execution.hedge.options_level_needed`) is refused naming
    both levels (field `broker`)."""
    overlay = isinstance(strategy, RuleStrategy) and strategy.config.has_overlay
    if not overlay:
        if hedge is not None:
            raise InputError(
                "hedge", "the strategy has no option overlay (overlay is none): nothing to hedge"
            )
        return None
    assert isinstance(strategy, RuleStrategy)
    kind = strategy.config.overlay
    if hedge is None or not hedge.get("underlying"):
        raise InputError(
            "hedge.underlying",
            f"the strategy's {kind} overlay needs a hedge underlying: a symbol of the market "
            "data standing in for the risky sleeve (e.g. SPY), hedged with a beta of 1",
        )
    unknown = sorted(set(hedge) - {"underlying", "vol_model"})
    if unknown:
        raise InputError(f"hedge.{unknown[0]}", "unknown field (underlying, vol_model)")
    underlying = hedge["underlying"]
    if not isinstance(underlying, str) or underlying not in symbols:
        raise InputError(
            "hedge.underlying", f"the market data has no prices for {underlying!r} to hedge with"
        )
    if broker != "paper":
        _check_alpaca(strategy.config, options_level, schedule)
    try:
        vol_model = ImpliedVolModel.model_validate(hedge.get("vol_model") or {})
    except ValueError as exc:
        raise InputError("hedge.vol_model", str(exc)) from None
    return {"underlying": underlying, "vol_model": vol_model.model_dump()}


def _check_alpaca(
    config: StrategyConfig,
    options_level: Callable[[], int] | None,
    schedule: Schedule | None,
) -> None:
    """Refuse, naming `broker`, an overlay the Alpaca account cannot hedge (see the module
    docstring)."""
    kind = config.overlay
    if kind == "collar":
        raise InputError(
            "broker",
            "the strategy's collar sells calls the Alpaca account could not cover (a covered "
            "call needs 100 shares of the hedge underlying per contract, which the sleeve does "
            "not hold for it): hedge with a put or a put spread on Alpaca, or deploy on paper",
        )
    gap = 1 if schedule is None else sessions_between_fires(schedule)
    if config.overlay_tenor_days <= gap + PHYSICAL_CLOSE_SESSIONS:
        raise InputError(
            "broker",
            f"the strategy's overlay_tenor_days ({config.overlay_tenor_days}) must exceed the "
            f"sessions between the deployment's fires ({gap}) plus {PHYSICAL_CLOSE_SESSIONS} on "
            "Alpaca, which settles options in shares: each run closes the options the next one "
            "could not close before their expiry session",
        )
    needed = options_level_needed(config)
    level = _options_level(options_level)
    if level < needed:
        raise InputError(
            "broker",
            f"the strategy's {kind} overlay needs options trading level {needed}; the "
            f"Alpaca account's options_trading_level is {level}",
        )


def sessions_between_fires(schedule: Schedule, now: datetime | None = None) -> int:
    """The most trading sessions between two consecutive fires of `schedule` over the year
    after `now` (the whole year when it fires once or never)."""
    start = now or datetime.now(UTC)
    fires = schedule.fires_between(start, start + timedelta(days=366))
    zone = schedule.time_zone
    days = [fire.astimezone(zone).date() for fire in fires]
    sessions = pd.DatetimeIndex(
        trading_sessions(
            schedule.calendar, start.date(), (start + timedelta(days=366)).date()
        ).index
    )
    if len(days) < 2:
        return len(sessions)
    positions = sessions.searchsorted(pd.DatetimeIndex(days))
    return int((positions[1:] - positions[:-1]).max())


def _options_level(read: Callable[[], int] | None) -> int:
    if read is None:
        return 0
    try:
        return read()
    except BrokerError as exc:
        raise InputError("broker", f"the Alpaca account cannot be used: {exc}") from None


@dataclass
class HedgeOutcome:
    """What a hedge run did (see the module docstring for `status`)."""

    deployment_id: str
    run_id: str
    fire: datetime
    status: HedgeStatus
    reason: str | None = None
    plan: dict[str, Any] | None = None
    orders: list[QueuedOrder] = field(default_factory=list)
    positions: dict[str, int] = field(default_factory=dict)
    cash: float = 0.0

    def to_json(self) -> dict[str, Any]:
        """The outcome as JSON (its `hedge_run` event)."""
        return {
            "deployment_id": self.deployment_id,
            "run_id": self.run_id,
            "fire": self.fire.isoformat(),
            "outcome": self.status,
            "reason": self.reason,
            "plan": self.plan,
            "orders": [
                {
                    "client_order_id": o.client_order_id,
                    "symbol": o.symbol,
                    "side": o.side,
                    "contracts": o.quantity,
                    "status": o.status,
                    "filled_contracts": o.filled_quantity,
                    "average_price": o.average_price,
                    "attempts": o.attempts,
                    "reason": o.reason,
                }
                for o in self.orders
            ],
            "positions": self.positions,
            "cash": self.cash,
        }


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


def halted(deployment: Deployment) -> bool:
    """Whether the deployment's hedging is halted by the hedging kill switch."""
    return bool((deployment.spec.get("hedging") or {}).get("halted"))


def run_hedge(
    store: Store,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    *,
    account: HedgeAccount,
    stock: AccountState,
    closes: pd.DataFrame,
    retry: RetryPolicy | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> HedgeOutcome:
    """Run the hedge of `deployment` at `fire` (see the module docstring) on its hedge
    `account`, with `stock` the stock sleeve's state (its cash without the hedge's) and `closes`
    the universe's closes known at the fire (the last row prices the sleeve). A finished run
    appends its `hedge_run` event once."""
    outcome = _run(store, deployment, fire, run_id, account, stock, closes, retry, sleep)
    if outcome.status != "open":
        store.append_deployment_event(
            deployment.owner, deployment.id, "hedge_run", outcome.to_json(), key=f"hedge:{run_id}"
        )
    return outcome


def _run(
    store: Store,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    account: HedgeAccount,
    stock: AccountState,
    closes: pd.DataFrame,
    retry: RetryPolicy | None,
    sleep: Callable[[float], None],
) -> HedgeOutcome:
    outcome = HedgeOutcome(deployment.id, run_id, fire, "skipped")
    guard = deployment.status == "paused" and account.settlement == "physical"
    if (deployment.status != "active" and not guard) or halted(deployment):
        outcome.reason = (
            "hedging is halted by the hedging kill switch"
            if halted(deployment)
            else f"the deployment is {deployment.status}"
        )
        return outcome
    owner, book = deployment.owner, hedge_account(deployment)
    ledger = HedgeLedger(store, owner, book)
    account.advance(fire)
    sync_hedges(store, owner, book, account, ledger)
    run_orders = _run_orders(store, deployment, run_id)
    if all(o.status == "queued" for o in run_orders):
        try:
            plan = (
                _guard_plan(deployment, fire, account)
                if guard
                else _plan(deployment, fire, account, ledger, stock, closes)
            )
        except (OrderPlanError, BrokerRejectedError) as exc:
            outcome.status, outcome.reason = "failed", f"no hedge plan: {exc}"
            return outcome
        outcome.plan = _record_plan(store, deployment, run_id, plan_json(plan))
        new = [
            NewOrder(
                hedge_order_id(deployment.id, run_id, i, o.intent),
                o.contract.symbol,
                o.side,
                float(o.contracts),
            )
            for i, o in enumerate(plan.orders)
        ]
        if new:
            store.enqueue_orders(owner, book, deployment.id, run_id, new)
    else:
        outcome.plan = _record_plan(store, deployment, run_id, None)
    dispatch_hedges(store, owner, book, account, retry=retry, sleep=sleep)
    account.settle_after(fire)
    sync_hedges(store, owner, book, account, ledger)
    outcome.orders = _run_orders(store, deployment, run_id)
    outcome.status, outcome.reason = orders_status(outcome.orders, "hedge orders")
    outcome.positions, outcome.cash = account.option_positions(), ledger.book.cash
    return outcome


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


def _run_orders(store: Store, deployment: Deployment, run_id: str) -> list[QueuedOrder]:
    book = hedge_account(deployment)
    orders = store.list_orders(deployment.owner, deployment_id=deployment.id, run_id=run_id)
    return [o for o in orders if o.account == book]


def _plan(
    deployment: Deployment,
    fire: datetime,
    account: HedgeAccount,
    ledger: HedgeLedger,
    stock: AccountState,
    closes: pd.DataFrame,
) -> HedgePlan:
    market = account.market(hedge_spec(deployment)["underlying"], fire)
    last = closes.iloc[-1]
    risky = sum(q * float(last[s]) for s, q in stock.positions.items())
    marks = sum(
        n * CONTRACT_MULTIPLIER * account.mark(symbol, fire)
        for symbol, n in account.option_positions().items()
        if parse_occ(symbol).expiry > market.today
    )
    equity = stock.cash + risky + ledger.book.cash + marks
    positions = [
        OptionPosition(parse_occ(symbol), n) for symbol, n in account.option_positions().items()
    ]
    return plan_hedge(
        StrategyConfig.model_validate(deployment.spec["strategy"]["config"]),
        hedge_spec(deployment)["underlying"],
        market,
        positions,
        risky_notional=risky,
        equity=equity,
        vol_model=vol_model_of(deployment),
        spent_last_year=spent_last_year(ledger, fire),
        settlement=account.settlement,
        listed=account.listed,
        next_run=_next_run(deployment, fire) if account.settlement == "physical" else None,
    )


def _guard_plan(deployment: Deployment, fire: datetime, account: HedgeAccount) -> HedgePlan:
    market = account.market(hedge_spec(deployment)["underlying"], fire)
    positions = [
        OptionPosition(parse_occ(symbol), n) for symbol, n in account.option_positions().items()
    ]
    return expiry_guard(positions, market, vol_model_of(deployment), _next_run(deployment, fire))


def _next_run(deployment: Deployment, fire: datetime) -> date | None:
    """The last close the deployment's next fire after `fire` will know (None: none known)."""
    schedule = Schedule(**{k: v for k, v in deployment.spec["schedule"].items() if v is not None})
    following = schedule.next_fire(fire)
    return None if following is None else last_closed_session(schedule.calendar, following)


def spent_last_year(ledger: HedgeLedger, at: datetime) -> float:
    """The net premium the hedge paid opening options over the 365 days to `at` (buys to open
    minus sells to open, fees left out; currency), from the hedge ledger's trades."""
    entries = [from_entry(e) for e in ledger.store.ledger(ledger.owner, ledger.book_id)]
    sign = {INTENT_CODES["buy_to_open"]: 1.0, INTENT_CODES["sell_to_open"]: -1.0}
    spent = 0.0
    for fill in entries:
        code = fill.order_id.rsplit("-", 1)[-1]
        if fill.event == "trade" and at - timedelta(days=365) < fill.time <= at:
            spent += sign.get(code, 0.0) * fill.amount
    return spent


def hedge_report(
    store: Store, deployment: Deployment, as_of: datetime, closes: pd.DataFrame
) -> dict[str, Any]:
    """The deployment's hedge as its ledger and queue have it: settings, whether it is halted,
    contracts held per OCC symbol, net cash, premiums paid and received, settlements and fees
    (currency), its hedge orders and, among them, the dead letters; and each position marked at
    the model price of the last close of `closes` (the market data) on or before `as_of`
    (`marks`; `market_value` their sum, `pnl` the net cash plus it: what the hedge has returned
    so far). `InputError` naming `deployment_id` when the deployment has no hedge."""
    if "hedge" not in deployment.spec:
        raise InputError("deployment_id", f"deployment {deployment.id} has no option hedge")
    book = hedge_account(deployment)
    ledger = HedgeLedger(store, deployment.owner, book)
    orders = [
        o
        for o in store.list_orders(deployment.owner, deployment_id=deployment.id)
        if o.account == book
    ]
    rows = [
        {
            "client_order_id": o.client_order_id,
            "run_id": o.run_id,
            "symbol": o.symbol,
            "side": o.side,
            "contracts": o.quantity,
            "status": o.status,
            "attempts": o.attempts,
            "filled_contracts": o.filled_quantity,
            "average_price": o.average_price,
            "reason": o.reason,
        }
        for o in orders
    ]
    return {
        "deployment_id": deployment.id,
        "account": book,
        "hedge": hedge_spec(deployment),
        "halted": halted(deployment),
        "positions": dict(sorted(ledger.book.contracts.items())),
        "cash": ledger.book.cash,
        "premiums_paid": ledger.book.premiums_paid,
        "premiums_received": ledger.book.premiums_received,
        "settlements": ledger.book.settlements,
        "fees": ledger.book.fees,
        "orders": rows,
        "dead_letters": [row for row in rows if row["status"] == "dead"],
        **_marks(deployment, ledger.book.contracts, ledger.book.cash, as_of, closes),
    }


def _marks(
    deployment: Deployment,
    contracts: Mapping[str, int],
    cash: float,
    as_of: datetime,
    closes: pd.DataFrame,
) -> dict[str, Any]:
    underlying = hedge_spec(deployment)["underlying"]
    if closes[underlying].dropna().loc[: pd.Timestamp(as_of.date())].empty:
        return {"priced_on": None, "marks": [], "market_value": None, "pnl": None}
    market = market_on(deployment.spec, closes[underlying], as_of.date())
    marks = position_marks(contracts, market, vol_model_of(deployment))
    value = float(sum(row["market_value"] for row in marks))
    return {
        "priced_on": market.today.isoformat(),
        "marks": marks,
        "market_value": value,
        "pnl": cash + value,
    }
