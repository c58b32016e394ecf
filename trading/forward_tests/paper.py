"""Forward-testing a deployment: paper trading it from a past date to the end of the market data,
session by session, through the same schedule, order queue, paper broker and ledger as a
live deployment, and comparing the account with the engine's backtest of the same strategy.

The test runs as its own deployment (`spec.mode = "forward_test"`, a copy of the original with
its own paper account and ledger; the scheduler never fires it), so the original is never
traded or paused by it. The test deployment is retired when the test ends, and when it fails
(the failure, e.g. the store's "database or disk is full", is raised unchanged). Time moves
through the schedule's fire times and each session's close in order: at a fire the run decides
on the prices known then (`fire_price`: by default a fire during a session takes that session's
close as the price at the fire, as a live run takes the latest trade; see
`trading.deployments.FirePrice`) and sends its orders, which the paper broker fills
at the next bar (`fill_at`: the session's close); at each close the account is valued, its cash
having earned `cash_rate` (by default the strategy's safe rate, as a sweep pays it; the ledger
records the interest as each run reconciles, and the rest at the end). A limit breach pauses the test deployment like a live one: later fires are skipped
and the account is still valued.

A deployment with a `hedge` (a strategy with an option overlay) also runs its hedge at every
fire after the rebalance, as a live paper deployment does (`trading.forward_tests.hedge`: the test
deployment's own paper options account and hedge ledger; orders fill at the next close's model
price, options settle at their expiry's close); its value at a close is then the stock
account's plus the hedge's net cash plus its options marked at that close's model price. Hedge
runs are counted apart from rebalance runs (`hedge.run_statuses`), and a failed one (a dead
letter) is in `runs_detail` with its reason. A rebalance that leaves orders working runs no
hedge at its fire, as the live rebalance job then retries before submitting it.

The backtests (`trading.forward_tests.backtest`: the strategy as deployed, on the test's own
fires, and as it was searched) and the account start with the deployment's capital before the
first session; the gap between the account and the deployed backtest is decomposed
(`trading.forward_tests.tracking`).
"""

from __future__ import annotations

import bisect
import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd

from execution.brokers.paper import PaperBroker, PaperCosts
from execution.ledger import CashFlow, time_weighted_return
from execution.rebalance import DeployedStrategy
from execution.schedule import session_datetimes, trading_sessions
from services.errors import InputError
from store import Deployment, Store
from trading.deployments import (
    ACCOUNT_FIELDS,
    FIRE_PRICES,
    FORWARD_TEST_MODE,
    FirePrice,
    calendar_of,
    counts_from_first_fire,
    deployed_strategy,
    is_forward_test,
    safe_rate_of,
)
from trading.forward_tests.backtest import (
    Fire,
    deployment_fires,
)
from trading.forward_tests.comparison import Beside, beside_the_account, comparison_fields
from trading.forward_tests.hedge import ForwardHedge
from trading.ledger import Ledger
from trading.queue import RetryPolicy
from trading.runs.outcome import RunOutcome
from trading.runs.rebalance import ExecutionContext, rebalance

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]


def check_fire_price_and_cash_rate(fire_price: str, cash_rate: float | None) -> None:
    """Refuse a forward test's fire price other than `FIRE_PRICES` and a cash rate (a yearly
    fraction) outside 0..1 (`InputError` naming the field)."""
    if fire_price not in FIRE_PRICES:
        raise InputError("fire_price", f"must be one of {', '.join(FIRE_PRICES)}")
    if cash_rate is not None and not (math.isfinite(cash_rate) and 0 <= cash_rate <= 1):
        raise InputError("cash_rate", f"must be a yearly rate from 0 to 1, got {cash_rate!r}")


@dataclass(frozen=True)
class ForwardTestRequest:
    """Forward-test deployment `deployment_id` from session `start` to `end` (None: the last
    session of the data) with the paper broker's `costs`, its cash earning `cash_rate` a year
    (None: the strategy's safe rate), its fires deciding on `fire_price` (`FirePrice`); a
    hedge's paper options account charges `option_fee_per_contract` (currency) and is approved
    for `options_level` (0-3)."""

    deployment_id: str
    start: date
    end: date | None = None
    costs: PaperCosts = field(default_factory=PaperCosts)
    option_fee_per_contract: float = 0.0
    options_level: int = 3
    cash_rate: float | None = None
    fire_price: FirePrice = "session_close"

    def __post_init__(self) -> None:
        check_fire_price_and_cash_rate(self.fire_price, self.cash_rate)

    def job_request(self) -> dict[str, Any]:
        """The request of a forward-test job (`from_job_request` reads it)."""
        return {
            "deployment_id": self.deployment_id,
            "start": self.start.isoformat(),
            "end": None if self.end is None else self.end.isoformat(),
            "cash_rate": self.cash_rate,
            "fire_price": self.fire_price,
            "costs": asdict(self.costs),
        }

    @classmethod
    def from_job_request(cls, request: Mapping[str, Any]) -> ForwardTestRequest:
        """The forward test a job's request describes (`job_request`; without `costs`, the
        paper broker's defaults)."""
        end = request.get("end")
        return cls(
            deployment_id=request["deployment_id"],
            start=date.fromisoformat(request["start"]),
            end=None if end is None else date.fromisoformat(end),
            costs=PaperCosts(**request.get("costs", {})),
            cash_rate=request.get("cash_rate"),
            fire_price=request.get("fire_price", "session_close"),
        )


