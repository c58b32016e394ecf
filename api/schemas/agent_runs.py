"""Request model of the Agent Protocol's runs under `/agent` (`api.routes.agent_runs`)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class RunBody(BaseModel):
    """A run request (`POST .../runs`, `/runs/wait`, `/runs/stream`)."""

    assistant_id: str
    input: dict[str, Any] | None = None
    command: dict[str, Any] | None = None
    stream_mode: str | list[str] = "values"
    stream_subgraphs: bool = False
    stream_resumable: bool = False
    metadata: dict[str, Any] | None = None
    config: dict[str, Any] | None = None
    context: dict[str, Any] | None = None
    multitask_strategy: str | None = None
    if_not_exists: Literal["create", "reject"] | None = None
    on_disconnect: Literal["cancel", "continue"] | None = None
    on_completion: Literal["delete", "keep"] | None = None
    durability: str | None = None
    checkpoint: Any = None
    checkpoint_id: Any = None
    interrupt_before: Any = None
    interrupt_after: Any = None
    webhook: Any = None
    after_seconds: Any = None
    feedback_keys: Any = None
