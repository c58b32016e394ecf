"""Executions on both backends: an order's fills and its new status are written together or
not at all (`Store.record_executions`)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from store.executions import MAX_WRITES_PER_EXECUTION
from store.ledger import LedgerEntry
from store.orders import Allocation, NewOrder, OrderUpdate
from tests.support.store_contract import ALICE, BOB

T0 = datetime(2025, 3, 3, 21, 0, tzinfo=UTC)


def _fill(n: int, order: str, quantity: float = 2.0) -> LedgerEntry:
    return LedgerEntry(
        entry_id=f"fill-{n}",
        kind="fill",
        time=T0 + timedelta(minutes=n),
        symbol="SPY250620P00500000",
        side="buy",
        quantity=quantity,
        price=4.123456789,
        fee=0.65,
        order_id=order,
        note="option trade",
    )


def _sent(store: Store, *ids: str) -> None:
    store.enqueue_orders(
        ALICE, "hedge-dep_a", "dep_a", "run_1", [NewOrder(i, "SPY", "buy", 3.0) for i in ids]
    )
    for i in ids:
        store.update_order(ALICE, i, expected_status="queued", status="submitted", attempts=1)


def _filled(order: str, quantity: float = 3.0) -> OrderUpdate:
    return OrderUpdate(
        order, "submitted", "filled", filled_quantity=quantity, average_price=4.123456789
    )


def test_fills_and_the_order_s_status_are_written_together(store: Store) -> None:
    _sent(store, "o-1", "o-2")
    recorded = store.record_executions(
        ALICE,
        "hedge-dep_a",
        [_fill(1, "o-1"), _fill(2, "o-1", 1.0)],
        [_filled("o-1"), OrderUpdate("o-2", "submitted", "partially_filled", filled_quantity=0.0)],
    )
    assert recorded.new_entries == 2
    assert [(o.client_order_id, o.status, o.filled_quantity) for o in recorded.orders] == [
        ("o-1", "filled", 3.0),
        ("o-2", "partially_filled", 0.0),
    ]
    assert store.ledger(ALICE, "hedge-dep_a") == [_fill(1, "o-1"), _fill(2, "o-1", 1.0)]
    assert store.get_order(ALICE, "o-1").average_price == 4.123456789
    # again: the entries are held (skipped), the order is no longer submitted (refused)
    with pytest.raises(ConflictError) as raised:
        store.record_executions(ALICE, "hedge-dep_a", [_fill(1, "o-1")], [_filled("o-1")])
    assert raised.value.current.status == "filled"  # type: ignore[attr-defined]
    again = store.record_executions(ALICE, "hedge-dep_a", [_fill(1, "o-1"), _fill(3, "o-2")], [])
    assert again.new_entries == 1 and again.orders == []


def test_an_order_whose_status_changed_meanwhile_writes_none_of_the_fills(store: Store) -> None:
    _sent(store, "o-1", "o-2")
    store.update_order(ALICE, "o-2", expected_status="submitted", status="canceled")
    with pytest.raises(ConflictError) as raised:
        store.record_executions(
            ALICE,
            "hedge-dep_a",
            [_fill(1, "o-1"), _fill(2, "o-2")],
            [_filled("o-1"), _filled("o-2")],  # o-2's update fails after o-1's and the fills
        )
    assert raised.value.current.status == "canceled"  # type: ignore[attr-defined]
    assert store.ledger(ALICE, "hedge-dep_a") == []
    assert store.get_order(ALICE, "o-1").status == "submitted"


def test_a_held_entry_with_other_contents_writes_no_status(store: Store) -> None:
    _sent(store, "o-1")
    store.append_ledger(ALICE, "hedge-dep_a", [_fill(1, "o-1")])
    with pytest.raises(ConflictError):
        store.record_executions(
            ALICE, "hedge-dep_a", [_fill(2, "o-1"), _fill(1, "o-1", 9.0)], [_filled("o-1")]
        )
    assert store.get_order(ALICE, "o-1").status == "submitted"
    assert [e.entry_id for e in store.ledger(ALICE, "hedge-dep_a")] == ["fill-1"]


def test_another_owner_s_order_is_missing_and_nothing_is_written(store: Store) -> None:
    _sent(store, "o-1")
    with pytest.raises(NotFoundError):
        store.record_executions(BOB, "hedge-dep_a", [_fill(1, "o-1")], [_filled("o-1")])
    assert store.ledger(BOB, "hedge-dep_a") == [] and store.ledger(ALICE, "hedge-dep_a") == []
    assert store.get_order(ALICE, "o-1").status == "submitted"


def test_a_write_is_checked_and_bounded_before_anything_is_written(store: Store) -> None:
    _sent(store, "o-1")
    too_many = [_fill(n, "o-1") for n in range(MAX_WRITES_PER_EXECUTION)]
    with pytest.raises(ValueError):
        store.record_executions(ALICE, "hedge-dep_a", too_many, [_filled("o-1")])
    with pytest.raises(ValueError):
        store.record_executions(ALICE, "hedge-dep_a", [], [_filled("o-1"), _filled("o-1")])
    with pytest.raises(ValueError):
        store.record_executions(ALICE, "hedge-dep_a", [], [OrderUpdate("o-1", "submitted", "done")])
    # a rejected order has no fills: one that says it has is refused with its fills
    rejected_with_a_fill = OrderUpdate("o-1", "submitted", "rejected", filled_quantity=2.0)
    with pytest.raises(ValueError, match="a rejected order has no fills"):
        store.record_executions(ALICE, "hedge-dep_a", [_fill(1, "o-1")], [rejected_with_a_fill])
    assert store.ledger(ALICE, "hedge-dep_a") == []
    assert store.get_order(ALICE, "o-1").status == "submitted"
    # the largest write: 98 fills and the order's status, all in one
    most = [_fill(n, "o-1", 1.0) for n in range(MAX_WRITES_PER_EXECUTION - 1)]
    recorded = store.record_executions(ALICE, "hedge-dep_a", most, [_filled("o-1", 98.0)])
    assert recorded.new_entries == 98 and recorded.orders[0].status == "filled"
    assert len(store.ledger(ALICE, "hedge-dep_a")) == 98


def _slice(n: int, order: str, quantity: float) -> LedgerEntry:
    return LedgerEntry(
        entry_id=f"fill-{n}:{order}",
        kind="fill",
        time=T0 + timedelta(minutes=n),
        symbol="AAPL",
        side="buy",
        quantity=quantity,
        price=150.25,
        fee=0.0,
        order_id=order,
    )


def test_a_netted_order_s_fill_goes_to_each_strategy_s_book_in_the_same_write(
    store: Store,
) -> None:
    """A shared account's order allocated to two deployments: its fill's slices land in both
    books with the order's status, or (the status changed meanwhile) in neither."""
    order = NewOrder(
        "net-1",
        "AAPL",
        "buy",
        5.0,
        allocations=(Allocation("dep_a", 3.5), Allocation("dep_b", 1.5)),
    )
    store.enqueue_orders(ALICE, "paper-shared", "paper-shared", "run_1", [order])
    store.update_order(ALICE, "net-1", expected_status="queued", status="submitted", attempts=1)
    slices = {"dep_a": [_slice(1, "net-1", 3.5)], "dep_b": [_slice(1, "net-1", 1.5)]}
    with pytest.raises(ConflictError):
        store.record_executions(
            ALICE,
            "dep_a",
            slices["dep_a"],
            [OrderUpdate("net-1", "queued", "filled", filled_quantity=5.0)],
            other_books={"dep_b": slices["dep_b"]},
        )
    assert store.ledger(ALICE, "dep_a") == [] and store.ledger(ALICE, "dep_b") == []
    recorded = store.record_executions(
        ALICE,
        "dep_a",
        slices["dep_a"],
        [_filled("net-1", 5.0)],
        other_books={"dep_b": slices["dep_b"]},
    )
    assert recorded.new_entries == 2
    assert recorded.orders[0].allocations == order.allocations
    assert store.ledger(ALICE, "dep_a") == slices["dep_a"]
    assert store.ledger(ALICE, "dep_b") == slices["dep_b"]
    assert store.ledger(BOB, "dep_b") == []


def test_a_write_counts_each_book_beyond_the_first(store: Store) -> None:
    books = {
        f"dep_{i}": [_slice(i, "net-1", 1.0)] for i in range(MAX_WRITES_PER_EXECUTION // 2 + 2)
    }
    first, *rest = books
    with pytest.raises(ValueError, match="extra books"):
        store.record_executions(
            ALICE, first, books[first], [], other_books={b: books[b] for b in rest}
        )
    assert store.ledger(ALICE, first) == []
