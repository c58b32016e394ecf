"""A server that answers its health checks while it loads its app (`stratigos serve`).

Importing the app (FastAPI, the routes and their schemas; the routes' services and numeric
libraries load on first use) takes a good part of a second; `StartingApp` lets uvicorn listen
before that. On start-up it loads the app in a thread (`load`, e.g. `api.app.create_app`) and
then runs the app's own start-up (its lifespan: tracing, job workers; the market data then loads
in the background) before any request reaches it. Meanwhile:

- `GET /v1/health/live` answers `ok` (the process is up); `GET /v1/health` (readiness) answers
  503 `UNAVAILABLE` with `Retry-After`, naming `routes` (still loading) or `store` (when the
  store cannot be read): the server accepts requests but is not ready to serve them promptly,
  so a load balancer keeps sending work elsewhere; neither imports anything of the app;
- every other request (HTTP or WebSocket) waits on the event loop until the app has started and
  is then served by it, so no request fails or finds no route because the app is still loading.

Once the app has started, every request goes to it, the health routes included. A server
stopped while it loads stops once the import under way has ended, without starting the app (a
process that exits while a thread runs an extension's import may abort at finalization). When loading or
starting the app fails, the error is logged, `on_failure` is called (the server stops: see
`api.server`) and waiting and later requests get 503.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from functools import cache
from importlib import metadata
from typing import Any

from api.memory import cap_malloc_arenas
from api.schemas.health import Liveness
from jobs.worker import SYSTEM_OWNER
from settings import Settings
from store import Store, StoreError

log = logging.getLogger("stratigos.api.startup")

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[Message], Any]
ASGIApp = Callable[[Scope, Receive, Send], Any]

LIVE_PATH = "/v1/health/live"
READY_PATH = "/v1/health"
STORE_CHECK_TIMEOUT_S = 10.0
LOAD_JOIN_SECONDS = 60.0
"""How long a server stopped while it loads waits for the import under way to end, seconds."""
"""How long a starting server's readiness waits for the store to answer."""


class StartingApp:
    """The ASGI app uvicorn serves: `load()`'s app once it has started, the answers above until
    then (see the module docstring). `store` is the one the loaded app uses (readiness reads it
    while loading); `on_failure` is called on the event loop when the app cannot be loaded or
    started."""

    def __init__(
        self,
        load: Callable[[], ASGIApp],
        settings: Settings,
        store: Store,
        on_failure: Callable[[BaseException], None],
    ) -> None:
        self._load = load
        self._settings = settings
        self._store = store
        self._on_failure = on_failure
        self._app: ASGIApp | None = None
        self._lifespan: _Lifespan | None = None
        self._started = asyncio.Event()
        self.failure: BaseException | None = None
        """Why the app did not load or start (None while loading and once started)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._serve_lifespan(receive, send)
            return
        if not self._started.is_set() and scope["type"] == "http" and scope["method"] == "GET":
            if scope["path"] == LIVE_PATH:
                await _send_json(send, 200, Liveness(status="ok", version=_version()))
                return
            if scope["path"] == READY_PATH:
                await self._starting_health(send)
                return
        await self._started.wait()
        if self._app is not None:
            await self._app(scope, receive, send)
        elif scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1011})
        else:
            await _send_unavailable(send, "the server did not start or is stopping", "server")

    async def _serve_lifespan(self, receive: Receive, send: Send) -> None:
        """uvicorn's start-up completes at once (loading goes on in the background). Its
        shutdown abandons an app still being imported, once the import under way has ended (an
        interpreter that finalizes while a thread runs an extension's import may abort), or
        shuts the loaded app down."""
        await receive()  # lifespan.startup
        cap_malloc_arenas()  # before the loading thread and the app's threads start (api.memory)
        loaded: asyncio.Future[ASGIApp] = asyncio.get_running_loop().create_future()
        loader = threading.Thread(
            target=self._load_into, args=(loaded,), name="app-loader", daemon=True
        )
        loader.start()
        starting = asyncio.create_task(self._start(loaded))
        await send({"type": "lifespan.startup.complete"})
        await receive()  # lifespan.shutdown
        loaded.cancel()  # no effect once loaded: an app being started is then waited for
        await asyncio.wait({starting})
        await asyncio.to_thread(loader.join, LOAD_JOIN_SECONDS)  # the app is never started
        try:
            if self._lifespan is not None:
                await self._lifespan.shutdown()
        except Exception as exc:
            await send({"type": "lifespan.shutdown.failed", "message": str(exc)})
            return
        await send({"type": "lifespan.shutdown.complete"})

    def _load_into(self, loaded: asyncio.Future[ASGIApp]) -> None:
        """The loading thread: `load()`'s app or its error, handed to the event loop."""
        try:
            outcome: ASGIApp | BaseException = self._load()
        except Exception as exc:
            outcome = exc
        with suppress(RuntimeError):  # the loop has closed: the server stopped meanwhile
            loaded.get_loop().call_soon_threadsafe(_settle, loaded, outcome)

    async def _start(self, loaded: asyncio.Future[ASGIApp]) -> None:
        try:
            app = await loaded
            lifespan = _Lifespan(app)
            await lifespan.startup()
            self._lifespan = lifespan
            self._app = app
        except Exception as exc:
            log.exception("the API could not be loaded or started")
            self.failure = exc
            self._on_failure(exc)
        finally:
            self._started.set()  # waiting requests go to the app, or get 503

    async def _starting_health(self, send: Send) -> None:
        """Readiness while loading: 503 naming the store when it cannot be read (in a thread,
        as the app's check is), else 503 naming the routes, which are still loading."""
        try:
            await asyncio.wait_for(
                asyncio.to_thread(self._store.list_jobs, SYSTEM_OWNER, limit=1),
                STORE_CHECK_TIMEOUT_S,
            )
        except (StoreError, TimeoutError) as exc:
            log.error("readiness: the store cannot be read: %s", exc)
            await _send_unavailable(send, "the store cannot be read", "store")
            return
        await _send_unavailable(
            send, "the server has just started and is loading its routes", "routes", retry_after=1
        )


def _settle(future: asyncio.Future[ASGIApp], outcome: ASGIApp | BaseException) -> None:
    """Resolve `future` with the loaded app or the error (unless cancelled meanwhile)."""
    if future.done():
        return
    if isinstance(outcome, BaseException):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)


