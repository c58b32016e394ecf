"""Deployments in the SQLite store."""

from __future__ import annotations

from collections.abc import Sequence

from store.common import new_id
from store.deployments import Deployment, deployment_from_row
from store.errors import ConflictError, NotFoundError
from store.sqlite.connection import SqliteConnection


class SqliteDeployments(SqliteConnection):
    """The deployments repository on SQLite."""

    def _insert_deployment(self, owner: str, name: str, status: str, spec: str) -> Deployment:
        deployment_id = new_id("dep")
        now = self._now()
        with self._tx("create_deployment") as conn:
            conn.execute(
                "INSERT INTO deployments (id, owner, name, status, spec, version, created_at, "
                "updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (deployment_id, owner, name, status, spec, now, now),
            )
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
        spec: str | None,
    ) -> Deployment:
        with self._tx("update_deployment") as conn:
            cur = conn.execute(
                "UPDATE deployments SET status = COALESCE(?, status), spec = COALESCE(?, spec), "
                "version = version + 1, updated_at = ? WHERE id = ? AND owner = ? AND version = ?",
                (status, spec, self._now(), deployment_id, owner, expected_version),
            )
            changed = cur.rowcount == 1
        current = self.get_deployment(owner, deployment_id)  # NotFoundError if absent
        if not changed:
            raise ConflictError(
                f"deployment {deployment_id} is at version {current.version}, "
                f"not {expected_version}",
                current=current,
            )
        return current

    def _deployments_by_status(self, status: str, limit: int) -> list[Deployment]:
        rows = self._read(
            "deployments_by_status",
            "SELECT * FROM deployments WHERE status = ? ORDER BY created_at, id LIMIT ?",
            (status, limit),
        )
        return [deployment_from_row(dict(r)) for r in rows]
