"""Timing and reporting helpers shared by the benchmark modules.

Benchmarks print ratios (peer time / Stratigos time) measured in the same run: the machine is
shared and noisy, so absolute times drift while ratios measured side by side hold.
"""

from __future__ import annotations

import gc
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def cpu_seconds() -> float:
    """CPU seconds used so far by this process and its direct children that have ended (not a
    forkserver pool's workers, which are the forkserver's): less sensitive than wall time to
    other processes on a shared machine."""
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


def median_time(
    fn: Callable[[], object], *, repeat: int = 5, warmup: int = 1, budget: float = 20.0
) -> float:
    """Median wall time of `fn()` in seconds over `repeat` runs after `warmup` runs.

    Stops early (with at least one timed run) once `budget` seconds have been spent timing.
    """
    for _ in range(warmup):
        fn()
    times: list[float] = []
    spent = 0.0
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeat):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            times.append(elapsed)
            spent += elapsed
            if spent > budget:
                break
    finally:
        if gc_was_enabled:
            gc.enable()
    times.sort()
    return times[len(times) // 2]


@dataclass
class Row:
    """One benchmark comparison: our time, a peer's time, and how far the answers differ."""

    task: str
    size: str
    peer: str
    ours_ms: float
    peer_ms: float
    difference: str
    target: float | None = None

    @property
    def ratio(self) -> float:
        """Peer time / our time: how many times faster Stratigos is."""
        return self.peer_ms / self.ours_ms if self.ours_ms > 0 else float("inf")

    @property
    def verdict(self) -> str:
        """'met' or 'MISSED' against the target ratio, or '' when there is none."""
        if self.target is None:
            return ""
        return "met" if self.ratio >= self.target else "MISSED"


@dataclass
class Table:
    """Rows of benchmark results printed as a Markdown table."""

    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> None:
        """Append a row and print it at once, so long runs show progress."""
        self.rows.append(row)
        target = f" (target >= {row.target:.3g}x: {row.verdict})" if row.target is not None else ""
        print(
            f"  {row.task} {row.size} vs {row.peer}: ours {row.ours_ms:.2f} ms, "
            f"peer {row.peer_ms:.2f} ms, {row.ratio:.1f}x{target}; {row.difference}",
            flush=True,
        )

    def markdown(self) -> str:
        """The rows as a Markdown table."""
        lines = [
            "| task | size | peer | Stratigos (ms) | peer (ms) | speed-up | target | difference |",
            "| --- | --- | --- | ---: | ---: | ---: | --- | --- |",
        ]
        for r in self.rows:
            target = f">= {r.target:.3g}x {r.verdict}" if r.target is not None else ""
            lines.append(
                f"| {r.task} | {r.size} | {r.peer} | {r.ours_ms:.2f} | {r.peer_ms:.2f} | "
                f"{r.ratio:.1f}x | {target} | {r.difference} |"
            )
        return "\n".join(lines)
