"""The root span of an API request (docs/tracing.md): ASGI middleware, outermost, so refused
requests (401, 413, 429) are traced too.

Span `{METHOD} {route}` (kind SERVER; `http.request.method`, `http.route` the route's template,
e.g. `/v1/jobs/{job_id}`, never the concrete path, `http.response.status_code`); no headers,
query strings or bodies. Without a tracer provider (`tracing` off or langsmith) requests pass
straight through.
"""

from __future__ import annotations

import asyncio
from typing import Any

from opentelemetry.trace import SpanKind, Status, StatusCode

from api.limits import ASGIApp, Message, Receive, Scope, Send
from settings.tracing import flush_tracing, set_error, tracer, tracing_installed


class RequestSpans:
    """ASGI middleware giving each HTTP request a span (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, flush: bool = False) -> None:
        """`flush`: export each request's spans before its response completes (Lambda)."""
        self.app = app
        self.flush = flush

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not tracing_installed():
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        status: dict[str, int] = {}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = int(message["status"])
            await send(message)

        with tracer().start_as_current_span(
            method,
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, record)
            except BaseException as exc:
                set_error(span, exc)
                raise
            finally:
                route = _route(scope)
                if route is not None:
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                if "code" in status:
                    span.set_attribute("http.response.status_code", status["code"])
                    if status["code"] >= 500:
                        span.set_status(Status(StatusCode.ERROR))
        if self.flush:
            await asyncio.to_thread(flush_tracing)


def _route(scope: Scope) -> str | None:
    """The matched route's path template, if routing matched one."""
    route: Any = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None
