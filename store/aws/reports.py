"""Post-market reports in the AWS store: the bytes in S3 at
`reports/<owner>/<account>/<day>/<report id>.<format>` (the store's bucket, so its encryption),
the metadata item `OWNER#<owner>` / `RPT#<account>#<day>#<kind>#<strategy or "account">` in
the table, so that an account's reports are one query. The object is uploaded before the item:
an item never lists a missing object (`store.aws.table._put_object_then_item`)."""

from __future__ import annotations

from datetime import date

from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.errors import NotFoundError
from store.reports import (
    ACCOUNT_SUBJECT,
    REPORT_MEDIA_TYPES,
    Report,
    ReportKind,
    parse_report_id,
    report_from_row,
    report_order,
    report_to_row,
)


def _sk(account: str, day: date, kind: ReportKind, deployment_id: str | None) -> str:
    return f"RPT#{account}#{day.isoformat()}#{kind}#{deployment_id or ACCOUNT_SUBJECT}"


def _object_key(report: Report) -> str:
    return (
        f"reports/{report.owner}/{report.account}/{report.day.isoformat()}/"
        f"{report.id}.{report.format}"
    )


class AwsReports(AwsTable):
    """The reports repository on DynamoDB and S3."""

    def _write_report(self, report: Report, data: bytes) -> None:
        record = {
            "pk": _owner_pk(report.owner),
            "sk": _sk(report.account, report.day, report.kind, report.deployment_id),
            **report_to_row(report),
        }
        self._put_object_then_item(
            "put_report", _object_key(report), data, REPORT_MEDIA_TYPES[report.format], record
        )

    def get_report(self, owner: str, report_id: str) -> Report:
        parsed = parse_report_id(report_id)
        if parsed is None:
            raise NotFoundError(f"no report {report_id!r} for owner {owner!r}")
        item = self._owned_item("get_report", owner, _sk(*parsed), f"report {report_id!r}")
        return report_from_row(item)

    def report_bytes(self, owner: str, report_id: str) -> bytes:
        report = self.get_report(owner, report_id)  # NotFoundError for another owner's
        return self._object_bytes("report_bytes", _object_key(report), f"report {report_id}")

    def list_reports(self, owner: str, account: str, *, day: date | None = None) -> list[Report]:
        prefix = f"RPT#{account}#" + ("" if day is None else f"{day.isoformat()}#")
        items = self._query("list_reports", _owner_pk(owner), sk_prefix=prefix)
        return sorted((report_from_row(i) for i in items), key=report_order)
