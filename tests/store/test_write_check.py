"""`Store.check_writable` (readiness's write check) on both backends: a real write that never
grows the store, and `StoreUnavailableError` when the store cannot be written although it can
still be read."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from store import Store, StoreUnavailableError
from store.aws import AWSStore
from store.base import WRITE_CHECK_KEY, WRITE_CHECK_OWNER
from store.common import to_micros
from store.sqlite import SQLiteStore
from tests.store.conftest import FakeClock
from tests.support.store_contract import ALICE


def _records(store: Store) -> dict[str, int]:
    """How many records the store holds: rows per table (SQLite); items, objects and
    unfinished multipart uploads (AWS)."""
    if isinstance(store, SQLiteStore):
        with sqlite3.connect(store.path) as conn:
            tables = [
                row[0]
                for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    assert isinstance(store, AWSStore)
    items = sum(
        page["Count"] for page in store.ddb.get_paginator("scan").paginate(TableName=store.table)
    )
    objects = store.s3.list_object_versions(Bucket=store.bucket)
    uploads = store.s3.list_multipart_uploads(Bucket=store.bucket)
    return {
        "items": items,
        "object versions": len(objects.get("Versions", [])) + len(objects.get("DeleteMarkers", [])),
        "uploads": len(uploads.get("Uploads", [])),
    }


def test_the_write_check_writes_each_time_without_growing_the_store(
    store: Store, clock: FakeClock
) -> None:
    store.submit_job(ALICE, "optimize", {"n": 1})
    store.check_writable()
    held = _records(store)
    for _ in range(20):
        clock.advance(0.5)
        store.check_writable()
        # a real write each time: the record holds the time of the last check
        assert store.cache_get(WRITE_CHECK_OWNER, WRITE_CHECK_KEY) == to_micros(clock.now)
    assert _records(store) == held


def test_a_locked_sqlite_store_is_readable_but_not_writable(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "store.sqlite", busy_timeout=0.2)
    store.submit_job(ALICE, "optimize", {"n": 1})
    writer = sqlite3.connect(store.path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    try:
        assert len(store.list_jobs(ALICE)) == 1  # reads go on (WAL)
        with pytest.raises(StoreUnavailableError, match="locked"):
            store.check_writable()
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    store.check_writable()
    store.close()


def test_a_deleted_bucket_fails_the_aws_write_check_while_the_table_answers(
    store_aws: AWSStore,
) -> None:
    store_aws.check_writable()
    store_aws.s3.delete_bucket(Bucket=store_aws.bucket)
    assert store_aws.list_jobs(ALICE) == []  # the table is still read and written
    store_aws.cache_put(ALICE, "k", 1, ttl_seconds=60)
    with pytest.raises(StoreUnavailableError, match="NoSuchBucket"):
        store_aws.check_writable()
