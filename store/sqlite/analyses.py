"""Stored optimization results and simulations in the SQLite store."""

from __future__ import annotations

from typing import Any

from store.analyses import ID_PREFIXES, Analysis, AnalysisKind, analysis_from_row
from store.common import new_id, split_position
from store.errors import NotFoundError
from store.sqlite.connection import SqliteConnection


class SqliteAnalyses(SqliteConnection):
    """The analyses repository on SQLite."""

    def _insert_analysis(
        self, owner: str, kind: AnalysisKind, portfolio_id: str | None, data: str
    ) -> Analysis:
        aid = new_id(ID_PREFIXES[kind])
        with self._tx("put_analysis") as conn:
            conn.execute(
                "INSERT INTO analyses (id, owner, kind, portfolio_id, data, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (aid, owner, kind, portfolio_id, data, self._now()),
            )
        return self.get_analysis(owner, kind, aid)

    def get_analysis(self, owner: str, kind: AnalysisKind, analysis_id: str) -> Analysis:
        rows = self._read(
            "get_analysis",
            "SELECT * FROM analyses WHERE id = ? AND owner = ? AND kind = ?",
            (analysis_id, owner, kind),
        )
        if not rows:
            raise NotFoundError(f"no {kind} {analysis_id!r} for owner {owner!r}")
        return analysis_from_row(dict(rows[0]))

    def _list_analyses(
        self, owner: str, kind: AnalysisKind, after: str | None, limit: int, omit: tuple[str, ...]
    ) -> list[Analysis]:
        # SQLite drops the keys `omit` before the JSON reaches Python (json_remove); the page is
        # a range of the index `analyses_by_owner` (owner, kind, created_at, id)
        data = "json_remove(data" + ", ?" * len(omit) + ")" if omit else "data"
        where = "WHERE owner = ? AND kind = ?"
        params: list[Any] = [*(f'$."{key}"' for key in omit), owner, kind]
        if after is not None:
            created, aid = split_position(after)
            where += " AND (created_at, id) > (?, ?)"  # a range of the index, not a filter
            params += [created, aid]
        rows = self._read(
            "list_analyses",
            f"SELECT id, owner, kind, portfolio_id, {data} AS data, created_at FROM analyses "
            f"{where} ORDER BY created_at, id LIMIT ?",
            (*params, limit),
        )
        return [analysis_from_row(dict(r)) for r in rows]
