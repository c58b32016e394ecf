"""The implied-volatility history in the AWS store: partition `IV#<owner>#<underlying>`, one
item per day (sort key: the day, ISO 8601)."""

from __future__ import annotations

from datetime import date

from store.aws.table import AwsTable
from store.common import to_micros
from store.iv_history import MAX_IV_RECORDS_LISTED, IVRecord, iv_data, iv_from_row


def _pk(owner: str, underlying: str) -> str:
    return f"IV#{owner}#{underlying}"


class AwsIVHistory(AwsTable):
    """The implied-volatility history on DynamoDB."""

    def _insert_iv(self, record: IVRecord) -> bool:
        item = {
            "pk": _pk(record.owner, record.underlying),
            "sk": record.day.isoformat(),
            "owner": record.owner,
            "underlying": record.underlying,
            "day": record.day.isoformat(),
            "data": iv_data(record),
            "recorded_at": to_micros(record.recorded_at),
        }
        self._register_partition("record_iv", record.owner, str(item["pk"]))
        return self._put_if_absent("record_iv", item)

    def iv_history(
        self,
        owner: str,
        underlying: str,
        *,
        since: date | None = None,
        until: date | None = None,
    ) -> list[IVRecord]:
        bounds = ((since or date.min).isoformat(), (until or date.max).isoformat())
        items = self._query(
            "iv_history",
            _pk(owner, underlying),
            sk_between=bounds,
            forward=False,
            limit=MAX_IV_RECORDS_LISTED,
        )
        return [iv_from_row(item) for item in items][::-1]
