"""Any universe: a synthetic 500-stock price file (`benchmarks.synthetic_market`, seeded random
walks, 2018-2022) configured as the market data, then

- optimize: `stratigos optimize`'s job (the offline model, the graph, the search) on all 500
  stocks, 4 scenarios x 100 paths x 252 days (50 M simulated asset-days, under the request's
  limit), 50 trials in batches of 25;
- forward test: a daily-rebalanced 500-stock deployment with default limits paper-traded over the
  data's last year (about 250 runs through the schedule, queue, paper broker and ledger on SQLite).

Each row gives wall seconds (what the target is measured in); the forward test's also its CPU
seconds (`benchmarks.harness.cpu_seconds`: less sensitive to other processes on a shared
machine; all of its work is in this process).

Targets (the rows' "peers"): 30 s for the optimization and 60 s for the forward test, on this
2-core machine.
"""

from __future__ import annotations

import os
import tempfile
import time
from datetime import date
from pathlib import Path

from benchmarks.harness import Row, Table, cpu_seconds
from benchmarks.synthetic_market import synthetic_closes, synthetic_symbols

OPTIMIZE_TARGET_S = 30.0
FORWARD_TEST_TARGET_S = 60.0
ASSETS = 500


def _optimize(store_path: Path, symbols: list[str]) -> tuple[float, str]:
    """Wall seconds of the optimization, and its status and trials (its CPU time is mostly in
    the compute pool's workers, children of the forkserver, which `cpu_seconds` cannot see)."""
    from graphs.job_handlers import run_job_here
    from graphs.request import OptimizationRequest
    from store.sqlite import SQLiteStore

    request = OptimizationRequest.model_validate(
        {
            "universe": symbols,
            "start": "2018-01-02",
            "end": "2022-12-30",
            "n_paths": 100,
            "horizon": 252,
            "scenarios": ["bull", "bear", "high_vol", "base"],
            "budget": {"max_trials": 50, "batch_size": 25},
            "max_risk_rounds": 0,
        }
    )
    with SQLiteStore(store_path) as store:
        started = time.perf_counter()
        _, result = run_job_here(store, "bench", request)
        seconds = time.perf_counter() - started
    return seconds, f"{result['status']}, {result.get('n_trials')} trials"


def _forward_test(store_path: Path, symbols: list[str]) -> tuple[float, str]:
    """Wall seconds of the forward test (default limits), and its runs by status, fills and
    CPU seconds."""
    from services.market_data import market_closes
    from store.sqlite import SQLiteStore
    from trading.forward_tests.paper import ForwardTestRequest, forward_test

    spec = {
        "strategy": {
            "kind": "rule",
            "config": {"target_vol": 0.1, "lookback": 63, "rebalance_every": 1},
            "safe_rate": 0.02,
        },
        "universe": symbols,
        "capital": 10_000_000.0,
        "schedule": {"every": "session", "at": "15:45", "calendar": "XNYS"},
        "limits": {},
    }
    with SQLiteStore(store_path) as store:
        source = store.create_deployment("bench", "daily 500", "active", spec)
        started, cpu = time.perf_counter(), cpu_seconds()
        result = forward_test(
            store,
            "bench",
            ForwardTestRequest(source.id, date(2022, 1, 3)),
            market_closes(),
            run_id="job_bench500",
        )
        seconds, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    return seconds, (
        f"{result['runs']} runs {result['run_statuses']}, {result['fills']} fills; CPU {cpu:.1f} s"
    )


def run(table: Table) -> None:
    """The rows: seconds to optimize on 500 stocks, and to forward-test them over a year."""
    from settings import get_settings

    symbols = synthetic_symbols(ASSETS)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "closes.parquet"
        synthetic_closes(symbols, date(2018, 1, 2), date(2022, 12, 30), seed=500).to_parquet(path)
        saved = {k: os.environ.get(k) for k in ("STRATIGOS_MARKET_DATA", "STRATIGOS_DATA_DIR")}
        os.environ["STRATIGOS_MARKET_DATA"] = str(path)
        os.environ["STRATIGOS_DATA_DIR"] = str(Path(tmp) / "data")
        os.environ.setdefault("STRATIGOS_MODEL_PROVIDER", "offline")
        get_settings.cache_clear()
        try:
            optimize_s, optimized = _optimize(Path(tmp) / "optimize.sqlite", symbols)
            forward_s, traded = _forward_test(Path(tmp) / "forward.sqlite", symbols)
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            get_settings.cache_clear()
    table.add(
        Row(
            "optimize: 500-stock universe", "4 scenarios x 100 paths x 252 days, 50 trials",
            f"target {OPTIMIZE_TARGET_S:g} s", optimize_s * 1000, OPTIMIZE_TARGET_S * 1000,
            f"{optimize_s:.1f} s; {optimized}", target=1.0,
        )
    )  # fmt: skip
    table.add(
        Row(
            "forward test: daily 500-stock deployment, 1 year", "SQLite",
            f"target {FORWARD_TEST_TARGET_S:g} s", forward_s * 1000, FORWARD_TEST_TARGET_S * 1000,
            f"{forward_s:.1f} s; {traded}", target=1.0,
        )
    )  # fmt: skip
