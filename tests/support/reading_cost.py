"""What a reading of a message costs, for the tests that check it grows linearly with the
message's length."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable


def cpu_seconds(read: Callable[[str], object], message: str, runs: int = 3) -> float:
    """The least CPU time of this thread (`time.thread_time`, seconds) `read(message)` took over
    `runs` runs, the garbage collector off."""
    best = float("inf")
    for _ in range(runs):
        gc.disable()
        try:
            start = time.thread_time()
            read(message)
            best = min(best, time.thread_time() - start)
        finally:
            gc.enable()
    return best


def repeated(unit: str, size: int) -> str:
    """`unit` repeated to exactly `size` characters."""
    return (unit * (size // len(unit) + 1))[:size]
