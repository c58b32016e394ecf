"""Chat Completions requests in, offline-model replies out (OpenAI's wire format).

`parse_chat_request` checks a ``POST /v1/chat/completions`` body and translates it into the
`ConverseCall` the local Bedrock endpoint's offline model takes (one translation target for both
endpoints): messages through `langchain_core.messages.convert_to_messages` (``system`` and
``developer`` -> `SystemMessage`, ``user`` -> `HumanMessage`, ``assistant`` with ``tool_calls``
-> `AIMessage`, ``tool`` -> `ToolMessage` named after its call), ``tools`` (``type: function``)
as they are, ``tool_choice`` ``none`` / ``auto`` / ``required`` / ``{"type": "function",
"function": {"name"}}`` -> no tools / ``"auto"`` / ``"any"`` / the name. A ``response_format``
``json_schema`` becomes one forced tool of the schema's name and parameters, so the offline model
answers it as it answers `with_structured_output`; the reply's arguments come back as the JSON
content. The role is picked by `identify_role` (model ``stratigos-offline-<role>``, else the
system prompt).

`completion` and `completion_chunks` render the reply as a ``chat.completion`` object or as
``chat.completion.chunk`` objects (text deltas, tool-call deltas with the id and name first and the
JSON arguments in pieces, a last chunk with the finish reason, and with
``stream_options.include_usage`` a usage chunk with no choices), as `openai.types.chat` defines
them. Errors are `OpenAIError`s carrying the HTTP status and OpenAI's error object.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    HumanMessage,
    SystemMessage,
    ToolMessage,
    convert_to_messages,
)

from devtools.local_bedrock.converse import BedrockError, ConverseCall, identify_role

ROLES = ("system", "developer", "user", "assistant", "tool")
"""Message roles accepted."""

PIECE_CHARS = 24
"""Characters per streamed text or argument delta."""


class OpenAIError(Exception):
    """An error answered in OpenAI's shape: HTTP `status` and ``{"error": {"message", "type",
    "param", "code"}}``."""

    def __init__(
        self,
        message: str,
        status: int = 400,
        error_type: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.error_type = error_type
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        """The response body."""
        return {
            "error": {
                "message": self.message,
                "type": self.error_type,
                "param": self.param,
                "code": self.code,
            }
        }


def from_bedrock_error(error: BedrockError) -> OpenAIError:
    """The OpenAI-shaped error for a `BedrockError` of the shared offline-model code."""
    if error.status == 404:
        return OpenAIError(error.message, 404, "invalid_request_error", "model", "model_not_found")
    if error.status >= 500 or error.status == 424:
        return OpenAIError(error.message, 500, "server_error")
    return OpenAIError(error.message, 400)


@dataclass(frozen=True)
class ChatRequest:
    """A checked Chat Completions request: the offline model's call and how to answer it."""

    call: ConverseCall
    model: str
    stream: bool
    include_usage: bool
    max_tokens: int | None
    schema_name: str | None
    """The response_format json_schema's name (the reply is its arguments as JSON), else None."""


def _text(content: Any, param: str) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") != "text":
                raise OpenAIError("only text content parts are supported", param=param)
            parts.append(str(part.get("text", "")))
        return "".join(parts)
    raise OpenAIError("content must be a string, an array of parts or null", param=param)


def _messages(raw: Any) -> list[BaseMessage]:
    if not isinstance(raw, list) or not raw:
        raise OpenAIError("messages must be a non-empty array", param="messages")
    cleaned: list[dict[str, Any]] = []
    for i, message in enumerate(raw):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            raise OpenAIError(
                f"messages[{i}].role must be one of {', '.join(ROLES)}", param=f"messages[{i}]"
            )
        item = {"role": message["role"], "content": _text(message.get("content"), f"messages[{i}]")}
        if message["role"] == "assistant" and message.get("tool_calls"):
            item["tool_calls"] = message["tool_calls"]
        if message["role"] == "tool":
            if not isinstance(message.get("tool_call_id"), str):
                raise OpenAIError("a tool message needs tool_call_id", param=f"messages[{i}]")
            item["tool_call_id"] = message["tool_call_id"]
        cleaned.append(item)
    try:
        messages = convert_to_messages(cleaned)
    except (ValueError, TypeError, KeyError) as exc:
        raise OpenAIError(f"invalid messages: {exc}", param="messages") from exc
    names = {call["id"]: call["name"] for m in messages if isinstance(m, AIMessage) for call in m.tool_calls}  # fmt: skip
    for message in messages:
        if isinstance(message, ToolMessage):
            message.name = names.get(message.tool_call_id)
        if isinstance(message, SystemMessage):
            message.additional_kwargs.pop("__openai_role__", None)
    return messages


