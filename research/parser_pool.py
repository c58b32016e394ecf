"""Uploaded files are read, and their passages written to the research index, in child
processes, never in the server's: `ParserPool.parse`, `ParserPool.index`.

Parsing and chunking an untrusted file is the heaviest thing a request can ask for (a 92 KB
workbook can expand to 400,000 rows). Here it runs in a child process (`research.parse_worker`)
so that it neither holds the server's event loop or interpreter lock nor grows the server's
memory: the child's address space is capped (`memory_bytes`), each file has `seconds` to be
read (then the child is killed), at most `workers` files are read at once (more callers wait
their turn), and a child whose memory grew past `recycle_bytes` is replaced, so the memory a
large file took goes back to the system. Idle children stay for the next file (they import the
readers once) and end when the pool is closed or the server exits (their stdin closes).
"""

from __future__ import annotations

import atexit
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from research import parsing
from research.chunking import Chunk
from research.index import IndexedChunk, ResearchIndex, ResearchIndexError
from research.parse_worker import frame
from research.parsing import CorruptDocumentError, DocumentError, TooSlowDocumentError

RECYCLE_BYTES = 256 * 2**20
"""A child whose resident memory is above this after a file is replaced (bytes)."""


@dataclass(frozen=True)
class ParseLimits:
    """What one file may be (`research.parsing.parse_document`'s limits, and `max_chunks`)."""

    max_bytes: int
    max_pages: int
    max_expanded_bytes: int
    max_rows: int
    max_cells: int
    max_chars: int
    max_chunks: int


@dataclass(frozen=True)
class ChunkedFile:
    """A file read: its media type, its page count (PDFs), its chunks in reading order."""

    media_type: str
    pages: int | None
    chunks: list[Chunk]


def _refusals() -> dict[str, type[DocumentError]]:
    """Every `DocumentError` subclass of `research.parsing`, by name."""
    found: dict[str, type[DocumentError]] = {}
    pending: list[type[DocumentError]] = [DocumentError]
    while pending:
        kind = pending.pop()
        found[kind.__name__] = kind
        pending.extend(kind.__subclasses__())
    return {name: kind for name, kind in found.items() if getattr(parsing, name, None) is kind}


class _ChildStopped(Exception):
    """The child ended (or closed its output) before answering."""


