"""A run's (or chat thread's) trace on disk: streaming a graph into sequence-numbered events.

`TraceLog(path, run_id, on_event)` appends every event to `path` (JSON lines) and hands it to
`on_event`; sequence numbers continue from the events already in the file, so a resumed run or a
new chat turn extends the same gap-free trace.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from traces.jsonl import read_jsonl
from traces.recorder import TraceRecorder
from traces.schema import TraceEvent

EventSink = Callable[[TraceEvent], object]

STREAM_MODES = ["updates", "messages", "custom"]


class TraceLog:
    """Records a graph's stream as trace events in a JSON-lines file."""

    def __init__(
        self,
        handle: TextIO,
        recorder: TraceRecorder,
        on_event: EventSink | None,
        last: TraceEvent | None = None,
    ) -> None:
        self.recorder = recorder
        self._handle = handle
        self._on_event = on_event
        self.last = last
        """The trace's last event so far (None while it is empty)."""

    def ended(self, status: str) -> bool:
        """Whether the trace already ends with a `run_finished` event of `status`."""
        last = self.last
        return last is not None and last.type == "run_finished" and last.data["status"] == status

    def emit(self, events: list[TraceEvent]) -> None:
        """Write `events` to the file and hand each to the sink."""
        for event in events:
            self.last = event
            self._handle.write(event.to_json() + "\n")
            self._handle.flush()  # on disk before anyone else sees it
            if self._on_event is not None:
                self._on_event(event)

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
    previous = read_jsonl(path) if path.is_file() else []
    recorder = TraceRecorder.resume(previous) if previous else TraceRecorder(run_id)
    with path.open("a") as handle:
        yield TraceLog(handle, recorder, on_event, previous[-1] if previous else None)
