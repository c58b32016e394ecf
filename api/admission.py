"""Admission control: a bounded amount of work in flight per process and a global rate limit, at
a price a flood of clients cannot exploit.

`AdmissionControl` (ASGI middleware; only the disconnect guard and CORS come before it, so that
refusals carry CORS headers: `api.app`) checks every HTTP request before the app sees it. A request is in flight from its admission until its response starts (a
streamed response, such as a job's events, stops counting once its first bytes are sent). When
`max_in_flight` requests are in flight, or all callers together have used up the global token
bucket, the request is refused at once with 503 `OVERLOADED` and `Retry-After` (seconds) instead
of waiting in a queue for seconds. The per-caller limit (`api.limits.RateLimiter`, 429) still
applies to what is admitted. Health checks (`HEALTH_PATHS`) are neither counted nor refused nor
held: a load balancer must see a busy process as busy but ready (readiness says so), not as dead.

A refusal costs next to nothing: its bytes are rendered once (`Refusal`), the body is not read
nor the request routed, and uvicorn's access log leaves it out (`QuietRefusals`; a warning counts them, at the
first and every 1000th). A client that ignores `Retry-After` cannot turn that into a flood
either: the next request on a connection that was refused (503 here, or 429 from the per-caller
limit) is held, costing a timer and no work, until the `Retry-After` it was given has passed
(at most `HOLD_MAX_S`), and only then admitted or refused. A client that waits as asked is never
held; one that sends at once gets its answer when it would have sent.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
from collections.abc import Awaitable, Callable

from api.errors import error_json
from api.limits import ASGIApp, Message, RateLimiter, Receive, Scope, Send

log = logging.getLogger("stratigos.api.admission")

HEALTH_PATHS = frozenset({"/v1/health", "/v1/health/live"})
"""Paths never counted, refused nor held (`api.routes.health`)."""
BUSY_RETRY_AFTER_S = 1
"""`Retry-After` of a request refused because too many are in flight: admitted requests are
answered within about a second, so a place is free by then."""
HOLD_MAX_S = 1.0
"""The longest a request on a refused connection is held (a global-rate `Retry-After` may be
longer; the request is then refused again, held no longer than this)."""
HELD_CONNECTIONS_MAX = 10_000
"""Refused connections remembered at most; beyond, those whose hold is over are forgotten (and
all of them when none is over: a flood from that many connections at once is then not held)."""
GLOBAL_BUCKET = "*"
ACCESS_LOGGER = "uvicorn.access"

Connection = tuple[str, int]
"""A client connection as ASGI names it: (host, port)."""

_refusing: contextvars.ContextVar[bool] = contextvars.ContextVar("refusing", default=False)
"""True in the task of a request being refused (read by `QuietRefusals`)."""


class QuietRefusals(logging.Filter):
    """Leaves uvicorn's access log line out for requests refused by admission control (logged
    in the request's own task, while its refusal is sent)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _refusing.get()


QUIET_REFUSALS = QuietRefusals()


class Refusal:
    """A 503 `OVERLOADED` response rendered once: its headers and body as bytes."""

    def __init__(self, message: str, problem: str, wait: int) -> None:
        response = error_json(
            503,
            "OVERLOADED",
            f"{message}; retry in {wait} s",
            [{"field": "server", "problem": problem}],
            headers={"Retry-After": str(wait)},
        )
        self.wait = wait
        self.message = message
        self._headers = tuple(response.raw_headers)
        self._body = bytes(response.body)

    async def send(self, send: Send) -> None:
        """Send the response: new messages each time (a middleware outside may add headers to
        them, as CORS does), on the same bytes."""
        headers = list(self._headers)
        await send({"type": "http.response.start", "status": 503, "headers": headers})
        await send({"type": "http.response.body", "body": self._body})


