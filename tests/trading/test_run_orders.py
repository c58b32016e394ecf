"""A run's orders as `trading.queue.trade_run` returns them, built from the run's own writes and
its last sync (the run's orders are not listed again at the end): the store's, also when
another worker closed one of them while they were out (they are then read again)."""

from __future__ import annotations

import pandas as pd
import pytest

from services.market_data import sp500_prices
from store import NewOrder, Store
from tests.trading.runs.test_rebalance import CLOSE, FIRE, SYMBOLS, Harness, _deployment
from trading.queue import AccountQueue, RetryPolicy, trade_run


@pytest.fixture
def closes() -> pd.DataFrame:
    return sp500_prices().loc[:"2021-12-31", SYMBOLS]


def test_a_run_returns_its_orders_as_the_store_holds_them(
    store: Store, closes: pd.DataFrame
) -> None:
    harness = Harness(store, closes, _deployment(store))
    outcome = harness.run()
    stored = store.list_orders("alice", deployment_id=harness.deployment.id, run_id="job_1")
    assert outcome.status == "filled" and len(stored) == 4
    assert outcome.orders == stored


def test_an_order_another_worker_closed_while_out_is_read_again(
    store: Store, closes: pd.DataFrame
) -> None:
    harness = Harness(store, closes, _deployment(store))
    account = f"paper-{harness.deployment.id}"
    queue = AccountQueue(
        store, "alice", account, harness.broker, harness.ledger, RetryPolicy(max_attempts=1)
    )

    def plan() -> list[NewOrder]:
        return [NewOrder(f"stg-test-{i:02d}", s, "buy", 10.0) for i, s in enumerate(SYMBOLS)]

    def canceled_elsewhere_then_settled() -> None:
        # another worker (the kill switch) cancels the first order at the broker and in the
        # store while the run's orders are out; the rest fill at the close
        first = store.open_orders("alice", account)[0]
        harness.broker.cancel(first.client_order_id)
        store.update_order(
            "alice", first.client_order_id, expected_status="submitted", status="canceled"
        )
        harness.broker.advance(CLOSE)

    harness.broker.advance(FIRE)
    orders = trade_run(queue, harness.deployment.id, "job_1", plan, canceled_elsewhere_then_settled)
    stored = store.list_orders("alice", deployment_id=harness.deployment.id, run_id="job_1")
    assert orders == stored
    assert [o.status for o in stored] == ["canceled", "filled", "filled", "filled"]
