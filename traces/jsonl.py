"""Traces as JSON lines: writing, reading (validated) and the gap-free sequence check.

A line is written when its newline is: in a file, a last line that has none and is not an event
is the rest of an append a crash or a full disk cut short, and reading leaves it out (`mend`
removes it before a trace is appended to again).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from pydantic import ValidationError

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
            lines = list(fh)
        if lines and _is_torn(lines[-1]):
            lines.pop()
        yield from iter_jsonl(lines)
        return
    for line in source:
        if line.strip():
            yield TraceEvent.from_json(line)


def _is_torn(line: str) -> bool:
    """Whether `line`, the last of a file, is an append cut short: no newline, and not an event
    (a strict prefix of a JSON object is never one)."""
    if line.endswith("\n") or not line.strip():
        return False
    try:
        TraceEvent.from_json(line)
    except ValidationError:
        return True
    return False


def mend(path: str | Path) -> None:
    """Make the JSON-lines file `path` end with a whole line, for appending: a last line an
    append left unfinished is cut off; a whole event without its newline gets it. Only the
    file's last line is read."""
    start, rest = _last_line(path)
    if not rest.strip():
        return
    if _is_torn(rest.decode("utf-8", errors="replace")):
        os.truncate(path, start)
    else:
        with Path(path).open("ab") as fh:
            fh.write(b"\n")


def _last_line(path: str | Path, block: int = 65536) -> tuple[int, bytes]:
    """Where the file's last line starts (the byte after its last newline, 0 without one) and
    that line's bytes (empty when the file ends with a newline), read backwards by `block`s."""
    with Path(path).open("rb") as fh:
        position = fh.seek(0, os.SEEK_END)
        tail = b""
        while position > 0:
            step = min(block, position)
            position -= step
            fh.seek(position)
            tail = fh.read(step) + tail
            newline = tail.rfind(b"\n")
            if newline >= 0:
                return position + newline + 1, tail[newline + 1 :]
        return 0, tail


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
