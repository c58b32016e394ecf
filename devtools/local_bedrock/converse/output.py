"""A reply's output within ``inferenceConfig.maxTokens``, as Bedrock bounds it for the local
endpoint: the limit covers the thinking and the text together, counted in the model's tokens.

Anthropic's page on the extended thinking models (read in its Japanese copy,
https://docs.anthropic.com/ja/docs/about-claude/models/extended-thinking-models): "max_tokens
(including the thinking budget when thinking is enabled) is enforced as a strict limit"; thinking
tokens are output tokens, billed and counted like the text's. So a reply whose thinking and
text together pass the limit is cut where the limit falls, thinking first (it comes first):
thinking longer than the limit is cut and no text follows; otherwise the text is cut and its
unfinished tool calls dropped. The stop reason is then ``max_tokens`` and ``outputTokens`` the
limit itself. Tokens are the model's (`converse.tokens`: the offline estimate scaled by the
model's tokenizer), as the usage reports them.
"""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.messages import AIMessage

from agents.offline.model import estimate_tokens
from devtools.local_bedrock.converse.thinking import thinking_signature
from devtools.local_bedrock.converse.tokens import model_tokens
from settings.model_catalog import CatalogModel

CHARS_PER_TOKEN = 4
"""Characters of the offline estimate's token (`agents.offline.model.estimate_tokens`)."""


@dataclass(frozen=True)
class BoundedReply:
    """What is sent: the text and tool calls, the thinking (signed), the stop reason and the
    output tokens in the model's tokens (thinking and text)."""

    message: AIMessage
    reasoning: dict[str, str] | None
    stop: str
    output_tokens: int


def bounded_reply(
    message: AIMessage,
    reasoning: dict[str, str] | None,
    max_tokens: int | None,
    model: CatalogModel | None,
    model_id: str,
) -> BoundedReply:
    """`message` (the offline model's reply) and its `reasoning` within `max_tokens` (see the
    module docstring); `model_id` signs thinking that is cut."""
    natural = "tool_use" if message.tool_calls else "end_turn"
    usage = message.usage_metadata
    if usage:
        text_tokens = int(usage["output_tokens"])
    else:  # a reply of no chunks at all
        text_tokens = estimate_tokens(message.text) if message.text else 0
    thinking_tokens = estimate_tokens(reasoning["text"]) if reasoning is not None else 0
    total = model_tokens(model, text_tokens + thinking_tokens)
    if max_tokens is None or total <= max_tokens:
        return BoundedReply(message, reasoning, natural, total)
    ratio = model.tokenizer_ratio if model is not None else 1.0
    room = int(max_tokens / ratio) * CHARS_PER_TOKEN  # the offline characters of max_tokens
    if reasoning is not None:
        thought = reasoning["text"][:room]
        reasoning = {"text": thought, "signature": thinking_signature(model, model_id, thought)}
        room -= len(thought)
    cut = AIMessage(content=message.text[:room])
    return BoundedReply(cut, reasoning, "max_tokens", max_tokens)


__all__ = ["BoundedReply", "bounded_reply"]
