"""Agent Protocol run records in the AWS store: one DynamoDB item per run, in the owner's
partition under `AGRUN#<thread_id>#<run_id>` (see `store.aws.table`)."""

from __future__ import annotations

from typing import Any

from store.agent_runs import ENDED, AgentRunRecord, agent_run_from_row
from store.aws.items import _owner_pk
from store.aws.table import AwsTable
from store.errors import ConflictError, NotFoundError


def _sk(thread_id: str, run_id: str = "") -> str:
    return f"AGRUN#{thread_id}#{run_id}"


class AwsAgentRuns(AwsTable):
    """The agent runs repository on DynamoDB."""

    def _insert_agent_run(self, row: dict[str, Any]) -> None:
        item = {"pk": _owner_pk(row["owner"]), "sk": _sk(row["thread_id"], row["run_id"]), **row}
        if not self._put_if_absent("create_agent_run", item):
            raise ConflictError(f"agent run {row['run_id']!r} exists")

    def _get_agent_run(self, owner: str, thread_id: str, run_id: str) -> AgentRunRecord:
        item = self._get("get_agent_run", _owner_pk(owner), _sk(thread_id, run_id))
        if item is None:
            raise NotFoundError(f"no agent run {run_id!r} on thread {thread_id!r} for {owner!r}")
        return agent_run_from_row(item)

    def _thread_agent_runs(self, owner: str, thread_id: str) -> list[AgentRunRecord]:
        items = self._query("list_agent_runs", _owner_pk(owner), sk_prefix=_sk(thread_id))
        return [agent_run_from_row(i) for i in items]

    def _update_agent_run(
        self,
        owner: str,
        thread_id: str,
        run_id: str,
        changes: dict[str, Any],
        lease_was: int | None,
    ) -> AgentRunRecord | None:
        names = {"#status": "status"}
        ended = {f":end{i}": s for i, s in enumerate(ENDED)}
        values: dict[str, Any] = dict(ended)
        sets, removes = [], []
        for i, (column, value) in enumerate(changes.items()):
            names[f"#c{i}"] = column
            if value is None:
                removes.append(f"#c{i}")
            else:
                sets.append(f"#c{i} = :v{i}")
                values[f":v{i}"] = value
        update = " ".join(
            part
            for part in (
                f"SET {', '.join(sets)}" if sets else "",
                f"REMOVE {', '.join(removes)}" if removes else "",
            )
            if part
        )
        condition = f"attribute_exists(pk) AND NOT #status IN ({', '.join(ended)})"
        if lease_was is not None:
            names["#lease"] = "lease_expires_at"
            values[":lease"] = lease_was
            condition += " AND #lease = :lease"
        if not update:  # nothing to change: the guard alone decides
            names["#c"] = "run_id"
            update = "SET #c = #c"
        item = self._update(
            "update_agent_run",
            _owner_pk(owner),
            _sk(thread_id, run_id),
            update,
            condition,
            values,
            names,
        )
        if item is None:
            self._get_agent_run(owner, thread_id, run_id)  # NotFoundError when absent
            return None
        return agent_run_from_row(item)

    def _delete_agent_runs(self, owner: str, thread_id: str) -> int:
        items = self._query("delete_agent_runs", _owner_pk(owner), sk_prefix=_sk(thread_id))
        return sum(self._tombstone("delete_agent_runs", i["pk"], i["sk"]) for i in list(items))
