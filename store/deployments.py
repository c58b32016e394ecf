"""Deployments (an owner's strategy put to work on a broker account) as versioned documents, and
their repository interface.

The store keeps a deployment's `status` and `spec` (what is deployed, the account, capital,
schedule, limits: a JSON document) with optimistic concurrency; the lifecycle rules (which
status may follow which) belong to `execution.deployment` and are checked by the service before
it writes. `deployments_by_status` serves the scheduler across owners.

Every change is an event: creating a deployment writes its event `created`, and every update
writes `status_changed` (`from`, `to`) or `updated` (`changed`: the spec's top-level keys that
changed), in the same atomic write as the change. What happens to a deployment without changing
it (a run's outcome, say) is appended with `append_deployment_event`, idempotent by a `key`.
A deployment's events are numbered 1, 2, 3, ... without gaps, in the order they were written.
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


@dataclass(frozen=True)
class DeploymentEvent:
    """Something that happened to a deployment: its `seq` (1, 2, ... per deployment), `type`
    (created, status_changed, updated, or an appended type such as run_finished), `data` (JSON)
    and `time` (UTC)."""

    deployment_id: str
    seq: int
    type: str
    data: dict[str, Any]
    time: datetime

    def to_json(self) -> dict[str, Any]:
        """The event as JSON (time in ISO 8601)."""
        return {
            "deployment_id": self.deployment_id,
            "seq": self.seq,
            "type": self.type,
            "time": self.time.isoformat(),
            "data": self.data,
        }


def check_deployment_status(status: str) -> str:
    """`status` if it is a non-empty word, else ValueError (the lifecycle itself is checked by
    the service)."""
    if not (isinstance(status, str) and status.isidentifier()):
        raise ValueError(f"status must be a word such as active, got {status!r}")
    return status


class DeploymentRepository(ABC):
    """An owner's deployments, and the ones in a status across owners (for the scheduler)."""

    def create_deployment(
        self,
        owner: str,
        name: str,
        status: str,
        spec: Mapping[str, Any],
        *,
        event_data: Mapping[str, Any] | None = None,
    ) -> Deployment:
        """Store a new deployment (version 1) and its event 1, `created` (`name`, `status`,
        and `event_data`, e.g. who or what created it)."""
        check_owner(owner)
        if not name:
            raise ValueError("name must be a non-empty string")
        status = check_deployment_status(status)
        event = dumps({"name": name, "status": status, **dict(event_data or {})})
        return self._insert_deployment(owner, name, status, dumps(dict(spec)), event)

    @abstractmethod
    def _insert_deployment(
        self, owner: str, name: str, status: str, spec: str, event: str
    ) -> Deployment:
        """`create_deployment` after its checks (`spec` and the `created` event's data as
        JSON)."""

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
        event_data: Mapping[str, Any] | None = None,
    ) -> Deployment:
        """Change status and/or spec if the deployment is still at `expected_version`; the
        version increases by one, and the change's event is written with it: `status_changed`
        (`from`, `to`) when the status changes, else `updated` (`changed`: the spec's top-level
        keys that differ), each with `event_data` (e.g. a `reason`). `ConflictError` (nothing
        written) if it changed meanwhile, `NotFoundError` if it does not exist."""
        if status is None and spec is None:
            raise ValueError("an update changes the status, the spec or both")
        return self._update_deployment(
            owner,
            deployment_id,
            expected_version,
            None if status is None else check_deployment_status(status),
            None if spec is None else dict(spec),
            dict(event_data or {}),
        )

    @abstractmethod
    def _update_deployment(
        self,
        owner: str,
        deployment_id: str,
        expected_version: int,
        status: str | None,
        spec: dict[str, Any] | None,
        event_data: dict[str, Any],
    ) -> Deployment:
        """`update_deployment` after its checks; the event is `change_event(current, status,
        spec, event_data)` of the deployment as it was."""

    def append_deployment_event(
        self,
        owner: str,
        deployment_id: str,
        type: str,
        data: Mapping[str, Any],
        *,
        key: str,
    ) -> DeploymentEvent:
        """Append an event of `type` to the deployment's events, once per `key`: appending
        under a key already used returns the event stored then and writes nothing (a retried
        run reports once). `NotFoundError` if the owner has no such deployment."""
        check_owner(owner)
        if not (isinstance(type, str) and type.isidentifier()):
            raise ValueError(f"an event type is a word such as run_finished, got {type!r}")
        if not key or len(key) > 200:
            raise ValueError("an event key is a non-empty string of at most 200 characters")
        return self._append_deployment_event(owner, deployment_id, type, dumps(dict(data)), key)

    @abstractmethod
    def _append_deployment_event(
        self, owner: str, deployment_id: str, type: str, data: str, key: str
    ) -> DeploymentEvent:
        """`append_deployment_event` after its checks (`data` as JSON)."""

    def deployment_events(
        self, owner: str, deployment_id: str, *, after_seq: int = 0, limit: int = 500
    ) -> list[DeploymentEvent]:
        """The deployment's events after `after_seq`, oldest first, at most `limit`.
        `NotFoundError` if the owner has no such deployment."""
        check_limit(limit, 10_000)
        if after_seq < 0:
            raise ValueError(f"after_seq must be >= 0, got {after_seq}")
        return self._deployment_events(owner, deployment_id, after_seq, limit)

    @abstractmethod
    def _deployment_events(
        self, owner: str, deployment_id: str, after_seq: int, limit: int
    ) -> list[DeploymentEvent]:
        """`deployment_events` after its checks."""

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


def change_event(
    current: Deployment,
    status: str | None,
    spec: Mapping[str, Any] | None,
    event_data: Mapping[str, Any],
) -> tuple[str, str]:
    """The type and JSON data of the event an update of `current` writes (see
    `DeploymentRepository.update_deployment`)."""
    if status is not None and status != current.status:
        return "status_changed", dumps({"from": current.status, "to": status, **event_data})
    changed = sorted(
        key
        for key in set(current.spec) | set(spec or {})
        if spec is not None and current.spec.get(key) != spec.get(key)
    )
    return "updated", dumps({"changed": changed, **event_data})


def deployment_event_from_row(d: Mapping[str, Any]) -> DeploymentEvent:
    """The DeploymentEvent a stored row or item holds."""
    return DeploymentEvent(
        deployment_id=d["deployment_id"],
        seq=int(d["seq"]),
        type=d["type"],
        data=json.loads(d["data"]),
        time=from_micros(d["time"]),  # type: ignore[arg-type]
    )
