"""Calling the offline model for a parsed call (whole, or as streamed chunks).

A request for native structured output (``outputConfig.textFormat``) is answered with the JSON
text of the offline model's decision: the schema is bound as a forced tool, and the tool call's
arguments become the reply's text."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
)

import agents.offline.workflow_policies  # noqa: F401  (registers the workflow and chat rules)
from agents.offline.model import OfflineChatModel, estimate_tokens
from devtools.local_bedrock.converse.call import BedrockError, ConverseCall


def _runnable(call: ConverseCall) -> Any:
    model = OfflineChatModel(role=call.role)
    if not call.tools:
        return model
    return model.bind_tools(call.tools, tool_choice=call.tool_choice)


def _model_error(exc: Exception, call: ConverseCall) -> BedrockError:
    return BedrockError(
        "ModelErrorException", f"offline model of role {call.role!r} failed: {exc}", 424
    )


def _as_text_decision(call: ConverseCall, text_format: dict[str, Any]) -> AIMessage:
    definition = text_format["structure"]["jsonSchema"]
    name = str(definition.get("name") or "output_schema")
    tool = {
        "type": "function",
        "function": {
            "name": name,
            "description": str(definition.get("description") or name),
            "parameters": json.loads(definition["schema"]),
        },
    }
    forced = dataclasses.replace(call, tools=[tool], tool_choice=name)
    message = _runnable(forced).invoke(call.messages)
    text = json.dumps(message.tool_calls[0]["args"]) if message.tool_calls else message.text
    usage = message.usage_metadata or {"input_tokens": 1}
    output = estimate_tokens(text)
    return AIMessage(
        content=text,
        usage_metadata={
            "input_tokens": usage["input_tokens"],
            "output_tokens": output,
            "total_tokens": usage["input_tokens"] + output,
        },
    )


def offline_reply(call: ConverseCall, text_format: dict[str, Any] | None = None) -> AIMessage:
    """The offline model's reply to `call` (its role, tools and tool choice bound; with
    `text_format`, its decision as JSON text)."""
    try:
        if text_format is not None:
            return _as_text_decision(call, text_format)
        message = _runnable(call).invoke(call.messages)
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        raise _model_error(exc, call) from exc
    if not isinstance(message, AIMessage):  # pragma: no cover - the model returns AIMessages
        raise BedrockError("InternalServerException", "the offline model gave no message", 500)
    return message


def offline_chunks(
    call: ConverseCall, text_format: dict[str, Any] | None = None
) -> list[AIMessageChunk]:
    """The offline model's streamed reply to `call`, as the list of its chunks."""
    if text_format is not None:
        whole = offline_reply(call, text_format)
        return [AIMessageChunk(content=whole.text, usage_metadata=whole.usage_metadata)]
    try:
        return list(_runnable(call).stream(call.messages))
    except (ValueError, KeyError, TypeError) as exc:
        raise _model_error(exc, call) from exc