def forward_test(
    store: Store,
    owner: str,
    request: ForwardTestRequest,
    prices: pd.DataFrame,
    *,
    run_id: str,
    progress: Progress | None = None,
    cancelled: Callable[[], bool] = lambda: False,
) -> dict[str, Any]:
    """Run the forward test (see the module docstring) under the job id `run_id`; returns its
    result: the test deployment's id, the daily values of the account and of the backtest,
    their comparison, the ledger's totals and the runs' outcomes."""
    source = store.get_deployment(owner, request.deployment_id)
    if is_forward_test(source):
        raise InputError("deployment_id", f"{source.id} is itself a forward test")
    strategy = deployed_strategy(source.spec)
    symbols = list(strategy.universe)
    missing = [s for s in symbols if s not in prices.columns]
    if missing:
        raise InputError("deployment_id", f"the market data has no prices for {missing}")
    closes = prices.loc[:, symbols].dropna()
    sessions = window_sessions(source, closes, request.start, request.end)
    cash_rate = safe_rate_of(source.spec) if request.cash_rate is None else request.cash_rate
    abandon_earlier_attempts(store, owner, run_id)
    test = create_test_deployment(
        store,
        source,
        run_id,
        (request.start, request.end),
        sessions.index[0].date(),
        cash_rate=cash_rate,
        fire_price=request.fire_price,
    )
    try:
        return _paper_trade(
            store,
            owner,
            strategy,
            source,
            test,
            request,
            prices,
            closes,
            sessions,
            run_id,
            progress,
            cancelled,
        )
    except BaseException:
        retire_after_a_failure(store, owner, test.id)
        raise


def retire_after_a_failure(store: Store, owner: str, test_id: str) -> None:
    """Retire the test deployment of a forward test that failed (it is never traded again); a
    store that cannot take that write leaves it to the next attempt, which retires it, and the
    test's own failure is what is reported."""
    try:
        test = store.get_deployment(owner, test_id)
        if test.status != "retired":
            store.update_deployment(owner, test_id, expected_version=test.version, status="retired")
    except Exception:  # the failure being raised is the one to report
        log.warning("forward test deployment %s could not be retired after a failure", test_id)


def _paper_trade(
    store: Store,
    owner: str,
    strategy: DeployedStrategy,
    source: Deployment,
    test: Deployment,
    request: ForwardTestRequest,
    prices: pd.DataFrame,
    closes: pd.DataFrame,
    sessions: pd.DataFrame,
    run_id: str,
    progress: Progress | None,
    cancelled: Callable[[], bool],
) -> dict[str, Any]:
    """Paper trade `test` over `sessions` and compare it with the backtest; the test deployment
    is retired at the end."""
    hedge = ForwardHedge.open(
        store,
        test,
        prices,
        sessions.index[-1].date(),
        run_id,
        fee_per_contract=request.option_fee_per_contract,
        level=request.options_level,
    )
    broker = PaperBroker(
        closes,
        fill_at="close",
        costs=request.costs,
        fractional=True,
        cash_rate=float(test.spec["cash_rate"]),
    )
    capital = float(source.spec["capital"])
    first_open = sessions["open"].iloc[0].to_pydatetime()
    broker.advance(first_open)
    broker.deposit(capital, first_open)
    ledger = Ledger(store, owner, test.id)
    ledger.record([CashFlow("capital", capital, first_open, "capital")])
    context = ExecutionContext(
        store,
        broker,
        retry=RetryPolicy(max_attempts=1),
        sleep=lambda _: None,
        interest=broker.interest,
    )
    fires = deployment_fires(test.spec, sessions, closes)
    values, outcomes = _run(
        context,
        ledger,
        test,
        fires,
        sessions,
        closes,
        broker,
        hedge,
        run_id,
        progress,
        cancelled,
    )
    clean = all(o.status in ("filled", "no_trades") and not o.paused for o in outcomes)
    beside = beside_the_account(
        strategy, closes, sessions, test.spec, values, fires,
        capital=capital, costs=request.costs, cash_rate=float(test.spec["cash_rate"]),
        clean=clean, decided=decided_targets(outcomes, fires, closes),
    )  # fmt: skip
    store.create_broker_account(owner, f"paper-{test.id}", "paper", broker.state())
    final = store.get_deployment(owner, test.id)
    if final.status != "retired":
        store.update_deployment(owner, test.id, expected_version=final.version, status="retired")
    return _result(test, source, request, values, beside, outcomes, ledger, closes, hedge)


