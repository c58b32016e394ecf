"""A deployment's ledger as a table: JSON rows, CSV and Parquet, with one definition of the
columns for all three; and stored exports of it (the file kept in the store, on AWS in S3).

The columns are an entry's stored fields with its time third (`LEDGER_COLUMNS`); their types
(`LEDGER_SCHEMA`) are UTC timestamps in microseconds for `time`, float64 for `quantity`,
`price`, `fee` and `amount` (currency and shares exactly as stored, bit for bit) and strings
for the rest; a field that does not apply to the entry's kind is null (an empty CSV cell).
JSON rows and CSV write the time as ISO 8601 UTC and floats in their shortest exact form.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from store import Deployment, Export, LedgerEntry, NotFoundError, Store
from store.exports import ExportFormat
from store.ledger import ENTRY_COLUMNS, NUMBER_FIELDS
from trading.hedges import hedge_account

LEDGER_COLUMNS = (*ENTRY_COLUMNS[:2], "time", *ENTRY_COLUMNS[2:])
"""The columns of the ledger's rows, CSV and Parquet: an entry's stored fields with its time
third."""


def _arrow_type(column: str) -> pa.DataType:
    if column == "time":
        return pa.timestamp("us", tz="UTC")
    return pa.float64() if column in NUMBER_FIELDS else pa.string()


LEDGER_SCHEMA = pa.schema([pa.field(column, _arrow_type(column)) for column in LEDGER_COLUMNS])
"""The Parquet schema of a ledger: `LEDGER_COLUMNS` with their types."""


def _values(entry: LedgerEntry) -> dict[str, Any]:
    return {column: getattr(entry, column) for column in LEDGER_COLUMNS}


def ledger_rows(entries: list[LedgerEntry]) -> list[dict[str, Any]]:
    """The ledger's entries as rows (time as ISO 8601 UTC)."""
    return [{**_values(e), "time": e.time.isoformat()} for e in entries]


def ledger_csv(entries: list[LedgerEntry]) -> str:
    """The ledger as CSV with a header row (empty cells for fields of the other kind)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=LEDGER_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(ledger_rows(entries))
    return out.getvalue()


def ledger_parquet(entries: list[LedgerEntry]) -> bytes:
    """The ledger as a Parquet file of `LEDGER_SCHEMA`, one row per entry in ledger order."""
    table = pa.Table.from_pylist([_values(e) for e in entries], schema=LEDGER_SCHEMA)
    out = io.BytesIO()
    pq.write_table(table, out)
    return out.getvalue()


def ledger_file(entries: list[LedgerEntry], format: ExportFormat) -> bytes:
    """The ledger as the bytes of a `csv` (UTF-8) or `parquet` file."""
    if format == "parquet":
        return ledger_parquet(entries)
    return ledger_csv(entries).encode()


def ledger_filename(deployment_id: str, format: ExportFormat, export_id: str | None = None) -> str:
    """The file name a download of the ledger (or of its stored export) is given."""
    suffix = "" if export_id is None else f"-{export_id}"
    return f"{deployment_id}-ledger{suffix}.{format}"


def deployment_ledger(store: Store, deployment: Deployment) -> list[LedgerEntry]:
    """The deployment's ledger: its account's entries in the order recorded, then, for a
    deployment with an option hedge, its hedge's (`trading.ledger`: OCC symbols, contracts,
    premiums per share, notes "option trade|exercise|assignment|expiry")."""
    entries = store.ledger(deployment.owner, deployment.id)
    if "hedge" in deployment.spec:
        entries += store.ledger(deployment.owner, hedge_account(deployment))
    return entries


def create_ledger_export(store: Store, deployment: Deployment, format: ExportFormat) -> Export:
    """Store the deployment's ledger as it is now (`deployment_ledger`) as a `format` file
    (see `ledger_file`); returned once the file and its metadata are both stored (a
    `StoreError` otherwise)."""
    entries = deployment_ledger(store, deployment)
    data = ledger_file(entries, format)
    return store.create_export(deployment.owner, deployment.id, format, data, rows=len(entries))


def deployment_export(store: Store, owner: str, deployment_id: str, export_id: str) -> Export:
    """The owner's export `export_id` of `deployment_id`: `NotFoundError` for a missing one, an
    export of another deployment or another owner's."""
    export = store.get_export(owner, export_id)
    if export.deployment_id != deployment_id:
        raise NotFoundError(f"no export {export_id!r} of deployment {deployment_id!r}")
    return export
