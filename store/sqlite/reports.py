"""Post-market reports in the SQLite store: the files in the data directory, next to the
database (`<database name>-objects/reports/<owner digest>/<report id>.<format>`, owner-only
modes), the metadata in `reports`.

A report's file is written first, whole (a temporary file renamed over it), then its row: a
listed report always has its bytes. A crash in between leaves at worst the new file under the
old row (its size and digest then differ: reading it is `StoreUnavailableError`, and the next
write of the report mends it)."""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

from settings.files import write_private
from store.errors import StoreUnavailableError
from store.owner_ids import owner_digest
from store.reports import REPORT_FIELDS, Report, report_from_row, report_order, report_to_row
from store.sqlite.connection import SqliteConnection

_COLUMNS = ", ".join((*REPORT_FIELDS, "day", "created_at"))


class SqliteReports(SqliteConnection):
    """The reports repository on SQLite and the data directory."""

    def _report_file(self, report: Report) -> Path:
        owner = owner_digest(report.owner)
        return self.objects_directory() / "reports" / owner / f"{report.id}.{report.format}"

    def _write_report(self, report: Report, data: bytes) -> None:
        path = self._report_file(report)
        try:
            write_private(path, data)
        except OSError as exc:
            raise StoreUnavailableError(
                f"cannot write the report file {path}: {exc.strerror or exc}"
            ) from exc
        row = report_to_row(report)
        with self._tx("put_report") as conn:
            conn.execute(
                f"INSERT OR REPLACE INTO reports ({', '.join(row)}) "
                f"VALUES ({', '.join('?' for _ in row)})",
                list(row.values()),
            )

    def get_report(self, owner: str, report_id: str) -> Report:
        sql = f"SELECT {_COLUMNS} FROM reports WHERE id = ? AND owner = ?"
        return report_from_row(dict(self._owned_row("get_report", sql, owner, report_id, "report")))

    def report_bytes(self, owner: str, report_id: str) -> bytes:
        report = self.get_report(owner, report_id)
        path = self._report_file(report)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise StoreUnavailableError(
                f"report {report_id} is listed but its file {path} cannot be read: "
                f"{exc.strerror or exc}"
            ) from exc
        if hashlib.sha256(data).hexdigest() != report.sha256:
            raise StoreUnavailableError(
                f"report {report_id}: its file {path} is not the one its record describes"
            )
        return data

    def list_reports(self, owner: str, account: str, *, day: date | None = None) -> list[Report]:
        sql = f"SELECT {_COLUMNS} FROM reports WHERE owner = ? AND account = ?"
        params: list[str] = [owner, account]
        if day is not None:
            sql += " AND day = ?"
            params.append(day.isoformat())
        rows = [report_from_row(dict(r)) for r in self._read("list_reports", sql, params)]
        return sorted(rows, key=report_order)
