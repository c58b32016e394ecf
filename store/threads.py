"""The index of chat threads and its repository interface (the conversation itself lives in the
LangGraph checkpointer)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from store.common import check_limit, check_owner, from_micros

MAX_THREAD_ID = 100
"""Most characters of a thread id given to `create_thread`."""


@dataclass(frozen=True)
class ChatThread:
    """An entry of the chat thread index (the conversation itself lives in the checkpointer)."""

    id: str
    owner: str
    title: str
    created_at: datetime
    updated_at: datetime
    checkpoint: str
    """The LangGraph `thread_id` its conversation is checkpointed under (`checkpoint_thread`)."""


def checkpoint_thread(thread_id: str, incarnation: str | None = None) -> str:
    """The LangGraph `thread_id` of chat thread `thread_id`'s conversation: `chat:<thread_id>`
    (a thread on SQLite, or created on AWS before incarnations), or `chat~<incarnation>:<id>`
    (a thread created on AWS, whose id may be taken again at once after a delete while the
    purge has yet to delete the deleted one's checkpoints). No `chat:` key can equal a
    `chat~` key, whatever the thread ids hold."""
    return f"chat:{thread_id}" if incarnation is None else f"chat~{incarnation}:{thread_id}"


def thread_of_checkpoint(key: str) -> str:
    """The chat thread id of a `checkpoint_thread` key (any other key as it is)."""
    prefix, colon, thread_id = key.partition(":")
    return thread_id if colon and (prefix == "chat" or prefix.startswith("chat~")) else key


class ThreadRepository(ABC):
    """An owner's chat threads (the index; messages live in the checkpointer)."""

    def create_thread(self, owner: str, title: str, *, thread_id: str | None = None) -> ChatThread:
        """Add a thread to the index; its id is the LangGraph `thread_id` of the conversation:
        `thread_id` when given (`ConflictError` when a thread has it already, whoever's: the
        caller derives ids from names with the owner in them), else a new `th_...` id."""
        check_owner(owner)
        if thread_id is not None and not 1 <= len(thread_id) <= MAX_THREAD_ID:
            raise ValueError(f"a thread id has 1 to {MAX_THREAD_ID} characters")
        return self._insert_thread(owner, title, thread_id)

    @abstractmethod
    def _insert_thread(self, owner: str, title: str, thread_id: str | None) -> ChatThread:
        """`create_thread` after its checks."""

    @abstractmethod
    def touch_thread(self, owner: str, thread_id: str, *, title: str | None = None) -> ChatThread:
        """Mark the thread updated now (and optionally rename it)."""

    @abstractmethod
    def get_thread(self, owner: str, thread_id: str) -> ChatThread:
        """The thread, or `NotFoundError`."""

    def list_threads(self, owner: str, *, limit: int = 100) -> list[ChatThread]:
        """The owner's threads, most recently updated first."""
        check_limit(limit)
        return self._list_threads(owner, limit)

    @abstractmethod
    def _list_threads(self, owner: str, limit: int) -> list[ChatThread]:
        """`list_threads` after its checks."""

    @abstractmethod
    def delete_thread(self, owner: str, thread_id: str) -> None:
        """Remove the thread from the index (`NotFoundError` if absent)."""


def thread_from_row(d: Mapping[str, Any]) -> ChatThread:
    """The ChatThread a stored row or item holds (`d`: column or attribute name -> value; absent
    optional attributes read as None)."""
    return ChatThread(
        id=d["id"],
        owner=d["owner"],
        title=d["title"],
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
        updated_at=from_micros(d["updated_at"]),  # type: ignore[arg-type]
        checkpoint=d.get("checkpoint") or checkpoint_thread(d["id"]),
    )