class Admission:
    """The in-flight count, the global token bucket and the refused connections of one process
    (the event loop's thread is the only one to change them); `clock` gives monotonic seconds,
    `sleep` waits (tests pass their own)."""

    def __init__(
        self,
        max_in_flight: int,
        global_limiter: RateLimiter,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.max_in_flight = max_in_flight
        self.global_limiter = global_limiter
        self.clock = clock
        self.sleep = sleep
        self.in_flight = 0
        self.refused = 0
        """Requests refused so far (both reasons)."""
        self.held = 0
        """Requests held so far (sent on a refused connection before its `Retry-After`)."""
        self._busy = Refusal(
            f"the server is at its limit of {max_in_flight} requests in flight",
            f"{max_in_flight} of {max_in_flight} requests in flight",
            BUSY_RETRY_AFTER_S,
        )
        self._over_rate: dict[int, Refusal] = {}
        self._refused_until: dict[Connection, float] = {}

    def saturated(self) -> bool:
        """True when the next request would be refused for the work in flight."""
        return self.in_flight >= self.max_in_flight

    def refusal(self) -> Refusal | None:
        """The 503 for a request arriving now, or None when it is admitted (a global token
        is then taken)."""
        if self.saturated():
            refusal = self._busy
        else:
            wait = self.global_limiter.take(GLOBAL_BUCKET)
            if wait is None:
                return None
            refusal = self._over_rate.get(wait) or self._over_rate.setdefault(
                wait, self._global_refusal(wait)
            )
        self.refused += 1
        if self.refused == 1 or self.refused % 1000 == 0:
            log.warning("load shed: %s (%d requests refused so far)", refusal.message, self.refused)
        return refusal

    def _global_refusal(self, wait: int) -> Refusal:
        per_minute = self.global_limiter.rate * 60
        return Refusal(
            f"the server is at its limit of {per_minute:g} requests per minute overall",
            f"more than {per_minute:g} requests per minute from all callers",
            wait,
        )

    def refused_connection(self, connection: Connection | None, wait: float) -> None:
        """Remember that `connection` was told to wait `wait` seconds from now."""
        if connection is None:
            return
        now = self.clock()
        if len(self._refused_until) >= HELD_CONNECTIONS_MAX:
            self._refused_until = {c: t for c, t in self._refused_until.items() if t > now}
            if len(self._refused_until) >= HELD_CONNECTIONS_MAX:
                self._refused_until.clear()
        self._refused_until[connection] = now + min(wait, HOLD_MAX_S)

    async def hold(self, connection: Connection | None) -> None:
        """Wait until the `Retry-After` last given to `connection` has passed (at once when it
        was never refused, or waited as asked)."""
        if connection is None or not self._refused_until:
            return
        until = self._refused_until.pop(connection, None)
        if until is None:
            return
        remaining = until - self.clock()
        if remaining > 0:
            self.held += 1
            await self.sleep(remaining)


def _retry_after(message: Message) -> float | None:
    """The `Retry-After` seconds of a response start, if it has one."""
    for name, value in message.get("headers") or ():
        if name.lower() == b"retry-after":
            try:
                return float(value)
            except ValueError:
                return None
    return None


class AdmissionControl:
    """ASGI middleware admitting requests through an `Admission` (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, admission: Admission) -> None:
        self.app = app
        self.admission = admission
        logging.getLogger(ACCESS_LOGGER).addFilter(QUIET_REFUSALS)  # once: the same filter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in HEALTH_PATHS:
            await self.app(scope, receive, send)
            return
        admission = self.admission
        client = scope.get("client")
        connection = None if client is None else (client[0], client[1])
        await admission.hold(connection)
        refusal = admission.refusal()
        if refusal is not None:
            refusing = _refusing.set(True)
            try:
                await refusal.send(send)
            finally:
                _refusing.reset(refusing)
            admission.refused_connection(connection, refusal.wait)
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
                if message["status"] == 429:  # the per-caller limit: hold its next request too
                    wait = _retry_after(message)
                    if wait is not None:
                        admission.refused_connection(connection, wait)
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            release()
