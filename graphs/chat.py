"""Driving the `assistant` graph: one chat thread, its turns, its pending approval.

`ChatSession(thread_id)` sends messages (`send`) and answers a pending approval (`decide`),
streaming each turn's trace as `TraceEvent`s to `on_event` and appending them to
`<data_dir>/threads/<thread_id>/events.jsonl` (sequence numbers continue across turns). The
conversation lives in the SQLite checkpointer, so a thread can be continued in a later process.
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langgraph.types import Command

from graphs.assistant import bind_settings, build_assistant_graph
from graphs.run import RECURSION_LIMIT
from graphs.tracelog import EventSink, trace_log
from settings import Settings, get_settings
from store.checkpoints import checkpointer


@dataclass
class ChatTurn:
    """What one turn produced: the assistant's new replies and an approval request, if any."""

    thread_id: str
    replies: list[str] = field(default_factory=list)
    pending: dict[str, Any] | None = None


class NothingPendingError(LookupError):
    """`decide` was called on a thread with no run waiting for approval."""


class ChatSession:
    """One chat thread with the strategy assistant."""

    def __init__(self, thread_id: str | None = None, *, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()
        self.thread_id = thread_id or f"thread_{uuid.uuid4().hex[:12]}"
        self.directory = self.settings.data_dir / "threads" / self.thread_id
        self.config: dict[str, Any] = {
            "configurable": {"thread_id": f"chat:{self.thread_id}"},
            "recursion_limit": RECURSION_LIMIT,
        }
        bind_settings(f"chat:{self.thread_id}", self.settings)

    def send(self, text: str, *, on_event: EventSink | None = None) -> ChatTurn:
        """Send a user message; returns the replies (and the approval request, if the assistant
        proposes a run). A message sent while a run awaits approval cancels that proposal."""
        if not text.strip():
            raise ValueError("the message is empty")
        if self.pending() is not None:
            self._stream(Command(resume={"action": "reject"}), None)
        return self._stream({"messages": [HumanMessage(text)]}, on_event)

    def decide(
        self,
        action: str,
        *,
        changes: dict[str, Any] | None = None,
        on_event: EventSink | None = None,
    ) -> ChatTurn:
        """Answer the pending approval: `approve`, `edit` (with `changes` to the request) or
        `reject`."""
        if action not in ("approve", "edit", "reject"):
            raise ValueError(f"unknown decision {action!r}: approve, edit or reject")
        if self.pending() is None:
            raise NothingPendingError(f"thread {self.thread_id} has no run awaiting approval")
        return self._stream(Command(resume={"action": action, "request": changes or {}}), on_event)

    def pending(self) -> dict[str, Any] | None:
        """The approval request the thread is paused on, or None."""
        with checkpointer(self.settings) as saver:
            snapshot = build_assistant_graph(saver).get_state(self.config)
        for interrupt in snapshot.interrupts:
            if isinstance(interrupt.value, dict):
                return interrupt.value
        return None

    def history(self) -> list[BaseMessage]:
        """The conversation so far (user messages, tool calls and results, replies)."""
        with checkpointer(self.settings) as saver:
            snapshot = build_assistant_graph(saver).get_state(self.config)
        return list(snapshot.values.get("messages", []))

    def delete(self) -> None:
        """Forget the conversation: its checkpoints and its trace file."""
        with checkpointer(self.settings) as saver:
            saver.delete_thread(self.config["configurable"]["thread_id"])
        shutil.rmtree(self.directory, ignore_errors=True)

    def _stream(self, payload: Any, on_event: EventSink | None) -> ChatTurn:
        turn = ChatTurn(self.thread_id)
        path = self.directory / "events.jsonl"
        with trace_log(path, self.thread_id, on_event) as log, checkpointer(self.settings) as saver:
            graph = build_assistant_graph(saver)
            before = len(graph.get_state(self.config).values.get("messages", []))
            log.emit([log.recorder.run_started("assistant")])
            log.stream(graph, payload, self.config)
            snapshot = graph.get_state(self.config)
            messages = snapshot.values.get("messages", [])[before:]
            turn.replies = [
                m.text for m in messages if isinstance(m, AIMessage) and not m.tool_calls and m.text
            ]
            turn.pending = next(
                (i.value for i in snapshot.interrupts if isinstance(i.value, dict)), None
            )
            log.emit(log.recorder.run_finished("interrupted" if turn.pending else "succeeded"))
        return turn
