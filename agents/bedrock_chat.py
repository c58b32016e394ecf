"""A Bedrock chat model for one agent role on one model id (the role's model, or one of its
routes, `agents.model_routes`), with the request settings the model catalog says that model
accepts (`agents.model_plan`)."""

from __future__ import annotations

import os
from typing import Any

from langchain_core.language_models import BaseChatModel

from agents.model_ids import max_tokens_for
from agents.model_plan import bedrock_plan
from prompts.roles import AgentRole
from settings import Settings
from settings.aws_sessions import aws_session
from settings.bedrock import bedrock_config


def chat_model_for(role: AgentRole, model_id: str, settings: Settings) -> BaseChatModel:
    """`role`'s Bedrock chat model on `model_id` (one of its routes, `agents.model_routes`),
    with the request settings the catalog says that model accepts."""
    from langchain_aws import ChatBedrockConverse  # imported lazily: ~0.5 s of boto3 setup

    plan = bedrock_plan(role, model_id, settings)
    kwargs: dict[str, Any] = {
        "model": model_id,
        "region_name": settings.bedrock.region,
        "config": bedrock_config(settings),
    }
    if plan.temperature is not None:
        kwargs["temperature"] = plan.temperature
    if plan.additional_fields():
        kwargs["additional_model_request_fields"] = plan.additional_fields()
    if plan.output_config():
        kwargs["output_config"] = plan.output_config()
    if plan.tool_choices() is not None:  # else langchain-aws infers them from the model id
        kwargs["supports_tool_choice_values"] = plan.tool_choices()
    if settings.bedrock.endpoint_url:
        kwargs["endpoint_url"] = settings.bedrock.endpoint_url
    kwargs |= _clients(kwargs["region_name"], settings.bedrock.endpoint_url, kwargs["config"])
    if not settings.bedrock.streaming:
        kwargs["disable_streaming"] = True
    kwargs["max_tokens"] = max_tokens_for(role, settings)
    if settings.bedrock.guardrail_id:
        kwargs["guardrail_config"] = {
            "guardrailIdentifier": settings.bedrock.guardrail_id,
            "guardrailVersion": settings.bedrock.guardrail_version,
        }
    model: BaseChatModel = ChatBedrockConverse(**kwargs)
    return model


def _clients(region: str | None, endpoint_url: str | None, config: Any) -> dict[str, Any]:
    """The Bedrock runtime and control-plane clients langchain-aws would make from the access
    keys in the environment (a session of their own), made on a session that shares one loader
    of botocore's service descriptions with the other sessions of this process
    (`settings.aws_sessions`): each model otherwise parses them from disk again (most of the
    cost of making a model). Empty (langchain-aws makes them) for any other way of signing in:
    a bearer token, no keys (the default credential chain and its session)."""
    key, secret = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not (key and secret) or os.environ.get("AWS_BEARER_TOKEN_BEDROCK"):
        return {}
    session = aws_session(
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        aws_session_token=os.environ.get("AWS_SESSION_TOKEN") or None,
    )
    params = {"region_name": region, "endpoint_url": endpoint_url, "config": config}
    params = {name: value for name, value in params.items() if value}
    return {
        "client": session.client("bedrock-runtime", **params),
        "bedrock_client": session.client("bedrock", **params),
    }


__all__ = ["chat_model_for"]
