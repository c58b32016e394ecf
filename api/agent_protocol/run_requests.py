"""What a run request (`POST .../runs`, `RunBody`) asks for: checked against what this server
does (422 naming the field otherwise), the graph it runs, its stream modes, and for the chat
assistant the turn it is: a user message or the answer to a pending approval."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from api.agent_protocol.assistants import CHAT_GRAPH, graph_of
from api.agent_protocol.chat_runs import GRAPH_MODES, STREAM_MODES
from api.errors import ApiError, validation_error
from api.human_interrupt import FIELD, checked_answer, decision
from api.schemas.agent_runs import RunBody
from services.problems import json_problems, validation_problems

if TYPE_CHECKING:
    from graphs.chat import ChatSession

UNSUPPORTED = (
    "interrupt_before",
    "interrupt_after",
    "webhook",
    "after_seconds",
    "feedback_keys",
)
"""Run options this server does not take (422 naming the one given)."""


def user_message(body: RunBody) -> tuple[str, str | None]:
    """The text and id of the one user message in `input.messages`."""
    messages = (body.input or {}).get("messages")
    if set(body.input or {}) - {"messages"} or not isinstance(messages, list) or len(messages) != 1:
        raise validation_error(
            "body.input.messages", "a list of exactly one user message, e.g. {'role': 'user', ...}"
        )
    from langchain_core.messages import HumanMessage, convert_to_messages

    refuse_text(messages[0], "body.input.messages.0")
    try:
        (message,) = convert_to_messages(messages)
    except ValidationError as exc:  # the message's fields (content, id, name) as its model has them
        field, problem = validation_problems(exc.errors())[0]
        raise validation_error(f"body.input.messages.0.{field}", problem) from None
    except (ValueError, TypeError, NotImplementedError):
        raise validation_error(
            "body.input.messages.0", "not a message: give {'role': 'user', 'content': text}"
        ) from None
    if not isinstance(message, HumanMessage) or not message.text.strip():
        raise validation_error("body.input.messages.0", "must be a non-empty user (human) message")
    if len(message.text) > 8000:
        raise validation_error("body.input.messages.0.content", "at most 8000 characters")
    return message.text, message.id


def refuse_text(given: Any, field: str) -> None:
    """422 naming each place of `given` (a user's message or answer, free-form in the schema,
    kept and shown as text) that holds text the API refuses (`json_problems`: a control or
    bidirectional character, as in any `/v1` body)."""
    found = json_problems(given, field)
    if found:
        message = "; ".join(f"{f}: {p}" for f, p in found[:3])
        raise ApiError(422, "VALIDATION_ERROR", f"invalid request: {message}", found)


def asked_checkpoint(body: RunBody) -> str | None:
    """The checkpoint a run names to start from (`checkpoint_id`, or `checkpoint.checkpoint_id`,
    as agent-chat-ui sends the thread's latest), or None; 422 for another shape. Whether it is
    the thread's latest (the only one a run starts from here) is the caller's check."""
    given = body.checkpoint_id
    field = "body.checkpoint_id"
    if given is None and body.checkpoint is not None:
        field = "body.checkpoint.checkpoint_id"
        given = body.checkpoint.get("checkpoint_id") if isinstance(body.checkpoint, dict) else 0
    if given is not None and not isinstance(given, str):
        raise validation_error(field, "a checkpoint id of the thread")
    return given


def stream_modes(body: RunBody) -> tuple[str, ...]:
    """The stream modes the run asks for (default `values`); 422 for one not served."""
    modes = [body.stream_mode] if isinstance(body.stream_mode, str) else body.stream_mode
    for mode in modes:
        if mode not in STREAM_MODES:
            raise validation_error(
                "body.stream_mode", f"{mode!r} is not supported: use {', '.join(STREAM_MODES)}"
            )
    return tuple(modes) or ("values",)


def checked_graph(body: RunBody) -> str:
    """Refuse what this server does not do, naming the field; the graph the run is of."""
    graph = graph_of(body.assistant_id)
    for name in UNSUPPORTED:
        if getattr(body, name) is not None:
            raise validation_error(f"body.{name}", "not supported by this server")
    if body.multitask_strategy not in (None, "reject"):
        raise validation_error(
            "body.multitask_strategy", "only reject: one run at a time per thread"
        )
    for name in ("config", "context"):
        value = getattr(body, name) or {}
        if any(value.values()):
            raise validation_error(f"body.{name}", "the assistant takes no configuration")
    if body.command is not None and body.input == {}:
        body.input = None  # agent-chat-ui (the JS SDK's useStream) sends {} beside a command
    if (body.input is None) == (body.command is None):
        raise validation_error("body.input", "give either input (a user message) or command")
    if body.command is not None and set(body.command) != {"resume"}:
        raise validation_error("body.command", "only resume is supported")
    if graph != CHAT_GRAPH:
        if body.command is not None:
            raise validation_error("body.command", "an optimization run has nothing to resume")
        if set(stream_modes(body)) - {"values", "updates", "custom"}:
            raise validation_error(
                "body.stream_mode", "an optimization run streams values, updates and custom"
            )
    return graph


def chat_turn(session: ChatSession, body: RunBody) -> Callable[[Callable[[Any], None]], Any]:
    """The chat turn `body` asks for: a user message (`input`) or the answer to the pending
    approval (`command.resume`, `api.human_interrupt.decision`: 409 when nothing is pending,
    422 for an answer the approval does not take or an invalid edit, `checked_answer`; a
    `response` is a user message: answered, the proposal then waits again). The graph streams the modes
    of `GRAPH_MODES` the run asks for besides its own."""
    modes = tuple(m for m in stream_modes(body) if m in GRAPH_MODES)
    if body.command is not None:
        refuse_text(body.command, "body.command")
        pending = session.pending()
        answer = decision(body.command["resume"], pending)
        if pending is None:
            raise ApiError(
                409,
                "CONFLICT",
                f"thread {session.thread_id} has no run awaiting approval",
                [("body.command.resume", "nothing pending")],
            )
        if answer.action == "respond":
            text = answer.text or ""

            def respond(on_chunk: Callable[[Any], None]) -> Any:
                return session.send(text, on_chunk=on_chunk, modes=modes)

            return respond
        checked_answer(pending, answer.action, answer.changes, f"{FIELD}.", f"{answer.field}.")

        def decide(on_chunk: Callable[[Any], None]) -> Any:
            return session.decide(
                answer.action, changes=answer.changes, on_chunk=on_chunk, modes=modes
            )

        return decide

    text, message_id = user_message(body)

    def send(on_chunk: Callable[[Any], None]) -> Any:
        return session.send(text, on_chunk=on_chunk, message_id=message_id, modes=modes)

    return send
