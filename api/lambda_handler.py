"""AWS Lambda entry point for the buffered REST routes: `api.lambda_handler.handler`.

Mangum translates API Gateway REST (v1) and HTTP API (v2) events and Lambda Function URL
events into ASGI requests. It buffers each response, so Server-Sent Events arrive all at once
when the stream ends: streamed traces need the container image with the AWS Lambda Web
Adapter in response-streaming mode (infra/, docs/DEPLOY.md), which runs `api.app:app` under
uvicorn instead. The app's lifespan is off: a Lambda instance runs no job workers (set
`STRATIGOS_API_JOB_WORKERS=0`; the SQS worker function runs jobs) and opens the store on
first use, keeping it for later invocations of the same instance. Event streams answered here
send the events stored so far and end (`event: end` with the job's current status and
`"more": true` while it runs) instead of following the job: the client reconnects with
`Last-Event-ID`.
"""

from __future__ import annotations

from typing import Any

from mangum import Mangum

from api.app import create_app
from settings import get_settings
from settings.logs import configure_logging
from settings.tracing import configure_tracing, flush_tracing


class _FlushingMangum(Mangum):
    """Mangum, then the invocation's spans exported before it returns (a frozen Lambda
    instance sends nothing)."""

    def __call__(self, event: Any, context: Any) -> dict[str, Any]:
        try:
            return super().__call__(event, context)
        finally:
            flush_tracing()


def make_handler(app: Any = None) -> Mangum:
    """A Mangum handler for `app` (default: a new app on the process settings, with the
    tracing they ask for); each invocation exports its spans before it returns."""
    if app is None:
        settings = get_settings()
        configure_logging(settings)
        configure_tracing(settings)
        app = create_app(settings)
    app.state.context.buffered = True
    return _FlushingMangum(app, lifespan="off", api_gateway_base_path="/")


handler = make_handler()
"""The Lambda handler: `handler(event, context)`."""
