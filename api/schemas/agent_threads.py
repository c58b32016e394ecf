"""Request models of the Agent Protocol's assistants and threads under `/agent`
(`api.routes.agent_threads`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class AssistantSearch(BaseModel):
    """`POST /assistants/search`."""

    graph_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: int = Field(default=0, ge=0)


class ThreadCreateBody(BaseModel):
    """`POST /threads`."""

    thread_id: str | None = Field(default=None, description="Not supported: ids are assigned.")
    metadata: dict[str, Any] | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    graph_id: str | None = None


class ThreadPatch(BaseModel):
    """`PATCH /threads/{id}`."""

    metadata: dict[str, Any] = Field(default_factory=dict)


class ThreadSearch(BaseModel):
    """`POST /threads/search`."""

    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = None
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    ids: list[str] | None = None
    limit: int = Field(default=10, ge=1, le=100)
    offset: int = Field(default=0, ge=0)


class HistoryBody(BaseModel):
    """`POST /threads/{id}/history`."""

    limit: int = Field(default=10, ge=1, le=1000)
    before: Any = None
    metadata: dict[str, Any] | None = None
    checkpoint: dict[str, Any] | None = None
