"""Answers that never change once they exist, marked so that a cache in front of the API (the
deployed stack's CloudFront distribution, `infra/stacks/edge.py`) may keep them briefly, for
the caller who asked and no one else.

`immutable(response)` is called on the answer of something final: a succeeded optimization's
results (any page of its trials) and report, a stored optimization result, a stored simulation.
It sets `Cache-Control: max-age=30, s-maxage=30, immutable` (`IMMUTABLE_SECONDS`, the time a
process remembers a verified API key: a cached answer never outlives a revoked key by more than
the app itself does) and `Vary: Authorization, X-Api-Key`: a cache keeps one copy per caller's
credentials, so one owner's answer can never reach another (the edge's cache policy keys on the
same headers). Every other answer of the API (errors included) says nothing of caching, and the
edge, whose policy keeps only what the origin allows (no default time), never keeps it.
"""

from __future__ import annotations

from fastapi import Response

from api.auth import KEY_CACHE_SECONDS

IMMUTABLE_SECONDS = int(KEY_CACHE_SECONDS)
"""How long a cache may keep an immutable answer (seconds): a verified key's memory."""
IMMUTABLE_CACHE = f"max-age={IMMUTABLE_SECONDS}, s-maxage={IMMUTABLE_SECONDS}, immutable"
CALLER_HEADERS = ("Authorization", "X-Api-Key")
"""The request headers that name the caller: every cached copy is keyed on them."""


def immutable(response: Response) -> None:
    """Mark `response` as an immutable answer for its caller (see the module docstring)."""
    response.headers["Cache-Control"] = IMMUTABLE_CACHE
    response.headers["Vary"] = ", ".join(CALLER_HEADERS)
