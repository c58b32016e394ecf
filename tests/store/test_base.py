"""Backend-independent helpers of `store.base`: ids, cursors, timestamps, key hashing."""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.api_keys import hash_api_key
from store.common import (
    MAX_POSITION,
    PositionSide,
    decode_cursor,
    decode_position_cursor,
    encode_cursor,
    encode_position_cursor,
    from_micros,
    new_id,
    position_key,
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


MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31), timezones=st.just(UTC)
)
IDS = st.from_regex(r"[a-z]{2,4}_[0-9a-f]{1,28}", fullmatch=True)


@given(a=st.tuples(MOMENTS, IDS), b=st.tuples(MOMENTS, IDS))
def test_position_keys_sort_as_their_times_and_ids_and_cursors_carry_them(
    a: tuple[datetime, str], b: tuple[datetime, str]
) -> None:
    key_a, key_b = position_key(*a), position_key(*b)
    assert (key_a < key_b) == ((to_micros(a[0]), a[1]) < (to_micros(b[0]), b[1]))
    sides: tuple[PositionSide, ...] = ("before", "after")
    for side in sides:
        assert decode_position_cursor(encode_position_cursor(key_a, side), side) == key_a
    assert decode_position_cursor(None, "after") is None


def test_a_position_cursor_of_another_side_or_position_is_refused() -> None:
    good = position_key(datetime(2026, 1, 2, tzinfo=UTC), "opt_1")
    bad = (
        "",
        "abc",
        encode_cursor(3),  # a numbered listing's
        encode_position_cursor(good, "before"),  # a newest-first listing's
        encode_position_cursor(f"{MAX_POSITION + 1:020d}#opt_1", "after"),  # no store holds it
        encode_position_cursor("1#opt_1", "after"),
        encode_position_cursor(f"{0:020d}#", "after"),
        encode_position_cursor(f"{0:020d}#a#b", "after"),
    )
    for cursor in bad:
        with pytest.raises(ValueError, match="cursor"):
            decode_position_cursor(cursor, "after")


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
