"""Stored optimization results and simulations in the AWS store (DynamoDB items; a document
above `inline_limit_bytes` in S3 under `analyses/<owner>/<id>.json`, uploaded before its item
is written: see `store.aws.table`).

A record's item `OWNER#<owner>` / `AN#<kind>#<id>` carries the index keys `gsi2pk=ANALYSES#<owner>
#<kind>`, `gsi2sk=<created µs, 20 digits>#<id>` (`store.common.position_key`): a page is a query
of `gsi2` oldest first from the cursor's position with a `Limit`, then a consistent read of the
items it names (the index is keys only and eventually consistent; an item gone since is left
out). `_index_analyses` gives the records written before the index keys theirs.
"""

from __future__ import annotations

from typing import Any

from store.analyses import ANALYSIS_KINDS, ID_PREFIXES, Analysis, AnalysisKind, analysis_from_row
from store.aws.items import _item, _owner_pk, _plain
from store.aws.table import DELETED, AwsTable
from store.common import from_micros, new_id, position_key

INDEX_FAMILY = "ANALYSES"
"""The family of `gsi2pk` that lists an owner's records of a kind (`ANALYSES#<owner>#<kind>`)."""


def _index_pk(owner: str, kind: AnalysisKind) -> str:
    return f"{INDEX_FAMILY}#{owner}#{kind}"


def index_keys(owner: str, kind: AnalysisKind, aid: str, created_micros: int) -> dict[str, str]:
    """The `gsi2` keys of a record (see the module docstring); `ValueError` for a kind that is
    not one, `TypeError` for a creation time that is not integer microseconds."""
    if kind not in ANALYSIS_KINDS:
        raise ValueError(f"kind must be one of {ANALYSIS_KINDS}, got {kind!r}")
    if not isinstance(created_micros, int) or isinstance(created_micros, bool):
        raise TypeError(f"created_at must be integer microseconds, got {created_micros!r}")
    created = from_micros(created_micros)
    assert created is not None
    return {"gsi2pk": _index_pk(owner, kind), "gsi2sk": position_key(created, aid)}


class AwsAnalyses(AwsTable):
    """The analyses repository on DynamoDB and S3."""

    def _insert_analysis(
        self, owner: str, kind: AnalysisKind, portfolio_id: str | None, data: str
    ) -> Analysis:
        aid = new_id(ID_PREFIXES[kind])
        now = self._now()
        record: dict[str, Any] = {
            "pk": _owner_pk(owner),
            "sk": f"AN#{kind}#{aid}",
            "id": aid,
            "owner": owner,
            "kind": kind,
            "created_at": now,
            **index_keys(owner, kind, aid, now),
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

    def _list_analyses(
        self, owner: str, kind: AnalysisKind, after: str | None, limit: int, omit: tuple[str, ...]
    ) -> list[Analysis]:
        values: dict[str, Any] = {":p": {"S": _index_pk(owner, kind)}}
        condition = "gsi2pk = :p"
        if after is not None:
            values[":after"] = {"S": after}
            condition += " AND gsi2sk > :after"
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": "gsi2",
            "KeyConditionExpression": condition,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": True,
        }
        found: list[Analysis] = []
        while len(found) < limit:
            kwargs["Limit"] = limit - len(found)
            out = self._call("list_analyses", self.ddb.query, **kwargs)
            keys = [_plain(item) for item in out.get("Items", [])]
            items = self._batch_get("list_analyses", [(k["pk"], k["sk"]) for k in keys])
            for item in items:
                if item is None or item.get("owner") != owner:
                    continue  # gone since the index was read (an owner's erasure)
                record = self._analysis(item)
                for key in omit:
                    record.data.pop(key, None)
                found.append(record)
            if "LastEvaluatedKey" not in out:
                break
            kwargs["ExclusiveStartKey"] = out["LastEvaluatedKey"]
        return found

    def _index_analyses(self) -> int:
        """Give every record stored without the `gsi2` keys (written before listings were paged)
        its keys, so that listings show it; returns how many were indexed. Idempotent: a record
        indexed meanwhile, or deleted, is left alone."""
        indexed = 0
        items = self._scan(
            "index_analyses",
            "begins_with(sk, :an) AND attribute_not_exists(gsi2pk) AND attribute_not_exists(#del)",
            {":an": {"S": "AN#"}},
            {"#del": DELETED},
        )
        for item in items:
            keys = index_keys(item["owner"], item["kind"], item["id"], int(item["created_at"]))
            updated = self._update(
                "index_analyses",
                item["pk"],
                item["sk"],
                "SET gsi2pk = :p, gsi2sk = :s",
                "attribute_exists(pk) AND attribute_not_exists(gsi2pk)",
                {":p": keys["gsi2pk"], ":s": keys["gsi2sk"]},
            )
            if updated is None:
                continue  # indexed or deleted meanwhile
            indexed += 1
        return indexed
