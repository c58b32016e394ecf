"""Notifications as messages: what happened to a deployment, as a subject and a plain-text body
built from the facts the caller passes (numbers, names, times), never from the caller's prose.

Conventions: amounts are in `currency` (an ISO 4217 code, USD by default); rates are fractions
(0.0123 is 1.23%); quantities are shares; times are timezone-aware and shown in UTC.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, field_validator

SUBJECT_PREFIX = "[Stratigos]"


ChannelName = Literal["email", "webhook"]
"""How a notification is delivered (`notifications.channels`)."""


class NotificationKind(StrEnum):
    """What a notification reports."""

    FILL = "fill"
    RUN_FAILED = "run_failed"
    RUN_DEAD_LETTERED = "run_dead_lettered"
    RECONCILIATION_MISMATCH = "reconciliation_mismatch"
    LIMIT_BREACH = "limit_breach"
    DAILY_SUMMARY = "daily_summary"
    TEARSHEETS = "tearsheets"
    HEDGE_ROLLED = "hedge_rolled"
    HEDGE_RUN_FAILED = "hedge_run_failed"
    DATA_REFRESHED = "data_refreshed"


class Notification(BaseModel):
    """One message to an owner about one deployment (the daily summary covers all of the owner's
    deployments: its deployment id and name are None)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: NotificationKind
    owner: str
    deployment_id: str | None
    deployment_name: str | None
    subject: str
    body: str
    time: datetime

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        # a line break in a name would end an email's Subject header
        return " ".join(value.split())

    @field_validator("time")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("time must be timezone-aware")
        return value

    @property
    def text(self) -> str:
        """The subject, a blank line and the body: the whole message as one plain text."""
        return f"{self.subject}\n\n{self.body}"


# --- formatting -----------------------------------------------------------------------------

_CURRENCY_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def format_money(amount: float, currency: str = "USD") -> str:
    """`amount` with two decimals and thousands separators: `-$1,234.50`, `1,234.50 CHF`."""
    sign = "-" if amount < 0 else ""
    digits = f"{abs(amount):,.2f}"
    symbol = _CURRENCY_SYMBOLS.get(currency.upper())
    return f"{sign}{symbol}{digits}" if symbol else f"{sign}{digits} {currency.upper()}"


def format_percent(fraction: float, *, signed: bool = False) -> str:
    """A fraction as a percentage with two decimals: 0.0123 -> `1.23%` (`+1.23%` if signed)."""
    return f"{fraction * 100:+.2f}%" if signed else f"{fraction * 100:.2f}%"


def format_shares(quantity: float, *, signed: bool = False) -> str:
    """A number of shares, whole or fractional (up to six decimals): `12 shares`, `1 share`,
    `0.5 shares`, `-2 shares` (`+2 shares` if signed)."""
    number = f"{quantity:+,.6f}" if signed else f"{quantity:,.6f}"
    number = number.rstrip("0").rstrip(".")
    if number in ("-0", "+0"):
        number = "0"
    return f"{number} share" if abs(quantity) == 1 else f"{number} shares"


def format_time(time: datetime) -> str:
    """A timezone-aware time in UTC to the second: `2026-11-23 14:30:00 UTC`."""
    return time.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


Unit = Literal["currency", "percent", "shares"]
"""How a limit's values read: an amount of money, a fraction shown as a percentage, or shares."""


def _format(value: float, unit: Unit, currency: str) -> str:
    if unit == "currency":
        return format_money(value, currency)
    if unit == "percent":
        return format_percent(value)
    return format_shares(value)


def _body(facts: Sequence[tuple[str, str]], *paragraphs: str) -> str:
    width = max(len(label) for label, _ in facts)
    lines = [f"{label + ':':<{width + 1}} {value}" for label, value in facts]
    return "\n".join(lines) + "".join(f"\n\n{p}" for p in paragraphs if p)


