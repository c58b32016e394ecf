"""Deployments in the AWS store: items `OWNER#<owner>` / `DEP#<id>` with `gsi1pk=DEPSTATUS#<status>`
(the scheduler's index) and `gsi1sk=<created µs>#<id>` (see `store.aws.table`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.aws.table import AwsTable, _item, _owner_pk, _plain
from store.common import new_id
from store.deployments import Deployment, deployment_from_row
from store.errors import ConflictError, NotFoundError


class AwsDeployments(AwsTable):
    """The deployments repository on DynamoDB."""

    def _insert_deployment(self, owner: str, name: str, status: str, spec: str) -> Deployment:
        deployment_id = new_id("dep")
        now = self._now()
        record = {
            "pk": _owner_pk(owner),
            "sk": f"DEP#{deployment_id}",
            "gsi1pk": f"DEPSTATUS#{status}",
            "gsi1sk": f"{now:020d}#{deployment_id}",
            "id": deployment_id,
            "owner": owner,
            "name": name,
            "status": status,
            "spec": spec,
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        self._call("create_deployment", self.ddb.put_item, TableName=self.table, Item=_item(record))
        return deployment_from_row(record)

    def get_deployment(self, owner: str, deployment_id: str) -> Deployment:
        item = self._get("get_deployment", _owner_pk(owner), f"DEP#{deployment_id}")
        if item is None:
            raise NotFoundError(f"no deployment {deployment_id!r} for owner {owner!r}")
        return deployment_from_row(item)

    def list_deployments(
        self, owner: str, *, statuses: Sequence[str] | None = None
    ) -> list[Deployment]:
        items = self._query("list_deployments", _owner_pk(owner), sk_prefix="DEP#")
        deployments = sorted(map(deployment_from_row, items), key=lambda d: (d.created_at, d.id))
        return [d for d in deployments if statuses is None or d.status in statuses]

    def _update_deployment(
        self,
        owner: str,
        deployment_id: str,
        expected_version: int,
        status: str | None,
        spec: str | None,
    ) -> Deployment:
        values: dict[str, Any] = {":now": self._now(), ":one": 1, ":ev": expected_version}
        sets = ["updated_at = :now", "version = version + :one"]
        names: dict[str, str] = {}
        if status is not None:
            sets += ["#st = :st", "gsi1pk = :g"]
            values |= {":st": status, ":g": f"DEPSTATUS#{status}"}
            names["#st"] = "status"
        if spec is not None:
            sets.append("spec = :spec")
            values[":spec"] = spec
        item = self._update(
            "update_deployment",
            _owner_pk(owner),
            f"DEP#{deployment_id}",
            "SET " + ", ".join(sets),
            "attribute_exists(pk) AND version = :ev",
            values,
            names or None,
        )
        if item is None:
            current = self.get_deployment(owner, deployment_id)  # NotFoundError if absent
            raise ConflictError(
                f"deployment {deployment_id} is at version {current.version}, "
                f"not {expected_version}",
                current=current,
            )
        return deployment_from_row(item)

    def _deployments_by_status(self, status: str, limit: int) -> list[Deployment]:
        out = self._call(
            "deployments_by_status",
            self.ddb.query,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :s",
            ExpressionAttributeValues={":s": {"S": f"DEPSTATUS#{status}"}},
            Limit=limit,
        )
        # the index is eventually consistent: re-read each and keep those still in `status`
        keys = [_plain(item) for item in out.get("Items", [])]
        current = [
            self.get_deployment(d["pk"].removeprefix("OWNER#"), d["sk"].removeprefix("DEP#"))
            for d in keys
        ]
        return [d for d in current if d.status == status]
