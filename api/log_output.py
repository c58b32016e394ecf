"""Log lines written by a thread of their own, so the event loop never waits for them.

uvicorn logs a line per request (its access log, on stdout) and its own messages (stderr) from
the event loop, each written and flushed at once. When the stream is a pipe whose reader falls
behind (a log collector, a terminal, a load generator), a write blocks, and the event loop with
it: every request and health check of the process waits. Profiled at 200 clients (issue 42),
writing the access log took about a quarter of the event loop's time.

`queued_output` puts a `QueuedLine` in place of each plain `logging.StreamHandler` of the given
loggers while it is active (uvicorn's; subclasses, which may emit otherwise, are left alone): it
formats each record on the thread that logs it (with the handler's own formatter, level and
filters, so a line reads as before) and appends the line to a queue, which takes no lock and
wakes no thread; a writer thread (`LineWriter`) writes what is queued every `WRITE_EVERY_S`, in
order, each line to its handler's stream. At most `QUEUED_LINES` wait: beyond them a thread
logging waits until there is room, as it waited for the stream before (a stream that stays
blocked holds the process back rather than fill its memory). On exit what is queued is written
and the handlers are restored.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, nullcontext
from typing import TextIO

SERVER_LOGGERS = ("", "uvicorn", "uvicorn.access")
"""The loggers with handlers in `stratigos serve` (root, and uvicorn's two with their own)."""
QUEUED_LINES = 10_000
"""Lines that may wait for the writer (a few seconds of access log at full load)."""
WRITE_EVERY_S = 0.05
"""How often the writer writes what is queued."""
ROOM_POLL_S = 0.01
"""How often a thread waiting for room in a full queue looks again."""

Output = logging.StreamHandler[TextIO]


class LineWriter:
    """The thread writing queued lines to their handlers' streams (see the module docstring)."""

    def __init__(self) -> None:
        self.lines: deque[tuple[Output, str, logging.LogRecord]] = deque()
        """(handler, formatted line, its record) in the order logged."""
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-writer", daemon=True)

    def start(self) -> None:
        """Start writing."""
        self._thread.start()

    def stop(self) -> None:
        """Write what is queued and stop."""
        self._stopping.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopping.wait(WRITE_EVERY_S):
            self.write_queued()
        self.write_queued()

    def write_queued(self) -> None:
        """Write every queued line, then flush the streams written to."""
        written: dict[int, Output] = {}
        while self.lines:
            output, line, record = self.lines.popleft()
            with output.lock or nullcontext():
                try:
                    output.stream.write(line + output.terminator)
                    written[id(output)] = output
                except Exception:
                    output.handleError(record)
        for output in written.values():
            output.flush()


class QueuedLine(logging.Handler):
    """Formats a record as `output` would and queues the line for `writer`."""

    def __init__(self, writer: LineWriter, output: Output) -> None:
        super().__init__(output.level)
        self.writer = writer
        self.output = output
        self.setFormatter(output.formatter)
        self.filters = list(output.filters)

    def emit(self, record: logging.LogRecord) -> None:
        """Queue the formatted line, once fewer than `QUEUED_LINES` are queued."""
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        while len(self.writer.lines) >= QUEUED_LINES:
            time.sleep(ROOM_POLL_S)
        self.writer.lines.append((self.output, line, record))


@contextmanager
def queued_output(names: Iterable[str] = SERVER_LOGGERS) -> Iterator[LineWriter]:
    """While active, the plain stream handlers of the loggers `names` are written by a
    `LineWriter` thread (see the module docstring)."""
    writer = LineWriter()
    loggers = [logging.getLogger(name) for name in names]
    originals = [list(logger.handlers) for logger in loggers]
    for logger, handlers in zip(loggers, originals, strict=True):
        logger.handlers = [
            QueuedLine(writer, handler) if type(handler) is logging.StreamHandler else handler
            for handler in handlers
        ]
    writer.start()
    try:
        yield writer
    finally:
        writer.stop()
        for logger, handlers in zip(loggers, originals, strict=True):
            logger.handlers = handlers
