"""The profiles contract on both backends: one versioned document per owner."""

from __future__ import annotations

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE, BOB, race


def test_profile_create_replace_versions_and_delete(store: Store, clock: FakeClock) -> None:
    with pytest.raises(NotFoundError):
        store.get_profile(ALICE)
    created = store.save_profile(ALICE, {"risk_tolerance": "moderate"}, expected_version=0)
    assert (created.owner, created.version, created.data) == (
        ALICE,
        1,
        {"risk_tolerance": "moderate"},
    )
    assert created.created_at == created.updated_at == clock.now
    clock.advance(5)
    saved = store.save_profile(ALICE, {"exclusions": ["AMD"]}, expected_version=1)
    assert (saved.version, saved.data) == (2, {"exclusions": ["AMD"]})
    assert saved.created_at == created.created_at and saved.updated_at == clock.now
    assert store.get_profile(ALICE) == saved
    unguarded = store.save_profile(ALICE, {"exclusions": []})
    assert unguarded.version == 3
    store.delete_profile(ALICE)
    with pytest.raises(NotFoundError):
        store.get_profile(ALICE)
    with pytest.raises(NotFoundError):
        store.delete_profile(ALICE)
    again = store.save_profile(ALICE, {"base_currency": "USD"})
    assert again.version == 1


def test_stale_or_missing_versions_conflict_and_write_nothing(store: Store) -> None:
    with pytest.raises(ConflictError) as missing:
        store.save_profile(ALICE, {"a": 1}, expected_version=1)
    assert missing.value.current is None
    with pytest.raises(NotFoundError):
        store.get_profile(ALICE)
    store.save_profile(ALICE, {"a": 1})
    store.save_profile(ALICE, {"a": 2}, expected_version=1)
    with pytest.raises(ConflictError) as stale:
        store.save_profile(ALICE, {"a": 3}, expected_version=1)
    assert stale.value.current.version == 2 and stale.value.current.data == {"a": 2}
    with pytest.raises(ConflictError):
        store.save_profile(ALICE, {"a": 3}, expected_version=0)
    assert store.get_profile(ALICE).data == {"a": 2}
    with pytest.raises(ValueError):
        store.save_profile(ALICE, {"a": 3}, expected_version=-1)
    with pytest.raises(ValueError):
        store.save_profile("bad#owner", {"a": 3})


def test_profiles_are_owner_scoped(store: Store) -> None:
    store.save_profile(ALICE, {"exclusions": ["MO"]})
    with pytest.raises(NotFoundError):
        store.get_profile(BOB)
    with pytest.raises(NotFoundError):
        store.delete_profile(BOB)
    bob = store.save_profile(BOB, {"exclusions": []}, expected_version=0)
    assert bob.version == 1
    assert store.get_profile(ALICE).data == {"exclusions": ["MO"]}
    store.delete_profile(BOB)
    assert store.get_profile(ALICE).version == 1


def test_competing_guarded_saves_have_one_winner(store: Store) -> None:
    store.save_profile(ALICE, {"n": 0})
    outcomes = race(store, 4, lambda i: store.save_profile(ALICE, {"n": i}, expected_version=1))
    winners = [o for o in outcomes if not isinstance(o, Exception)]
    assert len(winners) == 1 and winners[0].version == 2
    assert all(isinstance(o, ConflictError) for o in outcomes if o is not winners[0])
    assert store.get_profile(ALICE).data == winners[0].data
