"""Request models of the Agent Protocol's crons under `/agent` (`api.routes.agent_crons`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from services.bounds import Count


class CronCreate(BaseModel):
    """`POST /threads/{id}/runs/crons`, `POST /runs/crons`: a run of the chat assistant on a
    schedule. What a run takes (`input`, `metadata`, `stream_mode`, ...) is checked as a run's
    (`api.agent_protocol.run_requests`)."""

    assistant_id: str
    schedule: str = Field(max_length=200, description="A 5-field cron expression.")
    timezone: str | None = Field(default=None, max_length=64, description="IANA name; UTC.")
    input: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    end_time: datetime | None = None
    enabled: bool = True
    on_run_completed: Literal["delete", "keep"] | None = None
    multitask_strategy: str | None = None
    stream_mode: str | list[str] | None = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: str | None = None
    interrupt_before: Any = None
    interrupt_after: Any = None
    webhook: Any = None
    checkpoint_during: Any = None


class CronPatch(BaseModel):
    """`PATCH /runs/crons/{cron_id}`: what is given replaces the cron's (`end_time: null`
    clears its end); the rest is kept."""

    schedule: str | None = Field(default=None, max_length=200)
    timezone: str | None = Field(default=None, max_length=64)
    input: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    end_time: datetime | None = None
    enabled: bool | None = None
    on_run_completed: Literal["delete", "keep"] | None = None
    stream_mode: str | list[str] | None = None
    stream_subgraphs: bool | None = None
    stream_resumable: bool | None = None
    durability: str | None = None
    interrupt_before: Any = None
    interrupt_after: Any = None
    webhook: Any = None


class CronCount(BaseModel):
    """`POST /runs/crons/count`."""

    assistant_id: str | None = None
    thread_id: str | None = Field(default=None, max_length=45)
    metadata: dict[str, Any] | None = None


class CronSearch(BaseModel):
    """`POST /runs/crons/search`."""

    assistant_id: str | None = None
    thread_id: str | None = Field(default=None, max_length=45)
    enabled: bool | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: Count = 0
    sort_by: Literal["cron_id", "created_at", "updated_at", "next_run_date"] | None = None
    sort_order: Literal["asc", "desc"] | None = None
