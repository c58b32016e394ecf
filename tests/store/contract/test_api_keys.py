"""The API keys contract on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from store.api_keys import hash_api_key
from store.base import Store
from store.errors import NotFoundError
from tests.store.conftest import FakeClock, dump_everything
from tests.support.store_contract import ALICE, BOB


def test_api_keys_hashed_never_stored(store: Store) -> None:
    raw, meta = store.create_api_key(ALICE, "laptop")
    raw_bob, _ = store.create_api_key(BOB, "ci")
    assert raw != raw_bob and raw.startswith("stg_") and len(raw) > 40
    assert store.verify_api_key(raw).owner == ALICE
    assert store.verify_api_key(raw).id == meta.id
    assert store.verify_api_key(raw_bob).owner == BOB
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw + "x")
    assert [k.id for k in store.list_api_keys(ALICE)] == [meta.id]
    with pytest.raises(NotFoundError):
        store.revoke_api_key(BOB, meta.id)
    revoked = store.revoke_api_key(ALICE, meta.id)
    assert revoked.revoked_at is not None
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw)
    assert store.verify_api_key(raw_bob).owner == BOB
    everything = dump_everything(store)
    for key in (raw, raw_bob):
        assert key.encode() not in everything
        assert key[4:].encode() not in everything  # not even without its prefix
    # what is stored is the keyed hash
    assert hash_api_key(raw_bob, "test-pepper").encode() in everything


def test_api_keys_with_an_expiry_stop_verifying_then_and_can_be_renewed(
    store: Store, clock: FakeClock
) -> None:
    raw, meta = store.create_api_key(ALICE, "session", expires_at=clock.now + timedelta(minutes=15))
    assert meta.expires_at == clock.now + timedelta(minutes=15)
    forever, _ = store.create_api_key(ALICE, "laptop")
    clock.advance(14 * 60)
    assert store.verify_api_key(raw).id == meta.id
    renewed = store.renew_api_key(ALICE, meta.id, clock.now + timedelta(minutes=15))
    assert renewed.expires_at == clock.now + timedelta(minutes=15)
    assert [k.expires_at for k in store.list_api_keys(ALICE)] == [renewed.expires_at, None]
    clock.advance(14 * 60)
    assert store.verify_api_key(raw).id == meta.id  # past the first expiry, within the renewal
    clock.advance(60)
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw)  # expired
    assert store.verify_api_key(forever).owner == ALICE  # keys without an expiry never expire
    with pytest.raises(NotFoundError):
        store.renew_api_key(BOB, meta.id, clock.now + timedelta(minutes=15))
    store.revoke_api_key(ALICE, meta.id)
    with pytest.raises(NotFoundError):
        store.renew_api_key(ALICE, meta.id, clock.now + timedelta(minutes=15))  # revoked
    with pytest.raises(NotFoundError):
        store.verify_api_key(raw)
