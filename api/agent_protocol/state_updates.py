"""What a client may write to a chat thread's state (`POST /threads/{id}/state`): messages only,
a user's or the assistant's text (an edit of one of the thread's messages keeps its id; a new
id is appended). Tool calls, tool results and the assistant's own keys (its drafts, approvals,
portfolios) are written by the graph alone: a client that could write them could forge an
approval or a result."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from api.agent_protocol.run_requests import refuse_text
from api.errors import validation_error
from services.problems import validation_problems

UPDATABLE = ("messages",)
"""The state keys a client may write."""
MAX_MESSAGES = 50
MAX_TEXT = 8000
"""Most characters of one message's text (as a run's user message)."""


def state_update(values: dict[str, Any]) -> dict[str, Any]:
    """The state update `values` asks for, as LangChain messages; 422 naming the field of
    anything this server does not write (`body.values.<key>`, `body.values.messages.<i>...`)."""
    refuse_text(values, "body.values")
    for key in values:
        if key not in UPDATABLE:
            raise validation_error(
                f"body.values.{key}", f"not updatable: a client writes {', '.join(UPDATABLE)}"
            )
    given = values.get("messages")
    if not isinstance(given, list) or not 1 <= len(given) <= MAX_MESSAGES:
        raise validation_error("body.values.messages", f"a list of 1 to {MAX_MESSAGES} messages")
    return {"messages": [_message(m, f"body.values.messages.{i}") for i, m in enumerate(given)]}


def _message(given: Any, field: str) -> Any:
    from langchain_core.messages import AIMessage, HumanMessage, convert_to_messages

    try:
        (message,) = convert_to_messages([given])
    except ValidationError as exc:
        inner, problem = validation_problems(exc.errors())[0]
        raise validation_error(f"{field}.{inner}", problem) from None
    except (ValueError, TypeError, NotImplementedError):
        raise validation_error(
            field, "not a message: give {'role': 'user', 'content': text}"
        ) from None
    if not isinstance(message, HumanMessage | AIMessage) or (
        isinstance(message, AIMessage) and (message.tool_calls or message.invalid_tool_calls)
    ):
        raise validation_error(field, "a user or assistant message with text, no tool calls")
    if not message.text.strip() or len(message.text) > MAX_TEXT:
        raise validation_error(f"{field}.content", f"text of 1 to {MAX_TEXT} characters")
    return message