def _about_deployment(
    kind: NotificationKind,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    subject: str,
    body: str,
    time: datetime,
) -> Notification:
    return Notification(
        kind=kind,
        owner=owner,
        deployment_id=deployment_id,
        deployment_name=deployment_name,
        subject=subject,
        body=body,
        time=time,
    )


def _deployment(name: str, deployment_id: str) -> tuple[str, str]:
    return ("Deployment", f"{name} ({deployment_id})")


# --- builders -------------------------------------------------------------------------------


def fill(
    *,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    order_id: str,
    symbol: str,
    side: Literal["buy", "sell"],
    quantity: float,
    price: float,
    fee: float,
    time: datetime,
    currency: str = "USD",
) -> Notification:
    """`quantity` shares of `symbol` bought or sold at `price` per share, `fee` charged on it."""
    verb = "Bought" if side == "buy" else "Sold"
    subject = (
        f"{SUBJECT_PREFIX} {deployment_name}: {verb.lower()} {format_shares(quantity)} of "
        f"{symbol} at {format_money(price, currency)}"
    )
    facts = [
        _deployment(deployment_name, deployment_id),
        ("Order", order_id),
        ("Side", side),
        ("Symbol", symbol),
        ("Quantity", format_shares(quantity)),
        ("Price", f"{format_money(price, currency)} per share"),
        ("Value", format_money(quantity * price, currency)),
        ("Fee", format_money(fee, currency)),
        ("Time", format_time(time)),
    ]
    return _about_deployment(
        NotificationKind.FILL, owner, deployment_id, deployment_name, subject, _body(facts), time
    )


def run_failed(
    *,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    run_id: str,
    reason: str,
    attempt: int,
    max_attempts: int,
    time: datetime,
) -> Notification:
    """Attempt `attempt` of `max_attempts` of a rebalance run failed for `reason`."""
    retried = attempt < max_attempts
    subject = (
        f"{SUBJECT_PREFIX} {deployment_name}: rebalance run failed "
        f"(attempt {attempt} of {max_attempts})"
    )
    facts = [
        _deployment(deployment_name, deployment_id),
        ("Run", run_id),
        ("Attempt", f"{attempt} of {max_attempts}"),
        ("Reason", reason),
        ("Time", format_time(time)),
    ]
    outcome = (
        "The run will be retried."
        if retried
        else "That was the last attempt: the run goes to the dead-letter queue."
    )
    return _about_deployment(
        NotificationKind.RUN_FAILED,
        owner,
        deployment_id,
        deployment_name,
        subject,
        _body(facts, outcome),
        time,
    )


def run_dead_lettered(
    *,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    run_id: str,
    reason: str,
    attempts: int,
    time: datetime,
) -> Notification:
    """A rebalance run failed `attempts` times, the last for `reason`, and was dead-lettered."""
    subject = (
        f"{SUBJECT_PREFIX} {deployment_name}: rebalance run dead-lettered after {attempts} attempts"
    )
    facts = [
        _deployment(deployment_name, deployment_id),
        ("Run", run_id),
        ("Attempts", str(attempts)),
        ("Last reason", reason),
        ("Time", format_time(time)),
    ]
    advice = "The run will not be retried on its own: look into the reason, then run it again."
    return _about_deployment(
        NotificationKind.RUN_DEAD_LETTERED,
        owner,
        deployment_id,
        deployment_name,
        subject,
        _body(facts, advice),
        time,
    )


@dataclass(frozen=True)
class PositionMismatch:
    """Shares of `symbol` the ledger holds and the broker reports, when they differ."""

    symbol: str
    ledger_quantity: float
    broker_quantity: float


