"""Request and response models of the chat under `/v1/threads` (`api.routes.threads`): threads,
their history, messages, approvals and finished turns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ThreadCreate(BaseModel):
    """A new chat thread."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(default="New conversation", min_length=1, max_length=200)


class ThreadView(BaseModel):
    """A chat thread of the caller."""

    id: str
    title: str
    created_at: datetime
    updated_at: datetime


class ChatMessage(BaseModel):
    """One message of a thread's history."""

    role: Literal["user", "assistant", "tool"]
    content: str
    tool_calls: list[dict[str, Any]] = Field(
        default_factory=list, description="Tool calls of an assistant message: {name, args}."
    )
    name: str | None = Field(default=None, description="The tool of a tool message.")


class ThreadDetail(ThreadView):
    """A thread with its history and the approval it waits for (null if none)."""

    messages: list[ChatMessage]
    pending: dict[str, Any] | None


class MessageIn(BaseModel):
    """A user message."""

    model_config = ConfigDict(extra="forbid")

    content: str = Field(
        min_length=1,
        max_length=8000,
        examples=["find the target-vol setting that holds up in a bear market"],
    )


class Decision(BaseModel):
    """The answer to a pending approval: approve, edit (with changes to the request) or reject."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["approve", "edit", "reject"]
    changes: dict[str, Any] | None = Field(
        default=None, description="With edit: fields of the OptimizationRequest to change."
    )


class SavedPortfolioView(BaseModel):
    """A portfolio the assistant built, as saved to the caller's portfolios."""

    chat_id: str = Field(description="The id the conversation uses for it.")
    portfolio_id: str = Field(description="Its id in `/v1/portfolios`.")
    name: str


class TurnView(BaseModel):
    """A finished turn: the assistant's replies, the approval it asks for, its trace."""

    thread_id: str
    replies: list[str]
    pending: dict[str, Any] | None
    saved_portfolios: list[SavedPortfolioView] = Field(
        default_factory=list,
        description="Portfolios built in this turn, saved to the caller's portfolios.",
    )
    events: list[dict[str, Any]]
