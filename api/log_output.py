"""Log lines written by a thread of their own, so the event loop never waits for them.

uvicorn logs a line per request (its access log, on stdout) and its own messages (stderr) from
the event loop, each written and flushed at once. When the stream is a pipe whose reader falls
behind (a log collector, a terminal, a load generator), a write blocks, and the event loop with
it: every request and health check of the process waits. Profiled at 200 clients (issue 42),
writing the access log took about a quarter of the event loop's time.

`queued_output` puts a `QueuedLine` in place of each plain `logging.StreamHandler` of the given
loggers while it is active (uvicorn's; subclasses, which may emit otherwise, are left alone): it
formats each record on the thread that logs it (with the handler's own formatter, level and
filters, so a line reads as before) and queues the line; one writer thread (`LineWriter`) writes
the lines in order, each to its handler's stream. At most `QUEUED_LINES` wait: beyond them a
thread logging waits until there is room, as it waited for the stream before (a stream that
stays blocked holds the process back rather than fill its memory). On exit the queue is drained
and the handlers are restored.
"""

from __future__ import annotations

import logging
import queue
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from logging.handlers import QueueHandler, QueueListener
from typing import TextIO

SERVER_LOGGERS = ("", "uvicorn", "uvicorn.access")
"""The loggers with handlers in `stratigos serve` (root, and uvicorn's two with their own)."""
QUEUED_LINES = 10_000
"""Lines that may wait for the writer (a few seconds of access log at full load)."""
ROOM_POLL_S = 0.01
"""How often a thread waiting for room in a full queue looks again."""


class QueuedLine(QueueHandler):
    """Formats a record with `output`'s formatter and queues the line for `output`."""

    def __init__(
        self, lines: queue.SimpleQueue[logging.LogRecord], output: logging.StreamHandler[TextIO]
    ) -> None:
        super().__init__(lines)
        self.lines = lines
        self.output = output
        self.setLevel(output.level)
        self.setFormatter(output.formatter)
        self.filters = list(output.filters)

    def enqueue(self, record: logging.LogRecord) -> None:
        """Queue the line, once fewer than `QUEUED_LINES` are queued."""
        while self.lines.qsize() >= QUEUED_LINES:  # a simple queue: no lock, no condition
            time.sleep(ROOM_POLL_S)
        self.lines.put(record)

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        """A copy whose message is the formatted line, bound for `output`."""
        line = super().prepare(record)
        line.output = self.output  # read by `LineWriter`
        return line


class LineWriter(QueueListener):
    """The thread writing each queued line to its handler's stream."""

    def handle(self, record: logging.LogRecord) -> None:
        """Write the line of `record` (prepared by `QueuedLine`) as its handler would."""
        output: logging.StreamHandler[TextIO] = record.output  # type: ignore[attr-defined]
        with output.lock or nullcontext():
            try:
                output.stream.write(record.msg + output.terminator)
                output.flush()
            except Exception:
                output.handleError(record)


@contextmanager
def queued_output(names: Iterable[str] = SERVER_LOGGERS) -> Iterator[LineWriter]:
    """While active, the handlers of the loggers `names` are written by a `LineWriter` thread
    (see the module docstring)."""
    lines: queue.SimpleQueue[logging.LogRecord] = queue.SimpleQueue()
    loggers = [logging.getLogger(name) for name in names]
    originals = [list(logger.handlers) for logger in loggers]
    for logger, handlers in zip(loggers, originals, strict=True):
        logger.handlers = [
            QueuedLine(lines, handler) if type(handler) is logging.StreamHandler else handler
            for handler in handlers
        ]
    writer = LineWriter(lines)
    writer.start()
    try:
        yield writer
    finally:
        writer.stop()  # writes what is queued first
        for logger, handlers in zip(loggers, originals, strict=True):
            logger.handlers = handlers
