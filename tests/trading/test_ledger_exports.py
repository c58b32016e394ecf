"""The ledger as JSON rows, CSV and Parquet (one definition of the columns), read back from a
real SQLite store: exact to the bit, the same rows in each format; stored exports of it on both
store backends (SQLite; DynamoDB + S3 on the store suite's moto server)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from store import LedgerEntry, NotFoundError, Store
from store.aws import AWSStore
from store.exports import ExportFormat
from store.sqlite import SQLiteStore
from tests.store.conftest import aws_env, aws_names, clock, moto_endpoint  # noqa: F401
from tests.store.conftest import store as store_on_both_backends  # noqa: F401 (fixture `store`)
from tests.support.ledger_files import assert_csv_holds, assert_parquet_holds, hard_entries
from trading.ledger_exports import (
    LEDGER_COLUMNS,
    LEDGER_SCHEMA,
    create_ledger_export,
    deployment_export,
    ledger_csv,
    ledger_file,
    ledger_parquet,
    ledger_rows,
)


@pytest.fixture
def entries(tmp_path: Path) -> list[LedgerEntry]:
    store = SQLiteStore(tmp_path / "store.sqlite")
    store.append_ledger("alice", "dep_1", hard_entries())
    stored = store.ledger("alice", "dep_1")
    store.close()
    assert stored == hard_entries()
    return stored


def test_parquet_holds_the_ledger_exactly_with_typed_columns(entries: list[LedgerEntry]) -> None:
    assert_parquet_holds(ledger_parquet(entries), entries)
    assert ledger_file(entries, "parquet") == ledger_parquet(entries)


def test_csv_and_parquet_hold_the_same_rows_as_the_json_rows(entries: list[LedgerEntry]) -> None:
    text = ledger_csv(entries)
    assert_csv_holds(text, entries)
    assert ledger_file(entries, "csv") == text.encode()
    rows = ledger_rows(entries)
    assert [tuple(r) for r in rows] == [LEDGER_COLUMNS] * len(entries)
    assert [r["time"] for r in rows] == [e.time.isoformat() for e in entries]


def test_an_empty_ledger_is_a_header_and_an_empty_table() -> None:
    assert ledger_csv([]) == ",".join(LEDGER_COLUMNS) + "\n"
    assert_parquet_holds(ledger_parquet([]), [])
    assert LEDGER_SCHEMA.names == list(LEDGER_COLUMNS)


@pytest.mark.parametrize("format", ["parquet", "csv"])
def test_a_stored_export_holds_the_ledger_exactly_on_both_backends(
    store: Store, format: ExportFormat
) -> None:
    deployment = store.create_deployment("alice", "core", "active", {"capital": 1.0})
    store.append_ledger("alice", deployment.id, hard_entries())
    entries = store.ledger("alice", deployment.id)
    export = create_ledger_export(store, deployment, format)
    assert (export.owner, export.deployment_id, export.rows) == ("alice", deployment.id, 6)
    data = store.export_bytes("alice", export.id)
    assert hashlib.sha256(data).hexdigest() == export.sha256 and len(data) == export.size_bytes
    if format == "parquet":
        assert_parquet_holds(data, entries)
    else:
        assert_csv_holds(data.decode(), entries)
    if isinstance(store, AWSStore):  # the file is the S3 object
        key = f"exports/alice/{deployment.id}/{export.id}.{format}"
        assert store.s3.get_object(Bucket=store.bucket, Key=key)["Body"].read() == data
    store.append_ledger("alice", deployment.id, hard_entries(6)[5:7])  # fills 4 and 5
    later = create_ledger_export(store, deployment, format)
    assert later.rows == 8 and store.export_bytes("alice", export.id) == data  # kept as it was
    assert store.list_exports("alice", deployment.id) == [export, later]
    assert deployment_export(store, "alice", deployment.id, export.id) == export
    for owner, deployment_id in (("bob", deployment.id), ("alice", "dep_other")):
        with pytest.raises(NotFoundError):
            deployment_export(store, owner, deployment_id, export.id)
