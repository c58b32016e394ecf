"""Work on untrusted uploads done in child processes: the parent's `ChildPool` and the child's
`run_child`, speaking one framed protocol over the child's standard streams.

A child is `python -m MODULE MEMORY_BYTES`: it caps its own address space at `MEMORY_BYTES`
(where the platform allows; 0: no cap) and answers requests one at a time until its input
closes. It runs with one BLAS thread and at most `CHILD_ARENAS` glibc heaps
(`OPENBLAS_NUM_THREADS`, `MALLOC_ARENA_MAX`): a child works on one request at a time, and
address space its libraries reserve for idle threads would count against its cap. A request is a frame holding a JSON header (its `"op"` says what to do) and a frame of
bytes; an answer is a frame holding a JSON reply and a frame of bytes (often empty). A frame is
a length (8 bytes, big-endian) and that many bytes. Each reply carries `"rss"`, the child's
resident memory after the work, and `"exhausted"`: a request that ran out of memory is
answered `{"exhausted": true}` and the child exits, its memory going back to the system. An
exception the module's `answer` does not handle is a bug, answered `{"failed": text}`.

`ChildPool` runs at most `workers` requests at once (more callers wait their turn), gives each
`seconds` (then the child is killed), keeps idle children for the next request (they import
their libraries once) and replaces a child whose memory grew past `recycle_bytes`, so the
memory a large file took goes back to the system. Children end when the pool is closed or the
parent exits (their input closes).
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
import warnings
from collections.abc import Callable, Collection
from typing import IO, Any

CHILD_ARENAS = 2
"""The most glibc heaps of a child (`MALLOC_ARENA_MAX`)."""

RECYCLE_BYTES = 256 * 2**20
"""A child whose resident memory is above this after a request is replaced (bytes)."""

Answer = Callable[[dict[str, Any], bytes], tuple[dict[str, Any], bytes]]
"""What a child module does with a request: (header, bytes) -> (reply, bytes)."""


class ChildStopped(Exception):
    """The child ended (or closed its output) before answering."""


class ChildMemoryExhausted(Exception):
    """The request needed more memory than the child has (the child has exited)."""


# ----------------------------------------------------------------------------- the child side


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's bytes, or None at the end of the stream."""
    head = stream.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "big")
    body = stream.read(size)
    if len(body) < size:
        return None
    return body


def frame(body: bytes) -> bytes:
    """`body` as a frame (its length, then itself)."""
    return len(body).to_bytes(8, "big") + body


def resident_bytes() -> int:
    """This process's resident memory now (Linux), else its peak (elsewhere), in bytes."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)


def limit_memory(memory_bytes: int) -> None:
    """Cap this process's address space (no cap where `resource` does not exist)."""
    try:
        import resource
    except ImportError:
        return
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


def serve(source: IO[bytes], sink: IO[bytes], answer: Answer) -> None:
    """Answer requests from `source` on `sink` until `source` ends or memory runs out."""
    while True:
        header, data = read_frame(source), read_frame(source)
        if header is None or data is None:
            return
        exhausted = False
        out = b""
        try:
            reply, out = answer(json.loads(header), data)
        except MemoryError:
            exhausted = True
            reply = {}
        except Exception as exc:  # a bug: reported to the parent, which logs it
            reply = {"failed": f"{type(exc).__name__}: {exc}"}
        reply["rss"] = resident_bytes()
        reply["exhausted"] = exhausted
        sink.write(frame(json.dumps(reply).encode()) + frame(out))
        sink.flush()
        if exhausted:
            return


def run_child(answer: Answer, argv: list[str] | None = None) -> int:
    """A child's main: cap the memory (`argv[0]`, bytes; 0: none), then serve requests on the
    standard streams (nothing a library prints reaches the answers)."""
    memory_bytes = int((argv or sys.argv[1:])[0])
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr
    warnings.simplefilter("ignore")  # readers' notes (openpyxl's styles) are not for the log
    if memory_bytes:
        limit_memory(memory_bytes)
    serve(source, sink, answer)
    return 0


# ----------------------------------------------------------------------------- the parent side


