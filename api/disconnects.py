"""A client that goes away before its answer is ordinary behaviour, logged at info, never an error.

A body cut short ends with `http.disconnect` (`api.contract` replays what arrived, which the
route refuses, and uvicorn drops the answer to a connection it knows is gone). Writing an answer
can still fail when the connection closed before uvicorn learnt of it: uvloop raises
`RuntimeError: ... the handler is closed` when the peer reset the connection earlier in the same
turn of the event loop (elsewhere an `OSError`, such as a broken pipe). `ClientDisconnects`
(ASGI middleware, outermost) then drops every later message of that response, logs one info
line and lets the route finish; any other failure of `send` is raised as before.
"""

from __future__ import annotations

import logging

from api.limits import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("stratigos.api.disconnects")

CLOSED_TRANSPORT = "handler is closed"
"""What uvloop's `RuntimeError` says when a closed connection is written to."""


def _closed_connection(exc: BaseException) -> bool:
    return isinstance(exc, OSError) or (
        isinstance(exc, RuntimeError) and CLOSED_TRANSPORT in str(exc)
    )


def _where(scope: Scope) -> str:
    client = scope.get("client")
    who = f"{client[0]}:{client[1]}" if client else "a client"
    return f"{who} ({scope.get('method', '')} {scope.get('path', '')})"


class ClientDisconnects:
    """ASGI middleware: a response whose connection closed is dropped quietly (see the module
    docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        gone = False

        async def sending(message: Message) -> None:
            nonlocal gone
            if gone:
                return
            try:
                await send(message)
            except (OSError, RuntimeError) as exc:
                if not _closed_connection(exc):
                    raise
                gone = True
                log.info("%s disconnected before its answer was sent", _where(scope))

        await self.app(scope, receive, sending)
