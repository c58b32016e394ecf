"""A threaded HTTP test double on loopback: the lifecycle the local Bedrock, OpenAI-compatible
and Alpaca endpoints share (bind, serve in a daemon thread or in the foreground, close)."""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self, TypeVar


class LoopbackHandler(BaseHTTPRequestHandler):
    """Request-handler helpers the loopback endpoints share: chunked bodies, unread bodies."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """An answer's headers and body leave at once: with Nagle's algorithm the body waited for
    the client's delayed acknowledgement of the headers, ~40 ms a request on a kept-alive
    connection."""
    max_body_bytes = 32 * 1024 * 1024
    """Largest request body read (a larger one is left unread; the handler refuses it)."""

    def write_chunked(self, frames: Iterable[bytes]) -> None:
        """Write `frames` as an HTTP/1.1 chunked body, one chunk each, then the last chunk
        (the headers, with ``Transfer-Encoding: chunked``, must already be sent)."""
        for frame in frames:
            self.wfile.write(f"{len(frame):x}\r\n".encode() + frame + b"\r\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def drain(self) -> None:
        """Read and drop the request's body (up to `max_body_bytes`) so the connection can be
        reused after an answer that did not read it."""
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = 0
        if 0 < length <= self.max_body_bytes:
            self.rfile.read(length)


class LoopbackHTTPServer(ThreadingHTTPServer):
    """A `ThreadingHTTPServer` with daemon request threads and address reuse."""

    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that went away mid-answer (a reset or broken pipe: a client giving up on a
        throttled call) is ordinary, not an error to print; anything else is printed."""
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)  # type: ignore[arg-type]


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

    def __exit__(self, *exc: object) -> None:
        self.close()


Endpoint = TypeVar("Endpoint", bound=LoopbackEndpoint)


def serve_command(
    argv: list[str] | None,
    *,
    prog: str,
    description: str,
    default_port: int,
    endpoint: Callable[[str, int], Endpoint],
    announce: Callable[[Endpoint], Iterable[str]],
) -> int:
    """The ``python -m`` command of a loopback endpoint: parse ``--host`` / ``--port``, bind
    `endpoint(host, port)`, print the lines `announce` gives (its URL, the settings that point
    the app at it) and serve in the foreground until Ctrl-C or SIGTERM; returns the exit code."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=default_port, help="port (0: a free one)")
    args = parser.parse_args(argv)
    # Ctrl-C and SIGTERM stop it even when started with SIGINT ignored (a background job of a
    # non-interactive shell inherits that, and Python then installs no handler of its own)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    server = endpoint(args.host, args.port)
    for line in announce(server):
        print(line, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


__all__ = ["LoopbackEndpoint", "LoopbackHTTPServer", "LoopbackHandler", "serve_command"]
