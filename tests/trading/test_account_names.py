"""The accounts owners name (`trading.account_names`): each owner's name is the owner's account,
tagged with the owner's tag; an account named before names were the owner's keeps its owners'
deployments together; no name of one owner reaches another's account."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.errors import InputError
from store import Store
from store.sqlite import SQLiteStore
from trading.account_names import owner_tag
from trading.deployments import account_of, create_deployment

SESSION = {"every": "session", "at": "15:45"}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite")


def _deploy(store: Store, owner: str, account: str | None) -> str:
    """The account a new deployment of `owner` on the account named `account` trades."""
    weights = [{"asset": "AAPL", "weight": 0.6}, {"asset": "KO", "weight": 0.4}]
    portfolio = store.create_portfolio(owner, "core", {"weights": weights})
    created = create_deployment(
        store, owner, name="core", source="portfolio", source_id=portfolio.id,
        capital=20_000, schedule=SESSION, account=account,
    )  # fmt: skip
    if account is not None:
        assert created.spec["account_name"] == account
    return account_of(created)


@given(st.text(min_size=1).filter(lambda o: "#" not in o))
def test_an_owner_s_tag_is_eight_hex_digits_the_same_every_time(owner: str) -> None:
    tag = owner_tag(owner)
    assert re.fullmatch(r"[0-9a-f]{8}", tag) and tag == owner_tag(owner)


def test_two_owners_naming_an_account_alike_trade_two_accounts(store: Store) -> None:
    alices = _deploy(store, "alice", "main")
    assert alices == f"paper-shared-{owner_tag('alice')}-main" == _deploy(store, "alice", "main")
    bobs = _deploy(store, "bob", "main")
    assert bobs == f"paper-shared-{owner_tag('bob')}-main" != alices


def test_an_account_named_before_names_were_the_owner_s_keeps_its_owner_s_deployments(
    store: Store,
) -> None:
    """Alice's `paper-shared-main` from before (a spec without `account_name`): her new
    deployments on `main` join it; bob's `main` is his own; a name that spells alice's tag
    before `main` is another of her names, not an alias of her tagged `main`."""
    portfolio = store.create_portfolio("alice", "core", {"weights": [{"asset": "KO", "weight": 1.0}]})  # fmt: skip
    earlier = create_deployment(
        store, "alice", name="earlier", source="portfolio", source_id=portfolio.id,
        capital=20_000, schedule=SESSION,
    )  # fmt: skip
    spec = {**earlier.spec, "account": "paper-shared-main", "shared_account": True}
    store.update_deployment("alice", earlier.id, expected_version=earlier.version, spec=spec)
    assert _deploy(store, "alice", "main") == "paper-shared-main"
    assert _deploy(store, "bob", "main") == f"paper-shared-{owner_tag('bob')}-main"
    tagged = _deploy(store, "alice", "book")
    spelled = _deploy(store, "alice", f"{owner_tag('alice')}-book")
    assert spelled == f"paper-shared-{owner_tag('alice')}-{owner_tag('alice')}-book" != tagged


def test_a_name_that_is_not_one_is_refused_naming_account(store: Store) -> None:
    for name in ("Main", "-main", "a" * 41, "main book", ""):
        with pytest.raises(InputError) as refused:
            _deploy(store, "alice", name)
        assert refused.value.field == "account"
