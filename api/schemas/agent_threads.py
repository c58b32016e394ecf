"""Request models of the Agent Protocol's assistants and threads under `/agent`
(`api.routes.agent_threads`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.schemas.assistants import CHAT_GRAPH, assistant_id
from services.bounds import Count


class AssistantSearch(BaseModel):
    """`POST /assistants/search`."""

    graph_id: str | None = None
    name: str | None = None
    metadata: dict[str, Any] | None = None
    limit: int = Field(default=10, ge=1, le=1000)
    offset: Count = 0


UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
"""A UUID as LangGraph Platform takes a thread id (hexadecimal digits, either case)."""


class ThreadMetadata(BaseModel):
    """What a thread's metadata may hold: this server keeps its title only, and its threads
    are of the chat assistant."""

    model_config = ConfigDict(extra="forbid")

    title: str | None = Field(default=None, min_length=1, max_length=200)
    graph_id: Literal["assistant"] | None = None
    assistant_id: str | None = Field(
        default=None,
        pattern=f"^({CHAT_GRAPH}|{assistant_id(CHAT_GRAPH)})$",
        description="The chat assistant, by graph name or id.",
    )


class ThreadCreateBody(BaseModel):
    """`POST /threads`."""

    thread_id: str | None = Field(
        default=None,
        pattern=UUID_PATTERN,
        description="A UUID you choose (a thread of yours only); none: the server assigns one.",
    )
    metadata: ThreadMetadata | None = None
    if_exists: Literal["raise", "do_nothing"] | None = None
    graph_id: Literal["assistant"] | None = Field(
        default=None, description="Threads are of the chat assistant."
    )


class ThreadPatch(BaseModel):
    """`PATCH /threads/{id}`."""

    metadata: ThreadMetadata = Field(default_factory=ThreadMetadata)


class ThreadSearch(BaseModel):
    """`POST /threads/search`."""

    metadata: dict[str, Any] | None = None
    values: dict[str, Any] | None = Field(
        default=None, max_length=0, description="Not supported: filter on metadata or status."
    )
    status: Literal["idle", "busy", "interrupted", "error"] | None = None
    ids: list[str] | None = None
    limit: int = Field(default=10, ge=1, le=100)
    offset: Count = 0


class CheckpointRef(BaseModel):
    """A checkpoint of the thread, as the Agent Protocol's `Checkpoint` names it."""

    model_config = ConfigDict(extra="forbid")

    thread_id: str | None = Field(default=None, max_length=120)
    checkpoint_ns: Literal[""] | None = Field(
        default=None, description="The graph's own checkpoints only."
    )
    checkpoint_id: str | None = Field(default=None, pattern=UUID_PATTERN, description="Its id.")
    checkpoint_map: dict[str, Any] | None = Field(default=None, max_length=0)


class HistoryBody(BaseModel):
    """`POST /threads/{id}/history`."""

    limit: int = Field(default=10, ge=1, le=1000)
    before: CheckpointRef | Annotated[str, StringConstraints(pattern=UUID_PATTERN)] | None = Field(
        default=None, description="Only the checkpoints before this one."
    )
    metadata: dict[str, Any] | None = Field(
        default=None, description="Only the checkpoints whose metadata holds these values."
    )
    checkpoint: CheckpointRef | None = Field(
        default=None, description="From this checkpoint back (default: the latest)."
    )


class StateUpdateBody(BaseModel):
    """`POST /threads/{id}/state`: messages to write to the thread's state."""

    values: dict[str, Any] = Field(description='{"messages": [...]}: the keys this server updates.')
    as_node: None = Field(default=None, description="Not supported: the update is the client's.")
    checkpoint: CheckpointRef | None = None
    checkpoint_id: str | None = Field(default=None, pattern=UUID_PATTERN)


class StateAtBody(BaseModel):
    """`POST /threads/{id}/state/checkpoint`."""

    checkpoint: CheckpointRef
    subgraphs: bool = False
