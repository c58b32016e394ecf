"""Agent Protocol crons in the SQLite store (table `agent_crons`)."""

from __future__ import annotations

from typing import Any

from store.agent_crons import AgentCron, agent_cron_from_row
from store.errors import NotFoundError
from store.sqlite.connection import SqliteConnection


class SqliteAgentCrons(SqliteConnection):
    """The agent crons repository on SQLite."""

    def _insert_agent_cron(self, row: dict[str, Any]) -> None:
        columns = ", ".join(row)
        marks = ", ".join("?" for _ in row)
        with self._tx("create_agent_cron") as conn:
            conn.execute(
                f"INSERT INTO agent_crons ({columns}) VALUES ({marks})", tuple(row.values())
            )

    def get_agent_cron(self, owner: str, cron_id: str) -> AgentCron:
        rows = self._read(
            "get_agent_cron",
            "SELECT * FROM agent_crons WHERE cron_id = ? AND owner = ?",
            (cron_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no cron {cron_id!r} for {owner!r}")
        return agent_cron_from_row(dict(rows[0]))

    def list_agent_crons(self, owner: str) -> list[AgentCron]:
        rows = self._read(
            "list_agent_crons",
            "SELECT * FROM agent_crons WHERE owner = ? ORDER BY created_at, cron_id",
            (owner,),
        )
        return [agent_cron_from_row(dict(r)) for r in rows]

    def delete_agent_cron(self, owner: str, cron_id: str) -> None:
        with self._tx("delete_agent_cron") as conn:
            cur = conn.execute(
                "DELETE FROM agent_crons WHERE cron_id = ? AND owner = ?", (cron_id, owner)
            )
            if cur.rowcount == 0:
                raise NotFoundError(f"no cron {cron_id!r} for {owner!r}")

    def _advance_agent_cron(
        self, owner: str, cron_id: str, was: int, next_run_at: int | None, now: int
    ) -> bool:
        with self._tx("advance_agent_cron") as conn:
            cur = conn.execute(
                "UPDATE agent_crons SET next_run_at = ?, updated_at = ? "
                "WHERE cron_id = ? AND owner = ? AND next_run_at = ?",
                (next_run_at, now, cron_id, owner, was),
            )
            return cur.rowcount == 1

    def _update_agent_cron(
        self,
        owner: str,
        cron_id: str,
        row: dict[str, Any],
        was_updated: int,
        was_next: int | None,
    ) -> bool:
        columns = ", ".join(f"{name} = ?" for name in row)
        with self._tx("update_agent_cron") as conn:
            cur = conn.execute(
                f"UPDATE agent_crons SET {columns} WHERE cron_id = ? AND owner = ? "
                "AND updated_at = ? AND next_run_at IS ?",
                (*row.values(), cron_id, owner, was_updated, was_next),
            )
            return cur.rowcount == 1

    def _due_agent_crons(self, now: int, limit: int) -> list[AgentCron]:
        rows = self._read(
            "due_agent_crons",
            "SELECT * FROM agent_crons WHERE next_run_at IS NOT NULL AND next_run_at <= ? "
            "ORDER BY next_run_at, cron_id LIMIT ?",
            (now, limit),
        )
        return [agent_cron_from_row(dict(r)) for r in rows]
