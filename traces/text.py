"""The text of a message's content and the summary of a tool result that a trace carries."""

from __future__ import annotations

import json
from typing import Any

SUMMARY_MAX_CHARS = 500
"""Tool results are summarised to at most this many characters (the full result stays in state)."""


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
