"""Deployments in the AWS store: items `OWNER#<owner>` / `DEP#<id>` with `gsi1pk=DEPSTATUS#<status>`
(the scheduler's index) and `gsi1sk=<created µs>#<id>` (see `store.aws.table`).

A deployment's events are the partition `DEPEV#<owner>#<id>`: one item per event (sort key the
12-digit `seq`), `#HEAD` holding `last_seq`, and `KEY#<key>` the seq of an event appended under
a key. A change of the deployment and its event are one `TransactWriteItems`, guarded by the
deployment's version and the head's `last_seq`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from store.aws.items import _key, _owner_pk, _plain
from store.aws.table import AwsTable
from store.common import dumps, new_id
from store.deployments import (
    Deployment,
    DeploymentEvent,
    change_event,
    deployment_event_from_row,
    deployment_from_row,
)
from store.errors import ConflictError, NotFoundError, version_conflict

_ATTEMPTS = 8
"""Transactions tried while only concurrent event appends (not a version change) get in the
way."""
SEQ_DIGITS = 12


def _events_pk(owner: str, deployment_id: str) -> str:
    return f"DEPEV#{owner}#{deployment_id}"


class AwsDeployments(AwsTable):
    """The deployments repository on DynamoDB."""

    def _insert_deployment(
        self, owner: str, name: str, status: str, spec: str, event: str
    ) -> Deployment:
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
        pk = _events_pk(owner, deployment_id)
        actions = [
            self._put_new(record),
            self._head_put(pk, None, 1),
            self._put_new(self._event_record(pk, deployment_id, 1, "created", event, now)),
        ]
        if self._transact("create_deployment", actions) is not None:
            raise ConflictError(f"deployment {deployment_id} exists already")
        return deployment_from_row(record)

    def get_deployment(self, owner: str, deployment_id: str) -> Deployment:
        item = self._owned_item(
            "get_deployment", owner, f"DEP#{deployment_id}", f"deployment {deployment_id!r}"
        )
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
        spec: dict[str, Any] | None,
        event_data: dict[str, Any],
    ) -> Deployment:
        pk = _events_pk(owner, deployment_id)
        for _ in range(_ATTEMPTS):
            item, head = self._batch_get(  # in one request
                "update_deployment", [(_owner_pk(owner), f"DEP#{deployment_id}"), (pk, "#HEAD")]
            )
            if item is None:
                raise NotFoundError(f"no deployment {deployment_id!r} for owner {owner!r}")
            current = deployment_from_row(item)
            if current.version != expected_version:
                raise version_conflict(f"deployment {deployment_id}", current, expected_version)
            kind, data = change_event(current, status, spec, event_data)
            now = self._now()
            seq = (0 if head is None else int(head["last_seq"])) + 1
            codes = self._transact(
                "update_deployment",
                [
                    self._deployment_update(current, status, spec, now),
                    self._head_put(pk, head, seq),
                    self._put_new(self._event_record(pk, deployment_id, seq, kind, data, now)),
                ],
            )
            if codes is None:  # the item as the guarded update left it, without reading it
                changed: dict[str, Any] = {"version": current.version + 1, "updated_at": now}
                if status is not None:
                    changed["status"] = status
                if spec is not None:
                    changed["spec"] = dumps(spec)
                return deployment_from_row(item | changed)
        raise ConflictError(f"deployment {deployment_id}'s events kept changing; update again")

    def _deployment_update(
        self, current: Deployment, status: str | None, spec: dict[str, Any] | None, now: int
    ) -> dict[str, Any]:
        values: dict[str, Any] = {
            ":now": {"N": str(now)},
            ":one": {"N": "1"},
            ":ev": {"N": str(current.version)},
        }
        sets = ["updated_at = :now", "version = version + :one"]
        names: dict[str, str] = {}
        if status is not None:
            sets += ["#st = :st", "gsi1pk = :g"]
            values |= {":st": {"S": status}, ":g": {"S": f"DEPSTATUS#{status}"}}
            names["#st"] = "status"
        if spec is not None:
            sets.append("spec = :spec")
            values[":spec"] = {"S": dumps(spec)}
        update: dict[str, Any] = {
            "TableName": self.table,
            "Key": _key(_owner_pk(current.owner), f"DEP#{current.id}"),
            "UpdateExpression": "SET " + ", ".join(sets),
            "ConditionExpression": "attribute_exists(pk) AND version = :ev",
            "ExpressionAttributeValues": values,
        }
        if names:
            update["ExpressionAttributeNames"] = names
        return {"Update": update}

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
        wanted = [
            (
                d["pk"].removeprefix("OWNER#"),
                d["sk"],
                f"deployment {d['sk'].removeprefix('DEP#')!r}",
            )
            for d in keys
        ]
        current = map(deployment_from_row, self._owned_items("get_deployment", wanted))
        return [d for d in current if d.status == status]

    def _append_deployment_event(
        self, owner: str, deployment_id: str, type: str, data: str, key: str
    ) -> DeploymentEvent:
        pk = _events_pk(owner, deployment_id)
        for attempt in range(_ATTEMPTS):
            # the key's item, the head and (first) the deployment, in one request
            wanted = [(pk, f"KEY#{key}"), (pk, "#HEAD")]
            if attempt == 0:
                wanted.append((_owner_pk(owner), f"DEP#{deployment_id}"))
            held, head, *deployment = self._batch_get("append_deployment_event", wanted)
            if deployment == [None]:  # another owner's, or none
                raise NotFoundError(f"no deployment {deployment_id!r} for owner {owner!r}")
            if held is not None:
                return self._event(pk, int(held["seq"]))
            seq = (0 if head is None else int(head["last_seq"])) + 1
            record = self._event_record(pk, deployment_id, seq, type, data, self._now())
            actions = [
                self._head_put(pk, head, seq),
                self._put_new(record),
                self._put_new({"pk": pk, "sk": f"KEY#{key}", "seq": seq}),
            ]
            if self._transact("append_deployment_event", actions) is None:
                return deployment_event_from_row(record)
        raise ConflictError(f"deployment {deployment_id}'s events kept changing; append again")

    def _deployment_events(
        self, owner: str, deployment_id: str, after_seq: int, limit: int
    ) -> list[DeploymentEvent]:
        self.get_deployment(owner, deployment_id)  # NotFoundError for another owner
        items = self._query(
            "deployment_events",
            _events_pk(owner, deployment_id),
            sk_after=f"{after_seq:0{SEQ_DIGITS}d}",
            limit=limit,
        )
        # '#HEAD' sorts before the digits and 'KEY#...' after them: stop at the first key item
        events = []
        for item in items:
            if not item["sk"].isdigit():
                break
            events.append(deployment_event_from_row(item))
        return events

    def _event(self, pk: str, seq: int) -> DeploymentEvent:
        item = self._get("deployment_events", pk, f"{seq:0{SEQ_DIGITS}d}")
        if item is None:
            raise NotFoundError(f"no event {seq} in {pk}")
        return deployment_event_from_row(item)

    @staticmethod
    def _event_record(
        pk: str, deployment_id: str, seq: int, type: str, data: str, time: int
    ) -> dict[str, Any]:
        return {
            "pk": pk,
            "sk": f"{seq:0{SEQ_DIGITS}d}",
            "deployment_id": deployment_id,
            "seq": seq,
            "type": type,
            "data": data,
            "time": time,
        }
