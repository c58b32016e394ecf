"""Never a false success: a rebalance's and a hedge's fills and their orders' statuses are
written together (`Store.record_executions`). A worker killed at that write leaves neither
(orders `submitted`, no fills) and the next worker writes both; an order the broker reports
filled before its fills are listed keeps its status until they are."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from services.execution_queue import sync
from services.hedge_accounts import HedgeLedger, hedge_account
from services.ledger import AccountLedger
from services.market_data import sp500_prices
from services.rebalancing import account_of
from store import Store
from tests.services.test_hedging import FIRE as HEDGE_FIRE
from tests.services.test_hedging import _active, _run
from tests.services.test_rebalancing import SYMBOLS, Harness, _deployment


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
    harness.ledger = AccountLedger(store, "alice", harness.deployment.id)  # a new worker
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
    ledger = HedgeLedger(store, "alice", book)
    for order in outcome.orders:
        assert order.status == "filled"
        assert ledger.filled[order.client_order_id] == order.filled_quantity == order.quantity
