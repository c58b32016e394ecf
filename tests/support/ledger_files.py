"""A ledger whose numbers and times are hard to keep exact, and the checks that a CSV or Parquet
rendering of it holds exactly its entries (used by the service, API and CLI tests)."""

from __future__ import annotations

import csv
import io
import math
import struct
from datetime import UTC, datetime

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from store import LedgerEntry
from store.ledger import NUMBER_FIELDS
from trading.ledger_exports import LEDGER_COLUMNS, LEDGER_SCHEMA

T0 = datetime(2022, 1, 3, 14, 30, 0, 123456, tzinfo=UTC)


def hard_entries(n_fills: int = 4) -> list[LedgerEntry]:
    """A deposit, `n_fills` fills with floats that do not survive a careless round trip
    (0.1 + 0.2, thirds, subnormals, 17 significant digits) and a withdrawal, microseconds
    apart and across years."""
    fills = [
        LedgerEntry(
            entry_id=f"fill-{i}",
            kind="fill",
            time=T0.replace(year=2022 + i % 3, microsecond=i),
            symbol=("JNJ", "KO", "PG")[i % 3],
            side=("buy", "sell")[i % 2],
            quantity=(0.1 + 0.2) * (i + 1) / 3,
            price=123.45678901234567 + i / 7,
            fee=5e-324 if i == 0 else 1e-17 * i,
            order_id=f'ord-{i}, "quoted"',
        )
        for i in range(n_fills)
    ]
    deposit = LedgerEntry("capital", "cash_flow", T0, amount=100_000.0, note="capital")
    withdrawal = LedgerEntry(
        "out", "cash_flow", T0.replace(year=2025), amount=-2500.1 / 3, note="line\nbreak, é"
    )
    return [deposit, *fills, withdrawal]


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def assert_parquet_holds(data: bytes, entries: list[LedgerEntry]) -> None:
    """`data` is a Parquet file of `LEDGER_SCHEMA` with one row per entry, in order, every
    float equal to the bit, every time equal, every string equal (null where None)."""
    table = pq.read_table(io.BytesIO(data))
    assert table.schema.equals(LEDGER_SCHEMA), table.schema
    assert table.num_rows == len(entries)
    rows = table.to_pylist()
    for row, entry in zip(rows, entries, strict=True):
        for column in LEDGER_COLUMNS:
            expected, found = getattr(entry, column), row[column]
            if column in NUMBER_FIELDS and expected is not None:
                assert _bits(found) == _bits(expected), (entry.entry_id, column, found)
            else:
                assert found == expected, (entry.entry_id, column, found)
    frame = pd.read_parquet(io.BytesIO(data))
    assert str(frame["time"].dtype) == "datetime64[us, UTC]"
    assert all(frame[c].dtype == "float64" for c in NUMBER_FIELDS)
    assert list(frame["time"]) == [pd.Timestamp(e.time) for e in entries]
    assert pa.types.is_string(table.schema.field("entry_id").type)


def assert_csv_holds(text: str, entries: list[LedgerEntry]) -> None:
    """`text` is the ledger's CSV: the header `LEDGER_COLUMNS` and one row per entry with the
    same values (floats exact, times ISO 8601 UTC, empty cells for None)."""
    reader = csv.DictReader(io.StringIO(text))
    assert tuple(reader.fieldnames or ()) == LEDGER_COLUMNS
    rows = list(reader)
    assert len(rows) == len(entries)
    for row, entry in zip(rows, entries, strict=True):
        assert datetime.fromisoformat(row["time"]) == entry.time
        for column in LEDGER_COLUMNS:
            expected, cell = getattr(entry, column), row[column]
            if column == "time":
                continue
            if expected is None:
                assert cell == "", (entry.entry_id, column, cell)
            elif column in NUMBER_FIELDS:
                assert math.isfinite(float(cell)) and _bits(float(cell)) == _bits(expected)
            else:
                assert cell == expected, (entry.entry_id, column, cell)
