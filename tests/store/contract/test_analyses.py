"""The analyses contract (stored optimization results and simulations) on both backends."""

from __future__ import annotations

import pytest

from store.base import Store
from store.errors import NotFoundError
from tests.store.conftest import INLINE_LIMIT, FakeClock
from tests.support.store_contract import ALICE, BOB


def test_records_are_stored_listed_by_kind_and_owner_scoped(store: Store, clock: FakeClock) -> None:
    first = store.put_analysis(ALICE, "optimization", "pf_1", {"result": {"weights": {"A": 1.0}}})
    clock.advance(1)
    sim = store.put_analysis(ALICE, "simulation", None, {"result": {"trajectories": [[1.0, 1.5]]}})
    clock.advance(1)
    second = store.put_analysis(ALICE, "optimization", "test", {"x": 0.1 + 0.2})
    assert first.id.startswith("opt_") and sim.id.startswith("sim_")
    assert second.created_at == clock.now and (clock.now - first.created_at).total_seconds() == 2
    assert [a.id for a in store.list_analyses(ALICE, "optimization")] == [first.id, second.id]
    assert [a.id for a in store.list_analyses(ALICE, "simulation")] == [sim.id]
    got = store.get_analysis(ALICE, "optimization", second.id)
    assert (got.portfolio_id, got.data, got.kind) == ("test", {"x": 0.1 + 0.2}, "optimization")
    assert store.get_analysis(ALICE, "simulation", sim.id).portfolio_id is None
    with pytest.raises(NotFoundError):
        store.get_analysis(BOB, "optimization", first.id)
    with pytest.raises(NotFoundError):
        store.get_analysis(ALICE, "simulation", first.id)  # another kind is another record
    assert store.list_analyses(BOB, "optimization") == []


def test_a_large_record_comes_back_whole(store: Store) -> None:
    paths = [[float(i) + j / 7 for j in range(50)] for i in range(INLINE_LIMIT // 200)]
    record = store.put_analysis(ALICE, "simulation", "pf_9", {"result": {"trajectories": paths}})
    assert (
        store.get_analysis(ALICE, "simulation", record.id).data["result"]["trajectories"] == paths
    )
    [listed] = store.list_analyses(ALICE, "simulation")
    assert listed.data == record.data
