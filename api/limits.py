"""Request limits: body size (413) and a per-caller rate limit (429 with `Retry-After`)."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from starlette.exceptions import HTTPException

from api.errors import ApiError, error_json

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UPLOAD_PATHS = ("/v1/market-data/datasets", "/v1/documents", "/v1/import")
"""Routes whose bodies may be as large as `api_max_upload_bytes` (file uploads, an owner's
archive)."""


class BodySizeLimit:
    """ASGI middleware refusing bodies above the limit with 413 before the route reads them.

    `Content-Length` is checked up front; a chunked body is counted as it arrives and the
    route's read fails with 413 once the count passes the limit.
    """

    def __init__(self, app: ASGIApp, *, max_body_bytes: int, max_upload_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_upload_bytes = max_upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope.get("path", "")
        limit = self.max_upload_bytes if path in UPLOAD_PATHS else self.max_body_bytes
        headers = dict(scope.get("headers") or [])
        declared = headers.get(b"content-length")
        if declared is not None:
            try:
                size = int(declared)
            except ValueError:
                size = -1
            if size < 0:
                response = error_json(
                    400,
                    "BAD_REQUEST",
                    "invalid Content-Length header",
                    [{"field": "header.content-length", "problem": "not a non-negative integer"}],
                )
                await response(scope, receive, send)
                return
            if size > limit:
                response = too_large(size, limit)
                await response(scope, receive, send)
                return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # an HTTPException passes FastAPI's body parsing unchanged (others become 400)
                    raise HTTPException(
                        413, f"the request body is larger than the limit of {limit} bytes"
                    )
            return message

        await self.app(scope, counted, send)


def too_large(size: int, limit: int) -> Any:
    """The 413 response for a declared body of `size` bytes."""
    return error_json(
        413,
        "PAYLOAD_TOO_LARGE",
        f"the request body ({size} bytes) is larger than the limit of {limit} bytes",
        [{"field": "body", "problem": f"{size} bytes; the limit is {limit}"}],
    )


class RateLimiter:
    """Token buckets per caller: `burst` requests at once, refilled at `per_minute` / 60 per
    second. In-process: each API process (or Lambda instance) counts its own requests; the
    gateway's usage plans bound the total in production."""

    def __init__(
        self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, caller: str) -> int | None:
        """Take one token for `caller`: None when there was one, else the whole seconds until
        the next one (nothing is taken)."""
        now = self.clock()
        with self._lock:
            tokens, last = self._buckets.get(caller, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[caller] = (tokens, now)
                return math.ceil((1.0 - tokens) / self.rate)
            if len(self._buckets) > 100_000:
                self._buckets.clear()
            self._buckets[caller] = (tokens - 1.0, now)
            return None

    def check(self, caller: str) -> None:
        """Take one token for `caller`, or raise 429 with the seconds until the next one."""
        wait = self.take(caller)
        if wait is not None:
            raise ApiError(
                429,
                "RATE_LIMITED",
                f"rate limit exceeded ({self.rate * 60:g} requests per minute); retry in {wait} s",
                [("header.x-api-key", "too many requests")],
                headers={"Retry-After": str(wait)},
            )