def reconciliation_mismatch(
    *,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    positions: Sequence[PositionMismatch],
    ledger_cash: float,
    broker_cash: float,
    paused: bool,
    time: datetime,
    currency: str = "USD",
) -> Notification:
    """After a run, the broker's positions or cash differ from the ledger's."""
    subject = f"{SUBJECT_PREFIX} {deployment_name}: positions do not match the broker"
    facts = [_deployment(deployment_name, deployment_id)]
    for p in positions:
        difference = p.broker_quantity - p.ledger_quantity
        facts.append(
            (
                p.symbol,
                f"ledger {format_shares(p.ledger_quantity)}, broker "
                f"{format_shares(p.broker_quantity)} "
                f"(difference {format_shares(difference, signed=True)})",
            )
        )
    if ledger_cash != broker_cash:
        facts.append(
            (
                "Cash",
                f"ledger {format_money(ledger_cash, currency)}, broker "
                f"{format_money(broker_cash, currency)}",
            )
        )
    facts.append(("Time", format_time(time)))
    action = (
        "The deployment is paused until the positions are reconciled."
        if paused
        else "The deployment was not paused."
    )
    return _about_deployment(
        NotificationKind.RECONCILIATION_MISMATCH,
        owner,
        deployment_id,
        deployment_name,
        subject,
        _body(facts, action),
        time,
    )


def limit_breach(
    *,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    limit: str,
    observed: float,
    threshold: float,
    unit: Unit,
    paused: bool,
    time: datetime,
    currency: str = "USD",
) -> Notification:
    """`limit` (a name such as "max drawdown") was breached: `observed` against `threshold`,
    both in `unit` (fractions for percent)."""
    subject = f"{SUBJECT_PREFIX} {deployment_name}: {limit} limit breached"
    facts = [
        _deployment(deployment_name, deployment_id),
        ("Limit", limit),
        ("Observed", _format(observed, unit, currency)),
        ("Threshold", _format(threshold, unit, currency)),
        ("Time", format_time(time)),
    ]
    action = "The deployment is paused." if paused else "The deployment was not paused."
    return _about_deployment(
        NotificationKind.LIMIT_BREACH,
        owner,
        deployment_id,
        deployment_name,
        subject,
        _body(facts, action),
        time,
    )


@dataclass(frozen=True)
class DeploymentDay:
    """One deployment's day for the daily summary: its equity at the close, its return over
    the day and since it started, the backtest's return since the start over the same days
    (None if not computed), its drawdown from the peak, the fills of the day and its status."""

    deployment_id: str
    deployment_name: str
    status: str
    equity: float
    day_return: float
    total_return: float
    backtest_total_return: float | None
    drawdown: float
    fills: int


def daily_summary(
    *,
    owner: str,
    day: date,
    deployments: Sequence[DeploymentDay],
    time: datetime,
    currency: str = "USD",
) -> Notification:
    """The owner's deployments on `day`, one paragraph each, and their total equity."""
    total = sum(d.equity for d in deployments)
    count = len(deployments)
    subject = (
        f"{SUBJECT_PREFIX} Daily summary {day.isoformat()}: "
        f"{count} deployment{'s' if count != 1 else ''}, equity {format_money(total, currency)}"
    )
    paragraphs = []
    for d in deployments:
        backtest = (
            format_percent(d.backtest_total_return, signed=True)
            if d.backtest_total_return is not None
            else "not computed"
        )
        facts = [
            _deployment(d.deployment_name, d.deployment_id),
            ("Status", d.status),
            ("Equity", format_money(d.equity, currency)),
            ("Return today", format_percent(d.day_return, signed=True)),
            ("Return since start", format_percent(d.total_return, signed=True)),
            ("Backtest since start", backtest),
            ("Drawdown", format_percent(d.drawdown)),
            ("Fills", str(d.fills)),
        ]
        paragraphs.append(_body(facts))
    head = _body(
        [("Owner", owner), ("Day", day.isoformat()), ("Equity", format_money(total, currency))]
    )
    return Notification(
        kind=NotificationKind.DAILY_SUMMARY,
        owner=owner,
        deployment_id=None,
        deployment_name=None,
        subject=subject,
        body="\n\n".join([head, *paragraphs]) if paragraphs else f"{head}\n\nNo deployments.",
        time=time,
    )


