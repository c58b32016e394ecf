"""Prompt caching as Bedrock reports it, for the local endpoint.

The cacheable prefix of a request is what precedes its last ``cachePoint``, in Bedrock's order:
the tool definitions (``toolConfig.tools``), then the system blocks. The first request with a
prefix writes it to the cache, later ones with the same prefix read it, on models whose catalog
entry caches, and only when the prefix reaches the model's minimum (settings/model_catalog.toml;
when the documentation gives no minimum, none is applied). Tokens are counted as the model's
tokenizer would (`converse.tokens`).

Usage follows Bedrock's semantics (its TokenUsage shape): ``inputTokens`` excludes what was read
from or written to the cache; ``cacheReadInputTokens`` and ``cacheWriteInputTokens`` report
them; ``totalTokens`` = input + output + cache read + cache write; ``cacheDetails`` breaks the
writes down by TTL.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from agents.offline.model import estimate_tokens
from devtools.local_bedrock.converse.tokens import model_tokens
from settings.model_catalog import CatalogModel


@dataclass(frozen=True)
class CachePrefix:
    """A request's cacheable prefix (serialised) and the TTL of its last cache point."""

    text: str
    ttl: str = "5m"


def cache_prefix(body: Mapping[str, Any]) -> CachePrefix | None:
    """The prefix before the request's last cache point (None without one)."""
    parts: list[Any] = []
    found: CachePrefix | None = None
    tools = (body.get("toolConfig") or {}).get("tools") or []
    for block in [*tools, *(body.get("system") or [])]:
        if isinstance(block, dict) and "cachePoint" in block:
            ttl = (block["cachePoint"] or {}).get("ttl") or "5m"
            found = CachePrefix(json.dumps(parts, sort_keys=True), str(ttl))
        else:
            parts.append(block)
    return found


def cache_usage(
    prefix: CachePrefix | None, model: CatalogModel | None, seen: set[str], input_tokens: int
) -> dict[str, Any]:
    """The request's cache counters (see the module docstring; `input_tokens`: the whole
    prompt's, on `model`): written the first time a
    prefix is seen, read afterwards; both 0 below the model's minimum; none when the request
    has no cache point or the model does not cache. `seen` holds the prefixes already cached."""
    if prefix is None or (model is not None and not model.cache.supported):
        return {}
    tokens = min(model_tokens(model, estimate_tokens(prefix.text)), max(0, input_tokens - 1))
    minimum = model.cache.min_tokens if model is not None else None
    if minimum is not None and tokens < minimum:
        return {"cacheReadInputTokens": 0, "cacheWriteInputTokens": 0}
    if prefix.text in seen:
        return {"cacheReadInputTokens": tokens, "cacheWriteInputTokens": 0}
    seen.add(prefix.text)
    return {
        "cacheReadInputTokens": 0,
        "cacheWriteInputTokens": tokens,
        "cacheDetails": [{"ttl": prefix.ttl, "inputTokens": tokens}],
    }


def with_cache(usage: Mapping[str, int], cache: Mapping[str, Any]) -> dict[str, Any]:
    """Bedrock's usage of a call whose whole prompt is `usage["inputTokens"]`: the cached
    tokens taken out of ``inputTokens`` and listed apart; ``totalTokens`` counts each token
    once (input + output + cache read + cache write)."""
    if not cache:
        return dict(usage)
    cached = cache["cacheReadInputTokens"] + cache["cacheWriteInputTokens"]
    uncached = usage["inputTokens"] - cached
    total = uncached + usage["outputTokens"] + cached
    return {**usage, "inputTokens": uncached, "totalTokens": total, **cache}


__all__ = ["CachePrefix", "cache_prefix", "cache_usage", "with_cache"]
