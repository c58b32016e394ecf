"""The frames of LangGraph Platform's stream modes that are made from more than one graph
stream item: `messages` (`messages/metadata`, `messages/partial`, `messages/complete`), `debug`
(the graph's own debug items, their configs shown with the thread's Agent Protocol id) and
`events` (LangChain's run events, as `astream_events(version="v2")` names them).

- `MessageFrames` turns the graph's `messages` items `(message, metadata)` into the frames of
  stream mode `messages`: the first time a message id is seen, `messages/metadata`
  (`{id: {"metadata": ...}}`); each chunk of a message the model streams, `messages/partial`
  (`[the message so far]`, its chunks added up); a whole message (a tool result, a message a
  node wrote without streaming it), `messages/complete` (`[message]`).
- `debug_data` is a graph `debug` item with the checkpoint configs a client may read: the
  thread's id as the Agent Protocol shows it, `checkpoint_ns` and `checkpoint_id`.
- `RunEvents` is a LangChain callback handler that writes one `events` frame per run event:
  `{"event", "name", "run_id", "parent_ids", "tags", "metadata", "data"}` with `event` one of
  `on_chain_start`/`on_chain_end`, `on_chat_model_start`/`on_chat_model_stream`/
  `on_chat_model_end`, `on_tool_start`/`on_tool_end` and `on_custom_event`; `parent_ids` are the
  ids of the runs above it, the outermost first. It is installed for the run's thread of work
  by `events_for` (a LangChain configure hook: every graph and model call made there reports to
  it, subgraphs included). Runs LangGraph hides from tracing (tag `langsmith:hidden`) are left
  out.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import BaseMessage, BaseMessageChunk, message_chunk_to_message
from langchain_core.outputs import ChatGenerationChunk, GenerationChunk, LLMResult
from langchain_core.tracers.context import register_configure_hook

from api.agent_protocol.thread_ids import shown_thread_id

Emit = Callable[[str, Any], None]
"""Writes one frame of a run: `(event, data)` (data still to be made JSON, `jsonable`)."""


class MessageFrames:
    """The `messages` stream mode's frames of one run (see the module docstring)."""

    def __init__(self) -> None:
        self._so_far: dict[str, BaseMessage] = {}

    def frames(self, message: BaseMessage, metadata: Any) -> list[tuple[str, Any]]:
        """The frames of one `messages` item."""
        key = str(message.id)
        out: list[tuple[str, Any]] = []
        if key not in self._so_far:
            out.append(("messages/metadata", {key: {"metadata": metadata}}))
        if isinstance(message, BaseMessageChunk):
            previous = self._so_far.get(key)
            added = message if not isinstance(previous, BaseMessageChunk) else previous + message
            self._so_far[key] = added
            out.append(("messages/partial", [message_chunk_to_message(added)]))
        else:
            self._so_far[key] = message
            out.append(("messages/complete", [message]))
        return out


