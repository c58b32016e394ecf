"""An aiosmtpd server on a loopback port the kernel picks (aiosmtpd's `Controller` binds the port
it is given and then connects to that same number, so port 0 needs the bound port read back)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiosmtpd.controller import Controller


class _LoopbackController(Controller):
    """A `Controller` on 127.0.0.1 whose `port` is the one its server was bound to."""

    def _create_server(self) -> Any:
        created = super()._create_server()

        async def bound() -> asyncio.AbstractServer:
            server = await created
            self.port = int(server.sockets[0].getsockname()[1])
            return server

        return bound()


@contextmanager
def smtp_controller(handler: Any, **kwargs: Any) -> Iterator[Controller]:
    """An SMTP server for `handler` (aiosmtpd `Controller` keywords in `kwargs`) on 127.0.0.1,
    started, until the block ends; its `port` is the one it listens on."""
    controller = _LoopbackController(handler, hostname="127.0.0.1", port=0, **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
