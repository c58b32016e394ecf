"""Fault injection into `record_executions`: a failure after the fills are written and before
the order's status is (inside the one transaction) leaves neither on either backend."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from store.aws import AWSStore
from store.errors import StoreError
from store.orders import OrderUpdate
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.store.contract.test_executions import _fill, _filled, _sent
from tests.support.store_contract import ALICE


def test_sqlite_a_failure_at_the_status_update_rolls_back_the_fills(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite", clock=FakeClock())
    _sent(store, "o-1")
    # the fault: the database refuses the order's update, inside the transaction that has
    # already inserted the fills
    conn = sqlite3.connect(store.path)
    conn.execute(
        "CREATE TRIGGER refuse_fill BEFORE UPDATE OF status ON queued_orders "
        "WHEN NEW.status = 'filled' BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
    )
    conn.commit()
    with pytest.raises(StoreError, match="injected fault"):
        store.record_executions(
            ALICE, "hedge-dep_a", [_fill(1, "o-1"), _fill(2, "o-1", 1.0)], [_filled("o-1")]
        )
    assert store.ledger(ALICE, "hedge-dep_a") == []
    assert store.get_order(ALICE, "o-1").status == "submitted"
    conn.execute("DROP TRIGGER refuse_fill")
    conn.commit()
    conn.close()
    recorded = store.record_executions(
        ALICE, "hedge-dep_a", [_fill(1, "o-1"), _fill(2, "o-1", 1.0)], [_filled("o-1")]
    )
    assert recorded.new_entries == 2 and recorded.orders[0].status == "filled"
    store.close()


def test_aws_fills_and_status_go_in_one_transaction_that_fails_whole(
    store_aws: AWSStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    _sent(store_aws, "o-1")
    calls: list[list[dict[str, Any]]] = []
    real = store_aws.ddb.transact_write_items

    def recording(**kwargs: Any) -> Any:
        calls.append(kwargs["TransactItems"])
        return real(**kwargs)

    monkeypatch.setattr(store_aws.ddb, "transact_write_items", recording)
    # the fault: the order's update (the transaction's last action, after the ledger's puts)
    # is refused by DynamoDB (an item above 400 KB)
    oversized = OrderUpdate("o-1", "submitted", "filled", filled_quantity=3.0, reason="x" * 410_000)
    with pytest.raises(StoreError):
        store_aws.record_executions(
            ALICE, "hedge-dep_a", [_fill(1, "o-1"), _fill(2, "o-1", 1.0)], [oversized]
        )
    assert [sorted({next(iter(a)) for a in items}) for items in calls] == [["Put", "Update"]]
    assert [next(iter(a)) for a in calls[0]] == ["Put", "Put", "Put", "Update"]
    assert store_aws.ledger(ALICE, "hedge-dep_a") == []
    assert store_aws.get_order(ALICE, "o-1").status == "submitted"
    recorded = store_aws.record_executions(
        ALICE, "hedge-dep_a", [_fill(1, "o-1"), _fill(2, "o-1", 1.0)], [_filled("o-1")]
    )
    assert recorded.new_entries == 2 and recorded.orders[0].status == "filled"
    assert len(calls) == 2
