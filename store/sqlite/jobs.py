"""Jobs and trace events in the SQLite store."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from store.common import new_id, to_micros
from store.errors import ConflictError, NotFoundError
from store.jobs import (
    TERMINAL_STATUSES,
    Job,
    JobFilter,
    JobStatus,
    StoredEvent,
    check_key_reuse,
    claim_refused,
    completion_refused,
    job_from_row,
    lease_expiry,
    lease_not_held,
    refusal,
    run_of_another_owner,
    seq_not_after,
    transition_refused,
)
from store.sqlite.connection import SqliteConnection

_JOB_COLUMNS = (
    "id, owner, kind, request, status, done, total, attempts, created_at, updated_at, "
    "started_at, finished_at, error, idempotency_key, lease_owner, lease_expires_at, archived_at, "
    "trace_context"
)


class SqliteJobs(SqliteConnection):
    """The jobs repository on SQLite."""

    def _job_row(self, conn: sqlite3.Connection, owner: str, job_id: str) -> Job:
        row = conn.execute(
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND owner = ?", (job_id, owner)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no job {job_id!r} for owner {owner!r}")
        return job_from_row(dict(row))

    def _insert_job(
        self,
        owner: str,
        kind: str,
        body: str,
        idempotency_key: str | None,
        trace_context: str | None,
    ) -> tuple[Job, bool]:
        with self._tx("submit_job") as conn:
            if idempotency_key is not None:
                row = conn.execute(
                    f"SELECT {_JOB_COLUMNS} FROM jobs WHERE owner = ? AND idempotency_key = ?",
                    (owner, idempotency_key),
                ).fetchone()
                if row is not None:
                    existing = job_from_row(dict(row))
                    return check_key_reuse(existing, idempotency_key, kind, body), False
            now = self._now()
            job_id = new_id("job")
            conn.execute(
                "INSERT INTO jobs (id, owner, kind, request, status, created_at, updated_at, "
                "idempotency_key, trace_context) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
                (job_id, owner, kind, body, now, now, idempotency_key, trace_context),
            )
            return self._job_row(conn, owner, job_id), True

    def get_job(self, owner: str, job_id: str) -> Job:
        rows = self._read(
            "get_job",
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE id = ? AND owner = ?",
            (job_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no job {job_id!r} for owner {owner!r}")
        return job_from_row(dict(rows[0]))

    def _list_jobs(self, owner: str, wanted: JobFilter, limit: int) -> list[Job]:
        sql = f"SELECT {_JOB_COLUMNS} FROM jobs WHERE owner = ?"
        params: list[Any] = [owner]
        for column, values in (("status", wanted.statuses), ("kind", wanted.kinds)):
            if values is not None:
                sql += f" AND {column} IN ({', '.join('?' * len(values))})"
                params.extend(values)
        if not wanted.include_archived:
            sql += " AND archived_at IS NULL"
        sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
        params.append(limit)
        return [job_from_row(dict(r)) for r in self._read("list_jobs", sql, params)]

    def _jobs_by_status(self, status: JobStatus, limit: int) -> list[Job]:
        rows = self._read(
            "jobs_by_status",
            f"SELECT {_JOB_COLUMNS} FROM jobs WHERE status = ? ORDER BY created_at, id LIMIT ?",
            (status, limit),
        )
        return [job_from_row(dict(r)) for r in rows]

    def _refuse(self, conn: sqlite3.Connection, owner: str, job_id: str, why: str) -> ConflictError:
        return refusal(self._job_row(conn, owner, job_id), why)  # NotFoundError if absent

    def _guarded_update(
        self, op: str, owner: str, job_id: str, sql: str, params: Sequence[Any], why: str
    ) -> Job:
        """Run one guarded `UPDATE` of the job in a transaction: the job as it is afterwards, or
        `ConflictError` (`why`, nothing written) when the guard matched no row."""
        with self._tx(op) as conn:
            if conn.execute(sql, params).rowcount == 0:
                raise self._refuse(conn, owner, job_id, why)
            return self._job_row(conn, owner, job_id)

    def _transition(
        self,
        owner: str,
        job_id: str,
        from_statuses: Sequence[JobStatus],
        to_status: JobStatus,
        error: str | None,
        worker: str | None,
    ) -> Job:
        now = self._now()
        terminal = to_status in TERMINAL_STATUSES
        sql = (
            "UPDATE jobs SET status = ?, updated_at = ?, error = COALESCE(?, error), "
            "started_at = CASE WHEN ? = 'running' THEN COALESCE(started_at, ?) ELSE started_at END"
        )
        params: list[Any] = [to_status, now, error, to_status, now]
        if terminal:
            sql += ", finished_at = ?, lease_owner = NULL, lease_expires_at = NULL"
            params.append(now)
        sql += f" WHERE id = ? AND owner = ? AND status IN ({', '.join('?' * len(from_statuses))})"
        params += [job_id, owner, *from_statuses]
        if worker is not None:
            sql += " AND lease_owner = ?"
            params.append(worker)
        why = transition_refused(to_status, from_statuses, worker)
        return self._guarded_update("transition", owner, job_id, sql, params, why)

    def _claim(self, owner: str, job_id: str, worker: str, lease_seconds: float) -> Job:
        now = self.clock()
        expires = lease_expiry(now, lease_seconds)
        t = to_micros(now)
        return self._guarded_update(
            "claim",
            owner,
            job_id,
            "UPDATE jobs SET status = 'running', lease_owner = ?, lease_expires_at = ?, "
            "attempts = attempts + 1, started_at = COALESCE(started_at, ?), updated_at = ? "
            "WHERE id = ? AND owner = ? AND status IN ('pending', 'running') "
            "AND (lease_owner IS NULL OR lease_expires_at <= ? OR lease_owner = ?)",
            (worker, expires, t, t, job_id, owner, t, worker),
            claim_refused(worker),
        )

    def _heartbeat(
        self,
        owner: str,
        job_id: str,
        worker: str,
        lease_seconds: float,
        progress: tuple[int, int | None] | None,
        error: str | None,
    ) -> Job:
        now = self.clock()
        expires = lease_expiry(now, lease_seconds)
        sql = "UPDATE jobs SET lease_expires_at = ?, updated_at = ?"
        params: list[Any] = [expires, to_micros(now)]
        if progress is not None:
            sql += ", done = ?, total = ?"
            params += list(progress)
        if error is not None:
            sql += ", error = ?"
            params.append(error)
        sql += " WHERE id = ? AND owner = ? AND status = 'running' AND lease_owner = ?"
        params += [job_id, owner, worker]
        return self._guarded_update("heartbeat", owner, job_id, sql, params, lease_not_held(worker))

    def _hand_over(
        self, owner: str, job_id: str, worker: str, holder: str, lease_seconds: float
    ) -> Job:
        now = self.clock()
        return self._guarded_update(
            "hand_over",
            owner,
            job_id,
            "UPDATE jobs SET lease_owner = ?, lease_expires_at = ?, updated_at = ? "
            "WHERE id = ? AND owner = ? AND status = 'running' AND lease_owner = ?",
            (holder, lease_expiry(now, lease_seconds), to_micros(now), job_id, owner, worker),
            lease_not_held(worker),
        )

    def release(self, owner: str, job_id: str, worker: str) -> Job:
        return self._guarded_update(
            "release",
            owner,
            job_id,
            "UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL, updated_at = ? "
            "WHERE id = ? AND owner = ? AND lease_owner = ?",
            (self._now(), job_id, owner, worker),
            lease_not_held(worker),
        )

    def _complete_job(
        self, owner: str, job_id: str, kind: str, body: str, worker: str | None
    ) -> Job:
        now = self._now()
        sql = (
            "UPDATE jobs SET status = 'succeeded', updated_at = ?, finished_at = ?, "
            "lease_owner = NULL, lease_expires_at = NULL, error = NULL "
            "WHERE id = ? AND owner = ? AND status = 'running' AND kind = ?"
        )
        params: list[Any] = [now, now, job_id, owner, kind]
        if worker is not None:
            sql += " AND lease_owner = ?"
            params.append(worker)
        with self._tx("complete_job") as conn:
            if conn.execute(sql, params).rowcount == 0:
                raise self._refuse(conn, owner, job_id, completion_refused(worker))
            conn.execute(
                "INSERT OR REPLACE INTO results (job_id, owner, payload, size_bytes, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (job_id, owner, body, len(body.encode()), now),
            )
            return self._job_row(conn, owner, job_id)

    def _append_events(self, owner: str, run_id: str, batch: list[tuple[int, str]]) -> None:
        with self._tx("append_events") as conn:
            row = conn.execute(
                "SELECT owner, last_seq FROM runs WHERE run_id = ?", (run_id,)
            ).fetchone()
            if row is None:
                conn.execute(
                    "INSERT INTO runs (run_id, owner, last_seq) VALUES (?, ?, ?)",
                    (run_id, owner, batch[-1][0]),
                )
            else:
                if row["owner"] != owner:
                    raise run_of_another_owner(run_id)
                if batch[0][0] <= row["last_seq"]:
                    raise seq_not_after(run_id, batch[0][0], row["last_seq"])
                conn.execute(
                    "UPDATE runs SET last_seq = ? WHERE run_id = ?", (batch[-1][0], run_id)
                )
            conn.executemany(
                "INSERT INTO events (run_id, seq, payload) VALUES (?, ?, ?)",
                [(run_id, seq, payload) for seq, payload in batch],
            )

    def _events(self, owner: str, run_id: str, after_seq: int, limit: int) -> list[StoredEvent]:
        rows = self._read(
            "events",
            "SELECT e.seq, e.payload FROM events e JOIN runs r ON r.run_id = e.run_id "
            "WHERE e.run_id = ? AND r.owner = ? AND e.seq > ? ORDER BY e.seq LIMIT ?",
            (run_id, owner, after_seq, limit),
        )
        return [StoredEvent(run_id, r["seq"], r["payload"]) for r in rows]
