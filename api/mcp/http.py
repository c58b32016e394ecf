"""`/mcp`: the MCP server over streamable HTTP inside the API app, behind the API's own doors.

Every HTTP request to `/mcp` (the JSON-RPC POSTs, the event-stream GET, the session's DELETE)
is authenticated as a REST request is (`x-api-key`, or a Cognito bearer token when configured:
`api.context.authenticated_caller`) and counts against the same per-caller rate limit;
refusals are the API's errors (401, 403, 429 in the project's format). The authenticated
principal rides in the request's scope to the tools (`api.mcp.server.PRINCIPAL_KEY`), and the
SDK's session manager binds each MCP session to the owner who opened it: another owner
presenting its session id is answered as if it did not exist (404).

Sessions live in this process. Behind AWS Lambda (several instances, no shared memory) the
endpoint runs stateless: each request stands alone, and drafts wait for approval in the UI or
the API instead of asking through the client.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc
import anyio.to_thread

from api.context import AppContext, authenticated_caller
from api.errors import ApiError, error_json

if TYPE_CHECKING:
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

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
        self.stateless = bool(os.environ.get("AWS_LAMBDA_FUNCTION_NAME"))
        self._group: anyio.abc.TaskGroup | None = None
        self._starting: anyio.Lock | None = None
        self._manager: StreamableHTTPSessionManager | None = None

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        """Serve MCP sessions for the `with` block (a session manager runs once: each block
        gets a new one, started by its first request)."""
        try:
            async with anyio.create_task_group() as group:
                self._group, self._starting = group, anyio.Lock()  # this event loop's
                try:
                    yield
                finally:
                    self._group = None
                    group.cancel_scope.cancel()  # ends the session manager and its sessions
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
        from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

        from api.mcp.server import build_server

        settings = self.context.settings
        if self.stateless:  # no session to carry an elicitation's answer back
            mcp = settings.mcp.model_copy(update={"elicitation_approvals": False})
            settings = settings.model_copy(update={"mcp": mcp})
        server = build_server(settings, lambda: self.context.store)
        return StreamableHTTPSessionManager(server, stateless=self.stateless)

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
            refused = error_json(exc.status, exc.code, exc.message, exc.details, exc.headers)
            await refused(scope, receive, send)
            return
        manager = await self._started()
        if manager is None:
            unavailable = error_json(503, "UNAVAILABLE", "the MCP endpoint is not running")
            await unavailable(scope, receive, send)
            return
        from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
        from mcp.server.auth.provider import AccessToken

        from api.mcp.server import PRINCIPAL_KEY

        # the SDK binds a session to the user that opened it: the owner, never their key
        token = AccessToken(
            token="-", client_id=principal.owner, scopes=[], subject=principal.owner
        )
        scope = {**scope, PRINCIPAL_KEY: principal, "user": AuthenticatedUser(token)}
        await manager.handle_request(scope, receive, send)
