"""Callers that compete: each in a thread of its own, released at once."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_together(work: Callable[[int], None], n: int) -> None:
    """`work(i)` for i < n, each in a thread of its own, all released together (a barrier);
    returns when every one has."""
    barrier = threading.Barrier(n)

    def released(i: int) -> None:
        barrier.wait()
        work(i)

    threads = [threading.Thread(target=released, args=(i,)) for i in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
