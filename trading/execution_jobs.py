"""The job kinds of deployed strategies: `rebalance` (one run of a deployment at a schedule fire,
submitted by `trading.scheduling`), `hedge` (the option hedge's run at that fire, submitted by
the rebalance job of a deployment with a hedge: `trading.runs.hedge`), `forward_test` (paper
trading a deployment, or the deployments sharing an account, over past market data,
`trading.forward_tests`) and the ticks' jobs
(firing schedules, daily summaries, the market data's refresh: `services.market_data.refresh`)
and the trading day's after the close (`trading.day`).
This module is the one `settings.jobs.handlers` names: importing it registers the handlers.

A rebalance job succeeds only when its run is complete: every order filled, nothing to trade,
or the run blocked or skipped with the reason in its result (`outcome`). Orders still working at
the broker make the attempt transient: the worker retries it by its backoff (the resumed run
sends nothing twice) and, after its last attempt, fails the job saying so; the orders stay in
the queue and the deployment's next run syncs them first. A failed run (an order rejected,
dead-lettered or canceled) fails the job with its reason.

Prices: every run decides on the configured market data's closes known at the fire, which must
hold the last session closed before it; older prices are stale and an active deployment's run
is refused before deciding (`services.market_data.unpriced`), the reason in its outcome (its
`run_finished` event) and its failure notification. A fire during a session decides on those
closes plus a provisional row for the session under way, priced at the fire when the provider
can (`services.market_data.decision_closes`: Alpaca Market Data's latest trades), else on the
last close, and the outcome's notes say which. The result's `data` names the provider, its
version and the sessions the decision used.

The paper broker trades on the configured market data: orders fill at the first session close
after the fire once the data has it. Its account is kept in the store (`paper-<deployment id>`).

An Alpaca deployment trades its owner's Alpaca account (`execution.brokers.alpaca`): orders fill
there in real time, nothing is settled. At its first run the account's opening is recorded
(`_open_account`): no positions, no open orders, at least the capital in cash; the cash beyond
the capital is outside the deployment, which the decision and the reconciliation leave aside
(`ExecutionContext.outside_cash`), and so is, for a deployment with a hedge, the cash its
options moved since (`trading.accounts.alpaca.hedge_cash`, read afresh around every read of the
account: the hedge's orders can fill while the run runs). An account that cannot be reached
makes the attempt transient.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

import pandas as pd

from execution.brokers.alpaca import AlpacaBroker, alpaca_broker
from execution.brokers.base import AccountState
from execution.errors import BrokerUnavailableError
from execution.ledger import CashFlow
from execution.schedule import trading_sessions
from jobs.handlers import JobContext, TransientJobError, register_handler
from notifications.notifier import Notifier
from notifications.preferences import NotificationPreferences
from services.market_data import (
    data_info,
    decision_closes,
    last_closed_session,
    market_data_provider,
    universe_closes,
    unpriced,
)
from services.market_data.announcements import FRESH_DATA_KIND, fresh_data_handler
from services.market_data.refresh import REFRESH_KIND, refresh_handler
from settings import Settings, get_settings, metrics
from store import ConflictError, Deployment, Job, Store
from trading.accounts.alpaca import AlpacaOptionsAccount, hedge_cash
from trading.accounts.interest import pay_books_interest
from trading.accounts.interface import OptionsAccount
from trading.accounts.opening import options_account
from trading.accounts.paper import StoredPaperAccount, paper_costs
from trading.accounts.shared import (
    account_members,
    account_run_id,
    account_universe,
    deciding,
    traded_universe,
)
from trading.day.jobs import DAY_HANDLERS
from trading.day.post_market import forward_test_tearsheets
from trading.deployments import account_of, book_rate, broker_of, calendar_of, is_shared
from trading.forward_tests.account import AccountForwardTestRequest, account_forward_test
from trading.forward_tests.paper import ForwardTestRequest, forward_test
from trading.hedge_checks import session_of
from trading.hedge_notices import hedge_failed_notice, hedge_rolled_notice
from trading.ledger import AccountLedger, Ledger
from trading.queue import RetryPolicy
from trading.runs.hedge import run_hedge
from trading.runs.outcome import RunOutcome
from trading.runs.rebalance import (
    ExecutionContext,
    Notify,
    SharedAccount,
    account_state,
    rebalance,
    rebalance_shared,
    refuse,
)
from trading.scheduling import FORWARD_TEST_KIND, HEDGE_KIND, REBALANCE_KIND, hedge_key
from trading.tick_jobs import TICK_HANDLERS


class RunFailedError(RuntimeError):
    """A rebalance run that did not trade what it decided; the message is the reason."""


def rebalance_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run the rebalance `job.request` names ({"deployment_id", "fire"}) through the
    deployment's broker (see the module docstring)."""
    store = ctx.store
    settings = ctx.settings or get_settings()
    deployment = store.get_deployment(job.owner, job.request["deployment_id"])
    fire = datetime.fromisoformat(job.request["fire"])
    if is_shared(deployment):
        return _shared_rebalance(job, ctx, deployment, fire, settings)
    provider = market_data_provider(settings)
    closes = provider.closes().loc[:, list(deployment.spec["universe"])].dropna()
    calendar = calendar_of(deployment.spec)
    notify = _notifier(settings)
    problem = unpriced(closes, calendar, fire, provider.name)
    if problem is not None:
        if deployment.status == "active":
            refuse(store, notify, deployment, fire, job.id, problem)
        raise RunFailedError(problem)
    known, notes = decision_closes(closes, provider, calendar, fire)
    if broker_of(deployment) == "paper":
        known, notes = _paper_decision(closes, calendar, fire, known, notes)
    ledger = Ledger(store, deployment.owner, deployment.id)
    try:
        if broker_of(deployment) == "alpaca":
            context, deployment = _alpaca_run(ledger, deployment, fire, settings)
        else:
            context = _paper_run(ledger, deployment, fire, closes, settings)
        context.retry = RetryPolicy(
            settings.execution.max_attempts, settings.execution.retry_seconds
        )
        context.notify, context.notes = notify, notes
        outcome = rebalance(context, ledger, deployment, fire, job.id, known)
    except BrokerUnavailableError as exc:  # the account could not be read: try again later
        raise TransientJobError(str(exc)) from None
    if outcome.status == "open":
        raise TransientJobError(outcome.reason or "orders are still working at the broker")
    result = {**outcome.to_json(), "data": data_info(provider, known)}
    if "hedge" in deployment.spec:
        result["hedge_job"] = _submit_hedge(ctx, deployment, fire)
    if outcome.status == "failed":
        raise RunFailedError(outcome.reason or "the run failed")
    return result


