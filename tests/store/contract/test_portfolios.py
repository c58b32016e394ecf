"""The portfolios contract on both backends."""

from __future__ import annotations

import pytest

from store.base import Store
from store.errors import ConflictError, NotFoundError
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE


def test_portfolio_crud_and_versions(store: Store, clock: FakeClock) -> None:
    a = store.create_portfolio(ALICE, "core", {"weights": {"A": 0.5, "B": 0.5}})
    clock.advance(1)
    b = store.create_portfolio(ALICE, "satellite", {"weights": {"C": 1.0}})
    assert a.version == 1
    assert [p.id for p in store.list_portfolios(ALICE)] == [a.id, b.id]
    clock.advance(1)
    a2 = store.update_portfolio(ALICE, a.id, data={"weights": {"A": 1.0}}, expected_version=1)
    assert a2.version == 2 and a2.name == "core" and a2.data == {"weights": {"A": 1.0}}
    assert a2.updated_at == clock.now and a2.created_at == a.created_at
    with pytest.raises(ConflictError):
        store.update_portfolio(ALICE, a.id, name="stale", expected_version=1)
    a3 = store.update_portfolio(ALICE, a.id, name="renamed")
    assert (a3.name, a3.version, a3.data) == ("renamed", 3, {"weights": {"A": 1.0}})
    store.delete_portfolio(ALICE, a.id)
    with pytest.raises(NotFoundError):
        store.get_portfolio(ALICE, a.id)
    with pytest.raises(NotFoundError):
        store.delete_portfolio(ALICE, a.id)
    with pytest.raises(NotFoundError):
        store.update_portfolio(ALICE, a.id, name="x", expected_version=3)
    assert [p.id for p in store.list_portfolios(ALICE)] == [b.id]