def debug_data(payload: Any, stored_thread_id: str) -> Any:
    """A graph `debug` item with its `config` and `parent_config` reduced to what a client
    reads (`thread_id` as the Agent Protocol shows it, `checkpoint_ns`, `checkpoint_id`)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("payload"), dict):
        return payload
    inner = dict(payload["payload"])
    for name in ("config", "parent_config"):
        config = inner.get(name)
        if isinstance(config, dict):
            configurable = config.get("configurable") or {}
            inner[name] = {
                "configurable": {
                    "thread_id": shown_thread_id(stored_thread_id),
                    "checkpoint_ns": configurable.get("checkpoint_ns", ""),
                    "checkpoint_id": configurable.get("checkpoint_id"),
                }
            }
    return {**payload, "payload": inner}


HIDDEN_TAG = "langsmith:hidden"


class RunEvents(BaseCallbackHandler):
    """Writes the `events` frames of a run (see the module docstring)."""

    def __init__(self, emit: Emit) -> None:
        self._emit = emit
        self._lock = threading.Lock()
        self._runs: dict[UUID, tuple[str, list[str], dict[str, Any], list[str], str]] = {}
        """Run id -> (name, tags, metadata, parent ids, kind) of the runs under way."""

    def _start(
        self,
        kind: str,
        run_id: UUID,
        parent_run_id: UUID | None,
        name: str,
        tags: list[str] | None,
        metadata: dict[str, Any] | None,
        data: dict[str, Any],
    ) -> None:
        with self._lock:
            parent = self._runs.get(parent_run_id) if parent_run_id else None
            parents = [*parent[3], str(parent_run_id)] if parent else []
            self._runs[run_id] = (name, list(tags or []), dict(metadata or {}), parents, kind)
        self._send(f"on_{kind}_start", run_id, data)

    def _send(self, event: str, run_id: UUID, data: dict[str, Any], *, end: bool = False) -> None:
        with self._lock:
            known = self._runs.pop(run_id, None) if end else self._runs.get(run_id)
        if known is None:
            return
        name, tags, metadata, parents, _ = known
        if HIDDEN_TAG in tags:
            return
        self._emit(
            "events",
            {
                "event": event,
                "name": name,
                "run_id": str(run_id),
                "parent_ids": parents,
                "tags": tags,
                "metadata": metadata,
                "data": data,
            },
        )

    def on_chain_start(
        self,
        serialized: dict[str, Any] | None,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A graph, node or runnable starts: `on_chain_start` with its input."""
        name = kwargs.get("name") or _name(serialized, "chain")
        self._start("chain", run_id, parent_run_id, name, tags, metadata, {"input": inputs})

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """It ends: `on_chain_end` with its output."""
        self._send("on_chain_end", run_id, {"output": outputs}, end=True)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """It failed, or paused on an interrupt: forget it (no event, as in `astream_events`)."""
        with self._lock:
            self._runs.pop(run_id, None)

    def on_chat_model_start(
        self,
        serialized: dict[str, Any] | None,
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A model call starts: `on_chat_model_start` with its messages."""
        name = kwargs.get("name") or _name(serialized, "chat_model")
        data = {"input": {"messages": messages}}
        self._start("chat_model", run_id, parent_run_id, name, tags, metadata, data)

    def on_llm_new_token(
        self,
        token: str | list[str | dict[str, Any]],
        *,
        chunk: GenerationChunk | ChatGenerationChunk | None = None,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """A chunk of the model's answer: `on_chat_model_stream`."""
        message = getattr(chunk, "message", None)
        self._send("on_chat_model_stream", run_id, {"chunk": message or token})

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """The model call ends: `on_chat_model_end` with the message it returned."""
        generation = response.generations[0][0] if response.generations else None
        output = getattr(generation, "message", None) if generation is not None else None
        self._send("on_chat_model_end", run_id, {"output": output}, end=True)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """The model call failed: forget it."""
        self.on_chain_error(error, run_id=run_id)

    def on_tool_start(
        self,
        serialized: dict[str, Any] | None,
        input_str: str,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """A tool call starts: `on_tool_start` with its arguments."""
        name = kwargs.get("name") or _name(serialized, "tool")
        data = {"input": inputs if inputs is not None else input_str}
        self._start("tool", run_id, parent_run_id, name, tags, metadata, data)

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """The tool call ends: `on_tool_end` with its result."""
        self._send("on_tool_end", run_id, {"output": output}, end=True)

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """The tool call failed: forget it."""
        self.on_chain_error(error, run_id=run_id)

    def on_custom_event(
        self,
        name: str,
        data: Any,
        *,
        run_id: UUID,
        tags: list[str] | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """An event a runnable dispatched: `on_custom_event` named as it was."""
        self._emit(
            "events",
            {
                "event": "on_custom_event",
                "name": name,
                "run_id": str(run_id),
                "parent_ids": [],
                "tags": list(tags or []),
                "metadata": dict(metadata or {}),
                "data": data,
            },
        )


def _name(serialized: dict[str, Any] | None, default: str) -> str:
    if not serialized:
        return default
    return str(serialized.get("name") or (serialized.get("id") or [default])[-1])


_EVENTS: ContextVar[RunEvents | None] = ContextVar("stratigos_agent_run_events", default=None)
register_configure_hook(_EVENTS, True)


@contextlib.contextmanager
def events_for(emit: Emit) -> Iterator[None]:
    """Within the block, every LangChain run started in this context (and the runs under it)
    reports its events to a `RunEvents` writing through `emit`."""
    token = _EVENTS.set(RunEvents(emit))
    try:
        yield
    finally:
        _EVENTS.reset(token)
