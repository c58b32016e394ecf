"""The text of a message's content and the summary of a tool result that a trace carries."""

from __future__ import annotations

import json
from typing import Any

SUMMARY_MAX_CHARS = 500
"""Tool results are summarised to at most this many characters (the full result stays in state)."""

REASONING_BLOCK_TYPES = frozenset(
    {"reasoning", "reasoning_content", "thinking", "redacted_thinking"}
)
"""Content-block types that hold a model's thinking (langchain-aws's ``reasoning_content`` from
Bedrock's ``reasoningContent``, LangChain's standard ``reasoning``, Anthropic's ``thinking``)."""


REASONING_MAX_CHARS = 1000
"""A trace keeps at most this many characters of an agent's thinking (its size in full)."""


def is_reasoning_block(block: Any) -> bool:
    """Whether a content block holds thinking (never the answer: `message_text` skips it)."""
    return isinstance(block, dict) and block.get("type") in REASONING_BLOCK_TYPES


def message_reasoning(content: Any) -> tuple[str, bool] | None:
    """The thinking in a message's content: its text (the pieces of a streamed chunk, or the
    blocks of a whole message, joined) and whether a block was redacted (encrypted, no text);
    None when the content holds no thinking."""
    if not isinstance(content, list):
        return None
    parts: list[str] = []
    redacted = found = False
    for block in content:
        if not is_reasoning_block(block):
            continue
        found = True
        inner = block.get(block["type"])
        if isinstance(inner, str):  # LangChain's "reasoning", Anthropic's "thinking"
            parts.append(inner)
            continue
        inner = inner if isinstance(inner, dict) else {}
        redacted = (
            redacted
            or block["type"] == "redacted_thinking"
            or bool(inner.get("redacted_content") or inner.get("redactedContent"))
        )
        if isinstance(inner.get("text"), str):
            parts.append(inner["text"])
    return ("".join(parts), redacted) if found else None


def message_text(content: Any) -> str:
    """The text of a message's content: a string, or the text blocks of a content-block list."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts: list[str] = []
        for block in content:
            if isinstance(block, str):
                parts.append(block)
            elif isinstance(block, dict) and block.get("type") == "text":
                text = block.get("text")
                if isinstance(text, str):
                    parts.append(text)
        return "".join(parts)
    return ""


def summarize(content: Any, limit: int = SUMMARY_MAX_CHARS) -> str:
    """Content as text (JSON for non-strings), cut to `limit` characters ending in "…" if cut."""
    text = message_text(content) if isinstance(content, str | list) else ""
    if not text and content not in ("", [], None):
        try:
            text = json.dumps(content, default=str, separators=(",", ":"))
        except (TypeError, ValueError):
            text = str(content)
    return text if len(text) <= limit else text[: limit - 1] + "…"
