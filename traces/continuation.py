"""Where a trace file left off, read whole once per process and then only as far as it grew.

A chat thread's trace grows by every turn, and each turn continues it: the next turn needs the
run id, the last event and the ids of the messages, tool calls and results already in it
(`TraceRecorder.resume`). `continuation(path, run_id)` keeps that per file, with how far the file
was read, and on the next turn reads only the events appended since — by this process or by
any other (two server processes may take turns on one thread). The file is read whole again
when it is not the one read before: another inode or device (deleted and written anew), shorter
than what was read, or different bytes just before where the reading stopped. What is kept for a
file is only what that file holds, under its absolute path; at most `CACHED_FILES` files are
kept, the least recently continued dropped first.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from bounded_lru import BoundedLru
from traces.jsonl import read_jsonl
from traces.recorder import TraceRecorder
from traces.schema import TraceEvent

CACHED_FILES = 256
"""How many trace files a process remembers where it left off."""
CHECKED_BYTES = 512
"""How many bytes before the end of what was read must be unchanged for the file to be the one
read before (they hold the whole last event of a turn, its time stamp included)."""


@dataclass(frozen=True)
class _Read:
    """How far a trace file was read, and what it held up to there."""

    device: int
    inode: int
    offset: int
    """Bytes read: whole lines only."""
    end_bytes: bytes
    """The last `CHECKED_BYTES` bytes read (fewer in a shorter file)."""
    recorder: TraceRecorder
    """A recorder resumed from the events read: never emits, only continued from."""
    last: TraceEvent


_READ: BoundedLru[str, _Read] = BoundedLru(CACHED_FILES)


def continuation(path: Path, run_id: str) -> tuple[TraceRecorder, TraceEvent | None]:
    """A recorder continuing the JSON-lines trace at `path` (a new one of run `run_id` when the
    file holds no event or is missing) and the trace's last event (None when it has none).
    The caller mends the file first (`traces.jsonl.mend`); `ValueError` when its events do not
    form one gap-free sequence, as `TraceRecorder.resume`."""
    if not path.is_file():
        return TraceRecorder(run_id), None
    key = os.path.abspath(path)
    known = _READ.get(key)
    with path.open("rb") as fh:
        status = os.fstat(fh.fileno())
        if known is not None and not _still(fh.fileno(), status, known):
            known = None
        fh.seek(known.offset if known is not None else 0)
        data = fh.read()
    whole = data[: data.rfind(b"\n") + 1]
    if data[len(whole) :].strip():  # a line being appended right now: read as before, uncached
        previous = read_jsonl(path)
        if not previous:
            return TraceRecorder(run_id), None
        return TraceRecorder.resume(previous), previous[-1]
    events = [TraceEvent.from_json(line) for line in whole.decode().split("\n") if line.strip()]
    if known is None:
        if not events:
            return TraceRecorder(run_id), None
        read = _Read(
            status.st_dev,
            status.st_ino,
            len(whole),
            whole[-CHECKED_BYTES:],
            TraceRecorder.resume(events),
            events[-1],
        )
    else:
        read = _Read(
            status.st_dev,
            status.st_ino,
            known.offset + len(whole),
            (known.end_bytes + whole)[-CHECKED_BYTES:],
            TraceRecorder.resume_after(known.recorder, events),
            events[-1] if events else known.last,
        )
    _READ.put(key, read)
    return TraceRecorder.resume_after(read.recorder, []), read.last


def _still(descriptor: int, status: os.stat_result, known: _Read) -> bool:
    """Whether the file open as `descriptor` (of `status`) is the one `known` read, grown or
    not."""
    if (status.st_dev, status.st_ino) != (known.device, known.inode):
        return False
    if status.st_size < known.offset:
        return False
    start = known.offset - len(known.end_bytes)
    return os.pread(descriptor, len(known.end_bytes), start) == known.end_bytes