def decided_targets(
    outcomes: list[RunOutcome], fires: list[Fire], closes: pd.DataFrame
) -> list[np.ndarray] | None:
    """The capped targets each fire's run decided, in the order of `closes`' columns: those the
    deployed backtest trades to (`deployed_targets` computes the same from the same closes);
    None unless every fire's run decided (a paused deployment's runs are skipped)."""
    if len(outcomes) != len(fires) or not all(o.targets for o in outcomes):
        return None
    columns = [str(c) for c in closes.columns]
    return [np.array([o.targets.get(c, 0.0) for c in columns]) for o in outcomes]


def window_sessions(
    source: Deployment, closes: pd.DataFrame, start: date, end: date | None
) -> pd.DataFrame:
    """The sessions of a forward test of `source` from `start` to `end` (None: the last of
    `closes`) that `closes` price: `InputError` naming `start` when the strategy lacks the
    history it needs before `start`, or nothing is left."""
    calendar = calendar_of(source.spec)
    last_day = closes.index[-1].date()
    end = min(end or last_day, last_day)
    if start >= end:
        raise InputError("start", f"must be before {end} (the end of the test)")
    history = deployed_strategy(source.spec).history_days
    known = closes.loc[: pd.Timestamp(start)]
    if len(known) < history:
        raise InputError(
            "start",
            f"the strategy needs {history} sessions of prices before {start}; the data has "
            f"{len(known)}",
        )
    sessions = trading_sessions(calendar, start, end)
    sessions = sessions.loc[sessions.index.isin(closes.index)]
    if sessions.empty:
        raise InputError("start", f"no session with prices between {start} and {end}")
    return sessions


def abandon_earlier_attempts(store: Store, owner: str, run_id: str) -> None:
    """Retire the test deployments an earlier attempt of the forward test `run_id` started and
    left active or paused (a resumed job starts afresh)."""
    for deployment in store.list_deployments(owner, statuses=["active", "paused"]):
        if deployment.spec.get("forward_test_run") == run_id:
            store.update_deployment(
                owner, deployment.id, expected_version=deployment.version, status="retired"
            )


def create_test_deployment(
    store: Store,
    source: Deployment,
    run_id: str,
    window: tuple[date, date | None],
    first: date,
    *,
    cash_rate: float,
    fire_price: FirePrice,
    account: Mapping[str, Any] | None = None,
) -> Deployment:
    """A forward test's own deployment of `source` (active) over `window` (start, end): its
    book's cash earns `cash_rate`, its fires decide on `fire_price`; a schedule counted from the
    deployment's first fire counts from the test's `first` session, as if the deployment had
    started then. It trades its own paper accounts, or with `account` (the spec's account
    fields) the account a forward test of several deployments shares."""
    start, end = window
    spec = {
        **source.spec,
        "mode": FORWARD_TEST_MODE,
        "forward_test_of": source.id,
        "forward_test_run": run_id,
        "forward_test_window": {
            "start": start.isoformat(),
            "end": None if end is None else end.isoformat(),
        },
        "monitor": {},
        "cash_rate": cash_rate,
        "fire_price": fire_price,
    }
    if counts_from_first_fire(source.spec):
        spec["schedule"] = {**source.spec["schedule"], "anchor": first.isoformat()}
    for name in (*ACCOUNT_FIELDS, "hedging"):  # its own paper accounts, its hedging not halted
        spec.pop(name, None)
    spec.update(account or {})
    name = f"{source.name} (forward test from {start.isoformat()})"
    event = {
        "by": "forward_test",
        "forward_test_of": source.id,
        "source": source.spec.get("source"),
        "capital": source.spec["capital"],
        "broker": "paper",
    }
    if account:
        event["account"] = account.get("account")
    return store.create_deployment(source.owner, name, "active", spec, event_data=event)


