"""`stratigos serve` writes its log lines from a thread of their own (`api.log_output`): the
lines read as before and come in order, the thread that logs never writes, a full queue makes it
wait for room, and the server's event loop runs with uvicorn's handlers queued."""

from __future__ import annotations

import io
import logging
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from uvicorn.logging import AccessFormatter

from api import log_output
from api.log_output import LineWriter, QueuedLine, queued_output
from api.server import _server
from store.factory import open_store
from tests.api.conftest import make_settings


class Recording(io.StringIO):
    """A stream that notes which threads wrote to it."""

    def __init__(self) -> None:
        super().__init__()
        self.writers: set[str] = set()

    def write(self, text: str) -> int:
        self.writers.add(threading.current_thread().name)
        return super().write(text)


@pytest.fixture
def access() -> Iterator[tuple[logging.Logger, Recording, logging.StreamHandler[Any]]]:
    """A logger with uvicorn's access formatter on a recording stream (restored after)."""
    logger = logging.getLogger("tests.log_output.access")
    stream = Recording()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(AccessFormatter('%(client_addr)s - "%(request_line)s" %(status_code)s'))
    logger.handlers, logger.propagate, logger.level = [handler], False, logging.INFO
    yield logger, stream, handler
    logger.handlers = []


def test_lines_read_as_before_in_order_written_by_another_thread(
    access: tuple[logging.Logger, Recording, logging.StreamHandler[Any]],
) -> None:
    logger, stream, handler = access
    direct = Recording()
    handler.setStream(direct)
    logger.info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/v1/health", "1.1", 200)
    handler.setStream(stream)
    with queued_output([logger.name]):
        assert type(logger.handlers[0]) is QueuedLine
        for status in (200, 503, 429):
            logger.info(
                '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/v1/health", "1.1", status
            )
        logger.debug("below the handler's level: not written")
    assert logger.handlers[0] is handler  # restored
    lines = stream.getvalue().splitlines()
    assert lines[0] == direct.getvalue().strip()
    assert [line.split('" ')[1] for line in lines] == [
        "200 OK",
        "503 Service Unavailable",
        "429 Too Many Requests",
    ]
    assert threading.current_thread().name not in stream.writers
    assert len(stream.writers) == 1


def test_an_exception_is_written_with_its_traceback(
    access: tuple[logging.Logger, Recording, logging.StreamHandler[Any]],
) -> None:
    logger, stream, handler = access
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    with queued_output([logger.name]):
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("failed")
    text = stream.getvalue()
    assert text.startswith("ERROR failed\nTraceback") and "ValueError: boom" in text


def test_a_full_queue_makes_the_logging_thread_wait_for_room(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    writer = LineWriter()  # not started: the test takes lines out itself
    output: logging.StreamHandler[Any] = logging.StreamHandler(io.StringIO())
    for _ in range(3):
        writer.lines.append((output, "queued", logging.makeLogRecord({})))
    monkeypatch.setattr(log_output, "QUEUED_LINES", 3)
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # the writer takes one line meanwhile
        waits.append(seconds)
        writer.lines.popleft()

    monkeypatch.setattr(log_output.time, "sleep", sleep)
    QueuedLine(writer, output).handle(logging.makeLogRecord({"msg": "new"}))
    assert waits == [log_output.ROOM_POLL_S]
    assert [line for _, line, _ in writer.lines] == ["queued", "queued", "new"]


def test_the_server_runs_with_uvicorn_s_handlers_queued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: dict[str, list[type[logging.Handler]]] = {}

    def run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        for name in ("uvicorn", "uvicorn.access"):
            seen[name] = [type(h) for h in logging.getLogger(name).handlers]

    monkeypatch.setattr(uvicorn.Server, "run", run)
    settings = make_settings(tmp_path)
    with socket.socket() as sock, open_store(settings) as store:
        _server(sock, settings, store, "info", lambda: None)
    assert seen == {"uvicorn": [QueuedLine], "uvicorn.access": [QueuedLine]}
    assert [type(h) for h in logging.getLogger("uvicorn.access").handlers] == [
        logging.StreamHandler
    ]
