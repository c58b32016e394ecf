"""The FastAPI application: `create_app()`; `app` (created on first use) is the instance uvicorn
and Lambda serve.

Every route is under `/v1` and documented in the OpenAPI schema (`/v1/openapi.json`, browsable
at `/v1/docs`); see docs/api.md. Errors follow `api.errors`.
"""

from __future__ import annotations

import gc
import os
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

import anyio.to_thread
from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from starlette.routing import Route

from api.admission import AdmissionControl
from api.context import AppContext
from api.contract import RequestContract, contract_of, contract_openapi
from api.disconnects import ClientDisconnects
from api.errors import install_error_handlers
from api.limits import BodySizeLimit
from api.mcp.http import METHODS as MCP_METHODS
from api.mcp.http import PATH as MCP_PATH
from api.mcp.http import McpEndpoint
from api.memory import cap_malloc_arenas
from api.routes import ROUTES
from api.tracing import RequestSpans
from services.errors import DataError
from settings import Settings
from settings.tracing import configure_tracing, flush_tracing
from store import Store

DESCRIPTION = """\
Stratigos: a multi-agent strategy assistant for dynamic asset allocation.

Authenticate with an API key in the `x-api-key` header (`stratigos keys create`) or, when a
Cognito user pool is configured, a bearer token. Every resource belongs to its creator; other
callers get 404. Errors always look like
`{"error": {"code": "VALIDATION_ERROR", "message": "...", "details": [{"field", "problem"}]}}`.
"""


WARM_UP_JOIN_SECONDS = 60.0
"""Longest a shutdown waits for the warm-up's step under way to finish (it takes a second)."""


def _market_data(context: AppContext) -> None:
    """Load the market data request validation reads (pandas and the data: half a second)."""
    from tools.market_frames import configured_market_data

    with suppress(DataError):
        configured_market_data(context.settings)


def _freeze_objects() -> None:
    """Collect, then move the objects still alive out of the cyclic collector's reach: the
    imported libraries leave ~10^6 long-lived objects, and freezing them keeps full garbage
    collections (tens of ms each) out of request latencies."""
    gc.collect()
    gc.freeze()


def _warm_up(app: FastAPI, context: AppContext, stopping: threading.Event) -> None:
    """Once the app serves: load what the first requests would otherwise wait for, one step
    after another, none begun once `stopping` is set (the app is shutting down)."""
    steps: tuple[Callable[[], object], ...] = (
        lambda: contract_of(app),  # the bodies' validators, off the event loop
        lambda: _market_data(context),
        _freeze_objects,
    )
    for step in steps:
        if stopping.is_set():
            return
        step()


def create_app(settings: Settings | None = None, store: Store | None = None) -> FastAPI:
    """A new app on `settings` (default: the process settings) and `store` (default: the
    configured store, opened on first use)."""
    context = AppContext(settings, store)
    mcp = McpEndpoint(context)

    def prepare() -> None:
        configure_tracing(context.settings)
        context.start()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        cap_malloc_arenas()  # before the worker threads start (api.memory)
        # the sync routes' threads: a few per core; dozens only queue for the interpreter lock
        # (and starve the event loop that answers health checks and sheds load)
        anyio.to_thread.current_default_thread_limiter().total_tokens = (
            context.settings.api.request_threads()
        )
        # in a thread: a server loading this app answers health checks meanwhile (api.startup)
        await anyio.to_thread.run_sync(prepare)
        # in the background: the app is ready without it (readiness does not wait for the data)
        stopping = threading.Event()
        warming = threading.Thread(
            target=_warm_up, args=(app, context, stopping), name="app-warm-up", daemon=True
        )
        warming.start()
        try:
            async with mcp.running():
                yield
        finally:
            # a shutdown soon after the start stops the warm-up after the step under way and
            # waits for that: no thread of ours is left running C code (pandas, the
            # validators) while the interpreter finalizes, and none of its later work is done
            stopping.set()
            await anyio.to_thread.run_sync(warming.join, WARM_UP_JOIN_SECONDS)
            # in a thread of its own (not one of the requests', which turns may hold): the loop
            # meanwhile streams the answers of the turns the close stops
            await anyio.to_thread.run_sync(context.close, limiter=anyio.CapacityLimiter(1))
            flush_tracing()

    app = FastAPI(
        title="Stratigos API",
        version="1",
        description=DESCRIPTION,
        openapi_url="/v1/openapi.json",
        docs_url="/v1/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.context = context
    app.openapi = lambda: contract_openapi(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.router.routes.extend(ROUTES.routes)  # as made: include_router would build them again
    app.router.routes.append(Route(MCP_PATH, mcp, methods=MCP_METHODS, include_in_schema=False))
    app.add_middleware(RequestContract)  # inside the size limit: it reads bodies it allows
    app.add_middleware(
        BodySizeLimit,
        max_body_bytes=context.settings.api.max_body_bytes,
        max_upload_bytes=context.settings.api.max_upload_bytes,
    )
    # outermost, so refused requests are traced too; on Lambda (the Web Adapter's uvicorn) each
    # request's spans leave before the response ends, as a frozen instance sends nothing
    app.add_middleware(RequestSpans, flush=bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME")))
    # before any work (and the spans): a refusal must cost next to nothing
    app.add_middleware(AdmissionControl, admission=context.admission)
    if context.settings.api.cors_origins:  # outermost: refusals carry the headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=context.settings.api.cors_origins,
            allow_methods=["GET", "POST", "PATCH", "PUT", "DELETE"],
            allow_headers=["authorization", "content-type", "x-api-key", "last-event-id"],
            expose_headers=["content-location", "location", "retry-after"],
        )
    app.add_middleware(ClientDisconnects)  # outermost: it wraps the server's own `send`
    return app


_app: FastAPI | None = None


def __getattr__(name: str) -> FastAPI:
    """`app`, the instance uvicorn (`api.app:app`) and the Lambda Web Adapter serve: created on
    first use, so `stratigos serve` and tests that create their own apps do not build it."""
    global _app
    if name != "app":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    if _app is None:
        _app = create_app()
    return _app
