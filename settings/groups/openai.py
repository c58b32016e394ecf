"""Chat models on an OpenAI-compatible server (`STRATIGOS_OPENAI_*`)."""

from __future__ import annotations

import os
from typing import ClassVar, Literal

from pydantic import Field, SecretStr, field_validator

from settings.fields import SettingsGroup

OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
"""Where `openai` calls go when `openai_base_url` is unset."""
OPENAI_PLACEHOLDER_KEY = "not-needed"
"""The API key sent to a server that needs none (the openai client refuses an empty key)."""


class OpenAISettings(SettingsGroup):
    """The OpenAI-compatible server (vLLM, Ollama, llama.cpp, LM Studio, OpenAI) and its models."""

    env_prefix: ClassVar[str] = "STRATIGOS_OPENAI_"

    base_url: str | None = Field(
        default=None,
        description="Base URL of the OpenAI-compatible server, ending in /v1 (e.g. "
        "http://127.0.0.1:11434/v1 for Ollama); unset: OpenAI's https://api.openai.com/v1.",
    )
    api_key: SecretStr | None = Field(
        default=None,
        description="API key sent as a bearer token (never logged); unset: the OPENAI_API_KEY "
        "environment variable, else a placeholder (local servers need none).",
    )
    strong_model: str = Field(
        default="gpt-4.1", description="Model for the optimizer and explanation agents."
    )
    fast_model: str = Field(
        default="gpt-4.1-mini",
        description="Model for routing (supervisor), market analysis and the risk manager.",
    )
    models: dict[str, str] = Field(
        default_factory=dict, description='Per-role overrides, e.g. {"explanation": "qwen3:8b"}.'
    )
    timeout: float = Field(default=120.0, gt=0, description="Seconds per call.")
    max_retries: int = Field(
        default=2, ge=0, le=10, description="Retries of a failed call (429, 5xx, connection)."
    )
    streaming: bool = Field(
        default=True, description="Stream replies (SSE) when the graph streams; false never does."
    )
    max_tokens: int = Field(
        default=4096, ge=1, le=200_000, description="Most output tokens per model call."
    )
    structured_output: Literal["function_calling", "json_schema"] = Field(
        default="function_calling",
        description="How agents ask for a decision: a forced tool call (non-strict; every server "
        "with tool calling) or response_format json_schema (strict structured output).",
    )

    @field_validator("base_url", mode="after")
    @classmethod
    def _http(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        return value

    def resolved_api_key(self) -> SecretStr | None:
        """`api_key`, else the OPENAI_API_KEY environment variable, else None."""
        if self.api_key is not None and self.api_key.get_secret_value():
            return self.api_key
        key = os.environ.get("OPENAI_API_KEY")
        return SecretStr(key) if key else None
