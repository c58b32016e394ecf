"""`/mcp`: the MCP server over streamable HTTP inside the API app, behind the API's own doors.

Every HTTP request to `/mcp` is authenticated as a REST request is (`x-api-key`, or a Cognito
bearer token when configured: `api.context.authenticated_caller`) and counts against the same
per-caller rate limit; refusals are the API's errors (401, 403, 429 in the project's format).
The authenticated principal rides in the request's scope to the tools
(`api.mcp.server.PRINCIPAL_KEY`): every call is the caller's, whoever made the one before.

The endpoint is stateless (the SDK's stateless streamable HTTP): no session id is issued and
none is needed, each POST stands alone and any server process (any Lambda invocation) answers
it, as the design's "any process can serve any request" asks. What a session would carry lives
elsewhere: the caller in each request's credentials, the protocol version in its
`MCP-Protocol-Version` header, a draft in the owner's threads (its id is the handle a client
passes back), what a tool built in the recipe any process rebuilds it from
(`api.mcp.artifacts`). So nothing is asked through the client (no elicitation: its answer would come back
on another POST, which may reach another process): drafts wait for approval in the CLI, the web
UI or the API. GET (a stream for a session) and DELETE (ending one) answer 405, as the MCP
specification allows a server without sessions.

A POST's frame is checked before the SDK reads it (`api.mcp.frames`): anything refused is a
JSON-RPC error in our words, with the project's error document as its data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import anyio.to_thread
from starlette.exceptions import HTTPException
from starlette.responses import Response

from api.context import AppContext, authenticated_caller
from api.contract import read_body, replayed
from api.errors import ApiError, error_json

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    from api.mcp.frames import Methods, Refusal

PATH = "/mcp"
"""Where the endpoint is served."""
METHODS = ["GET", "POST", "DELETE"]
"""The methods of the streamable HTTP transport."""


class McpEndpoint:
    """The ASGI app served at `PATH` (start it with `running()` in the app's lifespan). The MCP
    server (the SDK, the assistant's tools and their graphs) is built, and its session manager
    started, on the first authenticated request, so an app that never serves MCP loads none of
    it."""

    def __init__(self, context: AppContext) -> None:
        self.context = context
        self._group: anyio.abc.TaskGroup | None = None
        self._starting: anyio.Lock | None = None
        self._manager: StreamableHTTPSessionManager | None = None
        self._methods: Methods = {}

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve MCP for the `with` block (the SDK's manager runs once: each block gets a new
        one, started by its first request)."""
        try:
            async with anyio.create_task_group() as group:
                self._group, self._starting = group, anyio.Lock()  # this event loop's
                try:
                    yield
                finally:
                    self._group = None
                    group.cancel_scope.cancel()  # ends the manager and the requests it serves
        finally:
            self._manager = None

    async def _started(self) -> StreamableHTTPSessionManager | None:
        """The running session manager, built and started on first use (None outside
        `running()`)."""
        if self._starting is None:
            return None
        async with self._starting:
            if self._manager is None and self._group is not None:
                group = self._group
                manager = await anyio.to_thread.run_sync(self._new_manager)
                await group.start(self._serve, manager)
                self._manager = manager
        return self._manager

    def _new_manager(self) -> StreamableHTTPSessionManager:
        import mcp.types as types
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        from api.mcp.artifacts import INSTANCE
        from api.mcp.frames import methods_of
        from api.mcp.server import build_server

        settings = self.context.settings
        # no session carries an elicitation's answer back to the process that asked
        mcp = settings.mcp.model_copy(update={"elicitation_approvals": False})
        server = build_server(
            settings.model_copy(update={"mcp": mcp}), lambda: self.context.store, instance=INSTANCE
        )
        # what the server serves: its handlers' requests, and initialize (the session's own)
        self._methods = methods_of([*server.request_handlers, types.InitializeRequest])
        return StreamableHTTPSessionManager(server, stateless=True)

    @staticmethod
    async def _serve(
        manager: StreamableHTTPSessionManager,
        *,
        task_status: anyio.abc.TaskStatus[None] = anyio.TASK_STATUS_IGNORED,
    ) -> None:
        async with manager.run():
            task_status.started()
            await anyio.sleep_forever()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        client = scope.get("client")
        try:
            principal = await authenticated_caller(
                self.context,
                headers.get("x-api-key"),
                headers.get("authorization"),
                client[0] if client else None,
            )
        except ApiError as exc:
            answer = error_json(exc.status, exc.code, exc.message, exc.details, exc.headers)
            await answer(scope, receive, send)
            return
        manager = await self._started()
        if manager is None:
            unavailable = error_json(503, "UNAVAILABLE", "the MCP endpoint is not running")
            await unavailable(scope, receive, send)
            return
        from api.mcp.frames import method_refusal, refusal, size_refusal

        if scope["method"] != "POST":
            await _answer(method_refusal(scope["method"]), scope, receive, send)
            return
        try:
            body = await read_body(receive)
        except HTTPException as exc:  # the body size limit, counting a chunked body
            await _answer(size_refusal(exc.status_code, str(exc.detail)), scope, receive, send)
            return
        refused = refusal(headers, body, self._methods)
        if refused is not None:
            await _answer(refused, scope, receive, send)
            return
        from api.mcp.server import PRINCIPAL_KEY

        scope = {**scope, PRINCIPAL_KEY: principal}
        await manager.handle_request(scope, replayed(body, receive), send)


async def _answer(refused: Refusal, scope: dict[str, Any], receive: Any, send: Any) -> None:
    answer = Response(
        refused.body(),
        status_code=refused.status,
        headers=refused.headers,
        media_type="application/json",
    )
    await answer(scope, receive, send)
