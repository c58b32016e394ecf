"""Deployments: creating one from what an owner already has (a saved portfolio's weights, or the
winner of a finished optimization), moving it through its lifecycle, and reading its spec (its
broker and account, calendar, schedule, strategy, and whether it is a forward test's own).

Everything knowable at creation is checked then: the source exists and is the owner's (another
owner's behaves as missing), an optimization has finished with a winner, the strategy does not
borrow, the capital is positive, the schedule reads and fires on a trading session. A new
deployment is a `draft`; `change_status` applies `execution.deployment.TRANSITIONS` with the
store's version check, so two concurrent changes cannot both win.

Brokers: `paper` (each deployment its own simulated account, `paper-<deployment id>`) or
`alpaca`: the owner's Alpaca account (`execution.brokers.alpaca.alpaca_keys` says which, if
any), opened at creation to check the keys; its account id `alpaca-<Alpaca account number>` and
its endpoint (`paper` or `live`) go in the spec (`account`, `alpaca_endpoint`), never its keys.
The ledger of a deployment is reconciled against its whole account, so an Alpaca account is
traded by one deployment that is not retired, or by one owner's deployments that all share it:
creating or activating another is refused (another owner's deployment is not named).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal

from pydantic import ValidationError

from execution.deployment import (
    MAX_CAPITAL,
    MIN_CAPITAL,
    BrokerName,
    DeploymentLimits,
    DeploymentStatus,
    FirePrice,
    check_transition,
)
from execution.errors import BrokerError, DeploymentStateError, ScheduleError
from execution.rebalance import DeployedStrategy, FixedWeights, RuleStrategy
from execution.schedule import Schedule
from notifications.preferences import NotificationPreferences
from quant.problems import first_problem
from quant.strategy import StrategyConfig
from services.errors import InputError
from services.market_data import market_closes, market_data_provider
from services.market_data.tickers import unknown_tickers
from services.profiles import Profile, check_webhooks, excluded_holdings, get_profile
from settings import Settings, get_settings
from store import Deployment, Store, utc_now
from trading.account_names import ACCOUNT_NAME_FIELD, check_account_name, shared_paper_account
from trading.hedges import check_hedge
from trading.optimization_winners import confirm_benchmarks, optimization_strategy

if TYPE_CHECKING:
    from execution.brokers.alpaca import AlpacaBroker

SourceKind = Literal["portfolio", "optimization"]
BROKERS: tuple[BrokerName, ...] = ("paper", "alpaca")
NOT_RETIRED = ("draft", "active", "paused")
FORWARD_TEST_MODE = "forward_test"
"""The spec's `mode` of a forward test's own deployment (`trading.forward_tests`)."""
FIRST_FIRE = "first_fire"
"""A spec's `schedule_anchor` when its sessions are counted from the deployment's first fire."""
ACCOUNT_FIELDS = (
    "broker",
    "account",
    "shared_account",
    ACCOUNT_NAME_FIELD,
    "alpaca_endpoint",
    "account_opening",
)
"""The spec's fields about the broker account traded (not the strategy): without them, a
deployment trades its own paper account."""


def create_deployment(
    store: Store,
    owner: str,
    *,
    name: str,
    source: SourceKind,
    source_id: str,
    trial: int | None = None,
    capital: float,
    schedule: Mapping[str, Any] | None = None,
    limits: Mapping[str, Any] | None = None,
    broker: BrokerName = "paper",
    cap_leverage: bool | None = None,
    confirm_below_benchmarks: bool = False,
    notifications: Mapping[str, Any] | None = None,
    hedge: Mapping[str, Any] | None = None,
    account: str | None = None,
    by: str = "api",
    settings: Settings | None = None,
) -> Deployment:
    """A `draft` deployment of `source_id` (a saved portfolio `pf_...` or an optimization job
    `job_...`: its winner, or its trial number `trial`) with `capital` (currency), `schedule`
    (the fields of `execution.schedule.Schedule`; without `every` or `cron`, the strategy's own
    cadence: `own_cadence`) and `limits` (those of `DeploymentLimits`).
    A winner whose `max_leverage` exceeds 1 would borrow, which a cash account cannot: by
    default (`cap_leverage` None) and with `cap_leverage` true it is deployed with
    `max_leverage` 1 (said in the spec's `notes`; its backtest is the capped rule's); with
    `cap_leverage` false it is refused. A winner (or trial) whose objective does not beat every
    benchmark the search scored on the same paths (`services.benchmark_verdict`) is refused
    unless `confirm_below_benchmarks` (then the spec's `notes` say so), a refusal made last, once
    every other field is accepted, so a confirmation is never followed by another refusal.
    `InputError` names the field that cannot be used, its message one sentence in words;
    `store.NotFoundError` when the source is not the owner's. `notifications` are the
    deployment's `NotificationPreferences` (who hears of its failures, breaches, mismatches
    and, if asked, fills and the daily summary; None: the owner's profile's). A source holding
    a ticker the owner's profile excludes is refused (`InputError` on ``source_id`` with the
    reasons). `by` names the interface it came through (api, cli, chat), in its `created`
    event. `broker` is `paper` or `alpaca` (the owner's account by `settings`, default the
    process's: see the module docstring; `InputError` naming `broker` when it cannot be
    traded). `hedge` is the option hedge of a strategy with an overlay
    (`trading.hedges.check_hedge`: its `underlying`, e.g. SPY, and optionally its `vol_model`;
    `InputError` naming `hedge.<field>`). `account` names an account the owner's
    deployments share (`shared_account`: orders netted at each decision time,
    `trading.runs.rebalance`; the name is the owner's, `trading.account_names`): on paper
    `paper-shared-<tag>-<name>`, on Alpaca the owner's Alpaca account; None: its own account."""
    if broker not in BROKERS:
        raise InputError("broker", f"must be paper or alpaca, got {broker!r}")
    settings = settings or get_settings()
    _check_capital(capital)
    check_account_name(account)  # before the Alpaca account is opened
    strategy, described, below_benchmarks = _strategy(
        store, owner, source, source_id, trial=trial, cap_leverage=cap_leverage
    )
    profile = _check_universe(store, owner, strategy, settings)
    plan, own_schedule, from_first_fire = _schedule(schedule, strategy)
    checked_hedge = _checked_hedge(strategy, hedge, broker, plan, owner, settings)
    spec = {
        "source": {"kind": source, "id": source_id} | ({} if trial is None else {"trial": trial}),
        "strategy": described,
        "universe": list(strategy.universe),
        "capital": float(capital),
        "schedule": schedule_fields(plan),
        "limits": _limits(limits).model_dump(),
        "broker": broker,
        "fire_price": _fire_price(broker, settings),
        "schedule_source": "strategy" if own_schedule else "given",
        "schedule_anchor": FIRST_FIRE if from_first_fire else "given",
        "notifications": _preferences(profile, notifications, settings).model_dump(mode="json"),
    }
    if checked_hedge is not None:
        spec["hedge"] = checked_hedge
    _add_account(store, owner, spec, account, settings)
    confirm_benchmarks(described, below_benchmarks, confirm_below_benchmarks)
    event = {"by": by, "source": spec["source"], "capital": spec["capital"], "broker": broker}
    return store.create_deployment(owner, name, "draft", spec, event_data=event)


def _checked_hedge(
    strategy: DeployedStrategy,
    hedge: Mapping[str, Any] | None,
    broker: BrokerName,
    plan: Schedule,
    owner: str,
    settings: Settings,
) -> dict[str, Any] | None:
    """The option hedge of a strategy with an overlay, checked against the embedded closes, the
    broker and the owner's Alpaca options level (`trading.hedges.check_hedge`)."""
    return check_hedge(
        strategy,
        hedge,
        market_closes(settings).columns,
        broker,
        lambda: _alpaca(settings, owner).options_level(),
        schedule=plan,
    )


def _add_account(
    store: Store, owner: str, spec: dict[str, Any], account: str | None, settings: Settings
) -> None:
    """Add to `spec` the fields of the broker account it trades (`ACCOUNT_FIELDS`): the owner's
    Alpaca account, then the account of the owner's named `account` its deployments share; none
    for a paper account of its own."""
    if spec["broker"] == "alpaca":
        spec.update(_alpaca_account(store, owner, settings, shared=account is not None))
    if account is not None:
        spec.update(shared_account(store, owner, account, spec["broker"], spec))


def _check_capital(capital: float) -> None:
    """Refuse a capital that is not an amount a broker account can hold (`InputError`)."""
    if not (
        isinstance(capital, int | float)
        and math.isfinite(capital)
        and MIN_CAPITAL <= capital <= MAX_CAPITAL
    ):
        raise InputError(
            "capital", f"must be an amount from {MIN_CAPITAL:g} to {MAX_CAPITAL:g}, got {capital!r}"
        )


def _check_universe(
    store: Store, owner: str, strategy: DeployedStrategy, settings: Settings
) -> Profile:
    """The owner's profile, once the strategy's universe is priced by the market data and holds
    no ticker the profile excludes (`InputError` on ``source_id`` otherwise)."""
    columns = [str(c) for c in market_closes(settings).columns]
    missing = sorted(set(strategy.universe) - set(columns))
    if missing:
        raise InputError("source_id", unknown_tickers(missing, columns))
    profile = get_profile(store, owner)
    excluded = excluded_holdings(profile, dict.fromkeys(strategy.universe, 1.0))
    if excluded:
        raise InputError(
            "source_id",
            "its weights hold tickers your profile excludes ("
            + "; ".join(hit.reason for hit in excluded)
            + "): a deployment never holds them; choose another source or change the profile",
        )
    return profile


def _limits(limits: Mapping[str, Any] | None) -> DeploymentLimits:
    try:
        return DeploymentLimits.model_validate(dict(limits or {}))
    except ValidationError as exc:
        raise InputError(*first_problem(exc, "limits")) from None


def _preferences(
    profile: Profile, notifications: Mapping[str, Any] | None, settings: Settings
) -> NotificationPreferences:
    """The deployment's notification preferences: those given, else the profile's; their
    webhooks must pass the outbound policy (`services.profiles.check_webhooks`)."""
    if notifications is None:
        preferences = profile.notifications
    else:
        try:
            preferences = NotificationPreferences.model_validate(dict(notifications))
        except ValidationError as exc:
            raise InputError(*first_problem(exc, "notifications")) from None
    check_webhooks(preferences, settings)
    return preferences


def calendar_of(spec: Mapping[str, Any]) -> str:
    """The exchange calendar of a deployment spec's schedule (XNYS unless it names another)."""
    return str(spec["schedule"].get("calendar") or "XNYS")


def schedule_of(spec: Mapping[str, Any]) -> Schedule:
    """The schedule a deployment spec fires on."""
    return Schedule(**{k: v for k, v in spec["schedule"].items() if v is not None})


def is_forward_test(deployment: Deployment) -> bool:
    """Whether the deployment is a forward test's own (it runs its own simulated time)."""
    return deployment.spec.get("mode") == FORWARD_TEST_MODE


def broker_of(deployment: Deployment) -> BrokerName:
    """The broker the deployment trades through (`paper` unless its spec says otherwise)."""
    return "alpaca" if deployment.spec.get("broker") == "alpaca" else "paper"


def account_of(deployment: Deployment) -> str:
    """The broker account a deployment trades (its own paper account by default)."""
    return str(deployment.spec.get("account") or f"paper-{deployment.id}")


def is_shared(deployment: Deployment) -> bool:
    """Whether the deployment trades an account its owner's deployments share."""
    return bool(deployment.spec.get("shared_account"))


def shared_account(
    store: Store, owner: str, name: str, broker: str, spec: Mapping[str, Any]
) -> dict[str, Any]:
    """The spec fields of an account the owner's deployments share (`shared_account`,
    `account_name`: `name`, and `account`: on paper the owner's account of that name,
    `trading.account_names.shared_paper_account`; on Alpaca the owner's account,
    `spec["account"]`, which `_alpaca_account` checked), after checking that the deployments
    not retired already on it keep one exchange calendar with this one (the account decides and
    trades once per decision time, on one calendar's sessions) and that at most one of them is
    hedged (the account has one hedge, on its total exposure): `InputError` naming `account`
    otherwise."""
    check_account_name(name)
    account = (
        str(spec["account"]) if broker == "alpaca" else shared_paper_account(store, owner, name)
    )
    members = [
        d
        for d in store.list_deployments(owner)
        if d.status in NOT_RETIRED and account_of(d) == account and not is_forward_test(d)
    ]
    calendars = {calendar_of(d.spec) for d in members} - {calendar_of(spec)}
    if calendars:
        raise InputError(
            "account",
            f"the deployments on account {account} trade on the "
            f"{', '.join(sorted(calendars))} calendar and this one's schedule.calendar is "
            f"{calendar_of(spec)}: an account's strategies decide and trade together at each "
            "decision time, on one calendar's sessions; share the account with deployments on "
            "that calendar only, or trade this one on an account of its own",
        )
    hedged = [d.id for d in members if "hedge" in d.spec]
    if hedged and "hedge" in spec:
        raise InputError(
            "account",
            f"the account {account} is hedged already by deployment {hedged[0]}: one hedge per "
            "account, on its total exposure",
        )
    return {"account": account, "shared_account": True, ACCOUNT_NAME_FIELD: name}


def _alpaca(settings: Settings, owner: str) -> AlpacaBroker:
    """`owner`'s Alpaca account as a broker (the Alpaca SDK imported on first use)."""
    from execution.brokers.alpaca import alpaca_broker

    return alpaca_broker(settings, owner=owner)


def _alpaca_account(
    store: Store, owner: str, settings: Settings, *, shared: bool = False
) -> dict[str, Any]:
    """The spec fields of the owner's Alpaca account (`account`, `alpaca_endpoint`), after
    opening it with its keys and checking that no other deployment trades it (a `shared` one:
    none that does not share it)."""
    try:
        broker = _alpaca(settings, owner)
        account = f"alpaca-{broker.account_number()}"
    except BrokerError as exc:
        raise InputError("broker", f"the Alpaca account cannot be used: {exc}") from None
    holder = _trading(store, owner, account, shared=shared)
    if holder is not None:
        raise InputError("broker", _taken(account, holder, owner))
    return {"account": account, "alpaca_endpoint": "paper" if broker.paper else "live"}


def _trading(
    store: Store, owner: str, account: str, *, besides: str | None = None, shared: bool = False
) -> Deployment | None:
    """A deployment (of any owner: an Alpaca account is one, whoever holds its keys) not
    retired that trades the Alpaca `account`, other than `besides`; for a `shared` deployment of
    `owner`: one that does not share it with `owner`'s (another owner's shares nothing)."""
    for status in NOT_RETIRED:
        for deployment in store.deployments_by_status(status, limit=10_000):
            if deployment.id == besides or account_of(deployment) != account:
                continue
            if not (shared and is_shared(deployment) and deployment.owner == owner):
                return deployment
    return None


def _taken(account: str, holder: Deployment, owner: str) -> str:
    """Why `account` cannot be traded by another deployment (another owner's is not named)."""
    who = f"deployment {holder.id}" if holder.owner == owner else "another owner's deployment"
    return (
        f"the Alpaca account {account} is already traded by {who} ({holder.status}); one "
        "account is traded by one deployment at a time (or by deployments that all share it): "
        "retire that one first"
    )


def change_status(
    store: Store,
    owner: str,
    deployment_id: str,
    status: DeploymentStatus,
    *,
    by: str = "api",
    reason: str | None = None,
    settings: Settings | None = None,
) -> Deployment:
    """Move the deployment to `status` if its lifecycle allows it and, to activate it on
    Alpaca, no other deployment trades its Alpaca account (`_trading`), and to retire a deployment hedged on Alpaca, its
    account holds no option (`DeploymentStateError` otherwise; `ConflictError` if it changed
    meanwhile). Its `status_changed` event says `by` what (api, cli, chat, monitor, kill_switch)
    and, when given, the `reason`."""
    current = store.get_deployment(owner, deployment_id)
    check_transition(current.status, status)  # type: ignore[arg-type]
    if status == "retired" and "hedge" in current.spec and broker_of(current) == "alpaca":
        _check_no_options(current, settings or get_settings())
    if status == "active" and broker_of(current) == "alpaca":
        holder = _trading(
            store, owner, account_of(current), besides=current.id, shared=is_shared(current)
        )
        if holder is not None:
            raise DeploymentStateError(_taken(account_of(current), holder, owner))
    event: dict[str, Any] = {"by": by}
    if reason is not None:
        event["reason"] = reason
    spec = None
    if current.status == "draft" and status == "active" and counts_from_first_fire(current.spec):
        # the strategy's cadence starts with the deployment's first fire, not its draft
        spec = {**current.spec, "schedule": anchored(current.spec["schedule"], utc_now())}
    return store.update_deployment(
        owner,
        deployment_id,
        expected_version=current.version,
        status=status,
        spec=spec,
        event_data=event,
    )


def counts_from_first_fire(spec: Mapping[str, Any]) -> bool:
    """Whether a spec's schedule counts its sessions from the deployment's first fire (moved
    when a draft is activated, and to a forward test's first session)."""
    return spec.get("schedule_anchor") == FIRST_FIRE


def _check_no_options(deployment: Deployment, settings: Settings) -> None:
    """Refuse to retire a deployment whose Alpaca account still holds options: no run would
    close them any more, and Alpaca would exercise or assign them in shares at expiry."""
    try:
        held = _alpaca(settings, deployment.owner).option_positions()
    except BrokerError as exc:
        raise DeploymentStateError(
            f"deployment {deployment.id} cannot be retired now: its Alpaca account's options "
            f"could not be read ({exc}); try again"
        ) from None
    live = {symbol: n for symbol, n in held.items() if n}
    if live:
        listed = ", ".join(f"{n:+d} {symbol}" for symbol, n in sorted(live.items()))
        raise DeploymentStateError(
            f"deployment {deployment.id} cannot be retired while its Alpaca account holds "
            f"options ({listed}): no run would close them, and Alpaca would exercise or assign "
            "them in shares at expiry; close them with the hedging kill switch "
            f"(POST /v1/hedge-kill-switch with deployment_id {deployment.id}, or stratigos "
            f"deploy hedge-kill --deployment {deployment.id}), then retire it"
        )


FIRE_PRICES: tuple[FirePrice, ...] = ("session_close", "previous_close")


def fire_price_of(spec: Mapping[str, Any]) -> FirePrice:
    """The spec's `fire_price` (`previous_close` for a spec that does not say)."""
    value = spec.get("fire_price", "previous_close")
    return "session_close" if value == "session_close" else "previous_close"


def _fire_price(broker: BrokerName, settings: Settings) -> FirePrice:
    """What a new deployment's fires decide on: a paper account fills at the fire session's
    close, and its run decides on that close once the market data holds it (as a forward test
    does); an Alpaca run decides on the price at the fire when the market data has prices during
    the session (Alpaca Market Data's latest trades), else on the previous close."""
    if broker == "paper" or market_data_provider(settings).name == "alpaca":
        return "session_close"
    return "previous_close"


def safe_rate_of(spec: Mapping[str, Any]) -> float:
    """The annual rate the deployed strategy's safe asset earns in its backtests (0 for fixed
    weights saved without one)."""
    return float(spec["strategy"].get("safe_rate", 0.0))


def book_rate(spec: Mapping[str, Any]) -> float:
    """The yearly rate a deployment's book's cash earns on paper: a forward test's `cash_rate`,
    else its strategy's safe rate (`safe_rate_of`)."""
    return float(spec["cash_rate"]) if "cash_rate" in spec else safe_rate_of(spec)


def deployed_strategy(spec: Mapping[str, Any]) -> DeployedStrategy:
    """The strategy a deployment's spec describes."""
    described = spec["strategy"]
    if described["kind"] == "weights":
        return FixedWeights(dict(described["weights"]))
    return RuleStrategy(
        StrategyConfig.model_validate(described["config"]),
        tuple(spec["universe"]),
        safe_rate=float(described["safe_rate"]),
    )


def _strategy(
    store: Store,
    owner: str,
    source: str,
    source_id: str,
    *,
    trial: int | None = None,
    cap_leverage: bool | None = None,
) -> tuple[DeployedStrategy, dict[str, Any], dict[str, Any] | None]:
    """The deployed strategy of a portfolio or an optimization, the spec's `strategy` and, for
    a winner below its benchmarks, its verdict (`optimization_strategy`)."""
    if source == "portfolio":
        if trial is not None:
            raise InputError("source.trial", "only an optimization has trials")
        weights = store.get_portfolio(owner, source_id).weights
        try:
            return FixedWeights(weights), {"kind": "weights", "weights": weights}, None
        except ValueError as exc:
            raise InputError("source_id", f"portfolio {source_id}: {exc}") from None
    if source != "optimization":
        raise InputError("source", f"must be portfolio or optimization, got {source!r}")
    return optimization_strategy(store, owner, source_id, trial=trial, cap_leverage=cap_leverage)


def schedule_fields(plan: Schedule) -> dict[str, Any]:
    """A schedule as a spec stores it (`schedule_of` reads it back)."""
    names = ("every", "on", "at", "cron", "calendar", "catch_up", "interval", "anchor")
    return {name: getattr(plan, name) for name in names}


def own_cadence(strategy: DeployedStrategy) -> dict[str, Any]:
    """The schedule fields of a strategy's own cadence: a rule rebalances every
    `rebalance_every` sessions, as its backtest does (counted from its first fire: `anchored`);
    fixed weights have no cadence of their own and rebalance on the first session of each
    week."""
    if isinstance(strategy, RuleStrategy):
        return {"every": "session", "interval": strategy.config.rebalance_every}
    return {"every": "week", "on": "first"}


def anchored(schedule: Mapping[str, Any], after: datetime) -> dict[str, Any]:
    """`schedule` (a spec's schedule fields) counting its sessions from the first session it
    could fire on after `after`, so that a strategy's cadence starts with the deployment."""
    daily = Schedule(
        every="session",
        at=schedule.get("at") or "15:45",
        calendar=schedule.get("calendar") or "XNYS",
    )
    first = daily.next_fire(after)
    if first is None:
        return dict(schedule)
    return {**schedule, "anchor": first.astimezone(daily.time_zone).date().isoformat()}


def _schedule(
    fields: Mapping[str, Any] | None, strategy: DeployedStrategy
) -> tuple[Schedule, bool, bool]:
    """The schedule from the given fields (the strategy's own cadence without `every` or
    `cron`), whether it is that own cadence, and whether it counts its sessions from the
    deployment's first fire (every=session without an `anchor`: `FIRST_FIRE`)."""
    given = {name: value for name, value in dict(fields or {}).items() if value is not None}
    own = "every" not in given and "cron" not in given
    if own:
        given = {**own_cadence(strategy), **given}
    from_first_fire = given.get("every") == "session" and "anchor" not in given
    if from_first_fire:
        given = anchored(given, utc_now())
    try:
        plan = Schedule(**given)
    except TypeError as exc:
        raise InputError("schedule", str(exc)) from None
    except ScheduleError as exc:
        raise InputError(f"schedule.{exc.field}", exc.problem) from None
    if plan.next_fire(utc_now()) is None:
        raise InputError("schedule", f"{plan.describe()} never fires on a trading session")
    return plan, own, from_first_fire
