"""Investment ideas in the SQLite store: one row of `ideas` per idea and one row of
`idea_tickers` per ticker (the ticker index), written in one transaction."""

from __future__ import annotations

import json
from typing import Any

from store.common import split_position, to_micros
from store.errors import ConflictError, NotFoundError
from store.ideas import Idea, IdeaFilter, idea_from_row, idea_to_row
from store.sqlite.connection import SqliteConnection


class SqliteIdeas(SqliteConnection):
    """The ideas repository on SQLite."""

    def _insert_idea(self, idea: Idea) -> None:
        row = idea_to_row(idea)
        with self._tx("create_idea") as conn:
            conn.execute(
                f"INSERT INTO ideas ({', '.join(row)}) VALUES ({', '.join('?' for _ in row)})",
                list(row.values()),
            )
            self._index_tickers(conn, idea)

    def _index_tickers(self, conn: Any, idea: Idea) -> None:
        conn.executemany(
            "INSERT INTO idea_tickers (idea_id, owner, ticker, created_at) VALUES (?, ?, ?, ?)",
            [(idea.id, idea.owner, t, to_micros(idea.created_at)) for t in idea.tickers],
        )

    def get_idea(self, owner: str, idea_id: str) -> Idea:
        row = self._owned_row(
            "get_idea", "SELECT * FROM ideas WHERE id = ? AND owner = ?", owner, idea_id, "idea"
        )
        return idea_from_row(dict(row))

    def _list_ideas(
        self, owner: str, where: IdeaFilter, before: str | None, limit: int
    ) -> list[Idea]:
        sql = ["SELECT i.* FROM ideas i"]
        params: list[Any] = []
        if where.ticker is not None:
            sql.append("JOIN idea_tickers t ON t.idea_id = i.id AND t.ticker = ? AND t.owner = ?")
            params += [where.ticker, owner]
        sql.append("WHERE i.owner = ?")
        params.append(owner)
        if where.status is not None:
            sql.append("AND i.status = ?")
            params.append(where.status)
        if where.created_from is not None:
            sql.append("AND i.created_at >= ?")
            params.append(to_micros(where.created_from))
        if where.created_before is not None:
            sql.append("AND i.created_at < ?")
            params.append(to_micros(where.created_before))
        if before is not None:
            created, idea_id = split_position(before)
            sql.append("AND (i.created_at, i.id) < (?, ?)")  # a range of the index, not a filter
            params += [created, idea_id]
        sql.append("ORDER BY i.created_at DESC, i.id DESC LIMIT ?")
        params.append(limit)
        rows = self._read("list_ideas", " ".join(sql), params)
        return [idea_from_row(dict(r)) for r in rows]

    def _replace_idea(self, idea: Idea, current: Idea) -> None:
        row = idea_to_row(idea)
        columns = [c for c in row if c not in ("id", "owner", "created_at")]
        with self._tx("update_idea") as conn:
            cur = conn.execute(
                f"UPDATE ideas SET {', '.join(f'{c} = ?' for c in columns)} "
                "WHERE id = ? AND owner = ? AND version = ?",
                [*(row[c] for c in columns), idea.id, idea.owner, current.version],
            )
            if cur.rowcount == 0:
                stored = conn.execute(
                    "SELECT * FROM ideas WHERE id = ? AND owner = ?", (idea.id, idea.owner)
                ).fetchone()
                if stored is None:
                    raise NotFoundError(f"no idea {idea.id!r} for owner {idea.owner!r}")
                raise ConflictError(
                    f"idea {idea.id} changed meanwhile (now version {stored['version']})",
                    current=idea_from_row(dict(stored)),
                )
            if json.loads(row["tickers"]) != current.tickers:
                conn.execute("DELETE FROM idea_tickers WHERE idea_id = ?", (idea.id,))
                self._index_tickers(conn, idea)

    def delete_idea(self, owner: str, idea_id: str) -> None:
        with self._tx("delete_idea") as conn:
            cur = conn.execute("DELETE FROM ideas WHERE id = ? AND owner = ?", (idea_id, owner))
            if cur.rowcount == 0:
                raise NotFoundError(f"no idea {idea_id!r} for owner {owner!r}")
            # the ticker index goes with it (ON DELETE CASCADE)
