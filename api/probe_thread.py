"""`ProbeThread`: blocking checks run in a thread of their own, off the request thread pool, their
latest results answering at once.

Readiness must answer at once while every request thread is busy. Its checks (a store read,
opening the research index) run in this one thread instead, and a caller gets the latest result
when it is younger than `max_age` (starting a new run in the background once it is older than
`refresh_after`): a hundred health checks a second cost two store reads and wait for none. Only
without a recent result does a caller wait for a run, at most `timeout` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ProbeThread:
    """One worker thread for blocking checks and their latest results (see the module
    docstring); `clock` gives monotonic seconds."""

    def __init__(self, name: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.name = name
        self.clock = clock
        self._executor: ThreadPoolExecutor | None = None
        self._running: dict[str, Future[Any]] = {}
        self._latest: dict[str, tuple[float, Any]] = {}

    async def run(
        self,
        key: str,
        check: Callable[[], T],
        *,
        refresh_after: float,
        max_age: float,
        timeout: float,
    ) -> T:
        """The latest result of the check named `key` if younger than `max_age` seconds,
        else that of a new run of `check()` (`TimeoutError` after `timeout` seconds: the run
        goes on and later callers share it)."""
        now = self.clock()
        latest = self._latest.get(key)
        if latest is not None and now - latest[0] < max_age:
            if now - latest[0] >= refresh_after:
                self._start(key, check)
            result: T = latest[1]
            return result
        running = asyncio.wrap_future(self._start(key, check))
        fresh: T = await asyncio.wait_for(asyncio.shield(running), timeout)
        return fresh

    def _start(self, key: str, check: Callable[[], T]) -> Future[Any]:
        """The run of `key` under way, or a new one."""
        running = self._running.get(key)
        if running is not None and not running.done():
            return running
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
        started = self.clock()

        def timed() -> T:
            result = check()
            self._latest[key] = (started, result)
            return result

        running = self._running[key] = self._executor.submit(timed)
        return running

    def close(self) -> None:
        """Stop the thread once the check under way (if any) ends, and forget the results (a
        later `run` starts again)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._running.clear()
        self._latest.clear()
