"""What Bedrock refuses for a model, driven by the model catalog (`settings.model_catalog`).

`check_model(model_id, today)` answers an id as Bedrock does: unknown ids are invalid, a base id
the model does not serve on demand needs an inference profile, a model past its end of life (or
in its Legacy state, closed to new customers, which an empty local account is) is not found.
`check_request(model, body, call, guardrails)` refuses the settings the model does not accept
(sampling parameters, in ``inferenceConfig`` or ``additionalModelRequestFields``, forced tool
choice, assistant prefill, thinking types, effort levels, native structured output), more cache
points than the model takes, thinking blocks in the history another model signed (dropped or
refused, `converse.thinking`), a ``maxTokens`` above its output limit, an input above its context
window (in the model's tokens, `converse.tokens`), and a guardrail the endpoint does not know. A setting the catalog leaves undocumented for
the model (forced tool choice on Haiku 5.5) is refused too, so no request relies on it. Messages
are Bedrock's where a source quotes them (settings/model_catalog.toml cites them); the others
say ``local endpoint``.

`stratigos-offline-<role>` ids are the endpoint's own: they name a role, not a Bedrock model, and
are only checked for well-formed requests.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.model_plan import EFFORT_ORDER
from devtools.local_bedrock.converse.cache import cache_points
from devtools.local_bedrock.converse.call import (
    MODEL_ERRORS,
    OFFLINE_MODEL_PREFIX,
    BedrockError,
    ConverseCall,
)
from devtools.local_bedrock.converse.thinking import check_thinking
from devtools.local_bedrock.converse.tokens import prompt_tokens
from settings.model_catalog import CatalogModel, model_catalog

INVALID_MODEL = "The provided model identifier is invalid."
END_OF_LIFE = (
    "This model version has reached the end of its life. Please refer to the AWS documentation "
    "for more details."
)
LEGACY = (
    "Access denied. This Model is marked by provider as Legacy and you have not been actively "
    "using the model in the last 30 days. Please upgrade to an active model on Amazon Bedrock"
)
NEEDS_PROFILE = (
    "Invocation of model ID {model} with on-demand throughput isn\u2019t supported. Retry your "
    "request with the ID or ARN of an inference profile that contains this model."
)
MAX_TOKENS = (
    "The maximum tokens you requested exceeds the model limit of {limit}. Try again with a "
    "maximum tokens value that is lower than {limit}."
)
TOO_LONG = MODEL_ERRORS + "prompt is too long: {tokens} tokens > {limit} maximum"
INVALID_GUARDRAIL = "The provided guardrail identifier is invalid."
FORCED_UNDOCUMENTED = (
    "tool_choice any or tool is refused for this model by the local endpoint: the model catalog "
    "finds no documentation that Bedrock accepts it (use auto)."
)


def _invalid(message: str) -> BedrockError:
    return BedrockError("ValidationException", message, 400)


def check_model(model_id: str, today: dt.date) -> CatalogModel | None:
    """The catalog model `model_id` names (None for ``stratigos-offline-<role>``), or the error
    Bedrock answers for it."""
    if model_id.startswith(OFFLINE_MODEL_PREFIX):
        return None
    resolved = model_catalog().resolve(model_id)
    if resolved is None:
        raise _invalid(INVALID_MODEL)
    model = resolved.model
    state = model.state_on(today)
    if state == "end_of_life":
        raise BedrockError("ResourceNotFoundException", END_OF_LIFE, 404)
    if state == "legacy":
        raise BedrockError("ResourceNotFoundException", LEGACY, 404)
    if model.kind != "chat":
        raise _invalid(f"The model {model_id} does not support the Converse API (local endpoint).")
    if resolved.needs_profile:
        raise _invalid(NEEDS_PROFILE.format(model=model.base_id))
    return model


@dataclass(frozen=True)
class RequestOptions:
    """The parts of a Converse request the catalog governs: the thinking type asked for (None:
    the model's default), the effort level, the native structured-output schema."""

    thinking: str | None = None
    effort: str | None = None
    text_format: dict[str, Any] | None = None
    dropped_thinking: int = 0
    """Thinking blocks of the history another model signed, dropped (`converse.thinking`)."""

    def thinks(self, model: CatalogModel | None) -> bool:
        """Whether the reply carries thinking: adaptive (or budgeted) thinking is on."""
        if model is None:
            return False
        mode = self.thinking or model.accepts.thinking_default
        return mode in ("adaptive", "enabled")


def request_options(body: Mapping[str, Any]) -> RequestOptions:
    """Read ``additionalModelRequestFields.thinking`` and ``outputConfig`` (malformed values are
    a ValidationException naming the field)."""
    extra = body.get("additionalModelRequestFields") or {}
    if not isinstance(extra, dict):
        raise _invalid("additionalModelRequestFields must be an object")
    thinking = extra.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    if thinking is not None and not isinstance(kind, str):
        raise _invalid(MODEL_ERRORS + "thinking.type: Field required")
    output = body.get("outputConfig") or {}
    if not isinstance(output, dict):
        raise _invalid("outputConfig must be an object")
    effort = output.get("effort")
    if effort is not None and effort not in EFFORT_ORDER:
        raise _invalid(f"outputConfig.effort must be one of {', '.join(EFFORT_ORDER)}")
    text_format = output.get("textFormat")
    if text_format is not None:
        schema = ((text_format.get("structure") or {}).get("jsonSchema") or {}).get("schema")
        if text_format.get("type") != "json_schema" or not isinstance(schema, str):
            raise _invalid("outputConfig.textFormat needs type json_schema and a schema string")
        try:
            json.loads(schema)
        except json.JSONDecodeError:
            raise _invalid(
                "outputConfig.textFormat.structure.jsonSchema.schema is not JSON"
            ) from None
    return RequestOptions(kind, effort, text_format)


SAMPLING = (("temperature", "temperature"), ("topP", "top_p"))
"""The sampling parameters of ``inferenceConfig``, by their names in the model's own request.
A model that takes none refuses each as Bedrock refuses ``temperature`` ("`temperature` is
deprecated for this model.", [sources.bedrock-temperature-error]; the same words are assumed
for the others)."""
ADDITIONAL_SAMPLING = ("temperature", "top_p", "top_k")
"""The sampling parameters of Anthropic's request that ``additionalModelRequestFields`` passes
to a Claude model ("additional inference parameters that the model supports, beyond the base
set of inference parameters that Converse and ConverseStream support in the inferenceConfig
field": the Converse API reference)."""


def sampling_given(model: CatalogModel, body: Mapping[str, Any], call: ConverseCall) -> list[str]:
    """The sampling parameters a request sets, by their names in the model's request (once
    each): in ``inferenceConfig``, and for a Claude model in ``additionalModelRequestFields``
    (Nova's take theirs under ``inferenceConfig`` there, its own request's shape)."""
    given = [name for key, name in SAMPLING if call.inference_config.get(key) is not None]
    if model.family.startswith("claude"):
        extra = body.get("additionalModelRequestFields") or {}
        given += [name for name in ADDITIONAL_SAMPLING if extra.get(name) is not None]
    return list(dict.fromkeys(given))


def _check_settings(
    model: CatalogModel, body: Mapping[str, Any], call: ConverseCall, options: RequestOptions
) -> None:
    accepts = model.accepts
    given = sampling_given(model, body, call)
    if given and not accepts.sampling:
        raise _invalid(MODEL_ERRORS + f"`{given[0]}` is deprecated for this model.")
    if {"temperature", "top_p"} <= set(given) and accepts.sampling_one_of:
        raise _invalid(
            MODEL_ERRORS
            + "`temperature` and `top_p` cannot both be specified for this model. Please use only one."
        )
    forced = call.tool_choice not in (None, "auto")
    if forced and accepts.forced_tool_choice is False:
        raise _invalid(
            MODEL_ERRORS + 'tool_choice: type "tool" and "any" are not supported for this model.'
        )
    if forced and not accepts.forced_tool_choice_in(options.thinking):
        if options.thinks(model):
            raise _invalid(
                MODEL_ERRORS + "Thinking may not be enabled when tool_choice forces tool use."
            )
        raise _invalid(FORCED_UNDOCUMENTED)
    if body["messages"][-1].get("role") == "assistant" and not accepts.prefill:
        raise _invalid(
            MODEL_ERRORS
            + "This model does not support assistant message prefill. The conversation must end with a user message."
        )
    if options.thinking is not None and options.thinking not in accepts.thinking:
        raise _invalid(
            MODEL_ERRORS + f'"thinking.type.{options.thinking}" is not supported for this model.'
        )
    mode = options.thinking or accepts.thinking_default
    allowed = accepts.effort
    if mode == "disabled" and accepts.effort_without_thinking is not None:
        allowed = accepts.effort_without_thinking
    if mode == "between_tools" and accepts.effort_with_between_tools is not None:
        allowed = accepts.effort_with_between_tools
    if options.effort is not None and options.effort not in allowed:
        raise _invalid(
            MODEL_ERRORS
            + f"output_config.effort {options.effort!r} is not supported for this model in thinking mode {mode!r} (local endpoint)."
        )
    if options.text_format is not None and not accepts.native_structured_output:
        raise _invalid(MODEL_ERRORS + "output_config.format is not supported for this model (local endpoint).")  # fmt: skip


def _check_cache_points(model: CatalogModel, body: Mapping[str, Any]) -> None:
    """More cache points than the model takes (its catalog entry's ``max_checkpoints``) are
    refused, in Anthropic's words on a Claude model ("A maximum of 4 blocks with cache_control
    may be provided. Found 5.", as the Anthropic API answers:
    github.com/tghamm/Anthropic.SDK/issues/50), prefixed as Bedrock reports the model's
    refusals; a TTL Bedrock does not take is refused too (`converse.cache.cache_prefix`)."""
    points = len(cache_points(body))
    if not model.cache.supported or points <= model.cache.max_checkpoints:
        return
    limit = model.cache.max_checkpoints
    if model.family.startswith("claude"):
        found = f"A maximum of {limit} blocks with cache_control may be provided. Found {points}."
        raise _invalid(MODEL_ERRORS + found)
    raise _invalid(
        f"The request has {points} cache points; {model.name} takes at most {limit} "
        "(local endpoint)."
    )


def check_request(
    model: CatalogModel | None,
    body: Mapping[str, Any],
    call: ConverseCall,
    guardrails: Mapping[str, set[str]],
) -> RequestOptions:
    """Refuse what Bedrock refuses for `model` (see the module docstring); the request's
    catalog-governed options."""
    options = request_options(body)
    guardrail = body.get("guardrailConfig")
    if guardrail is not None:
        given = guardrail if isinstance(guardrail, dict) else {}
        identifier = str(given.get("guardrailIdentifier", ""))
        version = str(given.get("guardrailVersion", ""))
        if identifier not in guardrails or version not in guardrails[identifier]:
            raise _invalid(INVALID_GUARDRAIL)
    if model is None:
        return options
    _check_settings(model, body, call, options)
    _check_cache_points(model, body)
    dropped = check_thinking(model, call.model_id, body)
    max_tokens = call.inference_config.get("maxTokens")
    if max_tokens is not None and max_tokens > model.max_output_tokens:
        raise _invalid(MAX_TOKENS.format(limit=model.max_output_tokens))
    tokens = prompt_tokens(model, call.messages, call.tools)
    if tokens > model.context_window:
        raise _invalid(TOO_LONG.format(tokens=tokens, limit=model.context_window))
    return dataclasses.replace(options, dropped_thinking=dropped)


__all__ = [
    "END_OF_LIFE",
    "INVALID_MODEL",
    "RequestOptions",
    "check_model",
    "check_request",
    "request_options",
]
