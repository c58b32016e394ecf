"""The trace event schema: one versioned, sequence-numbered `TraceEvent` with a typed `data`
shape per event type (`docs/trace-events.md` documents it; this module is its reference)."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from prompts.roles import AgentRole
from traces.sentences import event_sentence
from traces.text import REASONING_MAX_CHARS, SUMMARY_MAX_CHARS

SCHEMA_VERSION: Literal["1"] = "1"
"""Version of the event schema; bumped on any incompatible change of the fields or `data` shapes."""


EventType = Literal[
    "run_started",
    "node_started",
    "node_finished",
    "message_delta",
    "reasoning",
    "tool_call",
    "tool_result",
    "progress",
    "warning",
    "error",
    "run_finished",
]


EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)


RunStatus = Literal["succeeded", "partial", "failed", "interrupted", "cancelled"]
"""How a run ended: `interrupted` waits for the user; `cancelled` was stopped by its owner."""


RUN_STATUSES: tuple[RunStatus, ...] = get_args(RunStatus)


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunStartedData(_Data):
    """`run_started`: which graph runs, the request's hash, whether this continues an earlier trace."""

    graph: str
    request_hash: str | None = None
    resumed: bool = False


class NodeStartedData(_Data):
    """`node_started`: `parents` are the enclosing subgraph nodes, outermost first ([] at top level)."""

    parents: list[str] = Field(default_factory=list)


class NodeFinishedData(_Data):
    """`node_finished`: `keys` are the state keys the node's update wrote (sorted)."""

    parents: list[str] = Field(default_factory=list)
    keys: list[str] = Field(default_factory=list)


class MessageDeltaData(_Data):
    """`message_delta`: a piece of an agent's text; deltas with one `message_id` form one message."""

    text: str
    message_id: str | None = None


class ReasoningData(_Data):
    """`reasoning`: an agent's thinking in one message (never its answer): the text, cut to
    `REASONING_MAX_CHARS` characters (ending in "…" when cut; empty when the model returned
    none), its full length in `chars`, whether a block was `redacted` (encrypted by the
    provider)."""

    text: str = Field(max_length=REASONING_MAX_CHARS)
    chars: int = Field(ge=0)
    redacted: bool = False
    message_id: str | None = None


class ToolCallData(_Data):
    """`tool_call`: a complete tool call requested by a model (arguments parsed from JSON)."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    call_id: str | None = None


class ToolResultData(_Data):
    """`tool_result`: the tool's answer, truncated to `SUMMARY_MAX_CHARS` characters."""

    tool: str | None = None
    call_id: str | None = None
    summary: str = Field(max_length=SUMMARY_MAX_CHARS)
    is_error: bool = False


class ProgressData(_Data):
    """`progress`: `done` of `total` units (e.g. 150 of 200 trials); `best` objective so far.

    `metric` names `best` for display (e.g. "Sharpe"); `total` is None when unknown.
    """

    done: int = Field(ge=0)
    total: int | None = Field(default=None, ge=0)
    unit: str = "trials"
    best: float | None = None
    metric: str | None = None

    @field_validator("best")
    @classmethod
    def _finite(cls, value: float | None) -> float | None:
        """No best yet (NaN, ±inf, e.g. before any feasible trial) is reported as null."""
        return value if value is None or math.isfinite(value) else None


class WarningData(_Data):
    """`warning`: something went wrong but the run continues (e.g. a grounding-check fallback)."""

    message: str
    code: str | None = None


class ErrorData(_Data):
    """`error`: a failure; the run usually ends with `run_finished` status failed or partial."""

    message: str
    code: str | None = None


class RunFinishedData(_Data):
    """`run_finished`: final status, the stored result's id (if any) and a human-readable reason."""

    status: RunStatus
    result_id: str | None = None
    reason: str | None = None


DATA_MODELS: dict[EventType, type[_Data]] = {
    "run_started": RunStartedData,
    "node_started": NodeStartedData,
    "node_finished": NodeFinishedData,
    "message_delta": MessageDeltaData,
    "reasoning": ReasoningData,
    "tool_call": ToolCallData,
    "tool_result": ToolResultData,
    "progress": ProgressData,
    "warning": WarningData,
    "error": ErrorData,
    "run_finished": RunFinishedData,
}
"""The `data` shape of each event type."""


class TraceEvent(BaseModel):
    """One event of a run's trace (schema version "1").

    `seq` is 1-based and strictly increasing without gaps within a run; `ts` is a timezone-aware
    UTC timestamp (serialised as ISO-8601 with a `Z` suffix); `node` is the LangGraph node that
    produced the event and `agent` the role speaking, when known; `data` follows the type's shape
    in `DATA_MODELS` (validated, defaults filled in); `text` is the event in one sentence of
    words (`traces.sentences.event_sentence`), filled in when not given.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal["1"] = SCHEMA_VERSION
    run_id: str = Field(min_length=1)
    seq: int = Field(ge=1)
    ts: datetime
    type: EventType
    node: str | None = None
    agent: AgentRole | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    text: str = ""

    @field_validator("ts")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        if value.tzinfo is None:
            raise ValueError("ts must be timezone-aware (UTC)")
        return value.astimezone(UTC)

    @field_validator("data")
    @classmethod
    def _data_shape(cls, value: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        event_type = info.data.get("type")
        if event_type is None:  # `type` itself failed validation; that error is reported
            return value
        model = DATA_MODELS[event_type]
        return model.model_validate(value).model_dump(mode="json")

    @model_validator(mode="after")
    def _sentence(self) -> TraceEvent:
        """The event in words, when not given."""
        if not self.text:
            sentence = event_sentence(self.type, self.data, agent=self.agent, node=self.node)
            object.__setattr__(self, "text", sentence)
        return self

    def to_json(self) -> str:
        """One line of compact JSON."""
        return self.model_dump_json()

    @classmethod
    def from_json(cls, text: str | bytes) -> TraceEvent:
        """Parse and validate one event (raises `pydantic.ValidationError` on a bad line)."""
        return cls.model_validate_json(text)