class _Child:
    """One `research.parse_worker` process and its pipes."""

    def __init__(self, memory_bytes: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "research.parse_worker", str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, header: dict[str, Any], data: bytes, deadline: float) -> dict[str, Any]:
        """Send one request; its answer, `TimeoutError` past `deadline` (monotonic seconds),
        `_ChildStopped` when the child ends first."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(frame(json.dumps(header).encode()) + frame(data))
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError) as exc:
            raise _ChildStopped from exc
        size = int.from_bytes(self._read(8, deadline), "big")
        return dict(json.loads(self._read(size, deadline)))

    def _read(self, count: int, deadline: float) -> bytes:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        parts: list[bytes] = []
        while count > 0:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
                raise TimeoutError
            part = os.read(fd, min(count, 1 << 20))
            if not part:
                raise _ChildStopped
            parts.append(part)
            count -= len(part)
        return b"".join(parts)

    def stop(self, *, kill: bool = False) -> None:
        """End the child: at once (`kill`), or by closing its input (it finishes and exits)."""
        if kill and self.alive():
            self.process.kill()
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class ParserPool:
    """Reads files in at most `workers` child processes at once (see the module docstring)."""

    def __init__(
        self,
        workers: int,
        memory_bytes: int,
        seconds: float,
        recycle_bytes: int = RECYCLE_BYTES,
    ) -> None:
        self.workers = workers
        self.memory_bytes = memory_bytes
        self.seconds = seconds
        self.recycle_bytes = recycle_bytes
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: dict[str, list[_Child]] = {"parse": [], "index": []}
        self._lock = threading.Lock()
        self._refusals = _refusals()

    def parse(self, data: bytes, filename: str, limits: ParseLimits) -> ChunkedFile:
        """Parse and chunk `data` (the file `filename`) within `limits` in a child process.
        A `DocumentError` subclass says why a file is refused: the readers' own, plus
        `TooSlowDocumentError` past the time limit and `DocumentTooLargeError` when it needs
        more memory than the child has."""
        header = {"op": "parse", "filename": filename, "limits": asdict(limits)}
        try:
            reply = self._ask(header, data)
        except TimeoutError:
            raise TooSlowDocumentError(
                f"{filename!r} takes longer than {self.seconds:g} s to read, the limit "
                "(documents_parse_seconds)"
            ) from None
        except _ChildStopped as exc:
            raise CorruptDocumentError(
                f"{filename!r} could not be read: the reader stopped ({exc})"
            ) from None
        return self._result(reply, filename)

    def index(
        self, index: ResearchIndex, owner: str, chunks: Sequence[IndexedChunk], vectors: Any
    ) -> None:
        """`index.add(owner, chunks, vectors)` done in a child process (LanceDB's buffers and
        its text index's build then grow the child, not this process);
        `ResearchIndexError` when the index refuses or the write takes longer than the limit."""
        if not chunks:
            return
        header = {
            "op": "index",
            "uri": index.uri,
            "storage_options": index.storage_options,
            "model_id": index.embedder.model_id,
            "dimensions": index.embedder.dimensions,
            "owner": owner,
            "chunks": [
                [
                    c.document_id,
                    c.document_name,
                    c.ordinal,
                    dict(c.reference),
                    c.text,
                    c.uploaded_at.isoformat(),
                ]
                for c in chunks
            ],
        }
        data = np.ascontiguousarray(vectors, dtype=np.float32).tobytes()
        try:
            reply = self._ask(header, data)
        except (TimeoutError, _ChildStopped) as exc:
            raise ResearchIndexError(
                f"research index at {index.uri}: writing the passages did not finish "
                f"({exc or f'longer than {self.seconds:g} s'})"
            ) from None
        if "index_error" in reply:
            raise ResearchIndexError(str(reply["index_error"]))
        if "indexed" not in reply:
            self._result(reply, "the document's passages")

    def _ask(self, header: dict[str, Any], data: bytes) -> dict[str, Any]:
        """One request to a child of its kind (readers have the memory cap; index writers do
        not), within a slot and the time limit: its answer; `TimeoutError` or `_ChildStopped`
        (the child then ended)."""
        kind = str(header["op"])
        with self._slots:
            child = self._take(kind)
            deadline = time.monotonic() + self.seconds
            try:
                reply = child.ask(header, data, deadline)
            except TimeoutError:
                child.stop(kill=True)
                raise
            except _ChildStopped:
                child.stop(kill=True)
                raise _ChildStopped(f"exit status {child.process.returncode}") from None
            self._keep(kind, child, int(reply.get("rss", 0)), bool(reply.get("exiting")))
            return reply

    def _take(self, kind: str) -> _Child:
        with self._lock:
            idle = self._idle[kind]
            while idle:
                child = idle.pop()
                if child.alive():
                    return child
                child.stop()
        return _Child(self.memory_bytes if kind == "parse" else 0)

    def _keep(self, kind: str, child: _Child, rss: int, exiting: bool) -> None:
        if not exiting and child.alive() and rss <= self.recycle_bytes:
            with self._lock:
                self._idle[kind].append(child)
        else:
            child.stop()

    def _result(self, reply: dict[str, Any], filename: str) -> ChunkedFile:
        if "parsed" in reply:
            parsed = reply["parsed"]
            chunks = [Chunk(int(o), str(t), dict(r)) for o, t, r in parsed["chunks"]]
            return ChunkedFile(str(parsed["media_type"]), parsed["pages"], chunks)
        if "refused" in reply:
            refused = reply["refused"]
            kind = self._refusals.get(str(refused.get("kind")), CorruptDocumentError)
            raise kind(str(refused.get("message")))
        raise RuntimeError(f"the reader failed on {filename!r}: {reply.get('failed')}")

    def close(self) -> None:
        """End the idle children (a child at work ends when its file is done)."""
        with self._lock:
            idle = [child for children in self._idle.values() for child in children]
            self._idle = {kind: [] for kind in self._idle}
        for child in idle:
            child.stop()


_pools: dict[tuple[int, int, float], ParserPool] = {}
_pools_lock = threading.Lock()


def parser_pool(workers: int, memory_bytes: int, seconds: float) -> ParserPool:
    """This process's pool of those settings (one per set of settings; closed at exit)."""
    key = (workers, memory_bytes, seconds)
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = ParserPool(workers, memory_bytes, seconds)
        return pool


@atexit.register
def _close_pools() -> None:
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()
