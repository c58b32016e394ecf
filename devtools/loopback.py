"""A threaded HTTP test double on loopback: the lifecycle the local Bedrock and local
OpenAI-compatible endpoints share (bind, serve in a daemon thread or in the foreground, close)."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Self


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A `ThreadingHTTPServer` with daemon request threads and address reuse."""

    daemon_threads = True
    allow_reuse_address = True


class LoopbackEndpoint:
    """An HTTP server on `host`:`port` (0: a free port) answering with `handler`.

    Subclasses set their server's attributes after ``super().__init__`` and define `url`. Use it
    as a context manager (serves in a daemon thread) or call `start` / `serve_forever` / `close`.
    """

    thread_name = "loopback-endpoint"

    def __init__(
        self,
        host: str,
        port: int,
        handler: type[BaseHTTPRequestHandler],
        server_class: type[LoopbackHTTPServer] = LoopbackHTTPServer,
    ) -> None:
        self._server = server_class((host, port), handler)
        self.host = host
        self.port = int(self._server.server_address[1])
        self._thread: threading.Thread | None = None

    def start(self) -> Self:
        """Serve in a daemon thread (returns self)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever,
                kwargs={"poll_interval": 0.05},
                name=f"{self.thread_name}-{self.port}",
                daemon=True,
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve in the calling thread until interrupted (KeyboardInterrupt) or closed."""
        try:
            self._server.serve_forever(poll_interval=0.2)
        finally:
            self._server.server_close()

    def close(self) -> None:
        """Stop serving and release the port."""
        if self._thread is not None:
            self._server.shutdown()
            self._thread.join(timeout=5)
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


__all__ = ["LoopbackEndpoint", "LoopbackHTTPServer"]
