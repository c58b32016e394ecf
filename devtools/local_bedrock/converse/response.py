"""The offline model's reply in Bedrock's response shapes: a Converse body or ConverseStream
events, with the usage the caller counted (`converse.output`, `converse.cache`); the max-tokens
cut of a reply without thinking in the offline model's tokens (the OpenAI-compatible stand-in's).

For a model that thinks (adaptive thinking on, the Claude 5.5 models by default), the reply
starts with a signed ``reasoningContent`` block, as Claude 5 replies do: its text says that the
offline rules answered (nothing thinks here), and its tokens count as output tokens."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from langchain_core.messages import (
    AIMessage,
    AIMessageChunk,
)

import agents.offline.workflow_policies  # noqa: F401  (registers the workflow and chat rules)
from devtools.local_bedrock.converse.thinking import thinking_signature
from settings.model_catalog import CatalogModel


def reasoning_for(role: str, model_id: str, model: CatalogModel | None) -> dict[str, str]:
    """The thinking a thinking model's reply starts with: ``{"text", "signature"}`` (signed by
    `model`, `converse.thinking.thinking_signature`)."""
    text = (
        f"The {role} agent's offline rules answer this request on the local endpoint; "
        "no model thinks here."
    )
    return {"text": text, "signature": thinking_signature(model, model_id, text)}


def within_max_tokens(message: AIMessage, max_tokens: int | None) -> tuple[AIMessage, str]:
    """`message` cut to `max_tokens` output tokens, as Bedrock cuts a reply, and its stop
    reason: ``max_tokens`` when cut (its text shortened, its unfinished tool calls dropped),
    else ``tool_use`` or ``end_turn``."""
    natural = "tool_use" if message.tool_calls else "end_turn"
    usage = message.usage_metadata
    if max_tokens is None or usage is None or usage["output_tokens"] <= max_tokens:
        return message, natural
    text = message.text[: max_tokens * 4]
    cut = AIMessage(
        content=text,
        usage_metadata={
            "input_tokens": usage["input_tokens"],
            "output_tokens": max_tokens,
            "total_tokens": usage["input_tokens"] + max_tokens,
        },
    )
    return cut, "max_tokens"


def converse_response(
    message: AIMessage,
    latency_ms: int,
    usage: dict[str, Any],
    stop_reason: str | None = None,
    reasoning: dict[str, str] | None = None,
) -> dict[str, Any]:
    """The Converse response body for `message`: a reasoningContent block (a thinking
    model's), a text block (when there is text), a toolUse block per tool call, ``stopReason``
    (`stop_reason`, else ``tool_use`` or ``end_turn``), `usage` and metrics."""
    blocks: list[dict[str, Any]] = []
    if reasoning is not None:
        blocks.append({"reasoningContent": {"reasoningText": dict(reasoning)}})
    if message.text:
        blocks.append({"text": message.text})
    for call in message.tool_calls:
        blocks.append(
            {"toolUse": {"toolUseId": call["id"], "name": call["name"], "input": call["args"]}}
        )
    if not blocks:
        blocks.append({"text": ""})
    return {
        "output": {"message": {"role": "assistant", "content": blocks}},
        "stopReason": stop_reason or ("tool_use" if message.tool_calls else "end_turn"),
        "usage": usage,
        "metrics": {"latencyMs": int(latency_ms)},
    }


def stream_events(
    chunks: Iterable[AIMessageChunk],
    latency_ms: int,
    usage: dict[str, Any],
    stop_reason: str | None = None,
    reasoning: dict[str, str] | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """ConverseStream events ``(event type, payload)`` for the offline model's chunks.

    messageStart; a thinking model's reasoning as contentBlockDelta ``reasoningContent`` events
    (its text, then its signature) of block 0; the text as contentBlockDelta ``text`` events of
    the next block (when there is text); per tool call a contentBlockStart with ``toolUse {toolUseId, name}`` and its JSON
    arguments as contentBlockDelta ``toolUse.input`` strings; a contentBlockStop closing each
    block; messageStop with the stop reason; metadata with `usage` and metrics.
    """
    yield "messageStart", {"role": "assistant"}
    open_block: int | None = None
    next_index = 0
    if reasoning is not None:
        for part in ({"text": reasoning["text"]}, {"signature": reasoning["signature"]}):
            yield "contentBlockDelta", {"delta": {"reasoningContent": part}, "contentBlockIndex": 0}
        yield "contentBlockStop", {"contentBlockIndex": 0}
        next_index = 1
    tool_blocks: dict[Any, int] = {}
    any_tool = False

    def close() -> Iterator[tuple[str, dict[str, Any]]]:
        nonlocal open_block
        if open_block is not None:
            yield "contentBlockStop", {"contentBlockIndex": open_block}
            open_block = None

    for chunk in chunks:
        text = chunk.content if isinstance(chunk.content, str) else chunk.text
        if text:
            if open_block is None or open_block in tool_blocks.values():
                yield from close()
                open_block, next_index = next_index, next_index + 1
            yield "contentBlockDelta", {"delta": {"text": text}, "contentBlockIndex": open_block}
        for piece in chunk.tool_call_chunks:
            key = piece.get("index")
            if key not in tool_blocks:
                yield from close()
                any_tool = True
                tool_blocks[key] = open_block = next_index
                next_index += 1
                start = {"toolUse": {"toolUseId": piece.get("id") or "", "name": piece["name"]}}
                yield "contentBlockStart", {"start": start, "contentBlockIndex": open_block}
            if piece.get("args"):
                yield (
                    "contentBlockDelta",
                    {
                        "delta": {"toolUse": {"input": piece["args"]}},
                        "contentBlockIndex": tool_blocks[key],
                    },
                )
    yield from close()
    yield "messageStop", {"stopReason": stop_reason or ("tool_use" if any_tool else "end_turn")}
    yield "metadata", {"usage": usage, "metrics": {"latencyMs": int(latency_ms)}}
