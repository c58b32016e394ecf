"""Contract tests of uploaded datasets on every store backend (SQLite; DynamoDB + S3 on moto).

The `store` fixture (tests/store/conftest.py) runs each test on both backends.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from typing import Any

import pytest

from store import Dataset, NotFoundError, Store
from store.aws import AWSStore
from tests.store.conftest import FakeClock

ALICE, BOB = "alice", "bob"


def meta(names: list[str], **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "format": "prices",
        "n_rows": 3,
        "n_columns": len(names),
        "columns": names,
        "start": "2024-01-02",
        "end": "2024-01-04",
    }
    values.update(overrides)
    return values


def test_put_get_bytes_roundtrip(store: Store, clock: FakeClock) -> None:
    data = b"PAR1" + os.urandom(5000) + b"\x00PAR1"
    ds = store.put_dataset(ALICE, "my prices", data, meta(["AAA", "BBB"]))
    assert isinstance(ds, Dataset)
    assert ds.id.startswith("ds_") and ds.owner == ALICE and ds.name == "my prices"
    assert ds.format == "prices" and ds.columns == ["AAA", "BBB"]
    assert (ds.n_rows, ds.n_columns, ds.start, ds.end) == (3, 2, "2024-01-02", "2024-01-04")
    assert ds.sha256 == hashlib.sha256(data).hexdigest() and ds.size_bytes == len(data)
    assert ds.created_at == clock.now
    assert store.get_dataset(ALICE, ds.id) == ds
    assert store.dataset_bytes(ALICE, ds.id) == data


def test_list_oldest_first_and_owner_scoped(store: Store, clock: FakeClock) -> None:
    first = store.put_dataset(ALICE, "one", b"1", meta(["A"], format="returns"))
    clock.advance(1)
    second = store.put_dataset(ALICE, "two", b"22", meta(["B"]))
    bobs = store.put_dataset(BOB, "bob's", b"333", meta(["C"]))
    assert [d.id for d in store.list_datasets(ALICE)] == [first.id, second.id]
    assert [d.id for d in store.list_datasets(BOB)] == [bobs.id]
    assert store.list_datasets("carol") == []
    assert store.get_dataset(ALICE, first.id).format == "returns"
    assert second.created_at - first.created_at == timedelta(seconds=1)


def test_other_owner_sees_nothing(store: Store) -> None:
    ds = store.put_dataset(ALICE, "secret", b"alice-bytes", meta(["A"]))
    with pytest.raises(NotFoundError):
        store.get_dataset(BOB, ds.id)
    with pytest.raises(NotFoundError):
        store.dataset_bytes(BOB, ds.id)
    with pytest.raises(NotFoundError):
        store.delete_dataset(BOB, ds.id)
    assert store.dataset_bytes(ALICE, ds.id) == b"alice-bytes"  # bob's delete did nothing


def test_delete(store: Store) -> None:
    keep = store.put_dataset(ALICE, "keep", b"k", meta(["A"]))
    gone = store.put_dataset(ALICE, "gone", b"g", meta(["A"]))
    store.delete_dataset(ALICE, gone.id)
    with pytest.raises(NotFoundError):
        store.get_dataset(ALICE, gone.id)
    with pytest.raises(NotFoundError):
        store.dataset_bytes(ALICE, gone.id)
    with pytest.raises(NotFoundError):
        store.delete_dataset(ALICE, gone.id)
    assert [d.id for d in store.list_datasets(ALICE)] == [keep.id]
    if isinstance(store, AWSStore):  # hidden at once; the purge removes the bytes too

        def keys() -> list[str]:
            listed = store.s3.list_objects_v2(Bucket=store.bucket, Prefix="datasets/")
            return [o["Key"] for o in listed.get("Contents", [])]

        assert len(keys()) == 2
        assert store.purge_deleted() == 1
        assert keys() == [f"datasets/{ALICE}/{keep.id}.parquet"]


def test_large_bytes(store: Store) -> None:
    data = os.urandom(2_000_000)
    ds = store.put_dataset(ALICE, "big", data, meta(["A"]))
    assert store.dataset_bytes(ALICE, ds.id) == data
    assert store.get_dataset(ALICE, ds.id).size_bytes == 2_000_000


@pytest.mark.parametrize(
    ("name", "data", "bad", "message"),
    [
        ("", b"x", {}, "name"),
        ("n", b"", {}, "data"),
        ("n", b"x", {"format": "csv"}, "format"),
        ("n", b"x", {"n_rows": -1}, "n_rows"),
        ("n", b"x", {"n_columns": 5}, "n_columns"),
        ("n", b"x", {"columns": "A"}, "columns"),
        ("n", b"x", {"start": None}, "start"),
    ],
)
def test_invalid_arguments_rejected(
    store: Store, name: str, data: bytes, bad: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        store.put_dataset(ALICE, name, data, meta(["A"], **bad))
    assert store.list_datasets(ALICE) == []
