"""Traces as JSON lines: writing, reading (validated) and the gap-free sequence check."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from traces.schema import TraceEvent


def to_jsonl(events: Iterable[TraceEvent]) -> str:
    """Events as JSON lines (one event per line, each line ending in a newline)."""
    return "".join(event.to_json() + "\n" for event in events)


def write_jsonl(events: Iterable[TraceEvent], target: str | Path | TextIO) -> int:
    """Append events to a file path or an open text stream as JSON lines; returns how many."""
    n = 0
    if isinstance(target, str | Path):
        with Path(target).open("a", encoding="utf-8") as fh:
            return write_jsonl(events, fh)
    for event in events:
        target.write(event.to_json() + "\n")
        n += 1
    return n


def iter_jsonl(source: str | Path | Iterable[str]) -> Iterator[TraceEvent]:
    """Parse JSON lines from a file path or an iterable of lines (blank lines skipped)."""
    if isinstance(source, str | Path):
        with Path(source).open(encoding="utf-8") as fh:
            yield from iter_jsonl(list(fh))
        return
    for line in source:
        if line.strip():
            yield TraceEvent.from_json(line)


def read_jsonl(source: str | Path | Iterable[str]) -> list[TraceEvent]:
    """All events of a JSON-lines file or iterable of lines."""
    return list(iter_jsonl(source))


def check_sequence(events: Iterable[TraceEvent], start_seq: int = 1) -> None:
    """Raise ValueError unless the events share one run id and number `start_seq`, +1, +2, ..."""
    expected = start_seq
    run_id: str | None = None
    for event in events:
        if run_id is None:
            run_id = event.run_id
        elif event.run_id != run_id:
            raise ValueError(
                f"event seq {event.seq} belongs to run {event.run_id!r}, not {run_id!r}"
            )
        if event.seq != expected:
            raise ValueError(f"expected seq {expected}, got {event.seq} ({event.type})")
        expected += 1
