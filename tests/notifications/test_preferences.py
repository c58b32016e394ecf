"""Preferences: alerts go to every destination by default, fills and the daily summary only
where asked for; the Notifier sends each kind where the preferences say, once per address."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from notifications import messages as m
from notifications.messages import Notification, NotificationKind
from notifications.notifier import Notifier
from notifications.preferences import (
    ALERT_KINDS,
    OPT_IN_KINDS,
    Destination,
    NotificationPreferences,
)

T = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


class RecordingChannel:
    def __init__(self) -> None:
        self.sent: list[tuple[NotificationKind, str]] = []

    def send(self, notification: Notification, address: str) -> None:
        self.sent.append((notification.kind, address))


def one_of_each() -> list[Notification]:
    dep = {"owner": "alice", "deployment_id": "d1", "deployment_name": "TV", "time": T}
    return [
        m.fill(order_id="o", symbol="SPY", side="sell", quantity=3, price=500, fee=0, **dep),
        m.run_failed(run_id="r", reason="x", attempt=1, max_attempts=3, **dep),
        m.run_dead_lettered(run_id="r", reason="x", attempts=3, **dep),
        m.reconciliation_mismatch(positions=[], ledger_cash=1, broker_cash=2, paused=True, **dep),
        m.limit_breach(
            limit="max turnover", observed=0.4, threshold=0.25, unit="percent", paused=True, **dep
        ),
        m.tearsheets(
            owner="alice",
            account="paper-d1",
            day=date(2026, 11, 23),
            links=[("the account", "/v1/reports/rpt_a")],
            dashboard="/#/accounts/paper-d1",
            time=T,
        ),
        m.hedge_rolled(
            run_id="h",
            action="roll",
            underlying="SPY",
            reason="band",
            by_check=True,
            orders=[("sell", "SPY250620P00500000", 2, 4.5)],
            **dep,
        ),
        m.hedge_run_failed(run_id="h", reason="stale", by_check=True, **dep),
        m.data_refreshed(
            owner="alice",
            provider="alpaca",
            version="v2",
            end="2026-11-20",
            previous="v1",
            symbols=20,
            regime=None,
            time=T,
        ),
        m.daily_summary(owner="alice", day=date(2026, 11, 23), deployments=[], time=T),
    ]


def test_every_kind_is_either_an_alert_or_opt_in() -> None:
    assert set(NotificationKind) == ALERT_KINDS | OPT_IN_KINDS
    assert not ALERT_KINDS & OPT_IN_KINDS
    assert {n.kind for n in one_of_each()} == set(NotificationKind)


def test_defaults_send_alerts_only_and_opt_ins_add_fills_and_summaries() -> None:
    plain = Destination(channel="email", address="pm@example.com")
    assert plain.kinds == ALERT_KINDS
    fills = Destination.with_opt_ins("webhook", "https://hooks.example.com/x", fills=True)
    assert fills.kinds == ALERT_KINDS | {NotificationKind.FILL}
    both = Destination.with_opt_ins("email", "cio@example.com", fills=True, daily_summary=True)
    assert both.kinds == ALERT_KINDS | {NotificationKind.FILL, NotificationKind.DAILY_SUMMARY}
    every = Destination.with_opt_ins(
        "email", "cio@example.com", fills=True, daily_summary=True, tearsheets=True,
        hedge_rolls=True, data_refreshes=True,
    )  # fmt: skip
    assert every.kinds == set(NotificationKind)
    assert NotificationKind.HEDGE_RUN_FAILED in ALERT_KINDS  # a failed hedge run is an alert


def test_notifier_routes_each_kind_to_the_destinations_that_want_it() -> None:
    email, webhook = RecordingChannel(), RecordingChannel()
    notifier = Notifier({"email": email, "webhook": webhook}, sleep=lambda _: None)
    prefs = NotificationPreferences(
        destinations=(
            Destination(channel="email", address="pm@example.com"),
            Destination.with_opt_ins("email", "cio@example.com", daily_summary=True),
            Destination(
                channel="webhook",
                address="https://hooks.example.com/fills",
                kinds=frozenset({NotificationKind.FILL}),
            ),
        )
    )
    for notification in one_of_each():
        deliveries = notifier.send(notification, prefs)
        assert all(d.status == "sent" for d in deliveries)
    alerts = sorted(ALERT_KINDS)
    assert sorted(email.sent) == sorted(
        [(k, "pm@example.com") for k in alerts]
        + [(k, "cio@example.com") for k in alerts]
        + [(NotificationKind.DAILY_SUMMARY, "cio@example.com")]
    )
    assert webhook.sent == [(NotificationKind.FILL, "https://hooks.example.com/fills")]


def test_an_address_in_several_preferences_gets_one_message() -> None:
    email = RecordingChannel()
    notifier = Notifier({"email": email})
    a = NotificationPreferences(
        destinations=(Destination.with_opt_ins("email", "pm@example.com", daily_summary=True),)
    )
    b = NotificationPreferences(
        destinations=(
            Destination.with_opt_ins("email", "pm@example.com", daily_summary=True),
            Destination(channel="email", address="risk@example.com"),
        )
    )
    summary = one_of_each()[-1]
    deliveries = notifier.send(summary, a, b)
    assert [d.destination for d in deliveries] == ["pm@example.com"]
    assert email.sent == [(NotificationKind.DAILY_SUMMARY, "pm@example.com")]
    assert notifier.send(summary, NotificationPreferences()) == []


def test_a_channel_that_is_not_configured_fails_that_destination_only() -> None:
    email = RecordingChannel()
    notifier = Notifier({"email": email})
    prefs = NotificationPreferences(
        destinations=(
            Destination(channel="webhook", address="https://hooks.example.com/x"),
            Destination(channel="email", address="pm@example.com"),
        )
    )
    deliveries = notifier.send(one_of_each()[1], prefs)
    assert [(d.channel, d.status, d.reason) for d in deliveries] == [
        ("webhook", "failed", "no such channel configured"),
        ("email", "sent", None),
    ]


@pytest.mark.parametrize(
    ("channel", "address"),
    [
        ("email", "not-an-address"),
        ("email", "pm@localhost"),
        ("email", "p m@example.com"),
        ("webhook", "file:///etc/passwd"),
        ("webhook", "ftp://example.com/hook"),
        ("sms", "+15551234567"),
    ],
)
def test_addresses_must_fit_their_channel(channel: str, address: str) -> None:
    with pytest.raises(ValidationError):
        Destination.model_validate({"channel": channel, "address": address})


def test_a_destination_must_receive_something() -> None:
    with pytest.raises(ValidationError, match="kinds"):
        Destination(channel="email", address="pm@example.com", kinds=frozenset())


def test_preferences_round_trip_through_json() -> None:
    prefs = NotificationPreferences(
        destinations=(Destination.with_opt_ins("webhook", "https://h.example.com/x", fills=True),)
    )
    assert NotificationPreferences.model_validate_json(prefs.model_dump_json()) == prefs
