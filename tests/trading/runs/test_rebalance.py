"""A deployment's rebalance run on a real SQLite store and the paper broker over the embedded
closes: trades to its targets, never trades twice, dead-letters an unreachable broker, fails on
a rejection, pauses on a limit breach or a reconciliation mismatch, and notifies."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from execution.brokers.base import BrokerOrder, OrderRequest
from execution.brokers.paper import PaperBroker, PaperCosts
from execution.errors import BrokerRejectedError, BrokerUnavailableError
from execution.ledger import CashFlow, Fill
from notifications.messages import Notification, NotificationKind
from services.market_data import sp500_prices
from store import Deployment, Store
from store.sqlite import SQLiteStore
from trading.deployments import account_of
from trading.ledger import Ledger
from trading.queue import RetryPolicy, client_order_id
from trading.runs.rebalance import ExecutionContext, rebalance

SYMBOLS = ["AAPL", "KO", "XOM", "JNJ"]
WEIGHTS = {"AAPL": 0.3, "KO": 0.2, "XOM": 0.25, "JNJ": 0.2}
FIRE = datetime(2021, 6, 1, 19, 45, tzinfo=UTC)  # 15:45 New York
CLOSE = datetime(2021, 6, 1, 20, 0, tzinfo=UTC)
CAPITAL = 100_000.0


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with SQLiteStore(tmp_path / "store.sqlite") as opened:
        yield opened


@pytest.fixture
def closes() -> pd.DataFrame:
    return sp500_prices().loc[:"2021-12-31", SYMBOLS]


def _deployment(store: Store, **limits: Any) -> Deployment:
    spec = {
        "strategy": {"kind": "weights", "weights": WEIGHTS},
        "universe": SYMBOLS,
        "capital": CAPITAL,
        "schedule": {"every": "session", "at": "15:45"},
        "limits": {"cash_buffer": 0.02, **limits},
    }
    return store.create_deployment("alice", "core", "active", spec)


class Harness:
    """A funded paper account, its ledger and the notifications sent."""

    def __init__(self, store: Store, closes: pd.DataFrame, deployment: Deployment) -> None:
        self.store, self.closes, self.deployment = store, closes, deployment
        self.broker = PaperBroker(closes, costs=PaperCosts(slippage_bps=5, commission_bps=1))
        start = FIRE - timedelta(days=5)
        self.broker.advance(start)
        self.broker.deposit(CAPITAL, start)
        self.ledger = Ledger(store, "alice", deployment.id)
        self.ledger.record([CashFlow("capital", CAPITAL, start)])
        self.sent: list[Notification] = []
        self.sleeps: list[float] = []

    def context(self, **overrides: Any) -> ExecutionContext:
        fields: dict[str, Any] = {
            "retry": RetryPolicy(max_attempts=3, backoff_seconds=1.0),
            "sleep": self.sleeps.append,
            "settle": lambda: self.broker.advance(CLOSE),
            "notify": lambda n, d: self.sent.append(n),
        }
        return ExecutionContext(self.store, self.broker, **{**fields, **overrides})

    def run(self, run_id: str = "job_1", **overrides: Any) -> Any:
        self.broker.advance(max(FIRE, self.broker._now or FIRE))
        deployment = self.store.get_deployment("alice", self.deployment.id)
        known = self.closes.loc[: pd.Timestamp(FIRE.date() - timedelta(days=1))]
        return rebalance(self.context(**overrides), self.ledger, deployment, FIRE, run_id, known)


def test_a_run_trades_to_its_targets_and_records_every_fill(
    store: Store, closes: pd.DataFrame
) -> None:
    harness = Harness(store, closes, _deployment(store))
    outcome = harness.run()
    assert outcome.status == "filled" and outcome.reason is None
    assert [o.client_order_id for o in outcome.orders] == [
        client_order_id(harness.deployment.id, FIRE, i) for i in range(4)
    ]
    fills = harness.broker.fills()
    stored = store.ledger("alice", harness.deployment.id)
    assert [e.entry_id for e in stored[1:]] == [f.fill_id for f in fills]
    assert outcome.reconciliation is not None and outcome.reconciliation.matches
    # weights at the fill close: the targets, less what price moves and costs took
    prices = closes.loc["2021-06-01"]
    account = harness.broker.account()
    equity = account.cash + sum(q * prices[s] for s, q in account.positions.items())
    for symbol, weight in WEIGHTS.items():
        held = account.positions[symbol] * prices[symbol] / equity
        assert held == pytest.approx(weight * 0.98, abs=0.01)


def test_running_the_same_fire_again_places_no_order_twice(
    store: Store, closes: pd.DataFrame
) -> None:
    harness = Harness(store, closes, _deployment(store))
    first = harness.run()
    ledger_after_first = store.ledger("alice", harness.deployment.id)
    again = harness.run()
    assert again.status == "filled"
    assert len(harness.broker.state()["orders"]) == len(first.orders) == 4
    assert store.ledger("alice", harness.deployment.id) == ledger_after_first


def test_a_worker_that_dies_before_recording_its_sends_sends_nothing_twice(
    store: Store, closes: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    uninterrupted = Harness(store, closes, _deployment(store))
    uninterrupted.run()
    expected = [
        (e.symbol, e.side, e.quantity, e.price, e.fee)
        for e in store.ledger("alice", uninterrupted.deployment.id)
    ]

    harness = Harness(store, closes, _deployment(store))
    real = store.update_orders

    def dies(owner: str, updates: Any) -> Any:
        if updates:  # killed after the broker took the orders, before they were recorded
            raise SystemExit("worker killed")
        return real(owner, updates)

    monkeypatch.setattr(store, "update_orders", dies)
    with pytest.raises(SystemExit):
        harness.run()
    sent = store.list_orders("alice", deployment_id=harness.deployment.id)
    assert len(sent) == 4 and all(o.status == "queued" for o in sent)
    monkeypatch.setattr(store, "update_orders", real)
    harness.ledger = Ledger(store, "alice", harness.deployment.id)  # a new worker
    outcome = harness.run()
    assert outcome.status == "filled"
    assert len(harness.broker.state()["orders"]) == 4
    assert [
        (e.symbol, e.side, e.quantity, e.price, e.fee)
        for e in store.ledger("alice", harness.deployment.id)
    ] == expected


class Unreachable:
    """Submissions fail as if the broker could not be reached."""

    def __init__(self, broker: PaperBroker) -> None:
        self.broker = broker
        self.calls = 0

    def __call__(self, request: OrderRequest) -> BrokerOrder:
        self.calls += 1
        raise BrokerUnavailableError("connection refused by 127.0.0.1:1")


def test_an_unreachable_broker_dead_letters_the_run_after_its_retries_and_notifies(
    store: Store,
    closes: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    harness = Harness(store, closes, _deployment(store))
    unreachable = Unreachable(harness.broker)
    monkeypatch.setattr(harness.broker, "submit", unreachable)
    outcome = harness.run()
    assert outcome.status == "failed"
    statuses = [o.status for o in outcome.orders]
    assert statuses == ["dead", "canceled", "canceled", "canceled"]
    assert unreachable.calls == 3 and harness.sleeps == [1.0, 2.0]
    assert "broker unavailable after 3 attempts: connection refused" in (outcome.reason or "")
    assert [n.kind for n in harness.sent] == [NotificationKind.RUN_DEAD_LETTERED]
    assert store.ledger("alice", harness.deployment.id)[1:] == []
    # the event the AWS alarm counts (a metric filter on the log line's `event` field)
    logged = [r for r in caplog.records if getattr(r, "event", None) == "order_dead_lettered"]
    assert [r.client_order_id for r in logged] == [outcome.orders[0].client_order_id]


def test_a_rejected_order_fails_the_run_with_the_broker_s_reason(
    store: Store, closes: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    harness = Harness(store, closes, _deployment(store))
    submit = harness.broker.submit

    def rejects_ko(request: OrderRequest, now: datetime | None = None) -> BrokerOrder:
        if request.symbol == "KO":
            raise BrokerRejectedError("asset KO is not tradable")
        return submit(request, now)

    monkeypatch.setattr(harness.broker, "submit", rejects_ko)
    outcome = harness.run()
    assert outcome.status == "failed"
    assert "KO buy rejected: asset KO is not tradable" in (outcome.reason or "")
    assert {o.symbol: o.status for o in outcome.orders}["AAPL"] == "filled"
    assert [n.kind for n in harness.sent] == [NotificationKind.RUN_FAILED]
    assert outcome.reconciliation is not None and outcome.reconciliation.matches


def test_a_ledger_that_disagrees_with_the_broker_pauses_the_deployment_and_notifies(
    store: Store, closes: pd.DataFrame, caplog: pytest.LogCaptureFixture
) -> None:
    harness = Harness(store, closes, _deployment(store))
    stray = Fill("stray-1", "elsewhere", "AAPL", "buy", 3.0, 120.0, 0.0, FIRE - timedelta(hours=5))
    harness.ledger.record([stray])
    outcome = harness.run()
    assert outcome.reconciliation is not None and not outcome.reconciliation.matches
    [difference] = outcome.reconciliation.positions
    assert difference.symbol == "AAPL"
    assert difference.ledger_quantity - difference.broker_quantity == pytest.approx(3.0)
    assert outcome.paused and store.get_deployment("alice", harness.deployment.id).status == (
        "paused"
    )
    assert NotificationKind.RECONCILIATION_MISMATCH in [n.kind for n in harness.sent]
    logged = [r for r in caplog.records if getattr(r, "event", None) == "reconciliation_mismatch"]
    assert [r.deployment_id for r in logged] == [harness.deployment.id]
    later = harness.run("job_2")
    assert later.status == "skipped" and later.reason == "the deployment is paused"


def test_a_plan_over_the_turnover_limit_is_blocked_before_anything_is_sent(
    store: Store, closes: pd.DataFrame
) -> None:
    deployment = _deployment(store, max_turnover=0.05)
    harness = Harness(store, closes, deployment)
    held = 100.0
    harness.broker.submit(OrderRequest("seed", "KO", "buy", held))
    harness.broker.advance(FIRE - timedelta(hours=2))
    harness.ledger.record(harness.broker.fills())
    outcome = harness.run()
    assert outcome.status == "blocked" and outcome.orders == []
    assert "more than the 5.00% allowed per run" in (outcome.reason or "")
    assert store.list_orders("alice", deployment_id=deployment.id) == []
    assert store.get_deployment("alice", deployment.id).status == "paused"
    assert [n.kind for n in harness.sent] == [NotificationKind.LIMIT_BREACH]


def test_the_account_is_its_deployment_s_own_paper_account(store: Store) -> None:
    deployment = _deployment(store)
    assert account_of(deployment) == f"paper-{deployment.id}"
