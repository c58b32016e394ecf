"""`stratigos serve`: the API app under uvicorn, with a session API key for the local user.

`run_server(host, port, settings)` creates the app (`api.app.create_app`), creates an API key
for owner `local` named `serve-<UTC timestamp>`, and once the server accepts connections prints

    Stratigos API on http://HOST:PORT (docs /v1/docs); web UI: http://HOST:PORT/#key=<key>

(the web UI reads the key from the address fragment, which browsers never send to the server).
It serves until Ctrl-C (SIGINT) or SIGTERM, then shuts down gracefully and revokes the session
key, so a key printed to a terminal stops working when its server stops. Port 0 binds a free
port; the printed address names the real one.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from types import FrameType
from typing import Any, TextIO

from settings import Settings, get_settings
from store.factory import open_store

SESSION_OWNER = "local"
"""Owner of the session key (the command line's own jobs belong to it too)."""


def _bind(host: str, port: int) -> socket.socket:
    """A bound TCP socket on (host, port); uvicorn starts listening on it."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        raise OSError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc} (choose another --port)"
        ) from None
    sock.set_inheritable(True)
    return sock


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def run_server(
    host: str,
    port: int,
    settings: Settings | None = None,
    *,
    out: TextIO | None = None,
    log_level: str = "info",
) -> None:
    """Serve the Stratigos API on `host:port` until interrupted (see the module docstring).

    `settings` default to the process settings (`api_job_workers` decides how many job worker
    threads run inside the server). The banner goes to `out` (default stdout), uvicorn's logs
    to stderr. Returns after a graceful shutdown; the session key is revoked by then.
    """
    import uvicorn

    from api.app import create_app

    settings = settings or get_settings()
    stream: TextIO = out or sys.stdout
    settings.ensure_data_dir()
    store = open_store(settings)
    sock = _bind(host, port)
    bound_port = int(sock.getsockname()[1])
    raw_key, key = store.create_api_key(
        SESSION_OWNER, f"serve-{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}"
    )
    revoked = threading.Event()

    def revoke() -> None:
        if not revoked.is_set():
            revoked.set()
            store.revoke_api_key(SESSION_OWNER, key.id)

    base = _url(host, bound_port)

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets=sockets)
            if self.started:
                stream.write(
                    f"Stratigos API on {base} (docs /v1/docs); web UI: {base}/#key={raw_key}\n"
                )
                stream.flush()

        async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
            try:
                await super().shutdown(sockets=sockets)
            finally:
                revoke()

    app = create_app(settings, store=store)
    config = uvicorn.Config(app, log_level=log_level, lifespan="on")
    server = _Server(config)
    previous = _terminate_as_interrupt()
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        _restore(previous)
        try:
            revoke()
        finally:
            sock.close()
            store.close()


_Handler = Callable[[int, FrameType | None], Any] | int | None


def _terminate_as_interrupt() -> _Handler:
    """Treat SIGTERM like Ctrl-C (a graceful stop that revokes the key) when uvicorn hands the
    signal back after shutting down; returns the previous handler."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.getsignal(signal.SIGTERM)
    signal.signal(signal.SIGTERM, interrupt)
    return previous


def _restore(previous: _Handler) -> None:
    if previous is not None and threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, previous)


__all__ = ["SESSION_OWNER", "run_server"]
