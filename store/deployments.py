"""Deployments (an owner's strategy put to work on a broker account) as versioned documents, and
their repository interface.

The store keeps a deployment's `status` and `spec` (what is deployed, the account, capital,
schedule, limits: a JSON document) with optimistic concurrency; the lifecycle rules (which
status may follow which) belong to `execution.deployment` and are checked by the service before
it writes. `deployments_by_status` serves the scheduler across owners.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import check_limit, check_owner, dumps, from_micros


@dataclass(frozen=True)
class Deployment:
    """A deployment: `name`, `status` (draft, active, paused or retired), `spec` (JSON), and a
    `version` that starts at 1 and increases by one on every update."""

    id: str
    owner: str
    name: str
    status: str
    spec: dict[str, Any]
    version: int
    created_at: datetime
    updated_at: datetime


def check_deployment_status(status: str) -> str:
    """`status` if it is a non-empty word, else ValueError (the lifecycle itself is checked by
    the service)."""
    if not (isinstance(status, str) and status.isidentifier()):
        raise ValueError(f"status must be a word such as active, got {status!r}")
    return status


class DeploymentRepository(ABC):
    """An owner's deployments, and the ones in a status across owners (for the scheduler)."""

    def create_deployment(
        self, owner: str, name: str, status: str, spec: Mapping[str, Any]
    ) -> Deployment:
        """Store a new deployment (version 1)."""
        check_owner(owner)
        if not name:
            raise ValueError("name must be a non-empty string")
        return self._insert_deployment(
            owner, name, check_deployment_status(status), dumps(dict(spec))
        )

    @abstractmethod
    def _insert_deployment(self, owner: str, name: str, status: str, spec: str) -> Deployment:
        """`create_deployment` after its checks (`spec` as JSON)."""

    @abstractmethod
    def get_deployment(self, owner: str, deployment_id: str) -> Deployment:
        """The deployment, or `NotFoundError`."""

    @abstractmethod
    def list_deployments(
        self, owner: str, *, statuses: Sequence[str] | None = None
    ) -> list[Deployment]:
        """The owner's deployments (in `statuses`, if given), oldest first."""

    def update_deployment(
        self,
        owner: str,
        deployment_id: str,
        *,
        expected_version: int,
        status: str | None = None,
        spec: Mapping[str, Any] | None = None,
    ) -> Deployment:
        """Change status and/or spec if the deployment is still at `expected_version`; the
        version increases by one. `ConflictError` (nothing written) if it changed meanwhile,
        `NotFoundError` if it does not exist."""
        return self._update_deployment(
            owner,
            deployment_id,
            expected_version,
            None if status is None else check_deployment_status(status),
            None if spec is None else dumps(dict(spec)),
        )

    @abstractmethod
    def _update_deployment(
        self,
        owner: str,
        deployment_id: str,
        expected_version: int,
        status: str | None,
        spec: str | None,
    ) -> Deployment:
        """`update_deployment` after its checks (`spec` as JSON)."""

    def deployments_by_status(self, status: str, *, limit: int = 1000) -> list[Deployment]:
        """Deployments of every owner in `status`, oldest first (for the scheduler)."""
        check_limit(limit, 10_000)
        return self._deployments_by_status(status, limit)

    @abstractmethod
    def _deployments_by_status(self, status: str, limit: int) -> list[Deployment]:
        """`deployments_by_status` after its checks."""


def deployment_from_row(d: Mapping[str, Any]) -> Deployment:
    """The Deployment a stored row or item holds."""
    return Deployment(
        id=d["id"],
        owner=d["owner"],
        name=d["name"],
        status=d["status"],
        spec=json.loads(d["spec"]),
        version=int(d["version"]),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
    )