def _run(
    context: ExecutionContext,
    ledger: Ledger,
    test: Deployment,
    fires: list[Fire],
    sessions: pd.DataFrame,
    closes: pd.DataFrame,
    broker: PaperBroker,
    hedge: ForwardHedge | None,
    run_id: str,
    progress: Progress | None,
    cancelled: Callable[[], bool],
) -> tuple[pd.Series, list[RunOutcome]]:
    store = context.store
    close_times = session_datetimes(sessions["close"])
    close_rows = closes.index.get_indexer(sessions.index)
    matrix = closes.to_numpy(dtype=float)
    columns = {str(s): i for i, s in enumerate(closes.columns)}
    values: list[float] = []
    outcomes: list[RunOutcome] = []
    fire_index = 0
    for day, close_time in enumerate(close_times):
        while fire_index < len(fires) and fires[fire_index].time <= close_time:
            fire = fires[fire_index].time
            known = closes.iloc[: fires[fire_index].decision_row + 1]
            fire_index += 1
            broker.advance(fire)
            deployment = store.get_deployment(test.owner, test.id)
            context.settle = settle_at_next_close(broker, fire, close_times)
            outcome = rebalance(
                context, ledger, deployment, fire, f"{run_id}:{fire.strftime('%Y%m%dT%H%M')}", known
            )
            outcomes.append(outcome)
            if hedge is not None and outcome.status != "open":  # as the rebalance job submits it
                hedge.run(fire, broker.account(), known)
        broker.advance(close_time)
        ledger.record(broker.fills(ledger.last_fill_time))
        state = broker.account()
        row = matrix[close_rows[day]]
        value = state.cash + sum(q * row[columns[s]] for s, q in state.positions.items())
        values.append(value + (0.0 if hedge is None else hedge.value_at(close_time)))
        if progress is not None and (day % 21 == 0 or day == len(close_times) - 1):
            progress(day + 1, len(close_times))
        if cancelled():
            break
    # the interest since the last run's reconciliation (each run records what it reconciles)
    ledger.record(broker.interest(ledger.last_interest_time))
    return pd.Series(values, index=sessions.index[: len(values)]), outcomes


def settle_at_next_close(
    broker: PaperBroker, fire: datetime, close_times: list[datetime]
) -> Callable[[], None]:
    """Move the broker to the first close after `fire` (the bar its orders fill at)."""
    after = close_times[bisect.bisect_right(close_times, fire) :][:1]

    def settle() -> None:
        if after:
            broker.advance(after[0])

    return settle


def _result(
    test: Deployment,
    source: Deployment,
    request: ForwardTestRequest,
    values: pd.Series,
    beside: Beside,
    outcomes: list[RunOutcome],
    ledger: Ledger,
    closes: pd.DataFrame,
    hedge: ForwardHedge | None,
) -> dict[str, Any]:
    last_prices = {str(s): float(closes.loc[values.index[-1], s]) for s in closes.columns}
    book = ledger.book
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[outcome.status] = statuses.get(outcome.status, 0) + 1
    stopped = next((o for o in outcomes if o.paused), None)
    return {
        "forward_test_deployment_id": test.id,
        "deployment_id": source.id,
        "start": values.index[0].date().isoformat(),
        "end": values.index[-1].date().isoformat(),
        "sessions": len(values),
        "runs": len(outcomes),
        "run_statuses": statuses,
        "paused": None if stopped is None else paused_by(stopped),
        "capital": float(source.spec["capital"]),
        "fire_price": test.spec["fire_price"],
        "cash_rate": test.spec["cash_rate"],
        "hedge": None if hedge is None else hedge.summary(values.index[-1].date()),
        "costs": asdict(request.costs),
        "final_value": float(values.iloc[-1]),
        "time_weighted_return": time_weighted_return(
            list(values.to_numpy()), [float(source.spec["capital"])] + [0.0] * (len(values) - 1)
        ),
        "realised_pnl": book.realised_pnl(),
        "unrealised_pnl": book.unrealised_pnl(last_prices),
        "fees": book.fees,
        "fills": ledger.fill_count,
        "interest": ledger.interest,
        "holdings": book.holdings(),
        "cash": book.cash,
        **comparison_fields(values, beside),
        "runs_detail": runs_detail(outcomes + ([] if hedge is None else hedge.outcomes)),
    }


def paused_by(outcome: RunOutcome) -> dict[str, Any]:
    """The run that paused the test deployment and why (the limit it broke, or the ledger's
    mismatch with the broker)."""
    reason = outcome.reason or "; ".join(b.message for b in outcome.breaches)
    if not reason and outcome.reconciliation is not None and not outcome.reconciliation.matches:
        reason = "the ledger does not match the broker's positions and cash"
    return {"fire": outcome.fire.isoformat(), "reason": reason or None}


def runs_detail(outcomes: list[RunOutcome]) -> list[dict[str, Any]]:
    """The runs that did not end filled or with nothing to trade, by fire (a fire's rebalance
    before its hedge): kind (rebalance, hedge), fire, status, reason and orders."""
    ordered = sorted(outcomes, key=lambda o: (o.fire, o.kind != "rebalance"))
    return [
        {
            "kind": o.kind,
            "fire": o.fire.isoformat(),
            "status": o.status,
            "reason": o.reason,
            "orders": len(o.orders),
        }
        for o in ordered
        if o.status not in ("filled", "no_trades")
    ]
