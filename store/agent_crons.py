"""Agent Protocol crons (a run of an assistant on a schedule, for its owner) and their
repository interface.

A cron's record holds its owner, id, thread (None: each run gets a thread of its own), cron
expression, the time of its next run (`next_run_at`; None once it has ended: past its `end_at`)
and the rest of what the client asked (`document`: the assistant, the run's input, metadata,
what to do with a stateless run's thread). Firing is the scheduler's (`services.agent_crons`):
it reads the crons due across owners and moves each one's `next_run_at` on, guarded by the
value it read (`advance_agent_cron`), so two schedulers never both move it; the run itself is
a job whose idempotency key names the cron and the fire time.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from store.common import Clock, check_limit, check_owner, dumps, from_micros, to_micros


@dataclass(frozen=True)
class AgentCron:
    """A stored cron; times are UTC."""

    cron_id: str
    owner: str
    thread_id: str | None
    schedule: str
    next_run_at: datetime | None
    end_at: datetime | None
    created_at: datetime
    updated_at: datetime
    document: dict[str, Any] = field(default_factory=dict)


class AgentCronRepository(ABC):
    """The owner's crons (another owner's cron is `NotFoundError`), and the crons due."""

    clock: Clock

    def create_agent_cron(
        self,
        owner: str,
        *,
        cron_id: str,
        thread_id: str | None,
        schedule: str,
        next_run_at: datetime | None,
        end_at: datetime | None,
        document: dict[str, Any],
    ) -> AgentCron:
        """Store a new cron (`ConflictError` when `cron_id` is taken)."""
        check_owner(owner)
        now = to_micros(self.clock())
        row = {
            "cron_id": cron_id,
            "owner": owner,
            "thread_id": thread_id,
            "schedule": schedule,
            "next_run_at": None if next_run_at is None else to_micros(next_run_at),
            "end_at": None if end_at is None else to_micros(end_at),
            "document": dumps(document),
            "created_at": now,
            "updated_at": now,
        }
        self._insert_agent_cron(row)
        return agent_cron_from_row(row)

    @abstractmethod
    def _insert_agent_cron(self, row: dict[str, Any]) -> None:
        """Insert the row (`ConflictError` if the id exists)."""

    @abstractmethod
    def get_agent_cron(self, owner: str, cron_id: str) -> AgentCron:
        """The owner's cron, or `NotFoundError`."""

    @abstractmethod
    def list_agent_crons(self, owner: str) -> list[AgentCron]:
        """The owner's crons, oldest first."""

    @abstractmethod
    def delete_agent_cron(self, owner: str, cron_id: str) -> None:
        """Delete the owner's cron (`NotFoundError` if absent)."""

    def advance_agent_cron(
        self, owner: str, cron_id: str, *, was: datetime, next_run_at: datetime | None
    ) -> bool:
        """Move the cron's next run from `was` to `next_run_at` (None: it has ended); False,
        writing nothing, when its next run is no longer `was` (another scheduler moved it, or
        it was deleted)."""
        return self._advance_agent_cron(
            owner,
            cron_id,
            to_micros(was),
            None if next_run_at is None else to_micros(next_run_at),
            to_micros(self.clock()),
        )

    @abstractmethod
    def _advance_agent_cron(
        self, owner: str, cron_id: str, was: int, next_run_at: int | None, now: int
    ) -> bool:
        """`advance_agent_cron` in microseconds."""

    def update_agent_cron(
        self,
        was: AgentCron,
        *,
        schedule: str,
        next_run_at: datetime | None,
        end_at: datetime | None,
        document: dict[str, Any],
    ) -> AgentCron | None:
        """Replace the schedule, next run, end and document of the cron `was` read; None,
        writing nothing, when it changed since (a fire moved its next run, or another update),
        `NotFoundError` when it is gone."""
        row = {
            "schedule": schedule,
            "next_run_at": None if next_run_at is None else to_micros(next_run_at),
            "end_at": None if end_at is None else to_micros(end_at),
            "document": dumps(document),
            "updated_at": to_micros(self.clock()),
        }
        was_next = None if was.next_run_at is None else to_micros(was.next_run_at)
        if not self._update_agent_cron(
            was.owner, was.cron_id, row, to_micros(was.updated_at), was_next
        ):
            self.get_agent_cron(was.owner, was.cron_id)  # NotFoundError when it is gone
            return None
        return self.get_agent_cron(was.owner, was.cron_id)

    @abstractmethod
    def _update_agent_cron(
        self,
        owner: str,
        cron_id: str,
        row: dict[str, Any],
        was_updated: int,
        was_next: int | None,
    ) -> bool:
        """Write `row`'s columns if the cron's `updated_at` and `next_run_at` are as read."""

    def due_agent_crons(self, now: datetime, *, limit: int = 1000) -> list[AgentCron]:
        """The crons of every owner whose next run is at or before `now`, earliest first."""
        check_limit(limit)
        return self._due_agent_crons(to_micros(now), limit)

    @abstractmethod
    def _due_agent_crons(self, now: int, limit: int) -> list[AgentCron]:
        """`due_agent_crons` in microseconds."""


def agent_cron_from_row(d: Mapping[str, Any]) -> AgentCron:
    """The cron a stored row or item holds (absent optional attributes read as None)."""
    import json

    def moment(name: str) -> datetime | None:
        value = d.get(name)
        return None if value is None else from_micros(value)

    return AgentCron(
        cron_id=d["cron_id"],
        owner=d["owner"],
        thread_id=d.get("thread_id"),
        schedule=d["schedule"],
        next_run_at=moment("next_run_at"),
        end_at=moment("end_at"),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
        document=json.loads(d["document"]),
    )
