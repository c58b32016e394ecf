"""Forward-testing an account several deployments share: its strategies paper-traded together
over past market data, session by session, through the shared account's own run
(`trading.runs.rebalance.rebalance_shared`: each decides on its own book, the plans netted,
opposite trades crossed inside the account, the net checked once, sent through the account's
queue to one paper broker, every fill split into the books by its allocations), so an owner
sees the netting before trusting the account with money.

The members are the owner's deployments named on the account (`trading.account_names`: those
not retired, drafts included). Each gets its own test deployment (`spec.mode = "forward_test"`,
its book earning its own `cash_rate`: its strategy's safe rate unless the request names one)
on one paper account of the test's own, `<the account>-test-<job id>[-<attempt>]`, whose
paper broker trades with the request's `costs` (commissions per share, per order and in basis
points, slippage) and pays each book its own interest (`trading.accounts.interest`). Time moves
through every member's fires and each session's close in order, as in a forward test of one
deployment (`trading.forward_tests.paper`); at a fire the members whose schedule fires then
decide together; the account's hedge (its one hedged member's) runs after the account's run,
sized on the account's total exposure. The test deployments are retired at the end, and after
a failure.

The result holds each member's part as a forward test of one deployment holds it (its book's
values against its deployed backtest, the gap's decomposition, fees, interest, runs) and the
**netting** (`netting_summary`), per member and for the account: the decision times, the
orders sent and crossed, the conflicts, the shares and value crossed inside the account and
what the crossed parts saved: the slippage (`slippage_bps` of their value) and the commission
(each crossed part charged as a fill of its own order) that trading alone would have paid.
The forward-test job then stores the account's analytics of its last session and submits its
tearsheets (`trading.day.post_market.test_account_tearsheets`), so that every member's
tearsheet exists as a live account's would.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd

from execution.brokers.paper import PaperBroker, PaperCosts
from execution.ledger import CashFlow, time_weighted_return
from execution.netting import conflicts_of
from execution.schedule import session_datetimes
from services.errors import InputError
from services.market_data import universe_closes
from store import Deployment, QueuedOrder, Store
from trading.account_names import shared_paper_account
from trading.accounts.interest import pay_books_interest
from trading.accounts.paper import CAPITAL_NOTE
from trading.accounts.shared import account_run_id, netted_order
from trading.deployments import (
    ACCOUNT_NAME_FIELD,
    NOT_RETIRED,
    FirePrice,
    account_of,
    book_rate,
    deployed_strategy,
    is_forward_test,
    is_shared,
    safe_rate_of,
)
from trading.forward_tests.backtest import Fire, deployment_fires
from trading.forward_tests.comparison import beside_the_account, comparison_fields
from trading.forward_tests.hedge import ForwardHedge
from trading.forward_tests.paper import (
    Progress,
    abandon_earlier_attempts,
    check_fire_price_and_cash_rate,
    create_test_deployment,
    decided_targets,
    paused_by,
    retire_after_a_failure,
    runs_detail,
    settle_at_next_close,
    window_sessions,
)
from trading.ledger import AccountLedger
from trading.queue import RetryPolicy, write_executions
from trading.runs.outcome import RunOutcome
from trading.runs.rebalance import ExecutionContext, SharedAccount, rebalance_shared

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AccountForwardTestRequest:
    """Forward-test the owner's account named `account` from session `start` to `end` (None:
    the last session of the data) with the paper broker's `costs`, each book's cash earning
    `cash_rate` a year (None: its own strategy's safe rate), the fires deciding on
    `fire_price` (`trading.deployments.FirePrice`)."""

    account: str
    start: date
    end: date | None = None
    costs: PaperCosts = field(default_factory=PaperCosts)
    cash_rate: float | None = None
    fire_price: FirePrice = "session_close"

    def __post_init__(self) -> None:
        check_fire_price_and_cash_rate(self.fire_price, self.cash_rate)

    def job_request(self) -> dict[str, Any]:
        """The request of a forward-test job of the account (`from_job_request` reads it)."""
        return {
            "account": self.account,
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "cash_rate": self.cash_rate,
            "fire_price": self.fire_price,
            "costs": asdict(self.costs),
        }

    @classmethod
    def from_job_request(cls, request: Mapping[str, Any]) -> AccountForwardTestRequest:
        """The account's forward test a job's request describes (`job_request`)."""
        end = request.get("end")
        return cls(
            account=request["account"],
            start=date.fromisoformat(request["start"]),
            end=None if end is None else date.fromisoformat(end),
            costs=PaperCosts(**request.get("costs", {})),
            cash_rate=request.get("cash_rate"),
            fire_price=request.get("fire_price", "session_close"),
        )


def named_members(store: Store, owner: str, name: str) -> list[Deployment]:
    """The owner's deployments not retired (drafts included, forward tests left out) on the
    account the owner named `name`, oldest first; `InputError` naming `account` when there is
    none."""
    paper = shared_paper_account(store, owner, name)
    members = [
        d
        for d in store.list_deployments(owner)
        if d.status in NOT_RETIRED
        and not is_forward_test(d)
        and is_shared(d)
        and (account_of(d) == paper or d.spec.get(ACCOUNT_NAME_FIELD) == name)
    ]
    if not members:
        raise InputError(
            "account",
            f"none of your deployments (draft, active or paused) trades the account {name!r}: "
            f'create them with it (--account {name} on the command line, "account" in the '
            "API)",
        )
    return sorted(members, key=lambda d: (d.created_at, d.id))


def check_account_forward_test(store: Store, owner: str, name: str, start: date) -> None:
    """Refuse (`InputError`) what an account's forward test cannot run, before it is
    submitted: an account without members, a start before the history a member needs."""
    for member in named_members(store, owner, name):
        strategy = deployed_strategy(member.spec)
        closes = universe_closes(member.spec["universe"])
        known = int((closes.index <= pd.Timestamp(start)).sum())
        if known < strategy.history_days:
            raise InputError(
                "start",
                f"{member.name} ({member.id}) needs {strategy.history_days} sessions of prices "
                f"before {start}; the data has {known}",
            )


@dataclass
class _Members:
    """The test's members: each source deployment's test deployment, in member order."""

    sources: list[Deployment]
    tests: list[Deployment]

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tests]


def account_forward_test(
    store: Store,
    owner: str,
    request: AccountForwardTestRequest,
    prices: pd.DataFrame,
    *,
    run_id: str,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Run the account's forward test (see the module docstring) under the job id `run_id`;
    its result."""
    sources = named_members(store, owner, request.account)
    symbols = sorted({s for m in sources for s in m.spec["universe"]})
    missing = [s for s in symbols if s not in prices.columns]
    if missing:
        raise InputError("account", f"the market data has no prices for {missing}")
    closes = prices.loc[:, symbols].dropna()
    sessions = window_sessions(sources[0], closes, request.start, request.end)
    for source in sources[1:]:
        window_sessions(source, closes, request.start, request.end)  # each one's history
    earlier = {  # a resumed job's earlier attempts' accounts: this one trades another
        account_of(d)
        for d in store.list_deployments(owner)
        if d.spec.get("forward_test_run") == run_id
    }
    abandon_earlier_attempts(store, owner, run_id)
    test_account = f"{shared_paper_account(store, owner, request.account)}-test-{run_id}" + (
        f"-{len(earlier) + 1}" if earlier else ""
    )
    members = _Members(sources, [])
    try:
        for source in sources:
            rate = safe_rate_of(source.spec) if request.cash_rate is None else request.cash_rate
            members.tests.append(
                create_test_deployment(
                    store,
                    source,
                    run_id,
                    (request.start, request.end),
                    sessions.index[0].date(),
                    cash_rate=rate,
                    fire_price=request.fire_price,
                    account={"account": test_account, "shared_account": True},
                )
            )
        return _trade(
            store, owner, request, members, test_account, prices, closes, sessions, run_id,
            progress, cancelled,
        )  # fmt: skip
    except BaseException:
        for test in members.tests:
            retire_after_a_failure(store, owner, test.id)
        raise


@dataclass
class _Run:
    """What the test's loop keeps: each member's values at the closes and run outcomes."""

    values: dict[str, list[float]]
    outcomes: dict[str, list[RunOutcome]]
    account_values: list[float] = field(default_factory=list)


def _trade(
    store: Store,
    owner: str,
    request: AccountForwardTestRequest,
    members: _Members,
    test_account: str,
    prices: pd.DataFrame,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    run_id: str,
    progress: Progress | None,
    cancelled: Callable[[], bool],
) -> dict[str, Any]:
    """Paper trade the members together over `sessions`, then compare each with its backtest;
    the test deployments retired."""
    hedged = [t for t in members.tests if "hedge" in t.spec]
    hedge = (
        ForwardHedge.open(store, hedged[0], prices, sessions.index[-1].date(), run_id)
        if hedged
        else None
    )
    broker, ledger = _funded(store, owner, request, members, test_account, closes, sessions)
    rates = {t.id: book_rate(t.spec) for t in members.tests}
    context = ExecutionContext(
        store,
        broker,
        retry=RetryPolicy(max_attempts=1),
        sleep=lambda _: None,
        book_interest=lambda books: pay_books_interest(store, broker, books, rates),
    )
    fires = {t.id: deployment_fires(t.spec, sessions, closes) for t in members.tests}
    run = _run(context, ledger, members, fires, sessions, closes, broker, hedge, test_account,
               progress, cancelled)  # fmt: skip
    pay_books_interest(store, broker, ledger, rates)
    store.create_broker_account(owner, test_account, "paper", broker.state())
    for test in members.tests:
        final = store.get_deployment(owner, test.id)
        if final.status != "retired":
            store.update_deployment(
                owner, test.id, expected_version=final.version, status="retired"
            )
    index = sessions.index[: len(run.account_values)]
    orders = store.list_orders(owner, deployment_id=test_account)
    netting = netting_summary(orders, request.costs)
    results = [
        _member_result(
            store,
            source,
            test,
            request,
            pd.Series(run.values[test.id], index=index),
            run.outcomes[test.id],
            fires[test.id],
            ledger,
            closes,
            sessions,
            hedge if hedged and test.id == hedged[0].id else None,
            netting["members"],
        )
        for source, test in zip(members.sources, members.tests, strict=True)
    ]
    broker_fills = broker.fills()
    return {
        "account": request.account,
        "test_account": test_account,
        "start": index[0].date().isoformat(),
        "end": index[-1].date().isoformat(),
        "sessions": len(index),
        "capital": sum(float(t.spec["capital"]) for t in members.tests),
        "fire_price": request.fire_price,
        "costs": asdict(request.costs),
        "final_value": run.account_values[-1],
        "fees": sum(f.fee for f in broker_fills),
        "interest": sum(f.amount for f in broker.interest()),
        "fills": len(broker_fills),
        "netting": netting["account"],
        "members": results,
    }


def _funded(
    store: Store,
    owner: str,
    request: AccountForwardTestRequest,
    members: _Members,
    test_account: str,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
) -> tuple[PaperBroker, AccountLedger]:
    """The test's paper account (its costs; no rate of its own: each book earns its own) and
    its ledger over the members' books, each member's capital deposited at the first open."""
    broker = PaperBroker(closes, fill_at="close", costs=request.costs, fractional=True)
    first_open = sessions["open"].iloc[0].to_pydatetime()
    broker.advance(first_open)
    ledger = AccountLedger(store, owner, test_account, members.ids)
    for test in members.tests:
        capital = float(test.spec["capital"])
        broker.deposit(capital, first_open, f"{CAPITAL_NOTE}{test.id}")
        ledger.members[test.id].record([CashFlow("capital", capital, first_open, "capital")])
    return broker, ledger


def _run(
    context: ExecutionContext,
    ledger: AccountLedger,
    members: _Members,
    fires: Mapping[str, list[Fire]],
    sessions: pd.DataFrame,
    closes: pd.DataFrame,
    broker: PaperBroker,
    hedge: ForwardHedge | None,
    test_account: str,
    progress: Progress | None,
    cancelled: Callable[[], bool],
) -> _Run:
    """Move time through the members' fires and the sessions' closes (see the module
    docstring); every member's value at each close and its runs' outcomes."""
    store = context.store
    by_time: dict[datetime, tuple[int, set[str]]] = {}
    for member_id, member_fires in fires.items():
        for planned in member_fires:
            by_time.setdefault(planned.time, (planned.decision_row, set()))[1].add(member_id)
    times = sorted(by_time)
    close_times = session_datetimes(sessions["close"])
    rows = closes.index.get_indexer(sessions.index)
    run = _Run({t.id: [] for t in members.tests}, {t.id: [] for t in members.tests})
    next_fire = 0
    for day, close_time in enumerate(close_times):
        while next_fire < len(times) and times[next_fire] <= close_time:
            fire = times[next_fire]
            decision_row, firing = by_time[fire]
            next_fire += 1
            current = [store.get_deployment(t.owner, t.id) for t in members.tests]
            deciding = [d for d in current if d.id in firing and d.status == "active"]
            if not deciding:
                continue
            broker.advance(fire)
            context.settle = settle_at_next_close(broker, fire, close_times)
            known = closes.iloc[: decision_row + 1]
            shared = SharedAccount(test_account, ledger, deciding)
            outcomes = rebalance_shared(
                context, shared, fire, account_run_id(test_account, fire), known
            )
            for member_id, outcome in outcomes.items():
                run.outcomes[member_id].append(outcome)
            hedged = hedge is not None and any(o.status != "open" for o in outcomes.values())
            if hedge is not None and hedged:  # after the account's trades, on its exposure
                hedge.run(fire, broker.account(), known)
        broker.advance(close_time)
        _record_late_fills(store, ledger, broker)
        if context.book_interest is not None:  # the books' interest up to the close
            context.book_interest(ledger)
        row = closes.iloc[rows[day]]
        hedge_value = 0.0 if hedge is None else hedge.value_at(close_time)
        for test in members.tests:
            book = ledger.members[test.id].book
            value = book.cash + sum(q * float(row[s]) for s, q in book.holdings().items())
            mine = hedge is not None and test.id == hedge.test.id
            run.values[test.id].append(value + (hedge_value if mine else 0.0))
        state = broker.account()
        run.account_values.append(
            state.cash + sum(q * float(row[s]) for s, q in state.positions.items()) + hedge_value
        )
        if progress is not None and (day % 21 == 0 or day == len(close_times) - 1):
            progress(day + 1, len(close_times))
        if cancelled():
            break
    return run


def _record_late_fills(store: Store, ledger: AccountLedger, broker: PaperBroker) -> None:
    """Split the account's fills no run has recorded (orders a run left working) into the
    books, as a run's sync does."""
    new = ledger.new_items(broker.fills(ledger.last_fill_time))
    if new:
        write_executions(store, ledger.owner, ledger.entries_for(new), [])
        ledger.applied(new)


def netting_summary(orders: Sequence[QueuedOrder], costs: PaperCosts) -> dict[str, Any]:
    """The netting of a shared account's `orders` (the queue's, every decision time's): for the
    account (`decision_times`, `orders_sent`, `orders_crossed`, `conflicts`, `shares_crossed`,
    `value_crossed`, `slippage_saved`, `commission_saved`, and per symbol the shares crossed
    and sent) and for each member (`members`: id -> the same shares, value and savings of its
    crossed parts). A crossed part of `q` shares at price `p` saved what the broker would have
    charged on it at that bar: the slippage (`q p slippage_bps / 10^4`) and its commission per
    share and in basis points at the price it would have filled at (`commission_per_share q +
    commission_bps q p' / 10^4`, `p'` the price moved by the slippage), and a strategy whose
    whole want of a symbol at a decision time crossed saved an order's `commission_per_order`
    (what a netted order's commission per order spares the strategies sharing it, and the
    minimum per fill, are not counted); currency and shares."""
    runs: dict[str, list[QueuedOrder]] = {}
    for order in orders:
        runs.setdefault(order.run_id, []).append(order)
    members: dict[str, dict[str, float]] = {}
    symbols: dict[str, dict[str, float]] = {}
    for run in runs.values():
        sent = {(o.symbol, a.deployment_id) for o in run if o.internal_price is None
                for a in o.allocations}  # fmt: skip
        for order in run:
            per_symbol = symbols.setdefault(order.symbol, {"crossed": 0.0, "sent": 0.0})
            price = order.internal_price
            if price is None:
                per_symbol["sent"] += order.quantity
                continue
            per_symbol["crossed"] += order.quantity / 2  # each crossing is a buy and a sell
            filled_at = costs.fill_price(order.side, price)  # at the broker, this bar
            for part in order.allocations:
                mine = members.setdefault(part.deployment_id, _no_savings())
                mine["shares_crossed"] += part.quantity
                mine["value_crossed"] += part.quantity * price
                mine["slippage_saved"] += part.quantity * abs(filled_at - price)
                mine["commission_saved"] += (
                    costs.commission_per_share * part.quantity
                    + costs.commission_bps * part.quantity * filled_at / 10_000
                    + (0.0 if (order.symbol, part.deployment_id) in sent
                       else costs.commission_per_order)
                )  # fmt: skip
    totals = _no_savings()
    for mine in members.values():
        for key in totals:
            totals[key] += mine[key]
    totals["shares_crossed"] /= 2  # a crossed share is one strategy's buy and another's sell
    totals["value_crossed"] /= 2
    return {
        "account": {
            "decision_times": len(runs),
            "orders_sent": sum(o.internal_price is None for o in orders),
            "orders_crossed": sum(o.internal_price is not None for o in orders),
            "conflicts": sum(
                len(conflicts_of([netted_order(o) for o in run])) for run in runs.values()
            ),
            **totals,
            "by_symbol": dict(sorted(symbols.items())),
        },
        "members": members,
    }


def _no_savings() -> dict[str, float]:
    return dict.fromkeys(
        ("shares_crossed", "value_crossed", "slippage_saved", "commission_saved"), 0.0
    )


def _member_result(
    store: Store,
    source: Deployment,
    test: Deployment,
    request: AccountForwardTestRequest,
    values: pd.Series,
    outcomes: list[RunOutcome],
    fires: list[Fire],
    ledger: AccountLedger,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    hedge: ForwardHedge | None,
    netting: Mapping[str, Mapping[str, float]],
) -> dict[str, Any]:
    """A member's part of the result: its book as a forward test of one deployment reports
    its account (`trading.forward_tests.paper`), and its netting."""
    own = closes.loc[:, list(test.spec["universe"])]
    capital = float(test.spec["capital"])
    clean = all(o.status in ("filled", "no_trades") and not o.paused for o in outcomes)
    beside = beside_the_account(
        deployed_strategy(test.spec), own, sessions.loc[values.index], test.spec, values, fires,
        capital=capital, costs=request.costs, cash_rate=book_rate(test.spec), clean=clean,
        decided=decided_targets(outcomes, fires, own),
    )  # fmt: skip
    member = ledger.members[test.id]
    last = {s: float(own.loc[values.index[-1], s]) for s in own.columns}
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    stopped = next((o for o in outcomes if o.paused), None)
    hedge_outcomes = [] if hedge is None else hedge.outcomes
    return {
        "forward_test_deployment_id": test.id,
        "deployment_id": source.id,
        "name": source.name,
        "capital": capital,
        "cash_rate": book_rate(test.spec),
        "runs": len(outcomes),
        "run_statuses": statuses,
        "paused": None if stopped is None else paused_by(stopped),
        "hedge": None if hedge is None else hedge.summary(values.index[-1].date()),
        "final_value": float(values.iloc[-1]),
        "time_weighted_return": time_weighted_return(
            list(values.to_numpy()), [capital] + [0.0] * (len(values) - 1)
        ),
        "realised_pnl": member.book.realised_pnl(),
        "unrealised_pnl": member.book.unrealised_pnl(last),
        "fees": member.book.fees,
        "fills": member.fill_count,
        "interest": member.interest,
        "holdings": member.book.holdings(),
        "cash": member.book.cash,
        "netting": dict(netting.get(test.id) or _no_savings()),
        **comparison_fields(values, beside),
        "runs_detail": runs_detail(outcomes + hedge_outcomes),
    }