class _Lifespan:
    """Runs an ASGI app's lifespan (start-up, later shutdown) as a server would."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._to_app: asyncio.Queue[Message] = asyncio.Queue()
        self._from_app: asyncio.Queue[Message] = asyncio.Queue()
        self._task: asyncio.Task[Any] | None = None

    async def startup(self) -> None:
        """Start the app; RuntimeError when it reports a failed start-up or ends without one."""
        scope = {"type": "lifespan", "asgi": {"version": "3.0", "spec_version": "2.0"}}
        self._task = asyncio.create_task(self._app(scope, self._to_app.get, self._from_app.put))
        await self._step("startup")

    async def shutdown(self) -> None:
        """Shut the app down and wait for its lifespan to end."""
        await self._step("shutdown")
        if self._task is not None:
            await self._task

    async def _step(self, step: str) -> None:
        assert self._task is not None
        await self._to_app.put({"type": f"lifespan.{step}"})
        reply = asyncio.ensure_future(self._from_app.get())
        await asyncio.wait({reply, self._task}, return_when=asyncio.FIRST_COMPLETED)
        if not reply.done():  # the app's lifespan ended (raised) without answering
            reply.cancel()
            self._task.result()
            raise RuntimeError(f"the app's lifespan ended before its {step} completed")
        message = reply.result()
        if message["type"] != f"lifespan.{step}.complete":
            raise RuntimeError(message.get("message") or f"the app's {step} failed")


@cache
def _version() -> str:
    return metadata.version("stratigos")


async def _send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    """One JSON response: `body` a pydantic model or plain data."""
    data = body.model_dump_json() if hasattr(body, "model_dump_json") else json.dumps(body)
    raw = data.encode()
    fields = [(b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode())]
    fields += [(name.encode(), value.encode()) for name, value in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": fields})
    await send({"type": "http.response.body", "body": raw})


async def _send_unavailable(send: Send, problem: str, part: str, retry_after: int = 5) -> None:
    """503 in the API's error format (`api.errors`), naming the `part` that is down, with
    `Retry-After` (seconds)."""
    body = {
        "error": {
            "code": "UNAVAILABLE",
            "message": f"not ready: {problem}; retry later",
            "details": [{"field": part, "problem": problem}],
        }
    }
    await _send_json(send, 503, body, {"retry-after": str(retry_after)})
