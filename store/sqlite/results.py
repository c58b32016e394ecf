"""Results and trials in the SQLite store."""

from __future__ import annotations

import json

from store.common import from_micros
from store.errors import NotFoundError
from store.results import Result, Trial
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

    def _put_trials(self, owner: str, job_id: str, rows: list[tuple[int, str]]) -> None:
        with self._tx("put_trials") as conn:
            self._job_row(conn, owner, job_id)
            conn.executemany(
                "INSERT OR REPLACE INTO trials (job_id, number, data) VALUES (?, ?, ?)",
                [(job_id, number, data) for number, data in rows],
            )

    def _trials_after(self, owner: str, job_id: str, after: int, limit: int) -> list[Trial]:
        self.get_job(owner, job_id)
        rows = self._read(
            "trials",
            "SELECT number, data FROM trials WHERE job_id = ? AND number > ? "
            "ORDER BY number LIMIT ?",
            (job_id, after, limit),
        )
        return [Trial(r["number"], json.loads(r["data"])) for r in rows]
