"""Agent Protocol run records in the SQLite store (table `agent_runs`)."""

from __future__ import annotations

from typing import Any

from store.agent_runs import AgentRunRecord, agent_run_from_row
from store.errors import NotFoundError
from store.sqlite.connection import SqliteConnection


class SqliteAgentRuns(SqliteConnection):
    """The agent runs repository on SQLite."""

    def _insert_agent_run(self, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._tx("create_agent_run") as conn:
            conn.execute(
                f"INSERT INTO agent_runs ({columns}) VALUES ({marks})", tuple(row.values())
            )

    def _get_agent_run(self, owner: str, thread_id: str, run_id: str) -> AgentRunRecord:
        rows = self._read(
            "get_agent_run",
            "SELECT * FROM agent_runs WHERE run_id = ? AND owner = ? AND thread_id = ?",
            (run_id, owner, thread_id),
        )
        if not rows:
            raise NotFoundError(f"no agent run {run_id!r} on thread {thread_id!r} for {owner!r}")
        return agent_run_from_row(dict(rows[0]))

    def _thread_agent_runs(self, owner: str, thread_id: str) -> list[AgentRunRecord]:
        rows = self._read(
            "list_agent_runs",
            "SELECT * FROM agent_runs WHERE owner = ? AND thread_id = ?",
            (owner, thread_id),
        )
        return [agent_run_from_row(dict(r)) for r in rows]

    def _update_agent_run(
        self,
        owner: str,
        thread_id: str,
        run_id: str,
        changes: dict[str, Any],
        lease_was: int | None,
    ) -> AgentRunRecord | None:
        sets = ", ".join(f"{column} = ?" for column in changes) or "run_id = run_id"
        guard = "status NOT IN ('success', 'error', 'interrupted')"
        params: list[Any] = [*changes.values(), run_id, owner, thread_id]
        if lease_was is not None:
            guard += " AND lease_expires_at = ?"
            params.append(lease_was)
        with self._tx("update_agent_run") as conn:
            cur = conn.execute(
                f"UPDATE agent_runs SET {sets} WHERE run_id = ? AND owner = ? AND thread_id = ? "
                f"AND {guard}",
                params,
            )
            updated = cur.rowcount == 1
        run = self._get_agent_run(owner, thread_id, run_id)
        return run if updated else None

    def _delete_agent_runs(self, owner: str, thread_id: str) -> int:
        with self._tx("delete_agent_runs") as conn:
            cur = conn.execute(
                "DELETE FROM agent_runs WHERE owner = ? AND thread_id = ?", (owner, thread_id)
            )
            return int(cur.rowcount)