def _shared_rebalance(
    job: Job, ctx: JobContext, deployment: Deployment, fire: datetime, settings: Settings
) -> dict[str, Any]:
    """The rebalance job of a deployment on a shared account: the account's run at the
    fire (`trading.runs.rebalance.rebalance_shared`, the same run for every member's job at
    that fire: its orders' run id is the account's), its members deciding on the closes of
    every member's universe; the job's deployment decides whenever it is active. Once the
    account's trades are done, the account's hedge (its hedged member's, once that one is
    active and, on Alpaca, its opening recorded) is submitted for the fire, to be evaluated on
    the account's total exposure."""
    store, owner, account = ctx.store, deployment.owner, account_of(deployment)
    members = account_members(store, owner, account)
    provider = market_data_provider(settings)
    closes = provider.closes().loc[:, account_universe(members)].dropna()
    calendar = calendar_of(deployment.spec)
    notify = _notifier(settings)
    problem = unpriced(closes, calendar, fire, provider.name)
    if problem is not None:
        if deployment.status == "active":
            refuse(store, notify, deployment, fire, job.id, problem)
        raise RunFailedError(problem)
    known, notes = decision_closes(closes, provider, calendar, fire)
    alpaca = broker_of(deployment) == "alpaca"
    if not alpaca:
        known, notes = _paper_decision(closes, calendar, fire, known, notes)
    chosen = deciding(members, fire)
    if deployment.status == "active" and deployment.id not in {m.id for m in chosen}:
        chosen.append(deployment)
    ledger = AccountLedger(store, owner, account, [m.id for m in members])
    try:
        if alpaca:
            context, chosen = _alpaca_shared(ledger, members, chosen, fire, settings)
        else:
            broker = StoredPaperAccount(store, members[0], closes, paper_costs(settings))
            for member in chosen:
                _fund(ledger.members[member.id], broker, member, fire, shared=True)
            context = _paper_context(store, broker, calendar, closes, fire)
            rates = {m.id: book_rate(m.spec) for m in members}
            context.interest = None  # each book earns its own rate instead
            context.book_interest = lambda books: pay_books_interest(store, broker, books, rates)
        context.retry = RetryPolicy(
            settings.execution.max_attempts, settings.execution.retry_seconds
        )
        context.notify, context.notes = notify, notes
        if deployment.status != "active":
            outcome = rebalance(
                context, ledger.members[deployment.id], deployment, fire, job.id, known
            )
        else:
            shared = SharedAccount(account, ledger, chosen)
            run_id = account_run_id(account, fire)
            outcome = rebalance_shared(context, shared, fire, run_id, known)[deployment.id]
    except BrokerUnavailableError as exc:
        raise TransientJobError(str(exc)) from None
    if outcome.status == "open":
        raise TransientJobError(outcome.reason or "orders are still working at the broker")
    result = {**outcome.to_json(), "data": data_info(provider, known)}
    hedged = [  # the account's hedge, once its deployment is active and (Alpaca) opened
        m
        for m in account_members(store, owner, account)
        if "hedge" in m.spec
        and m.status == "active"
        and ("account_opening" in m.spec or not alpaca)
    ]
    if hedged and outcome.status != "skipped":
        result["hedge_job"] = _submit_hedge(ctx, hedged[0], fire)
    if outcome.status == "failed":
        raise RunFailedError(outcome.reason or "the run failed")
    return result


