"""The ledger as JSON rows, CSV and Parquet (one definition of the columns), read back from a
real SQLite store: exact to the bit, the same rows in each format."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ledger_exports import (
    LEDGER_COLUMNS,
    LEDGER_SCHEMA,
    ledger_csv,
    ledger_file,
    ledger_parquet,
    ledger_rows,
)
from store import LedgerEntry
from store.sqlite import SQLiteStore
from tests.services.ledger_files import assert_csv_holds, assert_parquet_holds, hard_entries


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
