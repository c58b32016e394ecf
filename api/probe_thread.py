"""`ProbeThread`: blocking checks run in a thread of their own, off the request thread pool.

Readiness must answer while every request thread is busy: its checks (a store read, opening the
research index) run in this one thread instead. Callers that ask for a check while the same
check is running share its result (a hundred health checks at once cost one store read), and
none waits longer than its timeout.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")


class ProbeThread:
    """One worker thread for blocking checks (see the module docstring)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._running: dict[str, asyncio.Future[Any]] = {}

    async def run(self, key: str, check: Callable[[], T], timeout: float) -> T:
        """The result of `check()` (run in the probe thread, or the run of the check named
        `key` already under way); `TimeoutError` after `timeout` seconds (the check goes on
        and later callers share it)."""
        loop = asyncio.get_running_loop()
        running = self._running.get(key)
        if running is None or running.done() or running.get_loop() is not loop:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
            running = asyncio.wrap_future(self._executor.submit(check), loop=loop)
            self._running[key] = running
        result: T = await asyncio.wait_for(asyncio.shield(running), timeout)
        return result

    def close(self) -> None:
        """Stop the thread once the check under way (if any) ends (a later `run` starts
        another)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None
        self._running.clear()
