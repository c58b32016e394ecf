"""`local`: shards on a process pool on this machine (the default backend).

The pool is started on first use (forkserver or spawn context, never fork: numba's thread
pools and BLAS do not survive a fork) and reused by later `map` calls. Each worker, once, caps
numba's and BLAS's threads at `threads_per_worker` (default: cores / workers, so W workers do not
oversubscribe the cores) and warms up: it compiles (or loads from numba's on-disk cache) the
engine's kernels by evaluating a tiny batch. Thread counts do not change results: the engine
computes each config and path independently.

`workers=0` evaluates in this process, serially (debugging, tiny batches).

A worker that dies (killed, out of memory, `os._exit`) breaks the pool: `map` raises
`WorkerCrashedError` naming the first unfinished shard, and the next `map` starts a new pool.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import time
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeoutError
from concurrent.futures.process import BrokenProcessPool
from typing import Literal

from jobs.backends.base import ComputeBackend, check_unique_ids
from jobs.batches import BatchShard, ShardResult, run_shard
from jobs.compute_errors import ComputeTimeoutError, WorkerCrashedError
from settings import ComputeSettings
from settings.cores import usable_cores

StartMethod = Literal["forkserver", "spawn"]


def warm_up() -> None:
    """Compile (or load from numba's cache) the engine kernels single-series sweeps use."""
    import numpy as np

    from quant.engine import evaluate
    from quant.strategy import StrategyConfig

    rng = np.random.default_rng(0)
    risky = rng.normal(0.0003, 0.01, size=(2, 40))
    configs = [
        StrategyConfig(weight_function=name, lookback=10, rebalance_every=5)
        for name in ("inverse_vol", "sigmoid", "merton")
    ]
    evaluate(configs, risky, 0.02)


def _init_worker(threads: int, warm: bool) -> None:
    """Pool initializer: cap numba and BLAS threads, then warm the kernels up."""
    import numba
    from threadpoolctl import threadpool_limits

    numba.set_num_threads(max(1, min(threads, int(numba.config.NUMBA_NUM_THREADS))))  # type: ignore[attr-defined]
    threadpool_limits(threads)
    if warm:
        warm_up()


class LocalBackend(ComputeBackend):
    """Shards on a reusable process pool of `workers` processes (default: one per core the
    process may use, `settings.cores.usable_cores`: its affinity within a container's CPU quota).

    `timeout_s`: seconds a `map` call may take (None: no limit); on timeout the pool's workers
    are terminated and `ComputeTimeoutError` is raised. `warmup`: compile the kernels in each
    worker when it starts.
    """

    name = "local"

    def __init__(
        self,
        workers: int | None = None,
        *,
        threads_per_worker: int | None = None,
        start_method: StartMethod = "forkserver",
        warmup: bool = True,
        timeout_s: float | None = None,
    ) -> None:
        cores = usable_cores()
        self.workers = cores if workers is None else int(workers)
        if self.workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers!r}")
        if start_method not in ("forkserver", "spawn"):
            raise ValueError(f"start_method must be 'forkserver' or 'spawn', got {start_method!r}")
        if start_method not in mp.get_all_start_methods():
            start_method = "spawn"
        self.start_method: StartMethod = start_method
        self.threads_per_worker = (
            int(threads_per_worker)
            if threads_per_worker is not None
            else max(1, cores // max(self.workers, 1))
        )
        self.warmup = warmup
        self.timeout_s = timeout_s
        self._pool: ProcessPoolExecutor | None = None

    @classmethod
    def from_config(cls, config: ComputeSettings) -> LocalBackend:
        """From the compute settings group (`workers`, `threads_per_worker`, `start_method`,
        `timeout_s`)."""
        return cls(
            workers=config.workers,
            threads_per_worker=config.threads_per_worker,
            start_method=config.start_method,
            timeout_s=config.timeout_s,
        )

    # -- pool -----------------------------------------------------------------------------
    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = mp.get_context(self.start_method)
            if self.start_method == "forkserver":
                # The fork server imports these once (no threads started: safe to fork from);
                # each worker then forks from it instead of importing numpy, numba and the
                # engine again. Takes effect if the fork server is not running yet.
                context.set_forkserver_preload(["jobs.batches", "quant.engine"])
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=context,
                initializer=_init_worker,
                initargs=(self.threads_per_worker, self.warmup),
            )
        return self._pool

    def start(self) -> None:
        """Start the workers now (and warm them up) instead of on the first `map`."""
        if self.workers == 0:
            return
        pool = self._ensure_pool()
        for future in [pool.submit(os.getpid) for _ in range(self.workers)]:
            future.result()

    def _discard_pool(self, *, terminate: bool) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if terminate:
            # ProcessPoolExecutor cannot cancel running tasks: end its processes.
            processes = getattr(pool, "_processes", None) or {}
            for process in list(processes.values()):
                if process.is_alive():
                    process.terminate()
        pool.shutdown(wait=terminate, cancel_futures=True)

    def close(self) -> None:
        """Shut the pool down (waits for running shards)."""
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    # -- work -----------------------------------------------------------------------------
    def map(self, shards: Sequence[BatchShard]) -> list[ShardResult]:
        """Evaluate `shards` on the pool; results in the order given."""
        check_unique_ids(shards)
        if not shards:
            return []
        if self.workers == 0:
            return [run_shard(shard) for shard in shards]
        deadline = None if self.timeout_s is None else time.monotonic() + self.timeout_s
        pool = self._ensure_pool()
        try:
            futures: list[Future[ShardResult]] = [pool.submit(run_shard, s) for s in shards]
        except BrokenProcessPool as exc:
            self._discard_pool(terminate=True)
            raise WorkerCrashedError(
                shards[0].shard_id, f"the local pool is broken: {exc}"
            ) from exc
        results: list[ShardResult] = []
        try:
            for shard, future in zip(shards, futures, strict=True):
                remaining = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    results.append(future.result(timeout=remaining))
                except BrokenProcessPool as exc:
                    self._discard_pool(terminate=True)
                    raise WorkerCrashedError(
                        shard.shard_id,
                        "a process of the local pool terminated abruptly (killed, out of memory "
                        "or exited) while this shard was running or queued",
                    ) from exc
                except FuturesTimeoutError as exc:
                    self._discard_pool(terminate=True)
                    raise ComputeTimeoutError(
                        f"the local backend did not finish {len(shards)} shards within "
                        f"{self.timeout_s:g} s (shard {shard.shard_id!r} was unfinished)"
                    ) from exc
        except BaseException:
            for future in futures:
                future.cancel()
            raise
        return results