def _tools(body: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    raw = body.get("tools") or []
    if not isinstance(raw, list):
        raise OpenAIError("tools must be an array", param="tools")
    tools: list[dict[str, Any]] = []
    for i, tool in enumerate(raw):
        function = tool.get("function") if isinstance(tool, dict) else None
        if tool.get("type") != "function" or not isinstance(function, dict) or not isinstance(function.get("name"), str):  # fmt: skip
            raise OpenAIError(
                "each tool must be {type: function, function: {name, ...}}", param=f"tools[{i}]"
            )
        tools.append({"type": "function", "function": dict(function)})
    names = [tool["function"]["name"] for tool in tools]
    choice = body.get("tool_choice")
    if not tools:
        if choice not in (None, "none", "auto"):
            raise OpenAIError("tool_choice needs tools", param="tool_choice")
        return [], None
    if choice is None or choice == "auto":
        return tools, "auto"
    if choice == "none":
        return [], None
    if choice == "required":
        return tools, "any"
    name = choice.get("function", {}).get("name") if isinstance(choice, dict) else None
    if name not in names:
        raise OpenAIError(
            f"tool_choice must be none, auto, required or a function among {names}",
            param="tool_choice",
        )
    return tools, name


def _response_format(body: dict[str, Any]) -> dict[str, Any] | None:
    response_format = body.get("response_format")
    if response_format is None or response_format == {"type": "text"}:
        return None
    spec = response_format.get("json_schema") if isinstance(response_format, dict) else None
    if response_format.get("type") != "json_schema" or not isinstance(spec, dict):
        raise OpenAIError(
            "response_format must be {type: text} or {type: json_schema, json_schema: {...}}",
            param="response_format",
        )
    if not isinstance(spec.get("name"), str) or not isinstance(spec.get("schema", {}), dict):
        raise OpenAIError("json_schema needs a name and a schema object", param="response_format")
    return spec


def parse_chat_request(body: Any) -> ChatRequest:
    """Check a Chat Completions body and translate it (see the module docstring).

    Raises OpenAIError (400 naming the parameter; 404 for an unknown ``stratigos-offline-*``
    model).
    """
    if not isinstance(body, dict):
        raise OpenAIError("the request body must be a JSON object")
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise OpenAIError("model is required", param="model")
    messages = _messages(body.get("messages"))
    tools, choice = _tools(body)
    spec = _response_format(body)
    if spec is not None:
        structured = {"name": spec["name"], "parameters": spec.get("schema", {})}
        if spec.get("description"):
            structured["description"] = spec["description"]
        tools, choice = [{"type": "function", "function": structured}], spec["name"]
    max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
    if max_tokens is not None and (not isinstance(max_tokens, int) or max_tokens < 1):
        raise OpenAIError("max_completion_tokens must be a positive integer", param="max_tokens")
    options = body.get("stream_options") or {}
    system = [m.text for m in messages if isinstance(m, SystemMessage)]
    try:
        role = identify_role(model, system)
    except BedrockError as error:
        raise from_bedrock_error(error) from error
    if not any(isinstance(m, HumanMessage | ToolMessage) for m in messages):
        raise OpenAIError("messages need a user or tool message", param="messages")
    call = ConverseCall(
        model_id=model, role=role, messages=messages, tools=tools, tool_choice=choice
    )
    return ChatRequest(
        call=call,
        model=model,
        stream=bool(body.get("stream")),
        include_usage=bool(isinstance(options, dict) and options.get("include_usage")),
        max_tokens=max_tokens,
        schema_name=spec["name"] if spec is not None else None,
    )


FINISH_REASONS = {"end_turn": "stop", "tool_use": "tool_calls", "max_tokens": "length"}
"""The shared stop reasons (Bedrock's words) as OpenAI finish reasons."""


def _usage(message: AIMessage) -> dict[str, int]:
    usage = message.usage_metadata or {"input_tokens": 0, "output_tokens": 0, "total_tokens": 0}
    return {
        "prompt_tokens": int(usage["input_tokens"]),
        "completion_tokens": int(usage["output_tokens"]),
        "total_tokens": int(usage["total_tokens"]),
    }


def as_structured(message: AIMessage, schema_name: str | None) -> AIMessage:
    """A reply to a response_format request: the forced tool call's arguments as JSON text."""
    if schema_name is None:
        return message
    args = next((c["args"] for c in message.tool_calls if c["name"] == schema_name), None)
    content = json.dumps(args, separators=(",", ":")) if args is not None else message.text
    return AIMessage(content=content, usage_metadata=message.usage_metadata)


def _tool_calls(message: AIMessage) -> list[dict[str, Any]]:
    return [
        {
            "id": call["id"] or f"call_{uuid.uuid4().hex[:24]}",
            "type": "function",
            "function": {"name": call["name"], "arguments": json.dumps(call["args"])},
        }
        for call in message.tool_calls
    ]


def completion(message: AIMessage, model: str, stop_reason: str) -> dict[str, Any]:
    """The ``chat.completion`` object for `message` (`stop_reason` in the shared words)."""
    reply: dict[str, Any] = {"role": "assistant", "content": message.text or None, "refusal": None}
    if message.tool_calls:
        reply["tool_calls"] = _tool_calls(message)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": reply,
                "finish_reason": FINISH_REASONS[stop_reason],
                "logprobs": None,
            }
        ],
        "usage": _usage(message),
    }


def _pieces(text: str) -> list[str]:
    return [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)]


def completion_chunks(
    message: AIMessage, model: str, stop_reason: str, include_usage: bool
) -> Iterator[dict[str, Any]]:
    """The ``chat.completion.chunk`` objects streaming `message` (see the module docstring)."""
    ident, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())

    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}
        return {"id": ident, "object": "chat.completion.chunk", "created": created,
                "model": model, "choices": [choice]}  # fmt: skip

    yield chunk({"role": "assistant", "content": ""})
    for piece in _pieces(message.text):
        yield chunk({"content": piece})
    for index, call in enumerate(_tool_calls(message)):
        function = call["function"]
        head = {"index": index, "id": call["id"], "type": "function",
                "function": {"name": function["name"], "arguments": ""}}  # fmt: skip
        yield chunk({"tool_calls": [head]})
        for piece in _pieces(function["arguments"]):
            yield chunk({"tool_calls": [{"index": index, "function": {"arguments": piece}}]})
    yield chunk({}, FINISH_REASONS[stop_reason])
    if include_usage:
        yield {"id": ident, "object": "chat.completion.chunk", "created": created,
               "model": model, "choices": [], "usage": _usage(message)}  # fmt: skip


__all__ = [
    "FINISH_REASONS",
    "ChatRequest",
    "OpenAIError",
    "as_structured",
    "completion",
    "completion_chunks",
    "from_bedrock_error",
    "parse_chat_request",
]
