"""Which model each agent role calls, and with how many output tokens: the per-role override,
else the model of the role's tier (`agents.roles.model_tier`)."""

from __future__ import annotations

from collections.abc import Mapping

from agents.roles import model_tier
from prompts.roles import AgentRole
from settings import Settings, get_settings


def model_id_for(role: AgentRole, settings: Settings | None = None) -> str:
    """The Bedrock model id of `role`: the per-role override, else the strong or fast model."""
    settings = settings or get_settings()
    return _role_model(
        role,
        settings.bedrock.model_ids,
        settings.bedrock.strong_model_id,
        settings.bedrock.fast_model_id,
    )


def openai_model_for(role: AgentRole, settings: Settings | None = None) -> str:
    """The OpenAI-compatible model name of `role`: the per-role override, else strong or fast."""
    settings = settings or get_settings()
    return _role_model(
        role, settings.openai.models, settings.openai.strong_model, settings.openai.fast_model
    )


def _role_model(role: AgentRole, overrides: Mapping[str, str], strong: str, fast: str) -> str:
    """`overrides[role]` when set, else the model of `role`'s tier (`agents.roles.model_tier`)."""
    return overrides.get(role) or (strong if model_tier(role) == "strong" else fast)


def max_tokens_for(role: AgentRole, settings: Settings | None = None) -> int:
    """The output-token limit of `role`'s model calls (Bedrock: the per-role override, else
    ``bedrock_max_tokens``; an OpenAI-compatible server: ``openai_max_tokens``)."""
    settings = settings or get_settings()
    if settings.models.resolved_provider(role) == "openai":
        return settings.openai.max_tokens
    return settings.bedrock.max_tokens_by_role.get(role, settings.bedrock.max_tokens)


__all__ = ["max_tokens_for", "model_id_for", "openai_model_for"]