def _alpaca_shared(
    ledger: AccountLedger,
    members: list[Deployment],
    chosen: list[Deployment],
    fire: datetime,
    settings: Settings,
) -> tuple[ExecutionContext, list[Deployment]]:
    """The context of a shared account's run on the owner's Alpaca account and the deciding
    members as their openings left them: each member's capital is carved out of the cash
    outside the account's deployments at its first run there (`_open_account`, in member
    order), and the cash outside them all is the last opening's."""
    broker = alpaca_broker(settings, owner=ledger.owner)
    opened = {m.id: m for m in members if "account_opening" in m.spec}
    for index, member in enumerate(chosen):
        outside = [float(m.spec["account_opening"]["outside_cash"]) for m in opened.values()]
        member = _open_account(
            ledger.members[member.id], broker, member, fire, outside=min(outside, default=None)
        )
        chosen[index] = opened[member.id] = member
    return _alpaca_context(ledger.store, broker, list(opened.values())), chosen


def _submit_hedge(ctx: JobContext, deployment: Deployment, fire: datetime) -> str:
    """Submit the hedge run of the deployment's fire (once per fire) and announce it on the
    job queue when one is configured; its job id."""
    from jobs.queue import JobQueue

    job, created = ctx.store.submit_job(
        deployment.owner,
        HEDGE_KIND,
        {"deployment_id": deployment.id, "fire": fire.isoformat()},
        idempotency_key=hedge_key(deployment.id, fire),
    )
    queue = JobQueue.from_settings(ctx.settings or get_settings())
    if created and queue is not None:
        queue.announce(job)
    return job.id


