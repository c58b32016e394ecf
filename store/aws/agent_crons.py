"""Agent Protocol crons in the AWS store: one DynamoDB item per cron in the owner's partition
under `AGCRON#<cron_id>`; while it has a next run, `gsi1pk=AGCRONDUE` and
`gsi1sk=<next run µs, 20 digits>#<owner>#<cron_id>`, so the crons due are one index query
(see `store.aws.table`)."""

from __future__ import annotations

from typing import Any

from store.agent_crons import AgentCron, agent_cron_from_row
from store.aws.items import _owner_pk, _plain
from store.aws.table import AwsTable
from store.errors import ConflictError, NotFoundError

DUE = "AGCRONDUE"


def _sk(cron_id: str = "") -> str:
    return f"AGCRON#{cron_id}"


def _due_sk(next_run_at: int, owner: str, cron_id: str) -> str:
    return f"{next_run_at:020d}#{owner}#{cron_id}"


class AwsAgentCrons(AwsTable):
    """The agent crons repository on DynamoDB."""

    def _insert_agent_cron(self, row: dict[str, Any]) -> None:
        item = {"pk": _owner_pk(row["owner"]), "sk": _sk(row["cron_id"]), **row}
        if row["next_run_at"] is not None:
            item["gsi1pk"] = DUE
            item["gsi1sk"] = _due_sk(row["next_run_at"], row["owner"], row["cron_id"])
        if not self._put_if_absent("create_agent_cron", item):
            raise ConflictError(f"cron {row['cron_id']!r} exists")

    def get_agent_cron(self, owner: str, cron_id: str) -> AgentCron:
        item = self._get("get_agent_cron", _owner_pk(owner), _sk(cron_id))
        if item is None:
            raise NotFoundError(f"no cron {cron_id!r} for {owner!r}")
        return agent_cron_from_row(item)

    def list_agent_crons(self, owner: str) -> list[AgentCron]:
        items = self._query("list_agent_crons", _owner_pk(owner), sk_prefix=_sk())
        crons = [agent_cron_from_row(i) for i in items]
        return sorted(crons, key=lambda c: (c.created_at, c.cron_id))

    def delete_agent_cron(self, owner: str, cron_id: str) -> None:
        if not self._tombstone("delete_agent_cron", _owner_pk(owner), _sk(cron_id)):
            raise NotFoundError(f"no cron {cron_id!r} for {owner!r}")

    def _advance_agent_cron(
        self, owner: str, cron_id: str, was: int, next_run_at: int | None, now: int
    ) -> bool:
        values: dict[str, Any] = {":was": was, ":now": now}
        if next_run_at is None:
            update = "SET updated_at = :now REMOVE next_run_at, gsi1pk, gsi1sk"
        else:
            update = "SET next_run_at = :next, updated_at = :now, gsi1pk = :due, gsi1sk = :dsk"
            values |= {
                ":next": next_run_at,
                ":due": DUE,
                ":dsk": _due_sk(next_run_at, owner, cron_id),
            }
        item = self._update(
            "advance_agent_cron",
            _owner_pk(owner),
            _sk(cron_id),
            update,
            "next_run_at = :was",
            values,
        )
        return item is not None

    def _update_agent_cron(
        self,
        owner: str,
        cron_id: str,
        row: dict[str, Any],
        was_updated: int,
        was_next: int | None,
    ) -> bool:
        names = {f"#c{i}": column for i, column in enumerate(row)}
        values: dict[str, Any] = {":was_updated": was_updated}
        sets, removes = [], ["gsi1pk", "gsi1sk"]
        for i, value in enumerate(row.values()):
            if value is None:
                removes.append(f"#c{i}")
            else:
                sets.append(f"#c{i} = :v{i}")
                values[f":v{i}"] = value
        if row["next_run_at"] is not None:
            removes = [name for name in removes if not name.startswith("gsi1")]
            sets += ["gsi1pk = :due", "gsi1sk = :dsk"]
            values |= {":due": DUE, ":dsk": _due_sk(row["next_run_at"], owner, cron_id)}
        condition = "updated_at = :was_updated AND "
        if was_next is None:
            condition += "attribute_not_exists(next_run_at)"
        else:
            condition += "next_run_at = :was_next"
            values[":was_next"] = was_next
        update = f"SET {', '.join(sets)} REMOVE {', '.join(removes)}"
        if not removes:
            update = f"SET {', '.join(sets)}"
        item = self._update(
            "update_agent_cron", _owner_pk(owner), _sk(cron_id), update, condition, values, names
        )
        return item is not None

    def _due_agent_crons(self, now: int, limit: int) -> list[AgentCron]:
        out = self._call(
            "due_agent_crons",
            self.ddb.query,
            TableName=self.table,
            IndexName="gsi1",
            KeyConditionExpression="gsi1pk = :d AND gsi1sk <= :now",
            ExpressionAttributeValues={":d": {"S": DUE}, ":now": {"S": f"{now:020d}~"}},
            Limit=limit,
        )
        due = []
        for key in map(_plain, out.get("Items", [])):  # the index lags: read each again
            try:
                owner, cron_id = key["pk"].removeprefix("OWNER#"), key["sk"].removeprefix(_sk())
                cron = self.get_agent_cron(owner, cron_id)
            except NotFoundError:
                continue
            if cron.next_run_at is not None and cron.next_run_at.timestamp() * 1e6 <= now:
                due.append(cron)
        return due
