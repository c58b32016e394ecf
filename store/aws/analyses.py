"""Stored optimization results and simulations in the AWS store (DynamoDB items; a document
above `inline_limit_bytes` in S3 under `analyses/<owner>/<id>.json`, uploaded before its item
is written: see `store.aws.table`)."""

from __future__ import annotations

from typing import Any

from store.analyses import ID_PREFIXES, Analysis, AnalysisKind, analysis_from_row
from store.aws.items import _item, _owner_pk
from store.aws.table import AwsTable
from store.common import new_id


class AwsAnalyses(AwsTable):
    """The analyses repository on DynamoDB and S3."""

    def _insert_analysis(
        self, owner: str, kind: AnalysisKind, portfolio_id: str | None, data: str
    ) -> Analysis:
        aid = new_id(ID_PREFIXES[kind])
        record: dict[str, Any] = {
            "pk": _owner_pk(owner),
            "sk": f"AN#{kind}#{aid}",
            "id": aid,
            "owner": owner,
            "kind": kind,
            "created_at": self._now(),
        }
        if portfolio_id is not None:
            record["portfolio_id"] = portfolio_id
        encoded = data.encode()
        if len(encoded) <= self.inline_limit_bytes:
            record["data"] = data
            self._call("put_analysis", self.ddb.put_item, TableName=self.table, Item=_item(record))
        else:
            record["location"] = f"analyses/{owner}/{aid}.json"
            self._put_object_then_item(
                "put_analysis", record["location"], encoded, "application/json", record
            )
        return self._analysis(record)

    def _analysis(self, item: dict[str, Any]) -> Analysis:
        if "data" not in item:
            what = f"{item['kind']} {item['id']}"
            item = {**item, "data": self._object_bytes("get_analysis", item["location"], what)}
        return analysis_from_row(item)

    def get_analysis(self, owner: str, kind: AnalysisKind, analysis_id: str) -> Analysis:
        item = self._owned_item(
            "get_analysis", owner, f"AN#{kind}#{analysis_id}", f"{kind} {analysis_id!r}"
        )
        return self._analysis(item)

    def list_analyses(
        self, owner: str, kind: AnalysisKind, *, omit: tuple[str, ...] = ()
    ) -> list[Analysis]:
        items = self._query("list_analyses", _owner_pk(owner), sk_prefix=f"AN#{kind}#")
        records = sorted(map(self._analysis, items), key=lambda a: (a.created_at, a.id))
        for record in records:
            for key in omit:
                record.data.pop(key, None)
        return records
