"""Loopback sockets for tests: a real uvicorn server on a port the kernel picks, in a background
thread, for end-to-end tests; a port that refuses connections for as long as a test needs it.

A port is never chosen by binding a socket, closing it and binding it again later: between the
two, another test process (pytest-xdist workers run side by side) or an outgoing connection may
take it. Servers bind port 0 themselves and report the port they got."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import uvicorn


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a port of 127.0.0.1 the kernel picked (not listening yet)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port on which every connection is refused until the block ends: bound (so no
    other process can listen on it meanwhile) but not listening."""
    with loopback_socket() as sock:
        yield int(sock.getsockname()[1])


@contextmanager
def running_server(app: Any, *, timeout: float = 30.0) -> Iterator[str]:
    """Serve `app` with uvicorn (lifespan on) until the block ends; yields the base URL."""
    sock = loopback_socket()
    port = int(sock.getsockname()[1])
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
    thread.daemon = True
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"uvicorn did not start on {base}")
            time.sleep(0.05)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout)
        sock.close()
