"""Connection limits of `stratigos serve`: slow clients are closed, idle connections time out.

uvicorn closes a kept-alive connection left idle for `timeout_keep_alive` seconds, but has no
limit on how long a request may take to arrive: a client sending its headers or body a byte at
a time holds a connection (and a descriptor) for as long as it likes. `guarded_protocol` adds
two deadlines to uvicorn's httptools protocol:

- the request line and headers must be complete `header_timeout` seconds after the connection
  opened (or, on a kept-alive connection, after the request's first byte);
- the body must be complete `body_timeout` seconds after the headers; while the server itself
  is not reading (the route has not asked for more yet, e.g. an upload waiting for its turn),
  the deadline moves on.

A connection past either deadline is closed; each is logged at info (the client, which part,
how many so far) and counted in `ConnectionStats`. `server_config` is the uvicorn
configuration with these limits from `ApiSettings`.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any, ClassVar

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from settings.groups.api import ApiSettings

log = logging.getLogger("stratigos.api.connections")


@dataclass
class ConnectionStats:
    """Connections closed for slowness so far, by the part that was late."""

    closed: dict[str, int] = field(default_factory=lambda: {"headers": 0, "body": 0})


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the header and body deadlines (see the module
    docstring); `guarded_protocol` makes a subclass with the deadlines set."""

    header_timeout: ClassVar[float] = 10.0
    body_timeout: ClassVar[float] = 60.0
    stats: ClassVar[ConnectionStats] = ConnectionStats()

    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm("headers", self.header_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self._deadline is None:  # a kept-alive connection's next request
            self._arm("headers", self.header_timeout)

    def on_headers_complete(self) -> None:
        self._disarm()
        super().on_headers_complete()
        if not self.parser.should_upgrade():
            self._arm("body", self.body_timeout)  # on_message_complete disarms it

    def on_message_complete(self) -> None:
        self._disarm()
        super().on_message_complete()

    def handle_websocket_upgrade(self) -> None:
        self._disarm()  # the connection is the WebSocket protocol's from now on
        super().handle_websocket_upgrade()

    def _arm(self, part: str, seconds: float) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(seconds, self._expired, part, seconds)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _expired(self, part: str, seconds: float) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if part == "body" and self.flow.read_paused:  # the server is not reading: not late
            self._arm(part, seconds)
            return
        self.stats.closed[part] += 1
        client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
        log.info(
            "closed the connection of %s: request %s not complete within %g s "
            "(%d connections closed so far for slow %s)",
            client,
            part,
            seconds,
            self.stats.closed[part],
            part,
        )
        self.transport.close()


def guarded_protocol(header_timeout: float, body_timeout: float) -> type[GuardedHttpProtocol]:
    """A `GuardedHttpProtocol` class with these deadlines (seconds) and counts of its own."""
    attributes: dict[str, Any] = {
        "header_timeout": header_timeout,
        "body_timeout": body_timeout,
        "stats": ConnectionStats(),
    }
    return type("ConfiguredHttpProtocol", (GuardedHttpProtocol,), attributes)


def server_config(app: Any, api: ApiSettings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration of `app` with the connection limits of `api` (`options`: any
    other `uvicorn.Config` argument)."""
    return uvicorn.Config(
        app,
        http=guarded_protocol(api.header_timeout_seconds, api.body_timeout_seconds),
        timeout_keep_alive=api.keep_alive_seconds,  # type: ignore[arg-type]  # a float works
        **options,
    )
