"""Loopback sockets for tests: a real uvicorn server on a port the kernel picks, in a background
thread, for end-to-end tests; a port that refuses connections for as long as a test needs it.

A port is never chosen by binding a socket, closing it and binding it again later: between the
two, another test process (pytest-xdist workers run side by side) or an outgoing connection may
take it. Servers bind port 0 themselves and report the port they got; a server in another
process that must be told its port gets one below the kernel's ephemeral range."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from api.connections import server_config
from settings.groups.api import ApiSettings

TLS = httpx.create_ssl_context()
"""The TLS context of the tests' HTTP clients (`verify=TLS`): httpx's default, made once. httpx
makes a new one for each client (loading the CA bundle: 20-50 ms of CPU), so tests that made a
client per request or per poll spent seconds of the suite on it; the loopback servers speak
plain HTTP, so it only stands in for the default."""


def loopback_socket() -> socket.socket:
    """A TCP socket bound to a port of 127.0.0.1 the kernel picked (not listening yet)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


def port_for_another_process() -> int:
    """A loopback port free now, for a server in another process that binds it itself (seconds
    later): below the kernel's ephemeral range, from which port-0 binds and outgoing connections
    draw theirs, so that nothing else takes it meanwhile."""
    ranges = Path("/proc/sys/net/ipv4/ip_local_port_range")
    low = int(ranges.read_text().split()[0]) if ranges.exists() else 32768
    for _ in range(100):
        port = random.randrange(max(1024, low - 10_000), low)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port below {low}")


@contextmanager
def closed_port() -> Iterator[int]:
    """A loopback port on which every connection is refused until the block ends: bound (so no
    other process can listen on it meanwhile) but not listening."""
    with loopback_socket() as sock:
        yield int(sock.getsockname()[1])


@contextmanager
def running_server(
    app: Any,
    *,
    timeout: float = 30.0,
    limits: ApiSettings | None = None,
    sock: socket.socket | None = None,
    **options: Any,
) -> Iterator[str]:
    """Serve `app` with uvicorn (lifespan on) until the block ends; yields the base URL. With
    `limits`, the connection limits of `stratigos serve` (`api.connections.server_config`);
    `sock`: a bound socket to listen on (default: a new one, `loopback_socket`); `options`:
    other `uvicorn.Config` arguments."""
    sock = sock or loopback_socket()
    port = int(sock.getsockname()[1])
    options = {
        "host": "127.0.0.1",
        "port": port,
        "log_level": "warning",
        "lifespan": "on",
    } | options
    if limits is not None:
        config = server_config(app, limits, **options)
    else:
        config = uvicorn.Config(app, **options)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn")
    thread.daemon = True
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                if httpx.get(f"{base}/v1/health", timeout=1.0, verify=TLS).status_code == 200:
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
