"""The execution queue, the ledger and simulated broker accounts on both backends: FIFO order
per account, idempotent enqueues and appends, guarded updates, owner isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from store.ledger import LedgerEntry
from store.orders import MAX_ORDERS_PER_ENQUEUE, Allocation, NewOrder, OrderUpdate
from tests.support.store_contract import ALICE, BOB, race

T0 = datetime(2025, 3, 3, 21, 0, tzinfo=UTC)


def _orders(prefix: str, n: int) -> list[NewOrder]:
    return [
        NewOrder(f"{prefix}-{i}", f"S{i}", "sell" if i % 2 else "buy", 1.5 + i) for i in range(n)
    ]


def test_orders_come_out_of_an_account_s_queue_in_the_order_they_went_in(store: Store) -> None:
    first = store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_1", _orders("r1", 3))
    second = store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_2", _orders("r2", 2))
    other = store.enqueue_orders(ALICE, "paper-2", "dep_b", "job_3", _orders("r3", 1))
    assert [o.sequence for o in first + second] == [1, 2, 3, 4, 5]
    assert other[0].sequence == 1 and other[0].account == "paper-2"
    queue = store.open_orders(ALICE, "paper-1")
    assert [o.client_order_id for o in queue] == ["r1-0", "r1-1", "r1-2", "r2-0", "r2-1"]
    head = queue[0]
    assert (head.status, head.attempts, head.filled_quantity, head.average_price) == (
        "queued",
        0,
        0.0,
        None,
    )
    assert (head.symbol, head.side, head.quantity, head.run_id) == ("S0", "buy", 1.5, "job_1")
    assert [o.client_order_id for o in store.list_orders(ALICE, run_id="job_2")] == [
        "r2-0",
        "r2-1",
    ]
    assert len(store.list_orders(ALICE, deployment_id="dep_a")) == 5
    assert store.list_orders(BOB) == [] and store.open_orders(BOB, "paper-1") == []
    with pytest.raises(NotFoundError):
        store.get_order(BOB, "r1-0")


def test_enqueueing_the_same_orders_again_adds_nothing(store: Store) -> None:
    orders = _orders("r1", 3)
    first = store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_1", orders)
    again = store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_1", orders)
    assert again == first and len(store.list_orders(ALICE)) == 3
    more = store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_1", [*orders, *_orders("r9", 1)])
    assert [o.sequence for o in more] == [1, 2, 3, 4]
    changed = NewOrder("r1-0", "S0", "buy", 99.0)
    with pytest.raises(ConflictError):
        store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_1", [changed, *_orders("r8", 1)])
    assert len(store.list_orders(ALICE)) == 4  # nothing of the refused enqueue was written


def test_client_order_ids_and_account_names_are_each_owner_s(store: Store) -> None:
    """Two owners enqueue the same ids on accounts of the same name: two queues that never
    meet (no conflict, each owner's orders, sequences and updates their own)."""
    alices = store.enqueue_orders(ALICE, "paper-shared-main", "dep_a", "acct-1", _orders("r1", 3))
    bobs_orders = [NewOrder(f"r1-{i}", "XOM", "buy", 7.0 + i) for i in range(2)]
    bobs = store.enqueue_orders(BOB, "paper-shared-main", "dep_b", "acct-1", bobs_orders)
    assert [o.sequence for o in bobs] == [1, 2] and {o.owner for o in bobs} == {BOB}
    assert (
        store.enqueue_orders(ALICE, "paper-shared-main", "dep_a", "acct-1", _orders("r1", 3))
        == alices
    )
    store.update_order(BOB, "r1-0", expected_status="queued", status="submitted", attempts=1)
    [update] = store.update_orders(ALICE, [OrderUpdate("r1-0", "queued", "canceled")])
    assert update.status == "canceled" and update.symbol == "S0"
    assert store.get_order(BOB, "r1-0").status == "submitted"
    assert [o.client_order_id for o in store.open_orders(ALICE, "paper-shared-main")] == [
        "r1-1",
        "r1-2",
    ]
    assert [(o.symbol, o.quantity) for o in store.list_orders(BOB, run_id="acct-1")] == [
        ("XOM", 7.0),
        ("XOM", 8.0),
    ]


def test_racing_enqueues_get_distinct_sequences(store: Store) -> None:
    race(
        store,
        4,
        lambda i: store.enqueue_orders(ALICE, "paper-1", "dep_a", f"job_{i}", _orders(f"r{i}", 2)),
    )
    sequences = [o.sequence for o in store.open_orders(ALICE, "paper-1")]
    assert sequences == list(range(1, 9))


def test_an_order_update_is_guarded_by_its_status(store: Store) -> None:
    store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_1", _orders("r1", 2))
    sent = store.update_order(
        ALICE, "r1-0", expected_status="queued", status="submitted", attempts=1
    )
    assert (sent.status, sent.attempts) == ("submitted", 1)
    filled = store.update_order(
        ALICE,
        "r1-0",
        expected_status="submitted",
        status="filled",
        filled_quantity=1.5,
        average_price=101.25,
    )
    assert (filled.filled_quantity, filled.average_price, filled.attempts) == (1.5, 101.25, 1)
    with pytest.raises(ConflictError) as raised:
        store.update_order(ALICE, "r1-0", expected_status="submitted", status="canceled")
    assert raised.value.current.status == "filled"  # type: ignore[attr-defined]
    dead = store.update_order(
        ALICE, "r1-1", expected_status="queued", status="dead", reason="broker down 3 times"
    )
    assert dead.reason == "broker down 3 times" and not dead.is_open
    assert store.open_orders(ALICE, "paper-1") == []
    with pytest.raises(NotFoundError):
        store.update_order(BOB, "r1-1", expected_status="dead", status="queued")


def test_an_enqueue_is_checked_before_anything_is_written(store: Store) -> None:
    with pytest.raises(ValueError):
        store.enqueue_orders(ALICE, "paper-1", "dep_a", "job_1", [NewOrder("x", "S", "buy", 0.0)])
    with pytest.raises(ValueError):
        store.enqueue_orders(ALICE, "paper#1", "dep_a", "job_1", _orders("r", 1))
    with pytest.raises(ValueError):
        store.enqueue_orders(
            ALICE, "paper-1", "dep_a", "job_1", _orders("r", MAX_ORDERS_PER_ENQUEUE + 1)
        )
    assert store.list_orders(ALICE) == []


def _fill(n: int, side: str = "buy") -> LedgerEntry:
    return LedgerEntry(
        entry_id=f"fill-{n}",
        kind="fill",
        time=T0 + timedelta(days=n),
        symbol="AAPL",
        side=side,  # type: ignore[arg-type]
        quantity=10.0 / 3,
        price=187.123456789,
        fee=0.1,
        order_id=f"ord-{n}",
    )


def test_the_ledger_is_append_only_idempotent_and_exact(store: Store) -> None:
    deposit = LedgerEntry("dep-1", "cash_flow", T0, amount=100_000.0, note="capital")
    assert store.append_ledger(ALICE, "dep_a", [deposit, _fill(1)]) == 2
    assert store.append_ledger(ALICE, "dep_a", [_fill(1), _fill(2, "sell")]) == 1
    entries = store.ledger(ALICE, "dep_a")
    assert entries == [deposit, _fill(1), _fill(2, "sell")]  # floats exactly as written
    assert store.ledger(BOB, "dep_a") == [] and store.ledger(ALICE, "other") == []
    altered = LedgerEntry(**{**_fill(1).__dict__, "price": 1.0})
    with pytest.raises(ConflictError):
        store.append_ledger(ALICE, "dep_a", [_fill(3), altered])
    assert len(store.ledger(ALICE, "dep_a")) == 3
    with pytest.raises(ValueError):
        store.append_ledger(ALICE, "dep_a", [LedgerEntry("bad", "fill", T0, symbol="X")])


def test_racing_appends_keep_every_entry_once(store: Store) -> None:
    race(store, 4, lambda i: store.append_ledger(ALICE, "dep_a", [_fill(i), _fill(10 + i)]))
    ids = sorted(e.entry_id for e in store.ledger(ALICE, "dep_a"))
    assert ids == sorted([f"fill-{i}" for i in range(4)] + [f"fill-{10 + i}" for i in range(4)])


def test_a_broker_account_is_saved_by_version(store: Store) -> None:
    account = store.create_broker_account(ALICE, "paper-dep_a", "paper", {"cash": 1.0})
    assert (account.version, account.state, account.kind) == (1, {"cash": 1.0}, "paper")
    with pytest.raises(ConflictError):
        store.create_broker_account(ALICE, "paper-dep_a", "paper", {})
    saved = store.save_broker_account(ALICE, "paper-dep_a", {"cash": 2.5}, expected_version=1)
    assert (saved.version, saved.state) == (2, {"cash": 2.5})
    with pytest.raises(ConflictError):
        store.save_broker_account(ALICE, "paper-dep_a", {"cash": 9.0}, expected_version=1)
    assert store.get_broker_account(ALICE, "paper-dep_a").state == {"cash": 2.5}
    with pytest.raises(NotFoundError):
        store.get_broker_account(BOB, "paper-dep_a")


def test_a_netted_order_keeps_its_allocations_and_an_internal_crossing_its_price(
    store: Store,
) -> None:
    """A shared account's orders: what each deployment asked for, and a crossing inside the
    account with the price it fills at; enqueued again they add nothing, changed they are
    refused; malformed allocations are refused before anything is written."""
    split = (Allocation("dep_a", 2.25), Allocation("dep_b", 0.75))
    orders = [
        NewOrder("n-0", "AAPL", "buy", 3.0, allocations=split),
        NewOrder(
            "n-1",
            "MSFT",
            "sell",
            1.0,
            allocations=(Allocation("dep_b", 1.0),),
            internal_price=250.5,
        ),
    ]
    stored = store.enqueue_orders(ALICE, "paper-shared", "paper-shared", "acct_1", orders)
    assert [(o.allocations, o.internal_price) for o in stored] == [
        (split, None),
        ((Allocation("dep_b", 1.0),), 250.5),
    ]
    assert store.get_order(ALICE, "n-0").allocations == split
    assert store.enqueue_orders(ALICE, "paper-shared", "paper-shared", "acct_1", orders) == stored
    moved = NewOrder("n-0", "AAPL", "buy", 3.0, allocations=(Allocation("dep_a", 3.0),))
    with pytest.raises(ConflictError):
        store.enqueue_orders(ALICE, "paper-shared", "paper-shared", "acct_1", [moved])
    for bad in (
        NewOrder("n-9", "AAPL", "buy", 3.0, allocations=(Allocation("dep_a", 2.0),)),
        NewOrder(
            "n-9", "AAPL", "buy", 1.0, allocations=(Allocation("a", 0.5), Allocation("a", 0.5))
        ),
        NewOrder("n-9", "AAPL", "buy", 1.0, internal_price=10.0),
    ):
        with pytest.raises(ValueError):
            store.enqueue_orders(ALICE, "paper-shared", "paper-shared", "acct_1", [bad])
    assert len(store.list_orders(ALICE, deployment_id="paper-shared")) == 2
