"""One model call: the service's failures as `ModelCallError` (with the attempts the client
made and any wait the server asked for) and refused replies as `ModelOutputError`; stop reasons
in Bedrock's words whatever the provider."""

from __future__ import annotations

import logging
import sys
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from agents.errors import ModelCallError, ModelOutputError
from settings import get_settings, metrics

logger = logging.getLogger(__name__)

STOP_REASONS_REFUSED = ("guardrail_intervened", "content_filtered")
"""Stop reasons whose reply is never used."""


def _model_error(role: str, exc: Exception) -> ModelCallError:
    from botocore.exceptions import BotoCoreError, ClientError
    from openai import APIError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        retries = int((exc.response.get("ResponseMetadata") or {}).get("RetryAttempts", 0) or 0)
        code, message = str(error.get("Code", "ClientError")), str(error.get("Message", exc))
        return ModelCallError(role, code, message, attempts=retries + 1)
    if isinstance(exc, BotoCoreError):
        return ModelCallError(role, type(exc).__name__, str(exc))
    if isinstance(exc, APIError):  # an OpenAI-compatible server's error (after its retries)
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        retry_after = _retry_after(headers)
        attempts = (
            get_settings().openai.max_retries + 1
            if getattr(exc, "status_code", 0) in (408, 409, 429)
            or getattr(exc, "status_code", 0) >= 500
            else 1
        )
        return ModelCallError(role, str(exc.code or type(exc).__name__), exc.message,
                              attempts=attempts, retry_after=retry_after)  # fmt: skip
    raise exc


def _retry_after(headers: Any) -> float | None:
    """Seconds a server asked to wait (``retry-after-ms`` or ``retry-after``), if it said."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        try:
            return float(value) * scale if value is not None else None
        except ValueError:
            continue
    return None


def _service_errors() -> tuple[type[Exception], ...]:
    """The failures of the model services' clients (botocore's for Bedrock, openai's for an
    OpenAI-compatible server), of the clients loaded in this process: a client never imported
    raised nothing, so the offline model imports neither (half a second of start-up)."""
    errors: list[type[Exception]] = []
    if "botocore" in sys.modules:
        from botocore.exceptions import BotoCoreError, ClientError

        errors += [ClientError, BotoCoreError]
    if "openai" in sys.modules:
        from openai import APIError

        errors.append(APIError)
    return tuple(errors)


def invoke_model(runnable: Any, messages: Sequence[BaseMessage], config: Any, role: str) -> Any:
    """`runnable.invoke(messages, config)`, with the service's failures raised as
    `ModelCallError` and refused replies (guardrail, content filter) as `ModelOutputError`."""
    try:
        reply = runnable.invoke(list(messages), config)
    except _service_errors() as exc:
        error = _model_error(role, exc)
        # the service's words, for the operator: callers and traces read only its code
        logger.warning("%s: %s", error, error.service_message)
        raise error from exc
    raw = reply.get("raw") if isinstance(reply, dict) else reply
    _count(raw)
    stop = stop_reason(raw)
    if stop in STOP_REASONS_REFUSED:
        raise ModelOutputError(role, stop, "the model service blocked the reply")
    return reply


def call_usage(message: BaseMessage) -> dict[str, int] | None:
    """One model reply's tokens, each counted once, in Bedrock's terms: ``input_tokens`` the
    prompt tokens neither read from nor written to the prompt cache, ``cache_read_tokens`` and
    ``cache_write_tokens`` those that were, ``output_tokens``, and ``total_tokens`` their sum
    (the whole prompt plus the output). LangChain's usage metadata counts cached tokens within
    ``input_tokens`` (``input_token_details``: ``cache_read``, ``cache_creation`` and
    langchain-aws's per-TTL ``ephemeral_5m_input_tokens`` / ``ephemeral_1h_input_tokens``), so
    they are taken out. None for a message without usage (not a model reply)."""
    usage = getattr(message, "usage_metadata", None)
    if not isinstance(message, AIMessage) or not usage:
        return None
    details = usage.get("input_token_details") or {}
    read = int(details.get("cache_read", 0) or 0)
    write = sum(
        int(details.get(key, 0) or 0)
        for key in ("cache_creation", "ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens")
    )
    prompt = int(usage.get("input_tokens", 0))
    output = int(usage.get("output_tokens", 0))
    uncached = max(0, prompt - read - write)
    return {
        "input_tokens": uncached,
        "output_tokens": output,
        "cache_read_tokens": read,
        "cache_write_tokens": write,
        "total_tokens": uncached + read + write + output,
    }


def _count(message: Any) -> None:
    """The reply's tokens and cost as metrics, by the model that answered (`settings.metrics`)."""
    usage = call_usage(message) if isinstance(message, BaseMessage) else None
    if usage and get_settings().metrics != "off":
        meta = getattr(message, "response_metadata", None) or {}
        model = meta.get("model_id") or meta.get("model_name") or meta.get("model") or "unknown"
        metrics.model_call(str(model), usage)


OPENAI_FINISH_REASONS = {
    "length": "max_tokens",
    "content_filter": "content_filtered",
    "tool_calls": "tool_use",
    "function_call": "tool_use",
    "stop": "end_turn",
}
"""OpenAI ``finish_reason`` values as the Bedrock ``stopReason`` they mean."""


def stop_reason(message: Any) -> str | None:
    """The reply's stop reason in Bedrock's words (``stopReason``; an OpenAI-compatible
    server's ``finish_reason`` mapped by `OPENAI_FINISH_REASONS`); None for models giving none."""
    metadata = getattr(message, "response_metadata", None) or {}
    reason = metadata.get("stopReason") or metadata.get("stop_reason")
    if not reason and metadata.get("finish_reason"):
        finish = str(metadata["finish_reason"])
        reason = OPENAI_FINISH_REASONS.get(finish, finish)
    return str(reason) if reason else None


__all__ = [
    "OPENAI_FINISH_REASONS",
    "STOP_REASONS_REFUSED",
    "call_usage",
    "invoke_model",
    "stop_reason",
]
