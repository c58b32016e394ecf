"""The strategy model's learning loop (docs/strategy-model.md): warm starts against cold
searches, and instant estimates against full evaluations.

Work: optimization jobs run here (`run_job_here`, offline agents) on 8 of the embedded S&P 500
stocks, 2012 to the end of the data, 64 paths, TPE, `TRIALS` trials in batches of 25, per seed
of `SEEDS`, each seed in a data directory of its own:

- cold: owner "cold" runs the request with the seed: its best objective and the trials it took
  to come within 1% of it;
- warm: owner "warm" runs the same request with four other seeds, then with the seed (its fifth
  search): the trials it took to come within 1% of the cold best (target: at most a third of
  its trials);
- neighbours: the warm owner then searches a universe with a quarter of the names changed, and
  the window moved by a year, each against its own cold search (another owner; target: within
  1% of that search's best in at most half the trials);
- estimates: the warm owner's model estimates a configuration in a search's five scenarios
  (median latency in this warm process; target 50 ms) and the Sharpe of the configurations of a
  random search it never learnt (`rank correlation` with their full evaluations, within each
  scenario, averaged; target 0.8), beside the rank correlation on its own held-out trials that
  its summary stores.

The time columns of the search rows are the searches' wall times; the difference column holds
the trial counts the targets are about.
"""

from __future__ import annotations

import os
import tempfile
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from scipy.stats import spearmanr

from benchmarks.harness import Row, Table, median_time
from quant import SearchSpace

SEEDS = tuple(int(s) for s in os.environ.get("STRATIGOS_BENCH_STRATEGY_SEEDS", "1,2,3").split(","))
TRIALS = 200
UNIVERSE = ["AAPL", "KO", "XOM", "JNJ", "MSFT", "PG", "JPM", "WMT"]
NEIGHBOURS = ["AAPL", "KO", "XOM", "JNJ", "MSFT", "PG", "CVX", "PFE"]  # a quarter changed
REQUEST: dict[str, Any] = {
    "universe": UNIVERSE,
    "start": "2012-01-03",
    "end": "2022-12-28",
    "n_paths": 64,
    "budget": {"max_trials": TRIALS, "batch_size": 25},
}


def _search(store: Any, owner: str, settings: Any, **changes: Any) -> tuple[dict[str, Any], float]:
    """One optimization job of `owner`: (its result, its wall time in ms)."""
    import time

    from graphs.job_handlers import run_job_here
    from graphs.request import OptimizationRequest

    request = OptimizationRequest.model_validate({**REQUEST, **changes})
    started = time.perf_counter()
    _, result = run_job_here(store, owner, request, settings=settings)
    return result, (time.perf_counter() - started) * 1000


def _best(result: dict[str, Any]) -> float:
    return max(t["objective"] for t in result["trials"] if t["feasible"])


def _compare(
    table: Table,
    task: str,
    seed: int,
    warm: tuple[dict[str, Any], float],
    cold: tuple[dict[str, Any], float],
    share: float,
) -> None:
    """A row: the warm search's trials to within 1% of the cold search's best."""
    from services.strategy_model import trials_to_reach

    best = _best(cold[0])
    reached = trials_to_reach(warm[0]["trials"], best)
    limit = TRIALS * share
    verdict = "MISSED" if reached is None or reached > limit else "met"
    table.add(
        Row(
            task,
            f"8 assets, {TRIALS} trials, seed {seed}",
            "cold search, same request and seed",
            warm[1],
            cold[1],
            f"trials to within 1% of the cold best {best:.4f}: warm {reached or 'never'} "
            f"(<= {limit:.0f}: {verdict}), cold {trials_to_reach(cold[0]['trials'], best)}",
        )
    )


def _seed(table: Table, seed: int, directory: Path) -> None:
    from services.estimates import estimate_strategy
    from settings import ModelSettings, Settings
    from store.factory import open_store

    settings = Settings(data_dir=directory, models=ModelSettings(provider="offline"))
    store = open_store(settings)
    cold = _search(store, "cold", settings, seed=seed)
    for other in range(1, 5):
        _search(store, "warm", settings, seed=100 * seed + other)
    _compare(
        table,
        "warm start: fifth search",
        seed,
        _search(store, "warm", settings, seed=seed),
        cold,
        1 / 3,
    )
    for owner, task, changes in (
        ("cold-names", "warm start: a quarter of the names changed", {"universe": NEIGHBOURS}),
        (
            "cold-window",
            "warm start: window moved by a year",
            {"start": "2011-01-03", "end": "2021-12-28"},
        ),
    ):
        own_cold = _search(store, owner, settings, seed=seed, **changes)
        _compare(
            table,
            task,
            seed,
            _search(store, "warm", settings, seed=seed, **changes),
            own_cold,
            1 / 2,
        )

    probe, probe_ms = _search(
        store,
        "probe",
        settings,
        seed=seed + 7,
        method="random",
        budget={"max_trials": 100, "batch_size": 50},
    )
    names = SearchSpace(dict(probe["plan"]["search_space"])).names
    config = {n: probe["trials"][0][n] for n in names}
    estimate = partial(estimate_strategy, store, "warm", config)
    latency = median_time(estimate, repeat=50, warmup=3) * 1000
    scenarios = list(probe["search_context"]["scenarios"])
    correlations = []
    for scenario in scenarios:
        guessed = [
            estimate_strategy(store, "warm", {n: t[n] for n in names}, scenarios=[scenario])[
                "scenarios"
            ][scenario]["sharpe"]["estimate"]
            for t in probe["trials"]
        ]
        actual = [t[f"{scenario}.sharpe"] for t in probe["trials"]]
        correlations.append(float(spearmanr(guessed, actual).statistic))
    rho = float(np.mean(correlations))
    model = estimate_strategy(store, "warm", config)["model"]
    held_out = model["accuracy"]["sharpe"]["rank_correlation"]
    table.add(
        Row(
            "strategy estimate (model estimate)",
            f"1 configuration x {len(scenarios)} scenarios, seed {seed}",
            "target 50 ms",
            latency,
            50.0,
            f"rank correlation with full evaluations of 100 random configurations {rho:.2f} "
            f"(>= 0.8: {'met' if rho >= 0.8 else 'MISSED'}); of the model's held-out trials "
            f"(Sharpe, its summary) {held_out:.2f}; a full evaluation took "
            f"{probe_ms / 100:.0f} ms per configuration",
            target=1.0,
        )
    )
    store.close()


def run(table: Table) -> None:
    """Add the rows of every seed of `SEEDS` to `table`."""
    for seed in SEEDS:
        with tempfile.TemporaryDirectory(prefix="bench-strategy-model-") as directory:
            _seed(table, seed, Path(directory))
