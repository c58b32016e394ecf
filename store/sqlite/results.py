"""Results and trials in the SQLite store."""

from __future__ import annotations

import json
from collections.abc import Sequence

from store.common import Page, check_limit, decode_cursor, dumps, encode_cursor, from_micros
from store.errors import NotFoundError
from store.results import Result, Trial, check_number
from store.sqlite.jobs import SqliteJobs


class SqliteResults(SqliteJobs):
    """The results repository on SQLite."""

    def get_result(self, owner: str, job_id: str) -> Result:
        rows = self._read(
            "get_result",
            "SELECT payload, size_bytes, created_at FROM results WHERE job_id = ? AND owner = ?",
            (job_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no result for job {job_id!r} of owner {owner!r}")
        row = rows[0]
        return Result(
            job_id=job_id,
            owner=owner,
            payload=json.loads(row["payload"]),
            size_bytes=row["size_bytes"],
            location="inline",
            created_at=from_micros(row["created_at"]),  # type: ignore[arg-type]
        )

    def put_trials(self, owner: str, job_id: str, trials: Sequence[Trial]) -> int:
        rows = [(job_id, check_number(t.number), dumps(t.data)) for t in trials]
        with self._tx("put_trials") as conn:
            self._job_row(conn, owner, job_id)
            conn.executemany(
                "INSERT OR REPLACE INTO trials (job_id, number, data) VALUES (?, ?, ?)", rows
            )
        return len(rows)

    def trials(
        self, owner: str, job_id: str, *, cursor: str | None = None, limit: int = 100
    ) -> Page[Trial]:
        check_limit(limit)
        after = decode_cursor(cursor)
        self.get_job(owner, job_id)
        rows = self._read(
            "trials",
            "SELECT number, data FROM trials WHERE job_id = ? AND number > ? "
            "ORDER BY number LIMIT ?",
            (job_id, after, limit + 1),
        )
        items = [Trial(r["number"], json.loads(r["data"])) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].number) if more else None)
