"""Prompt caching as Bedrock reports it, for the local endpoint.

A request's cache points (``cachePoint`` blocks) are read in Bedrock's order: the tool
definitions (``toolConfig.tools``), the system blocks, then each message's content. Its
cacheable prefix is what precedes the last one. On a model whose catalog entry caches, the
first request with a prefix writes it to the cache and later ones read it, only when the prefix
reaches the model's minimum (settings/model_catalog.toml; when the documentation gives no
minimum, none is applied). Tokens are counted as the model's tokenizer would
(`converse.tokens`).

The cache (`PromptCache`) holds an entry per model id called and prefix: another model, or
another inference profile of the same model, never reads what one wrote (each model has its own
cache: a model switch costs a turn without cache hits, Anthropic's "How Claude Code uses prompt
caching", https://code.claude.com/docs/en/prompt-caching; a profile routes to other Regions). An
entry lives for its cache point's TTL (``5m``, the default, or ``1h``) from its last write or
read: "The cache has a Time To Live (TTL) that resets with each successful cache hit. ... If no
cache hit occurs within the TTL, the cache expires" (Amazon Bedrock's prompt caching page,
https://docs.aws.amazon.com/bedrock/latest/userguide/prompt-caching.html, read in its Korean
and Japanese copies). Its clock is the endpoint's (injectable: `serve(clock=...)`).

Usage follows Bedrock's semantics (its TokenUsage shape): ``inputTokens`` excludes what was read
from or written to the cache; ``cacheReadInputTokens`` and ``cacheWriteInputTokens`` report
them; ``totalTokens`` = input + output + cache read + cache write; ``cacheDetails`` breaks the
writes down by TTL.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from agents.offline.model import estimate_tokens
from devtools.local_bedrock.converse.call import _invalid
from devtools.local_bedrock.converse.tokens import model_tokens
from settings.model_catalog import CatalogModel

TTL_SECONDS = {"5m": 300.0, "1h": 3600.0}
"""The TTLs a cache point takes (botocore's ``CachePointBlock.ttl``), in seconds."""


@dataclass(frozen=True)
class CachePrefix:
    """A request's cacheable prefix (serialised) and the TTL of its last cache point."""

    text: str
    ttl: str = "5m"


def _blocks(body: Mapping[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every block of the request in Bedrock's order, with where it is (``toolConfig.tools``,
    ``system``, ``messages.I``)."""
    for block in (body.get("toolConfig") or {}).get("tools") or []:
        yield "toolConfig.tools", block
    for block in body.get("system") or []:
        yield "system", block
    for i, message in enumerate(body.get("messages") or []):
        content = message.get("content") if isinstance(message, dict) else None
        for block in content if isinstance(content, list) else []:
            yield f"messages.{i}", block


def cache_points(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The request's ``cachePoint`` blocks, in Bedrock's order."""
    return [
        block["cachePoint"] or {}
        for _, block in _blocks(body)
        if isinstance(block, dict) and "cachePoint" in block
    ]


def cache_prefix(body: Mapping[str, Any]) -> CachePrefix | None:
    """The prefix before the request's last cache point (None without one); a TTL other than
    ``5m`` or ``1h`` is a ValidationException."""
    parts: list[Any] = []
    found: CachePrefix | None = None
    for where, block in _blocks(body):
        if isinstance(block, dict) and "cachePoint" in block:
            ttl = str((block["cachePoint"] or {}).get("ttl") or "5m")
            if ttl not in TTL_SECONDS:
                raise _invalid(f"{where}: cachePoint.ttl must be 5m or 1h; got {ttl!r}")
            found = CachePrefix(json.dumps(parts, sort_keys=True), ttl)
        else:
            parts.append(block)
    return found


class PromptCache:
    """The endpoint's prompt cache (see the module docstring): entries by model id and prefix,
    each until `clock()` (seconds) passes its expiry."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._expires: dict[tuple[str, str], float] = {}
        self._lock = threading.Lock()

    def usage(
        self,
        model_id: str,
        model: CatalogModel | None,
        prefix: CachePrefix | None,
        input_tokens: int,
    ) -> dict[str, Any]:
        """The request's cache counters (`input_tokens`: the whole prompt's, on `model`):
        written when `model_id` has no live entry for the prefix, read (and kept alive for its
        TTL again) when it has; both 0 below the model's minimum; none when the request has no
        cache point or the model does not cache."""
        if prefix is None or (model is not None and not model.cache.supported):
            return {}
        tokens = min(model_tokens(model, estimate_tokens(prefix.text)), max(0, input_tokens - 1))
        minimum = model.cache.min_tokens if model is not None else None
        if minimum is not None and tokens < minimum:
            return {"cacheReadInputTokens": 0, "cacheWriteInputTokens": 0}
        key = (model_id, prefix.text)
        with self._lock:
            now = self.clock()
            hit = self._expires.get(key, now) > now
            self._expires[key] = now + TTL_SECONDS[prefix.ttl]
            for stale in [k for k, until in self._expires.items() if until <= now]:
                del self._expires[stale]
        if hit:
            return {"cacheReadInputTokens": tokens, "cacheWriteInputTokens": 0}
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


__all__ = [
    "TTL_SECONDS",
    "CachePrefix",
    "PromptCache",
    "cache_points",
    "cache_prefix",
    "with_cache",
]
