"""A run's (or chat thread's) trace on disk: streaming a graph into sequence-numbered events.

`trace_log(path, run_id, on_event)` gives a `TraceLog` that appends every event to `path` (JSON
lines) and hands it to `on_event`; sequence numbers continue from the events already in the
file, so a resumed run or a new chat turn extends the same gap-free trace. Each event's line is
appended whole or not at all: a write that fails (a full disk) is cut off again before the error
is raised, and a line a crash left unfinished is cut off when the file is opened again
(`traces.jsonl.mend`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from traces.continuation import continuation
from traces.jsonl import mend
from traces.recorder import TraceRecorder
from traces.schema import TraceEvent

EventSink = Callable[[TraceEvent], object]

STREAM_MODES = ["updates", "messages", "custom"]


class TraceLog:
    """Records a graph's stream as trace events in a JSON-lines file."""

    def __init__(
        self,
        descriptor: int,
        recorder: TraceRecorder,
        on_event: EventSink | None,
        last: TraceEvent | None = None,
    ) -> None:
        self.recorder = recorder
        self._descriptor = descriptor
        self._on_event = on_event
        self.last = last
        """The trace's last event so far (None while it is empty)."""

    def ended(self, status: str) -> bool:
        """Whether the trace already ends with a `run_finished` event of `status`."""
        last = self.last
        return last is not None and last.type == "run_finished" and last.data["status"] == status

    def emit(self, events: list[TraceEvent]) -> None:
        """Write `events` to the file and hand each to the sink (`OSError` when the file cannot
        take one: it then ends with the event before)."""
        for event in events:
            self._append((event.to_json() + "\n").encode())  # in the file before anyone sees it
            self.last = event
            if self._on_event is not None:
                self._on_event(event)

    def _append(self, line: bytes) -> None:
        """Append `line` whole, or cut off what was written of it and raise the `OSError`."""
        end = os.lseek(self._descriptor, 0, os.SEEK_END)
        try:
            written = 0
            while written < len(line):
                written += os.write(self._descriptor, line[written:])
        except OSError:
            with suppress(OSError):
                os.ftruncate(self._descriptor, end)
            raise

    def stream(
        self,
        graph: Any,
        payload: Any,
        config: dict[str, Any],
        on_chunk: Callable[[Any], None] | None = None,
        extra_modes: Sequence[str] = (),
    ) -> None:
        """Run `graph` on `payload`, recording its trace; a step's checkpoint is on disk before
        the next step runs. Every stream item `(namespace, mode, payload)` goes to `on_chunk`
        first (`extra_modes`, e.g. "values", are streamed for it only: the trace ignores them);
        an exception `on_chunk` raises stops the run. On an exception the trace ends with a
        failed `run_finished`."""
        modes = STREAM_MODES + [m for m in extra_modes if m not in STREAM_MODES]
        try:
            for chunk in graph.stream(
                payload, config, stream_mode=modes, subgraphs=True, durability="sync"
            ):
                if on_chunk is not None:
                    on_chunk(chunk)
                self.emit(self.recorder.events_from_chunk(chunk))
        except Exception as exc:
            self.emit(self.recorder.run_finished("failed", reason=f"{type(exc).__name__}: {exc}"))
            raise


@contextmanager
def trace_log(path: Path, run_id: str, on_event: EventSink | None = None) -> Iterator[TraceLog]:
    """A `TraceLog` on `path`, continuing the sequence of the events already in it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        mend(path)
    recorder, last = continuation(path, run_id)
    # the callers make the file owner-only first (`settings.files.private_file`)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
    try:
        yield TraceLog(descriptor, recorder, on_event, last)
    finally:
        os.close(descriptor)