def hedge_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run the hedge `job.request` names ({"deployment_id", "fire"}, and `check` for the daily
    hedge check, `trading.hedge_checks`) on the deployment's options account
    (`trading.runs.hedge`; paper or Alpaca, `trading.accounts`), after its rebalance at that
    fire or at the day's check time. Orders still working, or a broker that cannot be reached,
    make the attempt transient; a failed run (an order dead-lettered, no plan, no prices) fails
    the job. The owner is told through the deployment's notification preferences of a roll or
    close that filled (`hedge_rolled`) and of a run that failed its job (`hedge_run_failed`:
    a failed run, or the last attempt's transient failure)."""
    store = ctx.store
    settings = ctx.settings or get_settings()
    deployment = store.get_deployment(job.owner, job.request["deployment_id"])
    fire = datetime.fromisoformat(job.request["fire"])
    check = bool(job.request.get("check"))
    notify = _notifier(settings)
    try:
        outcome = _hedge_run(store, settings, deployment, fire, job.id, check)
    except (RunFailedError, TransientJobError) as exc:
        if isinstance(exc, RunFailedError) or ctx.last_attempt:  # the job fails now
            last = (
                ""
                if isinstance(exc, RunFailedError)
                else f" (gave up after {ctx.attempt} attempts)"
            )
            failed = hedge_failed_notice(deployment, job.id, f"{exc}{last}", check, store.clock())
            notify(failed, deployment)
        raise
    rolled = hedge_rolled_notice(deployment, outcome, check, store.clock())
    if rolled is not None:
        notify(rolled, deployment)
    return outcome.to_json()


def _hedge_run(
    store: Store,
    settings: Settings,
    deployment: Deployment,
    fire: datetime,
    run_id: str,
    check: bool,
) -> RunOutcome:
    """The hedge run of `hedge_handler`; `RunFailedError` when it failed."""
    closes = universe_closes(traded_universe(store, deployment), settings)
    calendar = calendar_of(deployment.spec)
    problem = unpriced(closes, calendar, fire)
    if problem is not None:
        raise RunFailedError(problem)
    known = closes.loc[: pd.Timestamp(cast(date, last_closed_session(calendar, fire)))]
    try:
        account = options_account(store, deployment, settings)
        outcome = run_hedge(
            store,
            deployment,
            fire,
            run_id,
            account=account,
            stock=_stock_sleeve(store, deployment, account, closes),
            closes=known,
            retry=RetryPolicy(settings.execution.max_attempts, settings.execution.retry_seconds),
            session=session_of(fire, settings),
            check=check,
        )
    except BrokerUnavailableError as exc:
        raise TransientJobError(str(exc)) from None
    if outcome.status == "open":
        raise TransientJobError(outcome.reason or "hedge orders are still working")
    if outcome.status == "failed":
        raise RunFailedError(outcome.reason or "the hedge run failed")
    return outcome


def _stock_sleeve(
    store: Store, deployment: Deployment, account: OptionsAccount, closes: pd.DataFrame
) -> AccountState:
    """The stock sleeve's cash and shares: the paper stock account's (a shared one's: every
    member's), or on Alpaca the account's shares and its cash without what is outside its
    deployments (the cash beyond their capital at their openings, and the cash the hedge's
    options moved since)."""
    if not isinstance(account, AlpacaOptionsAccount):
        return StoredPaperAccount(store, deployment, closes).account()
    if "account_opening" not in deployment.spec:
        raise RunFailedError(
            "the deployment's Alpaca account has not opened yet (its first rebalance run opens "
            "it): nothing to hedge"
        )
    members = (
        account_members(store, deployment.owner, account_of(deployment))
        if is_shared(deployment)
        else [deployment]
    )  # a shared account's hedge covers every member's shares and cash
    opened = [m for m in members if "account_opening" in m.spec]
    context = _alpaca_context(store, account.broker, opened)
    state = account_state(context)
    return AccountState(state.cash - context.outside_cash, state.positions)


def _paper_decision(
    closes: pd.DataFrame, calendar: str, fire: datetime, known: pd.DataFrame, notes: list[str]
) -> tuple[pd.DataFrame, list[str]]:
    """A paper run's closes: its orders fill at the fire session's close, and once the market
    data holds that close (the scheduler fires paper runs then) the close stands in for the
    price at the fire, as in a forward test (`FirePrice` session_close); else `known`."""
    today = trading_sessions(calendar, fire.date(), fire.date())
    if today.empty or not today["open"].iloc[0] <= pd.Timestamp(fire) < today["close"].iloc[0]:
        return known, notes
    day = today.index[0]
    if day not in closes.index or (not known.empty and known.index[-1] >= day):
        return known, notes
    return closes.loc[:day], [
        f"decided on the close of {day.date()} as the price at the fire: the paper account "
        "fills at that close, as a forward test does"
    ]


def _paper_run(
    ledger: Ledger,
    deployment: Deployment,
    fire: datetime,
    closes: pd.DataFrame,
    settings: Settings,
) -> ExecutionContext:
    """The context of a run on the deployment's paper account over `closes` (created with the
    settings' paper costs, funded at its first fire, moved to the fire, settled by the first
    session close after it, once the market data has it)."""
    broker = StoredPaperAccount(ledger.store, deployment, closes, paper_costs(settings))
    _fund(ledger, broker, deployment, fire)
    return _paper_context(ledger.store, broker, calendar_of(deployment.spec), closes, fire)


def _paper_context(
    store: Store,
    broker: StoredPaperAccount,
    calendar: str,
    closes: pd.DataFrame,
    fire: datetime,
) -> ExecutionContext:
    """A run's context on a paper account over `closes`: moved to the fire, settled by the
    first session close after it once the market data has it, its cash's interest."""
    sessions = trading_sessions(calendar, closes.index[0].date(), closes.index[-1].date())
    sessions = sessions.loc[sessions.index.isin(closes.index)]
    later = sessions.loc[sessions["close"] > pd.Timestamp(fire), "close"]

    def settle() -> None:  # the next bar fills, once the market data has it
        if not later.empty:
            broker.advance(later.iloc[0].to_pydatetime())

    broker.advance(fire)
    return ExecutionContext(store, broker, settle=settle, interest=broker.interest)


def _alpaca_run(
    ledger: Ledger, deployment: Deployment, fire: datetime, settings: Settings
) -> tuple[ExecutionContext, Deployment]:
    """The context of a run on the owner's Alpaca account (nothing to settle: orders fill at
    Alpaca in real time) and the deployment as its account's opening left it."""
    broker = alpaca_broker(settings, owner=deployment.owner)
    deployment = _open_account(ledger, broker, deployment, fire)
    return _alpaca_context(ledger.store, broker, [deployment]), deployment


def _alpaca_context(
    store: Store, broker: AlpacaBroker, opened: list[Deployment]
) -> ExecutionContext:
    """A run's context on an Alpaca account the `opened` deployments trade (one, or the members
    of a shared account whose openings were recorded): the cash outside them is what the last
    opening left beyond its capital (a later member's capital is carved out of the earlier
    openings' outside cash) and, with a hedge (one per account), the cash the options moved
    since its deployment's opening (read afresh around every read of the account)."""
    opening = min(float(d.spec["account_opening"]["outside_cash"]) for d in opened)
    context = ExecutionContext(store, broker, outside_cash=opening)
    hedged = sorted(
        (d for d in opened if "hedge" in d.spec), key=lambda d: d.spec["account_opening"]["at"]
    )
    if hedged:
        context.read_outside_cash = lambda: opening + hedge_cash(broker, hedged[0])
    return context


def _open_account(
    ledger: Ledger,
    broker: AlpacaBroker,
    deployment: Deployment,
    when: datetime,
    *,
    outside: float | None = None,
) -> Deployment:
    """The deployment with its account's opening state (`spec["account_opening"]`: the
    account's cash, the part of it outside the deployment and when, in currency and ISO 8601),
    recorded at its first run, then the capital in the ledger (each once). The account must
    then hold no position and no open order, and at least the capital in cash (`RunFailedError`
    otherwise, nothing traded); `TransientJobError` if the deployment changed meanwhile. On an
    account deployments share that another member opened already, the capital comes out of the
    cash outside them (`outside`, which must hold it) whatever the account holds."""
    capital = float(deployment.spec["capital"])
    if "account_opening" not in deployment.spec and outside is not None:
        if outside < capital:
            raise RunFailedError(
                f"the Alpaca account {deployment.spec['account']} holds {outside:,.2f} outside "
                f"its deployments, less than the deployment's capital {capital:,.2f}; nothing "
                "was traded"
            )
        opening: dict[str, Any] = {
            "cash": broker.account().cash,
            "outside_cash": outside - capital,
            "at": when.isoformat(),
        }
        deployment = _record_opening(ledger, deployment, opening)
    elif "account_opening" not in deployment.spec:
        account = deployment.spec["account"]
        state = broker.account()
        if state.positions:
            held = ", ".join(f"{q:g} {s}" for s, q in sorted(state.positions.items()))
            raise RunFailedError(
                f"the Alpaca account {account} holds positions ({held}): a deployment starts on "
                "an account holding cash only; nothing was traded"
            )
        if broker.open_orders():
            raise RunFailedError(
                f"the Alpaca account {account} has open orders: a deployment starts on an "
                "account without any; nothing was traded"
            )
        if state.cash < capital:
            raise RunFailedError(
                f"the Alpaca account {account} holds {state.cash:,.2f} in cash, less than the "
                f"deployment's capital {capital:,.2f}; nothing was traded"
            )
        opening = {"cash": state.cash, "outside_cash": state.cash - capital, "at": when.isoformat()}
        deployment = _record_opening(ledger, deployment, opening)
    _record_capital(
        ledger, capital, datetime.fromisoformat(deployment.spec["account_opening"]["at"])
    )
    return deployment


def _record_opening(ledger: Ledger, deployment: Deployment, opening: dict[str, Any]) -> Deployment:
    """The deployment with its account's `opening` recorded in its spec (`TransientJobError`
    if it changed meanwhile)."""
    try:
        return ledger.store.update_deployment(
            deployment.owner,
            deployment.id,
            expected_version=deployment.version,
            spec={**deployment.spec, "account_opening": opening},
        )
    except ConflictError:
        raise TransientJobError("the deployment changed while its account opened") from None


def _fund(
    ledger: Ledger,
    account: StoredPaperAccount,
    deployment: Deployment,
    fire: datetime,
    *,
    shared: bool = False,
) -> None:
    """Deposit the capital into a new paper account at its first fire (on a `shared` account,
    the deployment's capital at its own first fire there), then record that deposit in the
    deployment's ledger (each once: a worker that died between the two finds the deposit
    made)."""
    capital = float(deployment.spec["capital"])
    deposit = account.fund(capital, fire, member=deployment.id if shared else None)
    _record_capital(ledger, deposit.amount, deposit.time)


def _record_capital(ledger: Ledger, amount: float, when: datetime) -> None:
    """The deployment's capital as the first entry of its ledger (once: its id is fixed)."""
    ledger.record([CashFlow("capital", amount, when, "capital")])


def _notifier(settings: Settings) -> Notify:
    notifier = Notifier.from_settings(settings)

    def notify(notification: Any, deployment: Deployment) -> None:
        preferences = NotificationPreferences.model_validate(
            deployment.spec.get("notifications") or {}
        )
        notifier.send(notification, preferences)

    return notify


def forward_test_handler(job: Job, ctx: JobContext) -> dict[str, Any]:
    """Run the forward test `job.request` names: of one deployment
    (`ForwardTestRequest.job_request`) or, with `account`, of the deployments sharing it
    (`AccountForwardTestRequest.job_request`); its result says which market data it ran on
    (`data`: provider, version, first and last session of the window)."""
    provider = market_data_provider(ctx.settings or get_settings())
    closes = provider.closes()
    tell: dict[str, Any] = {"progress": ctx.progress, "cancelled": ctx.cancelled}
    request: ForwardTestRequest | AccountForwardTestRequest
    if "account" in job.request:  # then its last session's analytics and tearsheets
        request = AccountForwardTestRequest.from_job_request(job.request)
        result = account_forward_test(ctx.store, job.owner, request, closes, run_id=job.id, **tell)
        result["tearsheets"] = forward_test_tearsheets(ctx.store, job.owner, result)
    else:
        request = ForwardTestRequest.from_job_request(job.request)
        result = forward_test(ctx.store, job.owner, request, closes, run_id=job.id, **tell)
        metrics.tracking_error((result.get("decomposition") or {}).get("tracking_error"))
    window = closes.loc[pd.Timestamp(request.start) : pd.Timestamp(request.end or date.max)]
    return {**result, "data": data_info(provider, window)}


HANDLERS = {
    REBALANCE_KIND: rebalance_handler,
    HEDGE_KIND: hedge_handler,
    FORWARD_TEST_KIND: forward_test_handler,
    REFRESH_KIND: refresh_handler,
    FRESH_DATA_KIND: fresh_data_handler,
    **DAY_HANDLERS,
    **TICK_HANDLERS,
}
for _kind, _handler in HANDLERS.items():
    register_handler(_kind, _handler)
