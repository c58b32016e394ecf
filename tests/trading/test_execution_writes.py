"""Never a false success: a rebalance's and a hedge's fills and their orders' statuses are
written together (`Store.record_executions`). A worker killed at that write leaves neither
(orders `submitted`, no fills) and the next worker writes both; an order the broker reports
filled before its fills are listed keeps its status until they are."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd
import pytest

from services.market_data import sp500_prices
from store import LedgerEntry, NewOrder, OrderUpdate, Store
from store.executions import MAX_WRITES_PER_EXECUTION
from tests.trading.runs.test_hedge import FIRE as HEDGE_FIRE
from tests.trading.runs.test_hedge import _active, _run
from tests.trading.runs.test_rebalance import SYMBOLS, Harness, _deployment
from trading.deployments import account_of
from trading.hedges import hedge_account
from trading.ledger import Ledger
from trading.queue import sync, write_executions


@pytest.fixture
def closes() -> pd.DataFrame:
    return sp500_prices().loc[:"2021-12-31", SYMBOLS]


def _killed_at_the_write(store: Store, monkeypatch: pytest.MonkeyPatch) -> Any:
    real = store.record_executions

    def dies(owner: str, book: str, entries: Any, updates: Any) -> Any:
        if updates:  # killed with the broker's fills and statuses in hand, before the write
            raise SystemExit("worker killed")
        return real(owner, book, entries, updates)

    monkeypatch.setattr(store, "record_executions", dies)
    return real


def test_a_rebalance_killed_at_the_write_leaves_no_fill_and_no_filled_order(
    store: Store,
    closes: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = Harness(store, closes, _deployment(store))
    real = _killed_at_the_write(store, monkeypatch)
    with pytest.raises(SystemExit):
        harness.run()
    orders = store.list_orders("alice", deployment_id=harness.deployment.id)
    assert len(orders) == 4 and {o.status for o in orders} == {"submitted"}
    assert [e.kind for e in store.ledger("alice", harness.deployment.id)] == ["cash_flow"]
    assert len(harness.broker.fills()) == 4  # the broker did fill them
    monkeypatch.setattr(store, "record_executions", real)
    harness.ledger = Ledger(store, "alice", harness.deployment.id)  # a new worker
    outcome = harness.run()
    assert outcome.status == "filled"
    fills = {f.fill_id: f for f in harness.broker.fills()}
    stored = [e for e in store.ledger("alice", harness.deployment.id) if e.kind == "fill"]
    assert sorted(e.entry_id for e in stored) == sorted(fills)
    for order in store.list_orders("alice", deployment_id=harness.deployment.id):
        mine = [e for e in stored if e.order_id == order.client_order_id]
        assert order.status == "filled"
        assert sum(e.quantity or 0.0 for e in mine) == pytest.approx(order.filled_quantity)


def test_an_order_reported_filled_before_its_fills_are_listed_waits_for_them(
    store: Store,
    closes: pd.DataFrame,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    harness = Harness(store, closes, _deployment(store))
    real = harness.broker.fills
    monkeypatch.setattr(harness.broker, "fills", lambda since=None: [])  # listing lags
    outcome = harness.run()
    orders = store.list_orders("alice", deployment_id=harness.deployment.id)
    assert all(harness.broker.order(o.client_order_id).status == "filled" for o in orders)
    assert {o.status for o in orders} == {"submitted"} and outcome.status == "open"
    assert [e.kind for e in store.ledger("alice", harness.deployment.id)] == ["cash_flow"]
    monkeypatch.setattr(harness.broker, "fills", real)
    account = account_of(harness.deployment)
    assert sync(store, "alice", account, harness.broker, harness.ledger) == []  # none open now
    orders = store.list_orders("alice", deployment_id=harness.deployment.id)
    assert {o.status for o in orders} == {"filled"}
    stored = [e for e in store.ledger("alice", harness.deployment.id) if e.kind == "fill"]
    assert sorted(e.entry_id for e in stored) == sorted(f.fill_id for f in real())


def test_a_hedge_run_killed_at_the_write_leaves_no_option_fill_and_no_filled_order(
    store: Store,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deployment = _active(store)
    book = hedge_account(deployment)
    real = _killed_at_the_write(store, monkeypatch)
    with pytest.raises(SystemExit):
        _run(store, deployment, HEDGE_FIRE, "hedge-1")
    orders = store.list_orders("alice", deployment_id=deployment.id)
    assert orders and {o.status for o in orders} == {"submitted"}
    assert store.ledger("alice", book) == []
    monkeypatch.setattr(store, "record_executions", real)
    outcome = _run(store, deployment, HEDGE_FIRE, "hedge-1")  # the job retried
    assert outcome.status == "filled", outcome.reason
    ledger = Ledger(store, "alice", book)
    for order in outcome.orders:
        assert order.status == "filled"
        assert ledger.filled[order.client_order_id] == order.filled_quantity == order.quantity


def _entries(order: str, n: int, start: int) -> list[LedgerEntry]:
    t0 = datetime(2025, 3, 3, 15, 0, tzinfo=UTC)
    return [
        LedgerEntry(f"{order}-f{i}", "fill", t0 + timedelta(seconds=start + i), symbol="AAPL",
                    side="buy", quantity=1.0, price=100.0 + i, fee=0.0, order_id=order)
        for i in range(n)
    ]  # fmt: skip


def test_a_sync_larger_than_one_write_puts_each_status_with_its_last_fill(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = ["a", "b", "c"]
    store.enqueue_orders(
        "alice", "paper-x", "dep_x", "run", [NewOrder(i, "AAPL", "buy", 1) for i in ids]
    )
    for i in ids:
        store.update_order("alice", i, expected_status="queued", status="submitted")
    # a: 60 fills, b: 60 fills, c: none new (its fills were recorded before): 123 writes
    entries = _entries("a", 60, 0) + _entries("b", 60, 60)
    updates = [
        OrderUpdate(i, "submitted", "filled", filled_quantity=60.0, average_price=1.0) for i in ids
    ]
    writes: list[tuple[list[str], list[str]]] = []
    real = store.record_executions

    def recording(owner: str, book: str, es: Any, us: Any, **books: Any) -> Any:
        writes.append(([e.entry_id for e in es], [u.client_order_id for u in us]))
        if len(writes) == 2 and fail_second:
            raise SystemExit("worker killed between the writes")
        return real(owner, book, es, us, **books)

    monkeypatch.setattr(store, "record_executions", recording)
    fail_second = True
    with pytest.raises(SystemExit):
        write_executions(store, "alice", [("dep_x", e) for e in entries], updates)
    # the first write held a's 60 fills with a's status and 38 of b's fills, nothing else
    assert writes[0] == ([e.entry_id for e in entries[:98]], ["a"])
    assert len(writes[0][0]) + len(writes[0][1]) == MAX_WRITES_PER_EXECUTION
    assert [o.status for o in store.list_orders("alice")] == ["filled", "submitted", "submitted"]
    assert [e.entry_id for e in store.ledger("alice", "dep_x")] == writes[0][0]
    fail_second, writes[:] = False, []
    # the next sync writes what the ledger does not hold yet, with the statuses still due
    stored = write_executions(store, "alice", [("dep_x", e) for e in entries[98:]], updates[1:])
    assert writes == [([e.entry_id for e in entries[98:]], ["b", "c"])]
    assert [o.status for o in stored] == ["filled", "filled"]
    assert [e.entry_id for e in store.ledger("alice", "dep_x")] == [e.entry_id for e in entries]
