"""A parsed Converse call and the errors the endpoint answers with (Bedrock's types and HTTP
statuses)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from langchain_core.messages import (
    BaseMessage,
)

import agents.offline.workflow_policies  # noqa: F401  (registers the workflow and chat rules)

OFFLINE_MODEL_PREFIX = "stratigos-offline-"
"""A model id ``stratigos-offline-<role>`` selects the role directly."""


FALLBACK_ROLE = "supervisor"
"""The role that answers when neither the model id nor the system prompt names one."""


_TOOL_NAME = re.compile(r"[a-zA-Z0-9_-]{1,64}")


class BedrockError(Exception):
    """An error answered in Bedrock's shape: HTTP `status`, `error_type` (the
    ``x-amzn-ErrorType`` header) and a ``{"message": ...}`` body."""

    def __init__(self, error_type: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.status = status


MODEL_ERRORS = "The model returned the following errors: "
"""How Bedrock starts the message of a request the model itself refused."""


def _invalid(message: str) -> BedrockError:
    return BedrockError("ValidationException", message, 400)


@dataclass(frozen=True)
class ConverseCall:
    """A checked Converse request, ready for the offline model.

    `tools` are OpenAI-format schemas; `tool_choice` is ``None`` (no tools), ``"auto"``,
    ``"any"`` or a tool name; `inference_config` is kept for reference only.
    """

    model_id: str
    role: str
    messages: list[BaseMessage]
    tools: list[dict[str, Any]] = field(default_factory=list)
    tool_choice: str | None = None
    inference_config: dict[str, Any] = field(default_factory=dict)
