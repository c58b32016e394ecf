"""Portfolios in the AWS store (DynamoDB items and S3 objects: see `store.aws.table`)."""

from __future__ import annotations

from typing import Any

from store.aws.items import _item, _owner_pk
from store.aws.table import AwsTable
from store.common import new_id
from store.errors import NotFoundError, version_conflict
from store.portfolios import Portfolio, portfolio_from_row


class AwsPortfolios(AwsTable):
    """The portfolios repository on DynamoDB and S3."""

    def _insert_portfolio(self, owner: str, name: str, data: str) -> Portfolio:
        pid = new_id("pf")
        now = self._now()
        record = {
            "pk": _owner_pk(owner),
            "sk": f"PF#{pid}",
            "id": pid,
            "owner": owner,
            "name": name,
            "data": data,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        self._call("create_portfolio", self.ddb.put_item, TableName=self.table, Item=_item(record))
        return portfolio_from_row(record)

    def get_portfolio(self, owner: str, portfolio_id: str) -> Portfolio:
        item = self._owned_item(
            "get_portfolio", owner, f"PF#{portfolio_id}", f"portfolio {portfolio_id!r}"
        )
        return portfolio_from_row(item)

    def list_portfolios(self, owner: str) -> list[Portfolio]:
        items = self._query("list_portfolios", _owner_pk(owner), sk_prefix="PF#")
        return sorted(map(portfolio_from_row, items), key=lambda p: (p.created_at, p.id))

    def _update_portfolio(
        self,
        owner: str,
        portfolio_id: str,
        name: str | None,
        data: str | None,
        expected_version: int | None,
    ) -> Portfolio:
        values: dict[str, Any] = {":now": self._now(), ":one": 1}
        sets = ["updated_at = :now", "version = version + :one"]
        if name is not None:
            sets.append("#n = :name")
            values[":name"] = name
        if data is not None:
            sets.append("#d = :data")
            values[":data"] = data
        condition = "attribute_exists(pk)"
        if expected_version is not None:
            condition += " AND version = :ev"
            values[":ev"] = expected_version
        names = {k: v for k, v in (("#n", "name"), ("#d", "data")) if f":{v}" in values}
        item = self._update(
            "update_portfolio",
            _owner_pk(owner),
            f"PF#{portfolio_id}",
            "SET " + ", ".join(sets),
            condition,
            values,
            names or None,
        )
        if item is None:
            current = self.get_portfolio(owner, portfolio_id)  # NotFoundError if absent
            raise version_conflict(f"portfolio {portfolio_id}", current, expected_version)
        return portfolio_from_row(item)

    def delete_portfolio(self, owner: str, portfolio_id: str) -> None:
        if not self._tombstone("delete_portfolio", _owner_pk(owner), f"PF#{portfolio_id}"):
            raise NotFoundError(f"no portfolio {portfolio_id!r} for owner {owner!r}")
