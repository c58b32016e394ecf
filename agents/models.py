"""The model factory: one LangChain chat model per agent role, offline or on Amazon Bedrock.

The provider comes from settings (`Settings.resolved_model_provider()`): ``offline`` (the default
when no AWS credentials are configured) gives the deterministic `OfflineChatModel`; ``bedrock``
gives `langchain_aws.ChatBedrockConverse` with the role's model id (``bedrock_model_ids[role]``,
else the strong model for the optimizer and explanation agents and the fast one for the others),
the region, an optional endpoint URL (e.g. a local Bedrock-compatible server), temperature 0 and
a botocore `Config` with bounded retries (standard mode) and a read timeout.

Building a Bedrock model makes no network call, except for model ids naming an application
inference profile, which langchain-aws resolves with one ``bedrock.get_inference_profile`` call.
"""

from __future__ import annotations

from typing import Any

from langchain_core.language_models import BaseChatModel

from agents.roles import model_tier
from prompts.roles import AGENT_ROLES, AgentRole
from settings.bedrock import bedrock_config
from settings.config import Settings, get_settings


def model_id_for(role: AgentRole, settings: Settings | None = None) -> str:
    """The Bedrock model id of `role`: the per-role override, else the strong or fast model."""
    settings = settings or get_settings()
    override = settings.bedrock_model_ids.get(role)
    if override:
        return override
    if model_tier(role) == "strong":
        return settings.bedrock_strong_model_id
    return settings.bedrock_fast_model_id


def model_ids(settings: Settings | None = None) -> dict[str, str]:
    """The model name used by every role (``offline-<role>`` offline), for run manifests."""
    settings = settings or get_settings()
    if settings.resolved_model_provider() == "offline":
        return {role: f"offline-{role}" for role in AGENT_ROLES}
    return {role: model_id_for(role, settings) for role in AGENT_ROLES}


def chat_model(role: AgentRole, settings: Settings | None = None) -> BaseChatModel:
    """The chat model of `role` for the configured provider (see the module docstring).

    Raises ValueError for an unknown role.
    """
    if role not in AGENT_ROLES:
        raise ValueError(f"unknown agent role {role!r}; known roles: {', '.join(AGENT_ROLES)}")
    settings = settings or get_settings()
    if settings.resolved_model_provider() == "offline":
        from agents.offline import OfflineChatModel  # loaded only when used

        return OfflineChatModel(role=role)
    return _bedrock_model(role, settings)


def _bedrock_model(role: AgentRole, settings: Settings) -> BaseChatModel:
    from langchain_aws import ChatBedrockConverse  # imported lazily: ~0.5 s of boto3 setup

    model_id = model_id_for(role, settings)
    kwargs: dict[str, Any] = {
        "model": model_id,
        "region_name": settings.bedrock_region,
        "temperature": 0.0,
        "config": bedrock_config(settings),
    }
    if settings.bedrock_endpoint_url:
        kwargs["endpoint_url"] = settings.bedrock_endpoint_url
    if not settings.bedrock_streaming:
        kwargs["disable_streaming"] = True
    kwargs["max_tokens"] = max_tokens_for(role, settings)
    if settings.bedrock_guardrail_id:
        kwargs["guardrail_config"] = {
            "guardrailIdentifier": settings.bedrock_guardrail_id,
            "guardrailVersion": settings.bedrock_guardrail_version,
        }
    model: BaseChatModel = ChatBedrockConverse(**kwargs)
    return model


def max_tokens_for(role: AgentRole, settings: Settings | None = None) -> int:
    """The output-token limit of `role`'s model calls (per-role override, else the default)."""
    settings = settings or get_settings()
    return settings.bedrock_max_tokens_by_role.get(role, settings.bedrock_max_tokens)
