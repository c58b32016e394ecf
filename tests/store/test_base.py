"""Backend-independent helpers of `store.base`: ids, cursors, timestamps, key hashing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest

from store.api_keys import hash_api_key
from store.common import (
    MAX_POSITION,
    decode_cursor,
    encode_cursor,
    from_micros,
    new_id,
    to_micros,
)


def test_ids_sort_in_creation_order() -> None:
    ids = [new_id("job") for _ in range(2000)]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)


def test_cursor_roundtrip_and_rejects_garbage() -> None:
    for after in (-1, 0, 5, 10**9, MAX_POSITION):
        assert decode_cursor(encode_cursor(after)) == after
    assert decode_cursor(None) == -1
    beyond = (encode_cursor(-2), encode_cursor(MAX_POSITION + 1))  # no store holds these
    for bad in ("", "abc", encode_cursor(3)[:-2], "eyJ2IjoyLCJhZnRlciI6M30", *beyond):
        with pytest.raises(ValueError):
            decode_cursor(bad)


def test_micros_roundtrip() -> None:
    t = datetime(2026, 11, 21, 9, 30, 1, 507123, tzinfo=UTC)
    assert to_micros(t) == int(t.timestamp()) * 1_000_000 + 507123
    assert from_micros(to_micros(t)) == t
    with pytest.raises(ValueError):
        to_micros(datetime(2026, 1, 1))


def test_api_key_hash_is_keyed_hmac_sha256() -> None:
    expected = hmac.new(b"pepper", b"stg_abc", hashlib.sha256).hexdigest()
    assert hash_api_key("stg_abc", "pepper") == expected
    assert hash_api_key("stg_abc", "other") != expected
