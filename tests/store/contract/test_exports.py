"""The ledger exports contract on both backends: bytes round-trip exactly with their SHA-256,
owner isolation, listing per deployment oldest first, deletion of the bytes with the metadata,
large exports (in S3 on AWS), argument checks, and no export without its bytes when a write
fails."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from store import Export, NotFoundError, StoreUnavailableError
from store.aws import AWSStore
from store.base import Store
from store.owner_data import reset_gate, ungated
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock, make_aws_store, s3_keys
from tests.support.store_contract import ALICE, BOB

DEP = "dep_0123456789ab"


def test_an_export_s_bytes_and_metadata_round_trip(store: Store, clock: FakeClock) -> None:
    data = b"PAR1" + os.urandom(4000) + b"\x00\r\n" + b"PAR1"
    export = store.create_export(ALICE, DEP, "parquet", data, rows=17)
    assert isinstance(export, Export) and export.id.startswith("exp_")
    assert (export.owner, export.deployment_id, export.format, export.rows) == (
        ALICE, DEP, "parquet", 17,
    )  # fmt: skip
    assert export.size_bytes == len(data)
    assert export.sha256 == hashlib.sha256(data).hexdigest()
    assert export.created_at == clock.now
    assert store.get_export(ALICE, export.id) == export
    stored = store.export_bytes(ALICE, export.id)
    assert stored == data and hashlib.sha256(stored).hexdigest() == export.sha256


def test_another_owner_s_export_is_not_found(store: Store) -> None:
    export = store.create_export(ALICE, DEP, "csv", b"entry_id\n", rows=0)
    for read in (store.get_export, store.export_bytes, store.delete_export):
        with pytest.raises(NotFoundError):
            read(BOB, export.id)
    assert store.list_exports(BOB, DEP) == []
    assert store.export_bytes(ALICE, export.id) == b"entry_id\n"  # bob's delete did nothing


def test_exports_are_listed_per_deployment_oldest_first(store: Store, clock: FakeClock) -> None:
    first = store.create_export(ALICE, DEP, "csv", b"1", rows=1)
    clock.advance(1)
    second = store.create_export(ALICE, DEP, "parquet", b"22", rows=2)
    other = store.create_export(ALICE, "dep_other", "csv", b"333", rows=3)
    clock.advance(-10)  # ids break ties of equal times; an earlier time sorts first
    earliest = store.create_export(ALICE, DEP, "csv", b"4", rows=4)
    assert [e.id for e in store.list_exports(ALICE, DEP)] == [earliest.id, first.id, second.id]
    assert store.list_exports(ALICE, "dep_other") == [other]
    assert store.list_exports(ALICE, "dep_none") == []


def test_delete_removes_the_metadata_and_the_bytes(store: Store) -> None:
    keep = store.create_export(ALICE, DEP, "csv", b"keep", rows=1)
    gone = store.create_export(ALICE, DEP, "parquet", b"gone", rows=1)
    store.delete_export(ALICE, gone.id)
    for read in (store.get_export, store.export_bytes, store.delete_export):
        with pytest.raises(NotFoundError):
            read(ALICE, gone.id)
    assert store.list_exports(ALICE, DEP) == [keep]
    if isinstance(store, AWSStore):  # hidden at once; the purge removes the object too
        assert len(s3_keys(store)) == 2
        assert store.purge_deleted() == 1
        assert s3_keys(store) == [f"exports/{ALICE}/{DEP}/{keep.id}.csv"]
    else:
        assert isinstance(store, SQLiteStore)
        count = store._read("test", "SELECT count(*) FROM exports WHERE id = ?", (gone.id,))
        assert count[0][0] == 0


def test_a_large_export_round_trips_and_lives_in_s3_on_aws(store: Store) -> None:
    data = os.urandom(3_000_000)
    export = store.create_export(ALICE, DEP, "parquet", data, rows=50_000)
    assert store.export_bytes(ALICE, export.id) == data
    if isinstance(store, AWSStore):
        key = f"exports/{ALICE}/{DEP}/{export.id}.parquet"
        head = store.s3.head_object(Bucket=store.bucket, Key=key)
        assert head["ContentLength"] == 3_000_000
        assert head["ContentType"] == "application/vnd.apache.parquet"
        item = store.ddb.get_item(
            TableName=store.table,
            Key={"pk": {"S": f"OWNER#{ALICE}"}, "sk": {"S": f"EXP#{export.id}"}},
        )["Item"]
        assert len(str(item)) < 1000  # the item holds the metadata only


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"deployment_id": ""}, "deployment_id"),
        ({"deployment_id": "dep/../x"}, "deployment_id"),
        ({"format": "json"}, "format"),
        ({"data": b""}, "data"),
        ({"rows": -1}, "rows"),
        ({"rows": True}, "rows"),
    ],
)
def test_invalid_arguments_are_refused_and_nothing_is_stored(
    store: Store, arguments: dict[str, Any], message: str
) -> None:
    values = {"deployment_id": DEP, "format": "csv", "data": b"x", "rows": 1, **arguments}
    with pytest.raises(ValueError, match=message):
        store.create_export(ALICE, **values)
    assert store.list_exports(ALICE, values["deployment_id"]) == []


def test_a_failed_write_stores_no_export_sqlite(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite", max_db_bytes=512 * 1024)
    with pytest.raises(StoreUnavailableError, match="full"):
        store.create_export(ALICE, DEP, "csv", os.urandom(1024 * 1024), rows=1)
    assert store.list_exports(ALICE, DEP) == []
    store.close()


def test_a_failed_item_write_reports_no_export_and_leaves_at_worst_an_orphan_object_aws(
    moto_endpoint: str, aws_names: dict[str, str], clock: FakeClock
) -> None:
    # the table is missing: the item write fails and so does the read that would prove the
    # item absent, so the uploaded object stays (an orphan nothing lists), never an item
    # without its object
    store = make_aws_store(moto_endpoint, {**aws_names, "table": "no-such-table"}, clock)
    token = ungated(ALICE)  # past the owner lock's read: the item write is what fails
    try:
        with pytest.raises(StoreUnavailableError, match="create_export"):
            store.create_export(ALICE, DEP, "parquet", b"PAR1", rows=1)
    finally:
        reset_gate(token)
    [orphan] = s3_keys(store)
    assert orphan.startswith(f"exports/{ALICE}/{DEP}/exp_")