class _Child:
    """One child process and its pipes."""

    def __init__(self, module: str, memory_bytes: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", module, str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            close_fds=True,
            env={
                **os.environ,
                "OPENBLAS_NUM_THREADS": "1",
                "MALLOC_ARENA_MAX": str(CHILD_ARENAS),
            },
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def ask(
        self, header: dict[str, Any], data: bytes, deadline: float
    ) -> tuple[dict[str, Any], bytes]:
        """Send one request; its answer, `TimeoutError` past `deadline` (monotonic seconds),
        `ChildStopped` when the child ends first."""
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(frame(json.dumps(header).encode()) + frame(data))
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError) as exc:
            raise ChildStopped from exc
        reply = dict(json.loads(self._read_frame(deadline)))
        return reply, self._read_frame(deadline)

    def _read_frame(self, deadline: float) -> bytes:
        return self._read(int.from_bytes(self._read(8, deadline), "big"), deadline)

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
                raise ChildStopped
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


class ChildPool:
    """Requests to child processes running `module`, at most `workers` at once (see the module
    docstring). Children for the ops in `uncapped` have no memory cap (e.g. a library that
    reserves more address space than a reader's cap); the others have `memory_bytes`."""

    def __init__(
        self,
        module: str,
        workers: int,
        memory_bytes: int,
        seconds: float,
        *,
        recycle_bytes: int = RECYCLE_BYTES,
        uncapped: Collection[str] = (),
    ) -> None:
        self.module = module
        self.workers = workers
        self.memory_bytes = memory_bytes
        self.seconds = seconds
        self.recycle_bytes = recycle_bytes
        self.uncapped = frozenset(uncapped)
        self._slots = threading.BoundedSemaphore(workers)
        self._idle: dict[str, list[_Child]] = {}
        self._lock = threading.Lock()

    def ask(self, header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
        """One request to an idle child of its op (or a new one), within a slot and the time
        limit: its answer. `TimeoutError` past the limit, `ChildStopped` when the child ended,
        `ChildMemoryExhausted` when it ran out of memory (either way, that child is gone)."""
        kind = str(header["op"])
        with self._slots:
            child = self._take(kind)
            deadline = time.monotonic() + self.seconds
            try:
                reply, out = child.ask(header, data, deadline)
            except TimeoutError:
                child.stop(kill=True)
                raise
            except ChildStopped:
                child.stop(kill=True)
                raise ChildStopped(f"exit status {child.process.returncode}") from None
            exhausted = bool(reply.get("exhausted"))
            self._keep(kind, child, int(reply.get("rss", 0)), exhausted)
        if exhausted:
            raise ChildMemoryExhausted
        return reply, out

    def _take(self, kind: str) -> _Child:
        with self._lock:
            idle = self._idle.setdefault(kind, [])
            while idle:
                child = idle.pop()
                if child.alive():
                    return child
                child.stop()
        return _Child(self.module, 0 if kind in self.uncapped else self.memory_bytes)

    def _keep(self, kind: str, child: _Child, rss: int, exiting: bool) -> None:
        if not exiting and child.alive() and rss <= self.recycle_bytes:
            with self._lock:
                self._idle.setdefault(kind, []).append(child)
        else:
            child.stop()

    def idle(self, kind: str) -> list[_Child]:
        """The idle children of requests of `kind` (a copy)."""
        with self._lock:
            return list(self._idle.get(kind, []))

    def close(self) -> None:
        """End the idle children (a child at work ends when its request is done)."""
        with self._lock:
            idle = [child for children in self._idle.values() for child in children]
            self._idle = {}
        for child in idle:
            child.stop()


_pools: dict[tuple[Any, ...], ChildPool] = {}
_pools_lock = threading.Lock()


def shared_pool(key: tuple[Any, ...], make: Callable[[], ChildPool]) -> ChildPool:
    """This process's pool of `key` (made by `make` the first time; closed at exit)."""
    with _pools_lock:
        pool = _pools.get(key)
        if pool is None:
            pool = _pools[key] = make()
        return pool


def close_pools() -> None:
    """End the idle children of every shared pool (at exit)."""
    with _pools_lock:
        pools = list(_pools.values())
    for pool in pools:
        pool.close()


atexit.register(close_pools)
