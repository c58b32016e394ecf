"""The chat thread index contract on both backends."""

from __future__ import annotations

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE


def test_thread_index(store: Store, clock: FakeClock) -> None:
    t1 = store.create_thread(ALICE, "first")
    clock.advance(1)
    t2 = store.create_thread(ALICE, "second")
    assert [t.id for t in store.list_threads(ALICE)] == [t2.id, t1.id]
    clock.advance(1)
    touched = store.touch_thread(ALICE, t1.id, title="renamed")
    assert touched.title == "renamed" and touched.updated_at == clock.now
    assert [t.id for t in store.list_threads(ALICE)] == [t1.id, t2.id]
    assert [t.id for t in store.list_threads(ALICE, limit=1)] == [t1.id]
    store.delete_thread(ALICE, t2.id)
    assert [t.id for t in store.list_threads(ALICE)] == [t1.id]
    with pytest.raises(NotFoundError):
        store.delete_thread(ALICE, t2.id)


def test_a_thread_under_an_id_given(store: Store) -> None:
    given = store.create_thread(ALICE, "named", thread_id="c3d0e6f2-0b9e-4d52-9f1a.a1")
    assert given.id == "c3d0e6f2-0b9e-4d52-9f1a.a1" and given.title == "named"
    assert store.get_thread(ALICE, given.id) == given
    with pytest.raises(ConflictError):  # the id is taken: nothing is overwritten
        store.create_thread(ALICE, "again", thread_id=given.id)
    assert store.get_thread(ALICE, given.id).title == "named"
    with pytest.raises(ValueError, match="1 to 100"):
        store.create_thread(ALICE, "long", thread_id="x" * 101)
