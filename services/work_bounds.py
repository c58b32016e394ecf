"""Bounds on expensive work per process: each kind of work (chat turns, full evaluations,
estimates, searches started in a chat, uploads being parsed) runs at most `limit` at once in one
process, and the excess is refused at once, never queued: `BusyError`, which every interface
answers as 429 `RATE_LIMITED` with `Retry-After` (seconds) naming the part of the request that
asked for the work, in words that say which bound it met.

A bound counts the work this process runs (threads of one process share it; another server
process, or Lambda instance, has its own): it keeps a burst of one kind of work from taking the
threads, memory and interpreter lock the other requests and the health checks need, whoever
sends it, however the work is reached. `WorkBound.held()` holds a place for the length of a
`with` block; `enter()` and `leave()` do it in two steps (work that outlives the call that
starts it, such as a chat turn).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class BusyError(RuntimeError):
    """This process runs as much of one kind of work as its bound allows: `what` (plural, e.g.
    "full evaluations"), `limit`, `field` (the part of the request that asked for it, e.g.
    ``body.evaluate``) and `retry_after_s`, the seconds after which a place is likely free."""

    def __init__(self, what: str, limit: int, field: str, retry_after_s: int) -> None:
        self.what = what
        self.limit = limit
        self.field = field
        self.retry_after_s = retry_after_s
        super().__init__(
            f"this server is running {limit} {what} already, its limit; retry in {retry_after_s} s"
        )

    @property
    def problem(self) -> str:
        """What is wrong with the request's part, in words."""
        return f"the server is busy: {self.limit} of {self.limit} {self.what} running"


class WorkBound:
    """At most `limit` of one kind of work (`what`) at once in this process; the excess is a
    `BusyError` naming `field`, with a `Retry-After` of `retry_after_s`."""

    def __init__(self, what: str, limit: int, field: str, retry_after_s: int) -> None:
        if limit < 1:
            raise ValueError(f"a bound of {what} needs a limit of at least 1, got {limit}")
        self.what = what
        self.limit = limit
        self.field = field
        self.retry_after_s = retry_after_s
        self.running = 0
        """The places held now."""
        self.refused = 0
        """Work refused so far."""
        self._lock = threading.Lock()

    def enter(self) -> None:
        """Hold a place, or raise `BusyError` when all `limit` are held."""
        with self._lock:
            if self.running >= self.limit:
                self.refused += 1
                raise BusyError(self.what, self.limit, self.field, self.retry_after_s)
            self.running += 1

    def leave(self) -> None:
        """Give back a place `enter` held."""
        with self._lock:
            self.running = max(0, self.running - 1)

    @contextmanager
    def held(self) -> Iterator[None]:
        """A place for the block (`BusyError` at once when there is none)."""
        self.enter()
        try:
            yield
        finally:
            self.leave()
