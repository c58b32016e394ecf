"""The results cache contract on both backends."""

from __future__ import annotations

import pytest

from store.base import Store
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB, race


def test_cache_ttl(store: Store, clock: FakeClock) -> None:
    assert store.cache_get(ALICE, "req:1") is None
    store.cache_put(ALICE, "req:1", {"sharpe": 0.9, "w": [0.1, 0.9]}, ttl_seconds=60)
    assert store.cache_get(ALICE, "req:1") == {"sharpe": 0.9, "w": [0.1, 0.9]}
    clock.advance(59.999)
    assert store.cache_get(ALICE, "req:1") == {"sharpe": 0.9, "w": [0.1, 0.9]}
    clock.advance(0.001)
    assert store.cache_get(ALICE, "req:1") is None  # expired exactly at put + ttl
    store.cache_put(ALICE, "req:1", [1, 2], ttl_seconds=10)  # replaces the expired entry
    assert store.cache_get(ALICE, "req:1") == [1, 2]


def test_a_lease_is_held_by_one_holder_until_it_expires_or_is_released(
    store: Store, clock: FakeClock
) -> None:
    assert store.hold_lease(ALICE, "turn:th_1", "a", 60)
    assert not store.hold_lease(ALICE, "turn:th_1", "b", 60)  # a holds it
    assert store.hold_lease(BOB, "turn:th_1", "b", 60)  # another owner's name is another lease
    clock.advance(30)
    assert store.hold_lease(ALICE, "turn:th_1", "a", 60)  # extended to 90 s from the start
    clock.advance(59)
    assert not store.hold_lease(ALICE, "turn:th_1", "b", 60)
    assert store.cache_get(ALICE, "turn:th_1") == "a"
    clock.advance(1)
    assert store.hold_lease(ALICE, "turn:th_1", "b", 60)  # a's expired: b takes it
    store.release_lease(ALICE, "turn:th_1", "a")  # a holds it no more: nothing happens
    assert not store.hold_lease(ALICE, "turn:th_1", "c", 60)
    store.release_lease(ALICE, "turn:th_1", "b")
    assert store.cache_get(ALICE, "turn:th_1") is None
    assert store.hold_lease(ALICE, "turn:th_1", "c", 60)
    with pytest.raises(ValueError, match="seconds"):
        store.hold_lease(ALICE, "turn:th_1", "c", 0)


def test_of_holders_asking_at_once_one_gets_the_lease(store: Store) -> None:
    won = race(store, 8, lambda i: store.hold_lease(ALICE, "turn:th_2", f"holder {i}", 60))
    assert sorted(won) == [False] * 7 + [True]
    (winner,) = [i for i, got in enumerate(won) if got]
    assert store.cache_get(ALICE, "turn:th_2") == f"holder {winner}"
