"""Deployments and their events in the SQLite store (a deployment's event is written in the
transaction that changes it)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from store.common import dumps, new_id
from store.deployments import (
    Deployment,
    DeploymentEvent,
    change_event,
    deployment_event_from_row,
    deployment_from_row,
)
from store.errors import NotFoundError, version_conflict
from store.sqlite.connection import SqliteConnection


class SqliteDeployments(SqliteConnection):
    """The deployments repository on SQLite."""

    def _insert_deployment(
        self, owner: str, name: str, status: str, spec: str, event: str
    ) -> Deployment:
        deployment_id = new_id("dep")
        now = self._now()
        with self._tx("create_deployment") as conn:
            conn.execute(
                "INSERT INTO deployments (id, owner, name, status, spec, version, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (deployment_id, owner, name, status, spec, now, now),
            )
            _insert_event(conn, owner, deployment_id, "created", event, now, None)
        return self.get_deployment(owner, deployment_id)

    def get_deployment(self, owner: str, deployment_id: str) -> Deployment:
        rows = self._read(
            "get_deployment",
            "SELECT * FROM deployments WHERE id = ? AND owner = ?",
            (deployment_id, owner),
        )
        if not rows:
            raise NotFoundError(f"no deployment {deployment_id!r} for owner {owner!r}")
        return deployment_from_row(dict(rows[0]))

    def list_deployments(
        self, owner: str, *, statuses: Sequence[str] | None = None
    ) -> list[Deployment]:
        sql = "SELECT * FROM deployments WHERE owner = ?"
        params: list[object] = [owner]
        if statuses is not None:
            sql += f" AND status IN ({', '.join('?' for _ in statuses)})"
            params += list(statuses)
        rows = self._read("list_deployments", sql + " ORDER BY created_at, id", params)
        return [deployment_from_row(dict(r)) for r in rows]

    def _update_deployment(
        self,
        owner: str,
        deployment_id: str,
        expected_version: int,
        status: str | None,
        spec: dict[str, Any] | None,
        event_data: dict[str, Any],
    ) -> Deployment:
        now = self._now()
        with self._tx("update_deployment") as conn:
            row = conn.execute(
                "SELECT * FROM deployments WHERE id = ? AND owner = ?", (deployment_id, owner)
            ).fetchone()
            if row is None:
                raise NotFoundError(f"no deployment {deployment_id!r} for owner {owner!r}")
            current = deployment_from_row(dict(row))
            if current.version == expected_version:
                conn.execute(
                    "UPDATE deployments SET status = COALESCE(?, status), "
                    "spec = COALESCE(?, spec), version = version + 1, updated_at = ? "
                    "WHERE id = ? AND owner = ?",
                    (status, None if spec is None else dumps(spec), now, deployment_id, owner),
                )
                kind, data = change_event(current, status, spec, event_data)
                _insert_event(conn, owner, deployment_id, kind, data, now, None)
        if current.version != expected_version:
            raise version_conflict(f"deployment {deployment_id}", current, expected_version)
        return self.get_deployment(owner, deployment_id)

    def _deployments_by_status(self, status: str, limit: int) -> list[Deployment]:
        rows = self._read(
            "deployments_by_status",
            "SELECT * FROM deployments WHERE status = ? ORDER BY created_at, id LIMIT ?",
            (status, limit),
        )
        return [deployment_from_row(dict(r)) for r in rows]

    def _append_deployment_event(
        self, owner: str, deployment_id: str, type: str, data: str, key: str
    ) -> DeploymentEvent:
        with self._tx("append_deployment_event") as conn:
            if not conn.execute(
                "SELECT 1 FROM deployments WHERE id = ? AND owner = ?", (deployment_id, owner)
            ).fetchone():
                raise NotFoundError(f"no deployment {deployment_id!r} for owner {owner!r}")
            row = conn.execute(
                "SELECT * FROM deployment_events WHERE deployment_id = ? AND key = ?",
                (deployment_id, key),
            ).fetchone()
            if row is None:
                _insert_event(conn, owner, deployment_id, type, data, self._now(), key)
                row = conn.execute(
                    "SELECT * FROM deployment_events WHERE deployment_id = ? AND key = ?",
                    (deployment_id, key),
                ).fetchone()
        return deployment_event_from_row(dict(row))

    def _deployment_events(
        self, owner: str, deployment_id: str, after_seq: int, limit: int
    ) -> list[DeploymentEvent]:
        self.get_deployment(owner, deployment_id)  # NotFoundError for another owner
        rows = self._read(
            "deployment_events",
            "SELECT * FROM deployment_events WHERE deployment_id = ? AND owner = ? AND seq > ? "
            "ORDER BY seq LIMIT ?",
            (deployment_id, owner, after_seq, limit),
        )
        return [deployment_event_from_row(dict(r)) for r in rows]


def _insert_event(
    conn: sqlite3.Connection,
    owner: str,
    deployment_id: str,
    type: str,
    data: str,
    time: int,
    key: str | None,
) -> None:
    """Insert the deployment's next event (inside the caller's transaction)."""
    conn.execute(
        "INSERT INTO deployment_events (deployment_id, seq, owner, type, data, time, key) "
        "SELECT ?, COALESCE(MAX(seq), 0) + 1, ?, ?, ?, ?, ? FROM deployment_events "
        "WHERE deployment_id = ?",
        (deployment_id, owner, type, data, time, key, deployment_id),
    )
