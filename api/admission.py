"""Admission control: a bounded amount of work in flight per process and a global rate limit.

`AdmissionControl` (ASGI middleware) checks every HTTP request before the app sees it. A request
is in flight from its admission until its response starts (a streamed response, such as a job's
events, stops counting once its first bytes are sent). When `max_in_flight` requests are in
flight, or all callers together have used up the global token bucket, the request is refused
at once with 503 `OVERLOADED` and `Retry-After` (seconds) instead of waiting in a queue for
seconds. The per-caller limit (`api.limits.RateLimiter`, 429) still applies to what is
admitted. Health checks (`HEALTH_PATHS`) are neither counted nor refused: a load balancer must
see a busy process as busy (readiness says so), not as dead.
"""

from __future__ import annotations

import logging

from starlette.responses import JSONResponse

from api.errors import error_json
from api.limits import ASGIApp, Message, RateLimiter, Receive, Scope, Send

log = logging.getLogger("stratigos.api.admission")

HEALTH_PATHS = frozenset({"/v1/health", "/v1/health/live"})
"""Paths never counted nor refused (`api.routes.health`)."""
BUSY_RETRY_AFTER_S = 1
"""`Retry-After` of a request refused because too many are in flight: admitted requests are
answered within about a second, so a place is free by then."""
GLOBAL_BUCKET = "*"


class Admission:
    """The in-flight count and the global token bucket of one process (the event loop's
    thread is the only one to change them)."""

    def __init__(self, max_in_flight: int, global_limiter: RateLimiter) -> None:
        self.max_in_flight = max_in_flight
        self.global_limiter = global_limiter
        self.in_flight = 0
        self.refused = 0
        """Requests refused so far (both reasons)."""

    def saturated(self) -> bool:
        """True when the next request would be refused for the work in flight."""
        return self.in_flight >= self.max_in_flight

    def refusal(self) -> JSONResponse | None:
        """The 503 for a request arriving now, or None when it is admitted (a global token
        is then taken)."""
        if self.saturated():
            wait = BUSY_RETRY_AFTER_S
            message = f"the server is at its limit of {self.max_in_flight} requests in flight"
            problem = f"{self.in_flight} of {self.max_in_flight} requests in flight"
        else:
            seconds = self.global_limiter.take(GLOBAL_BUCKET)
            if seconds is None:
                return None
            wait = seconds
            per_minute = self.global_limiter.rate * 60
            message = f"the server is at its limit of {per_minute:g} requests per minute overall"
            problem = f"more than {per_minute:g} requests per minute from all callers"
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            log.warning("load shed: %s (%d requests refused so far)", message, self.refused)
        return error_json(
            503,
            "OVERLOADED",
            f"{message}; retry in {wait} s",
            [{"field": "server", "problem": problem}],
            headers={"Retry-After": str(wait)},
        )


class AdmissionControl:
    """ASGI middleware admitting requests through an `Admission` (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, admission: Admission) -> None:
        self.app = app
        self.admission = admission

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path") in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        admission = self.admission
        refused = admission.refusal()
        if refused is not None:
            await refused(scope, receive, send)
            return
        admission.in_flight += 1
        counted = True

        def release() -> None:
            nonlocal counted
            if counted:
                counted = False
                admission.in_flight -= 1

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                release()
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()
