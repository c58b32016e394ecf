"""Where the agents' chat models run (`STRATIGOS_MODEL_PROVIDER`, `STRATIGOS_MODEL_PROVIDERS`)."""

from __future__ import annotations

import os
from typing import ClassVar, Literal

from pydantic import Field

from settings.fields import SettingsGroup

ModelProvider = Literal["offline", "bedrock", "openai"]
"""Where an agent role's chat model runs."""
ModelProviderSetting = Literal["auto", "offline", "bedrock", "openai"]
"""A provider setting: a `ModelProvider`, or `auto` (bedrock with AWS credentials, else offline)."""


class ModelSettings(SettingsGroup):
    """The chat-model provider of every agent role (agents.models)."""

    env_prefix: ClassVar[str] = "STRATIGOS_MODEL_"

    provider: ModelProviderSetting = Field(
        default="auto",
        description="Chat models: `bedrock`, `openai` (any OpenAI-compatible server: vLLM, "
        "Ollama, llama.cpp, LM Studio, OpenAI), the deterministic `offline` rules engine, or "
        "`auto` (bedrock when AWS credentials are configured, else offline; never openai).",
    )
    providers: dict[str, ModelProviderSetting] = Field(
        default_factory=dict,
        description='Per-role providers overriding model_provider, e.g. {"explanation": "openai"}.',
    )

    call_budget_s: float = Field(
        default=120.0,
        gt=0,
        description="Seconds one model call may spend on retries, fallback routes and the waits "
        "between rounds of them when the service throttles (never past a run's wall-time "
        "budget).",
    )

    def resolved_provider(self, role: str | None = None) -> ModelProvider:
        """The chat-model provider of agent `role` (its `providers` entry, else `provider`;
        without a role: `provider`), with `auto` resolved: bedrock only when AWS credentials are
        configured, else offline."""
        setting = self.providers.get(role, self.provider) if role else self.provider
        return _resolved(setting)

    def resolved_providers(self) -> set[ModelProvider]:
        """Every provider some role's chat model runs on (`auto` resolved)."""
        return {_resolved(setting) for setting in (self.provider, *self.providers.values())}


def _resolved(setting: ModelProviderSetting) -> ModelProvider:
    if setting != "auto":
        return setting
    return "bedrock" if aws_credentials_configured() else "offline"


def aws_credentials_configured() -> bool:
    """True when AWS credentials are configured in the environment or the shared files.

    Looks at the environment variables and ~/.aws files only (never the instance metadata
    service, whose lookup blocks for seconds on a machine without one).
    """
    env = os.environ
    if env.get("AWS_ACCESS_KEY_ID") and env.get("AWS_SECRET_ACCESS_KEY"):
        return True
    if env.get("AWS_WEB_IDENTITY_TOKEN_FILE") or env.get("AWS_CONTAINER_CREDENTIALS_FULL_URI"):
        return True
    if env.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"):
        return True
    # os.path on strings, not pathlib: every offline model decision under `auto` asks this,
    # and the files are looked at anew each time (credentials written later are seen)
    if os.path.isfile(env.get("AWS_SHARED_CREDENTIALS_FILE", _home_file("credentials"))):
        return True
    return bool(env.get("AWS_PROFILE")) and os.path.isfile(
        env.get("AWS_CONFIG_FILE", _home_file("config"))
    )


def _home_file(name: str) -> str:
    """`~/.aws/<name>` (the AWS SDKs' default place of the shared files)."""
    return os.path.join(os.path.expanduser("~"), ".aws", name)
