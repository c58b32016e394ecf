"""How much of the machine one engine call uses: paths per compiled call from a memory budget,
and threads from the cores other processes leave idle (docs/engine.md, "Implementation")."""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator

import numba

from quant.engine.hedge_kernels import N_UNIT_ROWS
from quant.engine.path_kernels import N_METRICS

MEMORY_BUDGET_BYTES = 512 * 1024**2
"""Working memory (beyond inputs and outputs) that the automatic path chunk size aims at."""

PARALLEL_ALWAYS_CONFIG_DAYS = 20_000_000
"""Compiled calls with at least this many config-days use all of numba's threads. Smaller calls
use only the cores that other processes leave idle (read from /proc when available): on a busy
machine a short parallel region ends waiting for a descheduled thread: measured up to 2.7x slower
than one thread for a 10 ms sweep, 10x for a 1 ms one (see docs/engine.md)."""


def auto_chunk_size(n_days: int, n_custom: int, n_assets: int = 1, n_configs: int = 0) -> int:
    """Paths per chunk so the per-chunk working arrays stay within `MEMORY_BUDGET_BYTES`.

    Per path a chunk holds about 4 + 2 x (custom weight functions) + 3 x (assets) float64 rows of
    length T (inputs, window statistics, targets, sleeve weights) and 9 metrics per config.
    """
    per_path = 8 * (n_days * (4 + 2 * n_custom + 3 * n_assets) + N_METRICS * n_configs)
    return max(1, MEMORY_BUDGET_BYTES // per_path)


def hedged_chunk_size(
    n_days: int, n_hedges: int, n_assets: int, n_custom: int, n_configs: int
) -> int:
    """Paths per chunk of hedged configs within `MEMORY_BUDGET_BYTES`: per path the inputs, the
    unit series of `n_hedges` hedges, the sleeve's weights, window statistics and the custom
    functions' targets (float64 rows of length T), and 9 metrics per config."""
    rows = 4 + N_UNIT_ROWS * n_hedges + 3 * n_assets + 3 + n_custom
    per_path = 8 * (n_days * rows + N_METRICS * n_configs)
    return max(1, MEMORY_BUDGET_BYTES // per_path)


BUSY_READING_SECONDS = 0.1
"""How long one reading of the other processes' runnable tasks serves: reading /proc costs
0.25 ms, and 30 us more a thread of this process, where a small compiled call takes about 1 ms
and a sweep makes hundreds of them in a row."""

_last_reading: tuple[float, int | None] = (-math.inf, None)


def _busy_cores(clock: Callable[[], float] = time.monotonic) -> int | None:
    """Runnable tasks of other processes (Linux /proc), read at most once every
    `BUSY_READING_SECONDS` of `clock`; None when unknown."""
    global _last_reading
    read_at, busy = _last_reading
    now = clock()
    if now - read_at < BUSY_READING_SECONDS:
        return busy
    busy = _read_busy_cores()
    _last_reading = (now, busy)
    return busy


def _read_busy_cores() -> int | None:
    """Runnable tasks of other processes right now (Linux /proc), or None when unknown."""
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/stat") as f:
                stat = f.read()
            own += stat[stat.rindex(")") + 2] == "R"
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - own)


def _n_threads(config_days: int) -> int:
    """Threads for a compiled call of `config_days` (see `PARALLEL_ALWAYS_CONFIG_DAYS`)."""
    n = numba.get_num_threads()
    if n == 1 or config_days >= PARALLEL_ALWAYS_CONFIG_DAYS:
        return n
    busy = _busy_cores()
    if busy is None:
        return n
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(n, (cores or 1) - busy))


@contextlib.contextmanager
def threads_for(config_days: int) -> Iterator[None]:
    """Run the compiled calls inside with `_n_threads` (config_days) threads."""
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(_n_threads(config_days))
        yield
    finally:
        numba.set_num_threads(threads)
