"""Messages are built from facts: units formatted, every fact in the body, times in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from functools import partial

import pytest
from pydantic import ValidationError

from notifications import messages as m
from notifications.messages import NotificationKind

T = datetime(2026, 11, 23, 14, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("amount", "currency", "text"),
    [
        (1234.5, "USD", "$1,234.50"),
        (-0.004, "USD", "-$0.00"),
        (-1_000_000, "usd", "-$1,000,000.00"),
        (99.999, "EUR", "€100.00"),
        (1234.5, "CHF", "1,234.50 CHF"),
    ],
)
def test_money(amount: float, currency: str, text: str) -> None:
    assert m.format_money(amount, currency) == text


def test_percent_and_shares() -> None:
    assert m.format_percent(0.0123) == "1.23%"
    assert m.format_percent(-0.0123, signed=True) == "-1.23%"
    assert m.format_percent(0.5, signed=True) == "+50.00%"
    assert m.format_shares(12) == "12 shares"
    assert m.format_shares(1) == "1 share"
    assert m.format_shares(0.5) == "0.5 shares"
    assert m.format_shares(1234.1234567) == "1,234.123457 shares"
    assert m.format_shares(-2, signed=True) == "-2 shares"
    assert m.format_shares(2, signed=True) == "+2 shares"
    assert m.format_shares(0.0, signed=True) == "0 shares"


def test_fill_message() -> None:
    n = m.fill(
        owner="alice",
        deployment_id="dep_1",
        deployment_name="Target vol 10%",
        order_id="dep_1-r3-AAPL",
        symbol="AAPL",
        side="buy",
        quantity=12,
        price=189.2,
        fee=1.0,
        time=datetime(2026, 11, 23, 9, 30, tzinfo=timezone(timedelta(hours=-5))),
    )
    assert n.kind is NotificationKind.FILL
    assert (n.owner, n.deployment_id, n.deployment_name) == ("alice", "dep_1", "Target vol 10%")
    assert n.subject == "[Stratigos] Target vol 10%: bought 12 shares of AAPL at $189.20"
    assert n.body == (
        "Deployment: Target vol 10% (dep_1)\n"
        "Order:      dep_1-r3-AAPL\n"
        "Side:       buy\n"
        "Symbol:     AAPL\n"
        "Quantity:   12 shares\n"
        "Price:      $189.20 per share\n"
        "Value:      $2,270.40\n"
        "Fee:        $1.00\n"
        "Time:       2026-11-23 14:30:00 UTC"
    )
    assert n.text == f"{n.subject}\n\n{n.body}"


def test_run_failed_says_whether_it_is_retried() -> None:
    failed = partial(
        m.run_failed,
        owner="alice",
        deployment_id="dep_1",
        deployment_name="TV",
        run_id="run_7",
        reason="broker unavailable: HTTP 503",
        max_attempts=3,
        time=T,
    )
    first, last = failed(attempt=1), failed(attempt=3)
    assert first.subject == "[Stratigos] TV: rebalance run failed (attempt 1 of 3)"
    assert "Reason:     broker unavailable: HTTP 503" in first.body
    assert first.body.endswith("The run will be retried.")
    assert last.body.endswith("the run goes to the dead-letter queue.")


def test_dead_lettered_message() -> None:
    n = m.run_dead_lettered(
        owner="alice",
        deployment_id="dep_1",
        deployment_name="TV",
        run_id="run_7",
        reason="rejected: insufficient buying power",
        attempts=3,
        time=T,
    )
    assert n.kind is NotificationKind.RUN_DEAD_LETTERED
    assert n.subject == "[Stratigos] TV: rebalance run dead-lettered after 3 attempts"
    assert "Last reason: rejected: insufficient buying power" in n.body
    assert "Run:         run_7" in n.body


def test_reconciliation_mismatch_lists_each_difference() -> None:
    n = m.reconciliation_mismatch(
        owner="alice",
        deployment_id="dep_1",
        deployment_name="TV",
        positions=[m.PositionMismatch("AAPL", 12, 10), m.PositionMismatch("MSFT", 0, 0.5)],
        ledger_cash=1000.0,
        broker_cash=1012.5,
        paused=True,
        time=T,
    )
    assert "AAPL:       ledger 12 shares, broker 10 shares (difference -2 shares)" in n.body
    assert "MSFT:       ledger 0 shares, broker 0.5 shares (difference +0.5 shares)" in n.body
    assert "Cash:       ledger $1,000.00, broker $1,012.50" in n.body
    assert n.body.endswith("The deployment is paused until the positions are reconciled.")
    same_cash = m.reconciliation_mismatch(
        owner="alice",
        deployment_id="dep_1",
        deployment_name="TV",
        positions=[m.PositionMismatch("AAPL", 12, 10)],
        ledger_cash=5.0,
        broker_cash=5.0,
        paused=False,
        time=T,
    )
    assert "Cash" not in same_cash.body
    assert same_cash.body.endswith("The deployment was not paused.")


@pytest.mark.parametrize(
    ("unit", "observed", "threshold", "shown"),
    [
        ("percent", 0.1234, 0.1, ("12.34%", "10.00%")),
        ("currency", 2500.0, 1000.0, ("$2,500.00", "$1,000.00")),
        ("shares", 150.0, 100.0, ("150 shares", "100 shares")),
    ],
)
def test_limit_breach_formats_values_in_their_unit(
    unit: m.Unit, observed: float, threshold: float, shown: tuple[str, str]
) -> None:
    n = m.limit_breach(
        owner="alice",
        deployment_id="dep_1",
        deployment_name="TV",
        limit="max drawdown",
        observed=observed,
        threshold=threshold,
        unit=unit,
        paused=True,
        time=T,
    )
    assert n.subject == "[Stratigos] TV: max drawdown limit breached"
    assert f"Observed:   {shown[0]}" in n.body
    assert f"Threshold:  {shown[1]}" in n.body
    assert n.body.endswith("The deployment is paused.")


def test_daily_summary_covers_every_deployment_of_the_owner() -> None:
    n = m.daily_summary(
        owner="alice",
        day=date(2026, 11, 23),
        deployments=[
            m.DeploymentDay("d1", "TV", "active", 101_234.5, 0.0042, 0.0123, 0.015, 0.021, 3),
            m.DeploymentDay("d2", "HRP", "paused", 50_000.0, -0.001, -0.02, None, 0.05, 0),
        ],
        time=T,
    )
    assert n.kind is NotificationKind.DAILY_SUMMARY
    assert (n.deployment_id, n.deployment_name) == (None, None)
    assert n.subject == "[Stratigos] Daily summary 2026-11-23: 2 deployments, equity $151,234.50"
    paragraphs = n.body.split("\n\n")
    assert len(paragraphs) == 3
    assert "Return today:         +0.42%" in paragraphs[1]
    assert "Backtest since start: +1.50%" in paragraphs[1]
    assert "Backtest since start: not computed" in paragraphs[2]
    assert "Drawdown:             5.00%" in paragraphs[2]
    empty = m.daily_summary(owner="bob", day=date(2026, 11, 23), deployments=[], time=T)
    assert empty.subject.endswith("0 deployments, equity $0.00")
    assert empty.body.endswith("No deployments.")


def test_the_tearsheets_message_links_each_tearsheet_and_the_dashboard() -> None:
    n = m.tearsheets(
        owner="alice",
        account="paper-d1",
        day=date(2026, 11, 23),
        links=[
            ("the account", "https://s.example/v1/reports/rpt_a"),
            ("TV", "https://s.example/v1/reports/rpt_b"),
        ],
        dashboard="https://s.example/#/accounts/paper-d1",
        time=T,
    )
    assert n.kind is NotificationKind.TEARSHEETS and n.deployment_id is None
    assert n.subject == "[Stratigos] Tearsheets 2026-11-23: account paper-d1"
    assert n.body.split("\n\n")[1:] == [
        "Tearsheets:\n- the account: https://s.example/v1/reports/rpt_a\n"
        "- TV: https://s.example/v1/reports/rpt_b",
        "Dashboard: https://s.example/#/accounts/paper-d1",
    ]
    assert "Account: paper-d1" in n.body and "Session: 2026-11-23" in n.body


def test_times_must_be_timezone_aware() -> None:
    with pytest.raises(ValidationError, match="timezone-aware"):
        m.run_dead_lettered(
            owner="a",
            deployment_id="d",
            deployment_name="n",
            run_id="r",
            reason="x",
            attempts=1,
            time=datetime(2026, 11, 23, 14, 30),
        )


def test_subjects_are_one_line() -> None:
    n = m.limit_breach(
        owner="a",
        deployment_id="d",
        deployment_name="TV\r\nBcc: victim@example.com",
        limit="max drawdown",
        observed=0.2,
        threshold=0.1,
        unit="percent",
        paused=False,
        time=T,
    )
    assert n.subject == "[Stratigos] TV Bcc: victim@example.com: max drawdown limit breached"
