"""The results cache contract on both backends."""

from __future__ import annotations

from store.base import Store
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE


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