def tearsheets(
    *,
    owner: str,
    account: str,
    day: date,
    links: Sequence[tuple[str, str]],
    dashboard: str,
    time: datetime,
) -> Notification:
    """The session's tearsheets of `account` are ready: one line per tearsheet (what it is
    about, its link) and the link of the account's dashboard."""
    subject = f"{SUBJECT_PREFIX} Tearsheets {day.isoformat()}: account {account}"
    lines = "\n".join(f"- {label}: {link}" for label, link in links)
    head = _body([("Owner", owner), ("Account", account), ("Session", day.isoformat())])
    return Notification(
        kind=NotificationKind.TEARSHEETS,
        owner=owner,
        deployment_id=None,
        deployment_name=None,
        subject=subject,
        body=f"{head}\n\nTearsheets:\n{lines}\n\nDashboard: {dashboard}",
        time=time,
    )


def hedge_rolled(
    *,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    run_id: str,
    action: str,
    underlying: str,
    orders: Sequence[tuple[str, str, int, float | None]],
    reason: str,
    by_check: bool,
    time: datetime,
    currency: str = "USD",
) -> Notification:
    """The option hedge on `underlying` was rolled (or closed: `action`) for `reason`, by the
    daily hedge check or by a rebalance run (`by_check`); `orders` are (side, symbol,
    contracts, average fill price per share or None)."""
    verb = "closed" if action == "close" else "rolled"
    subject = f"{SUBJECT_PREFIX} {deployment_name}: option hedge on {underlying} {verb}"
    facts = [
        _deployment(deployment_name, deployment_id),
        ("Run", run_id),
        ("By", "the daily hedge check" if by_check else "the rebalance run"),
        ("Why", reason),
    ]
    for side, symbol, contracts, price in orders:
        at = "" if price is None else f" at {format_money(price, currency)} per share"
        facts.append(("Order", f"{side} {contracts} {symbol}{at}"))
    facts.append(("Time", format_time(time)))
    return _about_deployment(
        NotificationKind.HEDGE_ROLLED,
        owner,
        deployment_id,
        deployment_name,
        subject,
        _body(facts, "The hedge's ledger and positions: stratigos deploy hedges " + deployment_id),
        time,
    )


def hedge_run_failed(
    *,
    owner: str,
    deployment_id: str,
    deployment_name: str,
    run_id: str,
    reason: str,
    by_check: bool,
    time: datetime,
) -> Notification:
    """A hedge run (of the daily check, or after a rebalance: `by_check`) failed for
    `reason`: its options were not rolled or closed as their rules asked."""
    what = "daily hedge check" if by_check else "hedge run"
    subject = f"{SUBJECT_PREFIX} {deployment_name}: {what} failed"
    facts = [
        _deployment(deployment_name, deployment_id),
        ("Run", run_id),
        ("Reason", reason),
        ("Time", format_time(time)),
    ]
    advice = (
        "The options stay as they were; the next daily check or rebalance run plans again. "
        "Look into the reason, or close the hedge with the hedging kill switch."
    )
    return _about_deployment(
        NotificationKind.HEDGE_RUN_FAILED,
        owner,
        deployment_id,
        deployment_name,
        subject,
        _body(facts, advice),
        time,
    )


def data_refreshed(
    *,
    owner: str,
    provider: str,
    version: str,
    end: str,
    previous: str | None,
    symbols: int,
    regime: str | None,
    time: datetime,
) -> Notification:
    """The market data (`provider`) has a new `version` (after `previous`) whose last close is
    on `end`, holding `symbols` symbols; `regime` the market's regime indicators in words."""
    subject = f"{SUBJECT_PREFIX} Market data refreshed: closes to {end}"
    facts = [
        ("Provider", provider),
        ("Version", version),
        ("Previous", previous or "none"),
        ("Last close", end),
        ("Symbols", str(symbols)),
        ("Regime", regime or "not stored for this version"),
        ("Time", format_time(time)),
    ]
    return Notification(
        kind=NotificationKind.DATA_REFRESHED,
        owner=owner,
        deployment_id=None,
        deployment_name=None,
        subject=subject,
        body=_body(facts, "New analyses and the market analysis agent use these closes now."),
        time=time,
    )
