"""Archiving and expiry in the SQLite store."""

from __future__ import annotations

import json
import zlib
from datetime import datetime, timedelta
from typing import Any

from store.common import dumps, from_micros, to_micros
from store.errors import NotFoundError
from store.jobs import StoredEvent
from store.results import Result, Trial
from store.retention import CleanupReport, job_archive_bundle
from store.sqlite.results import SqliteResults


class SqliteRetention(SqliteResults):
    """The retention repository on SQLite."""

    def cleanup(self, now: datetime | None = None, archive_after_days: float = 30) -> CleanupReport:
        now = now or self.clock()
        cutoff = to_micros(now - timedelta(days=archive_after_days))
        rows = self._read(
            "cleanup",
            "SELECT id, owner FROM jobs WHERE archived_at IS NULL AND finished_at IS NOT NULL "
            "AND finished_at < ? AND status IN ('succeeded', 'failed', 'cancelled')",
            (cutoff,),
        )
        archived: list[str] = []
        for row in rows:
            job_id, owner = row["id"], row["owner"]
            with self._tx("cleanup") as conn:
                job = self._job_row(conn, owner, job_id)
                if job.archived_at is not None:
                    continue
                result = None
                res = conn.execute(
                    "SELECT payload, size_bytes, created_at FROM results WHERE job_id = ?",
                    (job_id,),
                ).fetchone()
                if res is not None:
                    result = Result(
                        job_id,
                        owner,
                        json.loads(res["payload"]),
                        res["size_bytes"],
                        "inline",
                        from_micros(res["created_at"]),  # type: ignore[arg-type]
                    )
                trials = [
                    Trial(r["number"], json.loads(r["data"]))
                    for r in conn.execute(
                        "SELECT number, data FROM trials WHERE job_id = ? ORDER BY number",
                        (job_id,),
                    )
                ]
                events = [
                    StoredEvent(job_id, r["seq"], r["payload"])
                    for r in conn.execute(
                        "SELECT e.seq, e.payload FROM events e JOIN runs r "
                        "ON r.run_id = e.run_id WHERE e.run_id = ? AND r.owner = ? ORDER BY e.seq",
                        (job_id, owner),
                    )
                ]
                bundle = zlib.compress(
                    dumps(job_archive_bundle(job, result, trials, events)).encode()
                )
                t = to_micros(now)
                conn.execute(
                    "INSERT OR REPLACE INTO archive (job_id, owner, bundle, archived_at) "
                    "VALUES (?, ?, ?, ?)",
                    (job_id, owner, bundle, t),
                )
                conn.execute("DELETE FROM trials WHERE job_id = ?", (job_id,))
                conn.execute("DELETE FROM runs WHERE run_id = ? AND owner = ?", (job_id, owner))
                conn.execute(
                    "UPDATE jobs SET archived_at = ?, updated_at = ? WHERE id = ?",
                    (t, t, job_id),
                )
            archived.append(job_id)
        with self._tx("cleanup") as conn:
            dropped = conn.execute(
                "DELETE FROM cache WHERE expires_at <= ?", (to_micros(now),)
            ).rowcount
        return CleanupReport(
            archived_jobs=archived,
            expired_cache_entries=dropped,
            expired_snapshots=self._drop_expired_snapshots(now),
        )

    def get_archive(self, owner: str, job_id: str) -> dict[str, Any]:
        rows = self._read(
            "get_archive",
            "SELECT bundle FROM archive WHERE job_id = ? AND owner = ?",
            (job_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no archive of job {job_id!r} for owner {owner!r}")
        bundle: dict[str, Any] = json.loads(zlib.decompress(rows[0]["bundle"]))
        return bundle
