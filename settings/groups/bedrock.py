"""Chat models on Amazon Bedrock (`STRATIGOS_BEDROCK_*`)."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import Field

from settings.fields import SettingsGroup
from settings.model_catalog import model_catalog

_CATALOG = model_catalog()


class BedrockSettings(SettingsGroup):
    """The Bedrock Runtime endpoint, the agents' models on it and how they are called."""

    env_prefix: ClassVar[str] = "STRATIGOS_BEDROCK_"

    region: str = "us-east-1"
    endpoint_url: str | None = Field(
        default=None, description="Override the Bedrock Runtime endpoint (e.g. a local one)."
    )
    strong_model_id: str = Field(
        default=_CATALOG.default_id("strong"),
        description="Model for the optimizer and explanation agents (an id of the model "
        "catalog, settings/model_catalog.toml).",
    )
    fast_model_id: str = Field(
        default=_CATALOG.default_id("fast"),
        description="Model for routing (supervisor), market analysis and the risk manager.",
    )
    model_ids: dict[str, str] = Field(
        default_factory=dict, description='Per-role overrides, e.g. {"explanation": "..."}.'
    )
    max_attempts: int = Field(
        default=3, ge=1, le=10, description="Attempts per Bedrock call, the first included."
    )
    retry_mode: Literal["adaptive", "standard"] = Field(
        default="adaptive",
        description="botocore's retry mode: adaptive (exponential backoff and client-side rate "
        "limiting that slows down when Bedrock throttles) or standard (backoff only).",
    )
    fallback_model_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Models a call falls over to when its own stays throttled, by tier or role, "
        'e.g. {"strong": "us.anthropic.claude-opus-5-5", "fast": "..."} (after the global '
        "inference profile of the configured model).",
    )
    streaming: bool = Field(
        default=True,
        description="Use ConverseStream where langchain-aws streams the model family; false "
        "sends every call as plain Converse.",
    )
    read_timeout: float = Field(default=120.0, gt=0, description="Seconds per call.")
    max_tokens: int = Field(
        default=4096,
        ge=1,
        description="Most output tokens per model call; at most the model's own limit (the "
        "model catalog's max_output_tokens, checked at start-up).",
    )
    max_tokens_by_role: dict[str, int] = Field(
        default_factory=dict,
        description='Per-role output-token limits, e.g. {"explanation": 2048}.',
    )
    guardrail_id: str | None = Field(
        default=None, description="A Bedrock guardrail applied to every call (id or ARN)."
    )
    guardrail_version: str = Field(
        default="DRAFT", description="The guardrail's version (with bedrock_guardrail_id)."
    )
    prompt_caching: bool = Field(
        default=True,
        description="Put cache points after each agent's system prompt and tool definitions, on "
        "models that cache those fields (the model catalog); later calls read them from the "
        "cache.",
    )
    effort_by_role: dict[str, str] = Field(
        default_factory=dict,
        description="Per-role effort levels (outputConfig.effort) on models that take one, e.g. "
        '{"explanation": "medium"}; unset roles use agents.roles.ROLE_EFFORT.',
    )
