"""Compute backends: local process-pool scaling and the per-batch overhead of Ray.

Rows:

- local speed-up from 1 to 2 workers on a realistic batch: 50 configs x 5 scenarios x 300 paths
  x 252 days (scenarios regenerated in the workers from the embedded S&P 500 data, 8 stocks),
  cut into 10 shards (25 configs x 1 scenario). `peer_ms` is one worker, `ours_ms` two; the ratio
  is the speed-up. Measured twice: one numba thread per worker (process scaling alone), and with
  the defaults (threads per worker = cores / workers, so one worker already uses both cores).
  Pools are started and warmed (kernels compiled, scenarios cached) before timing.
- control: 2 processes against 1 on pure-Python CPU work, the ceiling for any 2-worker speed-up
  on this (shared) machine at that moment.
- Ray overhead: N tiny shards (1 config x 1 path x 60 days) through a local Ray cluster
  (num_cpus=2) against the same shards evaluated directly in this process; the difference
  divided by N is Ray's overhead per shard. The local pool's is shown for comparison.

The machine is shared with other jobs: expect noise; ratios measured side by side hold best.
"""

from __future__ import annotations

import importlib.util
import multiprocessing as mp
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from benchmarks.harness import Row, Table, median_time
from jobs.backends.base import ComputeBackend
from jobs.backends.local import LocalBackend
from jobs.batches import (
    BatchShard,
    EmbeddedHistory,
    PathInputs,
    ScenarioSpec,
    ShardResult,
    make_shards,
    run_shard,
)
from quant.regime_names import REGIME_NAMES
from quant.strategy import StrategyConfig

N_CONFIGS = 50
N_PATHS = 300
HORIZON = 252
CONFIGS_PER_SHARD = 25
N_TINY = 40
TICKERS = ("AAPL", "BAC", "CVX", "HD", "JNJ", "KO", "MSFT", "XOM")


def realistic_batch() -> list[BatchShard]:
    """50 configs x 5 scenarios x 300 paths x 252 days, as 10 shards."""
    functions = ("inverse_vol", "sigmoid", "merton")
    configs = [
        StrategyConfig(
            target_vol=0.05 + 0.002 * i,
            weight_function=functions[i % 3],
            lookback=21 + 2 * (i % 30),
            rebalance_every=1 + i % 21,
            cost_bps=5.0,
        )
        for i in range(N_CONFIGS)
    ]
    history = EmbeddedHistory(TICKERS, "2010-01-04", "2022-12-28")
    specs = [
        ScenarioSpec(name, history, n_paths=N_PATHS, horizon=HORIZON, seed=1)
        for name in REGIME_NAMES
    ]
    return make_shards(configs, specs, configs_per_shard=CONFIGS_PER_SHARD, prefix="bench")


def tiny_shards(n: int) -> list[BatchShard]:
    """`n` shards of 1 config x 1 path x 60 days."""
    rng = np.random.default_rng(0)
    config = StrategyConfig(lookback=20, rebalance_every=5)
    return [
        BatchShard(f"tiny/{i}", (config,), PathInputs(f"p{i}", rng.normal(0, 0.01, (1, 60))))
        for i in range(n)
    ]


def _identical(a: list[ShardResult], b: list[ShardResult]) -> bool:
    return len(a) == len(b) and all(x.same_values(y) for x, y in zip(a, b, strict=True))


def _timed_map(backend: ComputeBackend, shards: list[BatchShard], repeat: int) -> float:
    return median_time(lambda: backend.map(shards), repeat=repeat, warmup=1, budget=60.0)


def _spin(n: int) -> int:
    """CPU-bound pure-Python work (the machine-capacity control)."""
    total = 0
    for i in range(n):
        total += i * i
    return total


def _ceiling(table: Table) -> None:
    """Speed-up of 2 processes over 1 on pure CPU work: what this machine allows right now."""
    work = [3_000_000] * 4
    with (
        ProcessPoolExecutor(1, mp_context=mp.get_context("spawn")) as one,
        ProcessPoolExecutor(2, mp_context=mp.get_context("spawn")) as two,
    ):
        one_s = median_time(lambda: list(one.map(_spin, work)), repeat=3)
        two_s = median_time(lambda: list(two.map(_spin, work)), repeat=3)
    table.add(
        Row(
            "jobs: machine ceiling (control)",
            "4 x pure-Python loop",
            "1 process",
            two_s * 1e3,
            one_s * 1e3,
            f"2 processes vs 1: {one_s / two_s:.2f}x (the most any 2-worker pool can gain now)",
        )
    )


def _local_scaling(table: Table) -> None:
    shards = realistic_batch()
    size = (
        f"{N_CONFIGS} configs x {len(REGIME_NAMES)} scen x {N_PATHS} paths x {HORIZON} d "
        f"({len(shards)} shards)"
    )
    for label, threads in (("1 thread/worker", 1), ("default threads", None)):
        with (
            LocalBackend(1, threads_per_worker=threads) as one,
            LocalBackend(2, threads_per_worker=threads) as two,
        ):
            one.start()
            two.start()
            one_s = _timed_map(one, shards, repeat=3)
            two_s = _timed_map(two, shards, repeat=3)
            same = _identical(one.map(shards), two.map(shards))
        table.add(
            Row(
                f"jobs: local 2 workers ({label})",
                size,
                "local 1 worker",
                two_s * 1e3,
                one_s * 1e3,
                f"results {'identical' if same else 'DIFFER'}; speed-up {one_s / two_s:.2f}x",
            )
        )


def _overheads(table: Table) -> None:
    shards = tiny_shards(N_TINY)
    direct_s = median_time(lambda: [run_shard(s) for s in shards], repeat=5)
    reference = [run_shard(s) for s in shards]
    size = f"{N_TINY} tiny shards (1 config x 1 path x 60 d)"
    with LocalBackend(2) as local:
        local.start()
        local_s = _timed_map(local, shards, repeat=5)
        same = _identical(local.map(shards), reference)
    table.add(
        Row(
            "jobs: local pool overhead",
            size,
            "direct in-process",
            local_s * 1e3,
            direct_s * 1e3,
            f"{(local_s - direct_s) / N_TINY * 1e3:.2f} ms per shard; "
            f"results {'identical' if same else 'DIFFER'}",
        )
    )
    if importlib.util.find_spec("ray") is None:
        print("  ray is not installed: Ray overhead skipped (pip install 'stratigos[ray]')")
        return
    from jobs.backends.ray_backend import RayBackend

    with RayBackend(num_cpus=2) as ray_backend:
        ray_s = _timed_map(ray_backend, shards, repeat=5)
        same = _identical(ray_backend.map(shards), reference)
        single_s = median_time(lambda: ray_backend.map(shards[:1]), repeat=10)
    table.add(
        Row(
            "jobs: Ray overhead",
            size,
            "direct in-process",
            ray_s * 1e3,
            direct_s * 1e3,
            f"{(ray_s - direct_s) / N_TINY * 1e3:.2f} ms per shard, {single_s * 1e3:.1f} ms for "
            f"a 1-shard batch; results {'identical' if same else 'DIFFER'}",
        )
    )


def run(table: Table) -> None:
    """Time the local backend's scaling and Ray's overhead; add the rows to `table`."""
    _ceiling(table)
    _local_scaling(table)
    _overheads(table)


if __name__ == "__main__":
    result = Table()
    run(result)
    print(result.markdown())
