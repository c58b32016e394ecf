"""Tests of `jobs/`: shards, compute backends and the container entry point.

Helpers shared by the test modules live here (importable by pool and Ray workers as
`tests.jobs`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np

from jobs.batches import (
    BatchShard,
    EmbeddedHistory,
    PathInputs,
    ScenarioSpec,
    make_shards,
)
from quant import ScenarioData
from quant.strategy import StrategyConfig

START, END = "2016-01-04", "2022-12-28"
TICKERS = ("AAPL", "AMD", "BAC", "BBY", "CVX", "GE", "HD", "JNJ")


def sample_configs(n: int = 7) -> list[StrategyConfig]:
    """`n` distinct single-sleeve configs over the three built-in weight functions."""
    functions = ("inverse_vol", "sigmoid", "merton")
    return [
        StrategyConfig(
            target_vol=0.06 + 0.01 * i,
            weight_function=functions[i % 3],
            lookback=21 + 5 * i,
            rebalance_every=1 + i % 4,
            cost_bps=float(i),
        )
        for i in range(n)
    ]


def sample_history() -> EmbeddedHistory:
    """Eight embedded S&P 500 stocks, 2016-2022, regimes from the index."""
    return EmbeddedHistory(TICKERS, START, END, use_market=True)


def sample_shards(n_paths: int = 40, horizon: int = 150, seed: int = 7) -> list[BatchShard]:
    """Seven configs x two regenerated scenarios (bull, bear) x one array scenario, cut into
    shards of three configs (9 shards), per-path Sharpe kept."""
    history = sample_history()
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    specs: list[ScenarioSpec | PathInputs] = [
        ScenarioSpec(name, history, n_paths=n_paths, horizon=horizon, seed=seed)
        for name in ("bull", "bear")
    ]
    specs.append(PathInputs("synthetic", rng.normal(0.0004, 0.012, size=(n_paths, horizon))))
    return make_shards(
        sample_configs(), specs, safe=0.02, configs_per_shard=3, sharpe_paths=True, prefix="t"
    )


@dataclass(frozen=True, eq=False)
class CrashInputs(PathInputs):
    """Inputs whose rebuild kills the worker process (simulates a crash, OOM kill, SIGKILL)."""

    def cache_key(self) -> str:
        os._exit(17)

    def build(self) -> ScenarioData:  # pragma: no cover - the process is gone before this
        os._exit(17)


def crash_shard() -> BatchShard:
    """A shard whose evaluation makes its worker exit abruptly."""
    return BatchShard("crash", (StrategyConfig(lookback=10),), CrashInputs("x", np.zeros((1, 30))))
