"""The model factory: one LangChain chat model per agent role, offline, on Amazon Bedrock or on an
OpenAI-compatible server.

The provider of each role comes from settings (`Settings.models.resolved_provider(role)`:
``model_providers[role]``, else ``model_provider``): ``offline`` (the default when no AWS
credentials are configured) gives the deterministic `OfflineChatModel`; ``bedrock``
gives `langchain_aws.ChatBedrockConverse` with the role's model id (``bedrock_model_ids[role]``,
else the strong model for the optimizer and explanation agents and the fast one for the others),
the region, an optional endpoint URL (e.g. a local Bedrock-compatible server), the request
settings the model catalog says the model accepts (`agents.model_plan`: temperature 0 only where
sampling is accepted, thinking and effort per role) and a botocore `Config` with adaptive
retries and a read timeout (`settings.bedrock`); the settings are checked against the catalog
first (`agents.model_checks`); ``openai`` gives
`langchain_openai.ChatOpenAI` on the Chat Completions API (never the Responses API) with
``openai_base_url``, the role's model (``openai_models[role]``, else the strong or fast one),
temperature 0, ``max_completion_tokens``, a timeout, bounded retries and ``stream_usage`` (usage
arrives in the last streamed chunk). Nothing here counts tokens with tiktoken (which downloads
its BPE files): token counts are the ones the server reports.

Building a model makes no network call, except for model ids naming an application
inference profile, which langchain-aws resolves with one ``bedrock.get_inference_profile`` call.
"""

from __future__ import annotations

import sys
import warnings
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import Runnable
from pydantic import BaseModel, SecretStr

from agents.bedrock_chat import chat_model_for
from agents.model_checks import check_model_settings
from agents.model_ids import max_tokens_for, model_id_for, openai_model_for
from agents.model_plan import StructuredMethod, bedrock_plan
from agents.model_routes import model_routes
from agents.providers import check_role_keys, model_providers
from agents.structured_output import native_structured
from prompts.roles import AGENT_ROLES, AgentRole
from settings import (
    OPENAI_DEFAULT_BASE_URL,
    OPENAI_PLACEHOLDER_KEY,
    Settings,
    get_settings,
)


def model_ids(settings: Settings | None = None) -> dict[str, str]:
    """The model each role uses, for run manifests: ``offline-<role>`` offline, the Bedrock
    model id on Bedrock, ``openai:<model>`` on an OpenAI-compatible server."""
    settings = settings or get_settings()
    ids: dict[str, str] = {}
    for role, provider in model_providers(settings).items():
        if provider == "offline":
            ids[role] = f"offline-{role}"
        elif provider == "openai":
            ids[role] = f"openai:{openai_model_for(role, settings)}"
        else:
            ids[role] = model_id_for(role, settings)
    return ids


def chat_model(role: AgentRole, settings: Settings | None = None) -> BaseChatModel:
    """The chat model of `role` for its configured provider (see the module docstring).

    Raises ValueError for an unknown role, also in a per-role setting (`check_role_keys`).
    """
    if role not in AGENT_ROLES:
        raise ValueError(f"unknown agent role {role!r}; known roles: {', '.join(AGENT_ROLES)}")
    settings = settings or get_settings()
    check_role_keys(settings)
    provider = settings.models.resolved_provider(role)
    if provider == "offline":
        from agents.offline import OfflineChatModel  # loaded only when used

        return OfflineChatModel(role=role)
    if provider == "openai":
        return _openai_model(role, settings)
    return _bedrock_model(role, settings)


def _openai_model(role: AgentRole, settings: Settings) -> BaseChatModel:
    from langchain_openai import ChatOpenAI  # imported lazily: only the openai provider needs it

    key = settings.openai.resolved_api_key() or SecretStr(OPENAI_PLACEHOLDER_KEY)
    model: BaseChatModel = ChatOpenAI(
        model=openai_model_for(role, settings),
        base_url=settings.openai.base_url or OPENAI_DEFAULT_BASE_URL,
        api_key=key,
        temperature=0.0,
        max_completion_tokens=max_tokens_for(role, settings),
        timeout=settings.openai.timeout,
        max_retries=settings.openai.max_retries,
        disable_streaming=not settings.openai.streaming,
        stream_usage=True,
        use_responses_api=False,
    )
    return model


def _bedrock_model(role: AgentRole, settings: Settings) -> BaseChatModel:
    check_model_settings(settings)
    return chat_model_for(role, model_id_for(role, settings), settings)


def routes_for(role: AgentRole, settings: Settings | None = None) -> list[str]:
    """The model ids `role`'s calls may try in turn (`agents.model_routes`): its Bedrock model,
    another profile of it and its tier's fallback; none off Bedrock (one route: its model)."""
    settings = settings or get_settings()
    if settings.models.resolved_provider(role) != "bedrock":
        return []
    return model_routes(role, settings)


def structured_model(
    model: BaseChatModel,
    schema: type[BaseModel],
    settings: Settings | None = None,
    role: AgentRole | None = None,
    *,
    tools_in_history: bool = False,
) -> tuple[Runnable[Any, Any], StructuredMethod]:
    """A runnable answering ``{"raw", "parsed", "parsing_error"}`` for a decision of `schema`,
    and how it asks for it: on Bedrock the way the model catalog says `role`'s model accepts
    (`agents.model_plan.BedrockPlan.structured_method`: a forced tool, native structured output,
    or the schema as a tool under auto tool choice); on an OpenAI-compatible server with
    ``openai_structured_output``'s method; else a forced tool call."""
    settings = settings or get_settings()
    if "langchain_openai" in sys.modules:  # else `model` cannot be a ChatOpenAI
        from langchain_openai import ChatOpenAI

        if isinstance(model, ChatOpenAI):
            method = settings.openai.structured_output
            if method == "json_schema":
                _quiet_parsed_serializer_warning()
            runnable = model.with_structured_output(schema, include_raw=True, method=method)
            return runnable, "native" if method == "json_schema" else "forced_tool"
    if role is not None and "langchain_aws" in sys.modules:
        from langchain_aws import ChatBedrockConverse

        if isinstance(model, ChatBedrockConverse):
            plan = bedrock_plan(role, model.model_id, settings)
            how = plan.structured_method(
                schema.model_json_schema(), tools_in_history=tools_in_history
            )
            if how == "native":
                return native_structured(model, schema, plan.output_config()), how
            return model.with_structured_output(schema, include_raw=True), how
    return model.with_structured_output(schema, include_raw=True), "forced_tool"


def _quiet_parsed_serializer_warning() -> None:
    """Hide the pydantic warning langchain-openai's json_schema path prints on every structured
    call (it dumps openai's `ParsedChatCompletion`, whose `parsed` field is typed None, holding our
    schema's object): the reply is parsed correctly; the warning would only alarm the user."""
    warnings.filterwarnings(
        "ignore",
        message=r"Pydantic serializer warnings:(?s:.)*field_name='parsed'",
        category=UserWarning,
    )


def is_bedrock(model: Any) -> bool:
    """Whether `model` is a Bedrock chat model (`ChatBedrockConverse`, possibly bound)."""
    if "langchain_aws" not in sys.modules:
        return False
    from langchain_aws import ChatBedrockConverse

    return isinstance(getattr(model, "bound", model), ChatBedrockConverse)
