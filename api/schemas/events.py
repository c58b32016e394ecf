"""Response model of the long poll of `GET /v1/optimizations/{id}/events` (`api.routes.events`)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class EventsPage(BaseModel):
    """Long-poll answer: the events after `after` (trace events, docs/trace-events.md)."""

    events: list[dict[str, Any]]
    last_seq: int = Field(description="Pass as `after` in the next poll.")
    status: str = Field(description="The job's status now.")
    done: bool = Field(description="True when the job is finished and no event is left.")
