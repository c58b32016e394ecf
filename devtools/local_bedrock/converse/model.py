"""Calling the offline model for a parsed call (whole, or as streamed chunks)."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
)

import agents.offline.workflow_policies  # noqa: F401  (registers the workflow and chat rules)
from agents.offline.model import OfflineChatModel
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


def offline_reply(call: ConverseCall) -> AIMessage:
    """The offline model's reply to `call` (its role, tools and tool choice bound)."""
    try:
        message = _runnable(call).invoke(call.messages)
    except (ValueError, KeyError, TypeError) as exc:
        raise _model_error(exc, call) from exc
    if not isinstance(message, AIMessage):  # pragma: no cover - the model returns AIMessages
        raise BedrockError("InternalServerException", "the offline model gave no message", 500)
    return message


def offline_chunks(call: ConverseCall) -> list[AIMessageChunk]:
    """The offline model's streamed reply to `call`, as the list of its chunks."""
    try:
        return list(_runnable(call).stream(call.messages))
    except (ValueError, KeyError, TypeError) as exc:
        raise _model_error(exc, call) from exc
