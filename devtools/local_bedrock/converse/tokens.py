"""Tokens as the called model's tokenizer would count them, for the local endpoint.

The endpoint has no tokenizer. It starts from the offline model's estimate (about 4 characters
a token, `agents.offline.model.estimate_tokens`), counts at least one token for every
whitespace-separated word of the messages' text (a tokenizer never counts two words as one
token, so ``"a " * 1_000_000`` is a million tokens, not half a million), and scales the result
by the model's `tokenizer_ratio` from the model catalog (the Claude 5.5 models' newer tokenizer
counts about 30 % more tokens for the same text than Claude 4.5's). Usage, the prompt-cache
counters and the context-window check all count in these tokens, as Bedrock's come from one
tokenizer.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import BaseMessage

from agents.offline.model import input_tokens
from settings.model_catalog import CatalogModel


def model_tokens(model: CatalogModel | None, tokens: int) -> int:
    """`tokens` counted by the offline estimate, as `model`'s tokenizer counts them (the
    endpoint's own ``stratigos-offline-<role>`` ids: unchanged)."""
    ratio = model.tokenizer_ratio if model is not None else 1.0
    return tokens if ratio == 1.0 else math.ceil(tokens * ratio)


def prompt_tokens(
    model: CatalogModel | None, messages: Sequence[BaseMessage], tools: Sequence[dict[str, Any]]
) -> int:
    """The prompt tokens of a request (its messages and tool definitions) on `model`: the
    offline estimate, at least one a word of the messages' text, scaled by the tokenizer."""
    words = sum(len(message.text.split()) for message in messages)
    return model_tokens(model, max(input_tokens(messages, tools), words))


def bedrock_usage(prompt: int, output: int) -> dict[str, int]:
    """Bedrock usage (``inputTokens``, ``outputTokens``, ``totalTokens``) of a reply whose
    whole prompt is `prompt` tokens and whose output (thinking and text, `converse.output`) is
    `output` tokens, both in the model's tokens."""
    return {"inputTokens": prompt, "outputTokens": output, "totalTokens": prompt + output}


__all__ = ["bedrock_usage", "model_tokens", "prompt_tokens"]
