"""`TraceRecorder`: LangGraph stream items and the driver's calls turned into a run's
sequence-numbered trace events (see the `traces` package docstring for where events come from)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage, ToolMessage
from pydantic import (
    ValidationError,
)

from prompts.roles import AgentRole
from traces.jsonl import check_sequence
from traces.running_nodes import RunningNodes, as_role
from traces.schema import DATA_MODELS, EventType, RunStatus, TraceEvent
from traces.text import REASONING_MAX_CHARS, message_reasoning, message_text, summarize


def _now() -> datetime:
    return datetime.now(UTC)


def _parents(namespace: Iterable[str]) -> tuple[str, ...]:
    """Subgraph namespace ("outer:<task id>", "inner:<task id>") -> ("outer", "inner")."""
    return tuple(part.split(":", 1)[0] for part in namespace if part)


@dataclass
class _PendingCall:
    name: str | None = None
    call_id: str | None = None
    args: str = ""


@dataclass
class _PendingMessage:
    key: tuple[tuple[str, ...], str | None]
    agent: AgentRole | None
    calls: dict[Any, _PendingCall] = field(default_factory=dict)
    message_id: str | None = None
    thinking: list[str] | None = None
    redacted: bool = False


class TraceRecorder:
    """Turns LangGraph stream items into sequence-numbered `TraceEvent`s for one run.

    Feed it the items of `graph.(a)stream(..., stream_mode=["updates", "messages", "custom"],
    subgraphs=True)` one by one (`events_from_chunk`) or wrap the whole stream (`record`,
    `arecord`). Rules (see docs/trace-events.md):

    * `node_started` is emitted once per node execution, at the first sign of it: a custom
      `{"type": "node_started"}` dict written by the node, its first streamed message, its
      first custom progress/warning naming it, or at the latest just before its `node_finished`.
    * `node_finished` is emitted for each `updates` entry (one per node execution).
    * `message_delta` for every non-empty text chunk, as it streams.
    * `reasoning` for a message's thinking (its text cut to 1,000 characters, its full size),
      never as its text: a whole message's first, a streamed message's when it completes,
      before its tool calls.
    * `tool_call` once a call is complete: streamed `tool_call_chunks` are accumulated per
      message and index, and emitted when the message's last chunk arrives
      (`chunk_position="last"`), when another message starts in the same node, when the node's
      update arrives, or on `flush()` — whichever comes first. A call whose arguments are not a
      JSON object becomes a `warning` (code "invalid_tool_call") instead.
    * `tool_result` for each `ToolMessage` (summary ≤ 500 characters; `is_error` from
      `status == "error"`).
    * `__interrupt__` updates produce no event; their values are collected in `interrupts`
      for the driver's `run_finished(status="interrupted")`.

    `seq` numbers continue from `start_seq` (use `TraceRecorder.resume` to continue a stored
    trace). `node_agents` maps node names to agents for nodes whose stream items carry no
    agent; a node named like a role is that agent.
    """

    def __init__(
        self,
        run_id: str,
        start_seq: int = 1,
        *,
        node_agents: Mapping[str, AgentRole] | None = None,
        messages_from_updates: bool = False,
        clock: Callable[[], datetime] = _now,
    ) -> None:
        if not run_id:
            raise ValueError("run_id must be a non-empty string")
        if start_seq < 1:
            raise ValueError(f"start_seq must be >= 1, got {start_seq}")
        self.run_id = run_id
        self.start_seq = start_seq
        self._next_seq = start_seq
        self._nodes = RunningNodes(node_agents)
        self._messages_from_updates = messages_from_updates
        self._clock = clock
        self._pending: dict[str, _PendingMessage] = {}
        self._seen_messages: set[str] = set()
        self._emitted_calls: set[str] = set()
        self._emitted_results: set[str] = set()
        self._call_names: dict[str, str] = {}
        self.interrupts: list[Any] = []
        """Values of the interrupts seen in `updates` (LangGraph `Interrupt` objects)."""

    # ---------------------------------------------------------------- construction helpers

    @classmethod
    def resume(cls, events: Iterable[TraceEvent], **kwargs: Any) -> TraceRecorder:
        """A recorder continuing a stored trace: next seq = last seq + 1, same run id.

        Messages already in the trace are not emitted again; with `messages_from_updates`, nor
        are tool calls and results whose call ids are in it. (In `messages` mode a node that
        runs again after the resume calls its tools again, and the trace shows it.)
        """
        events = list(events)
        if not events:
            raise ValueError("cannot resume from an empty trace; create a new TraceRecorder")
        check_sequence(events, start_seq=events[0].seq)
        recorder = cls(events[-1].run_id, start_seq=events[-1].seq + 1, **kwargs)
        recorder._know(events)
        return recorder

    @classmethod
    def resume_after(
        cls, previous: TraceRecorder, events: Iterable[TraceEvent], **kwargs: Any
    ) -> TraceRecorder:
        """A recorder continuing the stored trace `previous` was resumed from, after `events`,
        the events appended to it since (they go on from `previous.next_seq`, in its run): the
        same recorder as `resume` of the whole trace; `previous` is left as it was."""
        events = list(events)
        check_sequence(events, start_seq=previous.next_seq)
        if events and events[0].run_id != previous.run_id:
            raise ValueError(
                f"event seq {events[0].seq} belongs to run {events[0].run_id!r}, "
                f"not {previous.run_id!r}"
            )
        last_seq = events[-1].seq if events else previous.last_seq
        recorder = cls(previous.run_id, start_seq=last_seq + 1, **kwargs)
        recorder._seen_messages.update(previous._seen_messages)
        recorder._emitted_calls.update(previous._emitted_calls)
        recorder._call_names.update(previous._call_names)
        recorder._emitted_results.update(previous._emitted_results)
        recorder._know(events)
        return recorder

    def _know(self, events: Iterable[TraceEvent]) -> None:
        """Take in the messages, tool calls and results of stored `events`, which are not
        emitted again."""
        for event in events:
            if event.type in ("message_delta", "reasoning") and event.data.get("message_id"):
                self._seen_messages.add(event.data["message_id"])
            elif event.type == "tool_call" and event.data.get("call_id"):
                self._emitted_calls.add(event.data["call_id"])
                self._call_names[event.data["call_id"]] = event.data["tool"]
            elif event.type == "tool_result" and event.data.get("call_id"):
                self._emitted_results.add(event.data["call_id"])

    @property
    def next_seq(self) -> int:
        """The seq the next event will get."""
        return self._next_seq

    @property
    def last_seq(self) -> int:
        """The seq of the last event emitted (start_seq - 1 before any)."""
        return self._next_seq - 1

    # ---------------------------------------------------------------- event factory

    def _event(
        self,
        type_: EventType,
        data: Mapping[str, Any] | None = None,
        *,
        node: str | None = None,
        agent: AgentRole | None = None,
    ) -> TraceEvent:
        event = TraceEvent(
            run_id=self.run_id,
            seq=self._next_seq,
            ts=self._clock(),
            type=type_,
            node=node,
            agent=agent,
            data=dict(data or {}),
        )
        self._next_seq += 1  # only after validation succeeded: no gaps
        return event

    def run_started(
        self, graph: str, *, request_hash: str | None = None, resumed: bool | None = None
    ) -> TraceEvent:
        """The first event of a run (or of a resumed run: `resumed` defaults to start_seq > 1)."""
        if resumed is None:
            resumed = self.start_seq > 1
        return self._event(
            "run_started", {"graph": graph, "request_hash": request_hash, "resumed": resumed}
        )

    def run_finished(
        self, status: RunStatus, *, result_id: str | None = None, reason: str | None = None
    ) -> list[TraceEvent]:
        """Flush pending tool calls, then the final `run_finished` event (last in the list)."""
        events = self.flush()
        events.append(
            self._event(
                "run_finished", {"status": status, "result_id": result_id, "reason": reason}
            )
        )
        return events

    def warning(
        self,
        message: str,
        code: str | None = None,
        *,
        node: str | None = None,
        agent: AgentRole | None = None,
    ) -> TraceEvent:
        """A warning raised by the driver (outside the graph's stream)."""
        return self._event("warning", {"message": message, "code": code}, node=node, agent=agent)

    def error(
        self,
        message: str | BaseException,
        code: str | None = None,
        *,
        node: str | None = None,
        agent: AgentRole | None = None,
    ) -> TraceEvent:
        """An error seen by the driver; an exception gives its message and class name as code."""
        if isinstance(message, BaseException):
            code = code or type(message).__name__
            message = str(message) or type(message).__name__
        return self._event("error", {"message": message, "code": code}, node=node, agent=agent)

    # ---------------------------------------------------------------- stream conversion

    def record(self, stream: Iterable[Any]) -> Iterator[TraceEvent]:
        """Events of a whole synchronous stream, flushed at its end (no run_started/finished)."""
        for chunk in stream:
            yield from self.events_from_chunk(chunk)
        yield from self.flush()

    async def arecord(self, stream: AsyncIterable[Any]) -> AsyncIterator[TraceEvent]:
        """Events of a whole asynchronous stream, flushed at its end (no run_started/finished)."""
        async for chunk in stream:
            for event in self.events_from_chunk(chunk):
                yield event
        for event in self.flush():
            yield event

    def flush(self) -> list[TraceEvent]:
        """Emit the tool calls of messages still streaming (call at the end of a stream)."""
        events: list[TraceEvent] = []
        for message_id in list(self._pending):
            events.extend(self._complete(message_id))
        return events

    def events_from_chunk(self, chunk: Any) -> list[TraceEvent]:
        """Events for one stream item; items of unknown modes give none.

        Accepted shapes: `(namespace, mode, payload)` (list of modes with subgraphs),
        `(mode, payload)` (list of modes) and `{"type": mode, "ns": ..., "data": payload}` (v2).
        """
        namespace: tuple[str, ...]
        if isinstance(chunk, dict) and "type" in chunk and "data" in chunk:
            namespace, mode, payload = tuple(chunk.get("ns") or ()), chunk["type"], chunk["data"]
        elif isinstance(chunk, tuple) and len(chunk) == 3:
            namespace, mode, payload = tuple(chunk[0]), chunk[1], chunk[2]
        elif isinstance(chunk, tuple) and len(chunk) == 2 and isinstance(chunk[0], str):
            namespace, mode, payload = (), chunk[0], chunk[1]
        else:
            raise TypeError(
                "expected a stream item (namespace, mode, payload) or (mode, payload) from "
                'stream_mode=["updates", "messages", "custom"]; got ' + type(chunk).__name__
            )
        parents = _parents(namespace)
        if mode == "messages":
            message, metadata = payload
            return self._on_message(parents, message, metadata or {})
        if mode == "updates":
            return self._on_updates(parents, payload)
        if mode == "custom":
            return self._on_custom(parents, payload)
        return []

    # ---------------------------------------------------------------- nodes

    def _ensure_open(
        self,
        parents: tuple[str, ...],
        node: str,
        agent: AgentRole | None,
        task: object = None,
    ) -> list[TraceEvent]:
        """`node_started` for each execution `RunningNodes.start` starts (the node's and its
        enclosing subgraph nodes', outermost first; none when already running). `task`: the
        execution's task id, if a string (a stream item's, unchecked)."""
        task_id = task if isinstance(task, str) else None
        return [
            self._event("node_started", {"parents": list(where)}, node=name, agent=agent_)
            for where, name, agent_ in self._nodes.start(parents, node, agent, task_id)
        ]

    # ---------------------------------------------------------------- messages

    def _on_message(
        self, parents: tuple[str, ...], message: Any, metadata: Mapping[str, Any]
    ) -> list[TraceEvent]:
        if not isinstance(message, BaseMessage):
            return []
        node = metadata.get("langgraph_node")
        node = node if isinstance(node, str) else None
        agent = self._nodes.agent_for(parents, node, metadata.get("agent"))
        task = metadata.get("langgraph_checkpoint_ns")
        events = [] if node is None else self._ensure_open(parents, node, agent, task)
        if isinstance(message, AIMessageChunk):
            events += self._on_ai_chunk(parents, node, agent, message)
        elif isinstance(message, AIMessage):
            events += self._on_ai_message(node, agent, message)
        elif isinstance(message, ToolMessage):
            events += self._on_tool_message(node, agent, message)
        return events

    def _on_ai_chunk(
        self,
        parents: tuple[str, ...],
        node: str | None,
        agent: AgentRole | None,
        chunk: AIMessageChunk,
    ) -> list[TraceEvent]:
        events: list[TraceEvent] = []
        message_id = chunk.id or f"anon:{parents}:{node}"
        if message_id not in self._pending:
            # A new message in this node completes the node's earlier ones.
            for other_id, other in list(self._pending.items()):
                if other.key == (parents, node):
                    events += self._complete(other_id)
            self._pending[message_id] = _PendingMessage(
                key=(parents, node), agent=agent, message_id=chunk.id
            )
        self._seen_messages.add(message_id)
        text = message_text(chunk.content)
        if text:
            events.append(
                self._event(
                    "message_delta", {"text": text, "message_id": chunk.id}, node=node, agent=agent
                )
            )
        pending = self._pending[message_id]
        thinking = message_reasoning(chunk.content)
        if thinking is not None:
            pending.thinking = [*(pending.thinking or []), thinking[0]]
            pending.redacted = pending.redacted or thinking[1]
        for piece in chunk.tool_call_chunks or []:
            index: Any = piece.get("index")
            if index is None:
                index = piece.get("id") or (list(pending.calls)[-1] if pending.calls else 0)
            call = pending.calls.setdefault(index, _PendingCall())
            if piece.get("name") and not call.name:
                call.name = piece["name"]
            if piece.get("id") and not call.call_id:
                call.call_id = piece["id"]
            args_piece = piece.get("args")
            if args_piece:
                call.args += args_piece
        if getattr(chunk, "chunk_position", None) == "last":
            events += self._complete(message_id)
        return events

    def _complete(self, message_id: str) -> list[TraceEvent]:
        pending = self._pending.pop(message_id, None)
        if pending is None:
            return []
        _, node = pending.key
        events: list[TraceEvent] = []
        if pending.thinking is not None:
            thinking = ("".join(pending.thinking), pending.redacted)
            events.append(self._reasoning(node, pending.agent, thinking, pending.message_id))
        for call in pending.calls.values():
            raw = call.args.strip()
            try:
                args = json.loads(raw) if raw else {}
            except json.JSONDecodeError:
                args = None
            if not call.name or not isinstance(args, dict):
                problem = "no tool name" if not call.name else "arguments are not a JSON object"
                message = (
                    f"model produced an invalid tool call "
                    f"{call.name or '?'}({summarize(raw, 200)}): {problem}"
                )
                events.append(
                    self.warning(message, "invalid_tool_call", node=node, agent=pending.agent)
                )
                continue
            events += self._tool_call(node, pending.agent, call.name, args, call.call_id)
        return events

    def _tool_call(
        self,
        node: str | None,
        agent: AgentRole | None,
        tool: str,
        args: dict[str, Any],
        call_id: str | None,
        dedupe: bool = False,
    ) -> list[TraceEvent]:
        if call_id is not None:
            if dedupe and call_id in self._emitted_calls:
                return []
            self._emitted_calls.add(call_id)
            self._call_names[call_id] = tool
        return [
            self._event(
                "tool_call",
                {"tool": tool, "args": args, "call_id": call_id},
                node=node,
                agent=agent,
            )
        ]

    def _on_ai_message(
        self, node: str | None, agent: AgentRole | None, message: AIMessage, dedupe: bool = False
    ) -> list[TraceEvent]:
        """A whole (not streamed) AI message: its text as one delta, then its tool calls.

        A message id is emitted once. With `dedupe` (messages found in `updates`, which may
        repeat earlier history), tool calls already in the trace are skipped too."""
        if message.id is not None:
            if message.id in self._seen_messages:
                return []
            self._seen_messages.add(message.id)
        events: list[TraceEvent] = []
        thinking = message_reasoning(message.content)
        if thinking is not None:
            events.append(self._reasoning(node, agent, thinking, message.id))
        text = message_text(message.content)
        if text:
            events.append(
                self._event(
                    "message_delta",
                    {"text": text, "message_id": message.id},
                    node=node,
                    agent=agent,
                )
            )
        for call in message.tool_calls:
            events += self._tool_call(
                node, agent, call["name"], dict(call["args"]), call.get("id"), dedupe
            )
        return events

    def _reasoning(
        self,
        node: str | None,
        agent: AgentRole | None,
        thinking: tuple[str, bool],
        message_id: str | None,
    ) -> TraceEvent:
        """The `reasoning` event of a message's thinking (text cut, full size, redacted)."""
        text, redacted = thinking
        data = {
            "text": summarize(text, REASONING_MAX_CHARS) if text else "",
            "chars": len(text),
            "redacted": redacted,
            "message_id": message_id,
        }
        return self._event("reasoning", data, node=node, agent=agent)

    def _on_tool_message(
        self, node: str | None, agent: AgentRole | None, message: ToolMessage, dedupe: bool = False
    ) -> list[TraceEvent]:
        """A tool's answer. Each message id once; with `dedupe` (from `updates`), each call id."""
        call_id = message.tool_call_id
        if message.id is not None:
            if message.id in self._seen_messages:
                return []
            self._seen_messages.add(message.id)
        if dedupe and call_id in self._emitted_results:
            return []
        self._emitted_results.add(call_id)
        tool = message.name or self._call_names.get(call_id)
        return [
            self._event(
                "tool_result",
                {
                    "tool": tool,
                    "call_id": call_id,
                    "summary": summarize(message.content),
                    "is_error": message.status == "error",
                },
                node=node,
                agent=agent,
            )
        ]

    # ---------------------------------------------------------------- updates

    def _on_updates(self, parents: tuple[str, ...], payload: Any) -> list[TraceEvent]:
        if not isinstance(payload, Mapping):
            return []
        events: list[TraceEvent] = []
        for node, update in payload.items():
            if node == "__interrupt__":
                self.interrupts.extend(update if isinstance(update, list | tuple) else [update])
                continue
            if not isinstance(node, str) or node.startswith("__"):
                continue
            agent = self._nodes.agent_for(parents, node)
            for message_id, pending in list(self._pending.items()):
                if pending.key == (parents, node):
                    events += self._complete(message_id)
            events += self._ensure_open(parents, node, agent)
            agent = self._nodes.agent_of(parents, node)
            if self._messages_from_updates:
                for message in _messages_in(update):
                    if isinstance(message, AIMessage):
                        events += self._on_ai_message(node, agent, message, dedupe=True)
                    elif isinstance(message, ToolMessage):
                        events += self._on_tool_message(node, agent, message, dedupe=True)
            keys = sorted(str(k) for k in update) if isinstance(update, Mapping) else []
            self._nodes.finish(parents, node)
            events.append(
                self._event(
                    "node_finished",
                    {"parents": list(parents), "keys": keys},
                    node=node,
                    agent=agent,
                )
            )
        return events

    # ---------------------------------------------------------------- custom

    def _on_custom(self, parents: tuple[str, ...], payload: Any) -> list[TraceEvent]:
        if not isinstance(payload, Mapping):
            return []
        kind = payload.get("type")
        if kind not in ("node_started", "progress", "warning", "error"):
            return []  # other custom data is not part of the trace
        node = payload.get("node")
        node = node if isinstance(node, str) and node else None
        if node is None and kind != "node_started":
            node = self._nodes.current(parents)
        if node is None:
            if kind == "node_started":
                return [self.warning("node_started event without a node name", "bad_event")]
            agent = as_role(payload.get("agent"))
        else:
            agent = self._nodes.agent_for(parents, node, payload.get("agent"))
        task = payload.get("task")
        events = [] if node is None else self._ensure_open(parents, node, agent, task)
        if kind == "node_started":
            return events
        fields = DATA_MODELS[kind].model_fields
        data = {k: v for k, v in payload.items() if k in fields}
        try:
            events.append(self._event(kind, data, node=node, agent=agent))
        except ValidationError as exc:
            detail = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'][1:]) or 'data'}: {err['msg']}"
                for err in exc.errors()
            )
            message = f"invalid {kind} event from node {node}: {detail}"
            events.append(self.warning(message, "bad_event", node=node, agent=agent))
        return events


def _messages_in(update: Any) -> list[BaseMessage]:
    if isinstance(update, BaseMessage):
        return [update]
    if isinstance(update, Mapping):
        out: list[BaseMessage] = []
        for value in update.values():
            out.extend(_messages_in(value))
        return out
    if isinstance(update, list | tuple):
        return [m for m in update if isinstance(m, BaseMessage)]
    return []
