"""What the post-market run leaves of a session (`trading.day`): each strategy's analytics as a
Parquet file and the HTML tearsheets of each strategy and of the account, kept as files in the
store's object storage (SQLite: the data directory; AWS: S3) with their metadata, and their
repository interface.

A report is one file per owner, account, session (`day`), `kind` and strategy (`deployment_id`;
None for the account's own): storing it again replaces it (a retried run writes the same
report again). Its id names those (`report_id`), so the same report always has the same id.
The file is written before its metadata, so a listed report always has its bytes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, get_args

from store.common import Clock, check_owner, from_micros, to_micros
from store.snapshots import check_account_name

ReportKind = Literal["analytics", "tearsheet"]
ReportFormat = Literal["parquet", "html"]

REPORT_KINDS: tuple[ReportKind, ...] = get_args(ReportKind)
REPORT_FORMATS: dict[ReportKind, ReportFormat] = {"analytics": "parquet", "tearsheet": "html"}
"""The file format of each kind of report."""
REPORT_MEDIA_TYPES: dict[ReportFormat, str] = {
    "parquet": "application/vnd.apache.parquet",
    "html": "text/html; charset=utf-8",
}
ACCOUNT_SUBJECT = "account"
"""What a report's id names as its subject when it is the account's own."""


@dataclass(frozen=True)
class Report:
    """A stored report's metadata; its bytes come from `report_bytes`. `size_bytes` and
    `sha256` (hex) describe the stored bytes."""

    id: str
    owner: str
    account: str
    day: date
    kind: ReportKind
    deployment_id: str | None
    format: ReportFormat
    size_bytes: int
    sha256: str
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        """The metadata as JSON (the API's view)."""
        return {
            "id": self.id,
            "account": self.account,
            "day": self.day.isoformat(),
            "kind": self.kind,
            "deployment_id": self.deployment_id,
            "format": self.format,
            "size_bytes": self.size_bytes,
            "sha256": self.sha256,
            "created_at": self.created_at.isoformat(),
        }


def report_id(account: str, day: date, kind: ReportKind, deployment_id: str | None) -> str:
    """The id of the report of `account` on `day` of `kind` for `deployment_id` (None: the
    account's): `rpt_` and those, base64url-encoded."""
    subject = deployment_id or ACCOUNT_SUBJECT
    raw = f"{account}|{day.isoformat()}|{kind}|{subject}".encode()
    return "rpt_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def parse_report_id(value: str) -> tuple[str, date, ReportKind, str | None] | None:
    """(account, day, kind, deployment id or None) of a report id; None if it is not one."""
    if not isinstance(value, str) or not value.startswith("rpt_") or len(value) > 512:
        return None
    text = value[4:]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        account, day, kind, subject = raw.split("|")
        parsed = date.fromisoformat(day)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    if kind not in REPORT_KINDS:
        return None
    deployment_id = None if subject == ACCOUNT_SUBJECT else subject
    if report_id(account, parsed, kind, deployment_id) != value:  # not in canonical form
        return None
    return account, parsed, kind, deployment_id


REPORT_FIELDS = (
    "id",
    "owner",
    "account",
    "kind",
    "deployment_id",
    "format",
    "size_bytes",
    "sha256",
)
"""The stored fields of a report besides `day` (ISO) and `created_at` (microseconds)."""


def report_to_row(report: Report) -> dict[str, Any]:
    """The stored form of a report's metadata."""
    return {
        **{name: getattr(report, name) for name in REPORT_FIELDS},
        "day": report.day.isoformat(),
        "created_at": to_micros(report.created_at),
    }


def report_from_row(row: Mapping[str, Any]) -> Report:
    """The Report a stored row or item holds."""
    return Report(
        id=row["id"],
        owner=row["owner"],
        account=row["account"],
        day=date.fromisoformat(row["day"]),
        kind=row["kind"],
        deployment_id=row.get("deployment_id"),
        format=row["format"],
        size_bytes=int(row["size_bytes"]),
        sha256=row["sha256"],
        created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
    )


def report_order(report: Report) -> tuple[str, str, str]:
    """The listing order: by day, kind, then strategy (the account's own first)."""
    return report.day.isoformat(), report.kind, report.deployment_id or ""


class ReportRepository(ABC):
    """Every owner's post-market reports."""

    clock: Clock

    def put_report(
        self,
        owner: str,
        account: str,
        day: date,
        kind: ReportKind,
        deployment_id: str | None,
        data: bytes,
    ) -> Report:
        """Store `data` as the report of `account` on `day` of `kind` for `deployment_id`
        (None: the account's), replacing one stored before; the record once the bytes and the
        metadata are both stored (`StoreError` otherwise). `ValueError` names a bad argument."""
        check_owner(owner)
        check_account_name(account)
        if kind not in REPORT_KINDS:
            raise ValueError(f"report kind must be one of {REPORT_KINDS}, got {kind!r}")
        if deployment_id is not None:
            check_account_name(deployment_id)
            if deployment_id == ACCOUNT_SUBJECT:
                raise ValueError(f"deployment_id {ACCOUNT_SUBJECT!r} names the account")
        if not isinstance(data, bytes | bytearray) or not data:
            raise ValueError("report data must be non-empty bytes")
        report = Report(
            id=report_id(account, day, kind, deployment_id),
            owner=owner,
            account=account,
            day=day,
            kind=kind,
            deployment_id=deployment_id,
            format=REPORT_FORMATS[kind],
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            created_at=from_micros(to_micros(self.clock())),  # type: ignore[arg-type]
        )
        self._write_report(report, bytes(data))
        return report

    @abstractmethod
    def _write_report(self, report: Report, data: bytes) -> None:
        """`put_report` after its checks: the bytes, then the metadata."""

    @abstractmethod
    def get_report(self, owner: str, report_id: str) -> Report:
        """The report's metadata, or `NotFoundError` (also for another owner's)."""

    @abstractmethod
    def report_bytes(self, owner: str, report_id: str) -> bytes:
        """The report's bytes exactly as stored, or `NotFoundError`."""

    @abstractmethod
    def list_reports(self, owner: str, account: str, *, day: date | None = None) -> list[Report]:
        """The owner's reports of `account` (of `day` only, when given), by day, kind and
        strategy (the account's first)."""
