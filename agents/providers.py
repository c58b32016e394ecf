"""Which provider each agent role uses, read from settings alone: no model library is imported,
so the health route of a server that is still loading its app can name them
(`agents.models` builds the models)."""

from __future__ import annotations

from collections.abc import Mapping

from prompts.roles import AGENT_ROLES, AgentRole
from settings import ModelProvider, Settings, get_settings


def check_role_keys(settings: Settings) -> None:
    """Raise ValueError when a per-role setting names a role that does not exist."""
    per_role: dict[str, Mapping[str, object]] = {
        "model_providers": settings.models.providers,
        "openai_models": settings.openai.models,
        "bedrock_model_ids": settings.bedrock.model_ids,
    }
    for field, by_role in per_role.items():
        unknown = sorted(set(by_role) - set(AGENT_ROLES))
        if unknown:
            raise ValueError(
                f"{field} names unknown agent roles {unknown}; known roles: {', '.join(AGENT_ROLES)}"
            )


def model_providers(settings: Settings | None = None) -> dict[AgentRole, ModelProvider]:
    """``{role: provider}`` of every agent role (`Settings.models.resolved_provider(role)`);
    ValueError when a per-role setting names an unknown role."""
    settings = settings or get_settings()
    check_role_keys(settings)
    return {role: settings.models.resolved_provider(role) for role in AGENT_ROLES}


def provider_summary(settings: Settings | None = None) -> str:
    """The provider of every role: one word when they agree, else ``role=provider`` pairs joined
    by commas (for run manifests and the health route)."""
    providers = model_providers(settings)
    if len(set(providers.values())) == 1:
        return next(iter(providers.values()))
    return ",".join(f"{role}={provider}" for role, provider in providers.items())
