"""Connections of `stratigos serve` (`api.connections`, `api.disconnects`), on a real uvicorn
server on loopback driven by raw sockets: a request whose headers or body arrive too slowly is
closed within its (small, injected) deadline, counted and logged at info, even when bytes keep
trickling in; an idle kept-alive connection is closed; a client that disconnects before its
answer is logged at info, never as an error."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import struct
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from api.app import create_app
from api.disconnects import ClientDisconnects
from api.limits import Message
from settings import Settings
from settings.groups.api import ApiSettings
from tests.api.conftest import make_settings
from tests.support.live_server import running_server

DEADLINE = 0.4
"""The header and body deadlines and the keep-alive of the servers here, seconds."""
LIMITS = ApiSettings(
    header_timeout_seconds=DEADLINE, body_timeout_seconds=DEADLINE, keep_alive_seconds=DEADLINE
)
HUNG_SECONDS = 120
"""How long a socket here waits for the server before the test fails as hung: a bound on a
hang, not a deadline an assertion depends on (a first job submission takes about 2 s here, and
over 10 s on a loaded machine)."""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, str, Any]]:
    """(port, an API key, the app) of a server with the small deadlines."""
    data_dir = tmp_path_factory.mktemp("connections") / "data"
    app = create_app(make_settings(data_dir, api={"job_workers": 0}))  # jobs stay pending
    key, _ = app.state.context.store.create_api_key("alice", "tests")
    with running_server(app, limits=LIMITS, log_config=None) as base:
        yield int(base.rsplit(":", 1)[1]), key, app


@contextmanager
def connection(port: int) -> Iterator[socket.socket]:
    with socket.create_connection(("127.0.0.1", port), timeout=HUNG_SECONDS) as sock:
        yield sock


def closed_after(sock: socket.socket, started: float) -> tuple[bytes, float]:
    """Everything the server sent until it closed the connection, and the seconds since
    `started` when it did."""
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received, time.monotonic() - started


def response_body(sock: socket.socket) -> bytes:
    """The body of the next HTTP response on `sock`, read whole by its Content-Length (the head
    and the body may arrive in separate segments)."""
    return response(sock)[1]


def response(sock: socket.socket) -> tuple[bytes, bytes]:
    """The head and the body of the next HTTP response on `sock`, read whole by its
    Content-Length (the head and the body may arrive in separate segments)."""
    received = b""
    while b"\r\n\r\n" not in received:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed within the response's head: {received!r}"
        received += chunk
    head, body = received.split(b"\r\n\r\n", 1)
    lengths = [
        int(line.split(b":", 1)[1])
        for line in head.split(b"\r\n")[1:]
        if line.lower().startswith(b"content-length:")
    ]
    assert len(lengths) == 1, head
    while len(body) < lengths[0]:
        chunk = sock.recv(65536)
        assert chunk, "the connection closed within the response's body"
        body += chunk
    return head, body


def closing_records(caplog: pytest.LogCaptureFixture, part: str) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "stratigos.api.connections"
        and r.levelno == logging.INFO
        and f"request {part} not complete" in r.getMessage()
    ]


def test_headers_arriving_a_byte_at_a_time_are_cut_off(
    served: tuple[int, str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    port, _, _ = served
    caplog.set_level(logging.INFO, logger="stratigos.api.connections")
    head = b"GET /v1/health/live HTTP/1.1\r\nHost: test\r\nX-Slow: " + b"a" * 1000
    with connection(port) as sock:
        started = time.monotonic()
        sent = 0
        try:
            while sent < len(head):  # a byte every DEADLINE / 8 s: never idle for long
                sock.sendall(head[sent : sent + 1])
                sent += 1
                time.sleep(DEADLINE / 8)
        except OSError:  # closed by the server while sending
            pass
        received, elapsed = closed_after(sock, started)
    assert received == b""  # closed, nothing answered
    assert sent < 40  # long before the headers could be complete
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + 2.0
    assert closing_records(caplog, "headers")


def test_a_silent_connection_is_closed_at_the_header_deadline(
    served: tuple[int, str, Any],
) -> None:
    port, _, _ = served
    with connection(port) as sock:
        started = time.monotonic()
        received, elapsed = closed_after(sock, started)
    assert received == b"" and DEADLINE * 0.9 <= elapsed < DEADLINE + 2.0


def test_a_body_that_stops_arriving_is_cut_off(
    served: tuple[int, str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    port, key, app = served
    caplog.set_level(logging.INFO, logger="stratigos.api.connections")
    before = len(app.state.context.store.list_portfolios("alice"))
    head = (
        "POST /v1/portfolios HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        f"x-api-key: {key}\r\nContent-Length: 200\r\n\r\n"
    ).encode()
    with connection(port) as sock:
        sock.sendall(head + b'{"name": "never finished"')
        started = time.monotonic()
        received, elapsed = closed_after(sock, started)
    assert DEADLINE * 0.9 <= elapsed < DEADLINE + 2.0
    assert b"201" not in received
    assert closing_records(caplog, "body")
    assert len(app.state.context.store.list_portfolios("alice")) == before


def test_whole_requests_are_answered_and_an_idle_connection_closes_after_keep_alive(
    served: tuple[int, str, Any],
) -> None:
    port, key, _ = served
    request = f"GET /v1/portfolios HTTP/1.1\r\nHost: test\r\nx-api-key: {key}\r\n\r\n".encode()
    with connection(port) as sock:
        for _ in range(2):  # kept alive between requests
            sock.sendall(request)
            head, _ = response(sock)  # whole: its body must not be left to the read below
            assert head.startswith(b"HTTP/1.1 200"), head[:200]
        started = time.monotonic()
        received, elapsed = closed_after(sock, started)
    assert received == b"" and DEADLINE * 0.9 <= elapsed < DEADLINE + 2.0


def _reset(sock: socket.socket) -> None:
    """Close with a reset (RST), as a client that crashed or was killed."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def test_a_client_leaving_before_its_answer_is_not_an_error(
    served: tuple[int, str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    """A body cut short by the client going away, a Monte Carlo analysis whose client left
    while it ran, and a job's event stream left after it started: no error is logged (neither
    ours nor uvicorn's "Exception in ASGI application") and the server answers on."""
    port, key, app = served
    caplog.set_level(logging.INFO)

    def send(head: str, body: bytes = b"") -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", port), timeout=HUNG_SECONDS)
        sock.sendall(
            (
                f"{head}\r\nHost: test\r\nx-api-key: {key}\r\nContent-Type: application/json\r\n"
            ).encode()
            + body
        )
        return sock

    cut = send("POST /v1/portfolios HTTP/1.1", b"Content-Length: 500\r\n\r\n{")
    time.sleep(DEADLINE / 4)  # the route is reading the body
    _reset(cut)
    analysis = {"assets": ["AAPL", "KO"], "n_paths": 500, "horizon_days": 252}
    payload = json.dumps(analysis).encode()
    _reset(
        send(
            "POST /v1/monte-carlo/analyze HTTP/1.1",
            b"Content-Length: %d\r\n\r\n" % len(payload) + payload,
        )
    )
    with connection(port) as sock:
        submit = json.dumps({"n_paths": 20}).encode()
        sock.sendall(
            (
                f"POST /v1/optimizations HTTP/1.1\r\nHost: test\r\nx-api-key: {key}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(submit)}\r\n\r\n"
            ).encode()
            + submit
        )
        job = json.loads(response_body(sock))["id"]
    events = send(f"GET /v1/optimizations/{job}/events HTTP/1.1", b"\r\n")
    assert events.recv(65536).startswith(b"HTTP/1.1 200")
    _reset(events)
    admission = app.state.context.admission
    deadline = time.monotonic() + 60
    while admission.in_flight and time.monotonic() < deadline:  # the analysis runs on
        time.sleep(DEADLINE / 4)
    assert admission.in_flight == 0
    with connection(port) as sock:
        sock.sendall(b"GET /v1/health/live HTTP/1.1\r\nHost: test\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [], [r.getMessage() for r in errors]


def test_a_write_to_a_closed_connection_ends_the_response_quietly(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """uvloop raises `RuntimeError(... the handler is closed)` when a response is written to a
    connection the client reset earlier in the same turn of the event loop; the response is
    dropped with an info line. Any other failure of `send` is still raised."""
    caplog.set_level(logging.INFO, logger="stratigos.api.disconnects")
    closed = RuntimeError(
        "unable to perform operation on <TCPTransport closed=True reading=False 0x1>; "
        "the handler is closed"
    )
    sent: list[str] = []

    async def route(scope: Any, receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x", "more_body": False})

    def failing_send(exc: Exception) -> Any:
        async def send(message: Message) -> None:
            sent.append(message["type"])
            raise exc

        return send

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    scope = {"type": "http", "method": "GET", "path": "/v1/portfolios", "client": ("1.2.3.4", 5)}
    asyncio.run(ClientDisconnects(route)(scope, receive, failing_send(closed)))
    assert sent == ["http.response.start"]  # nothing more written once the connection is gone
    assert "1.2.3.4:5 (GET /v1/portfolios) disconnected" in caplog.text
    with pytest.raises(RuntimeError, match="after response already completed"):
        bug = RuntimeError("Unexpected ASGI message sent, after response already completed.")
        asyncio.run(ClientDisconnects(route)(scope, receive, failing_send(bug)))


def test_the_limits_are_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STRATIGOS_API_HEADER_TIMEOUT_SECONDS", "2.5")
    monkeypatch.setenv("STRATIGOS_API_MAX_IN_FLIGHT", "7")
    api = Settings(data_dir=tmp_path).api
    assert api.header_timeout_seconds == 2.5 and api.max_in_flight == 7
