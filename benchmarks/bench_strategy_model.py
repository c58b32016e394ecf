"""The strategy model's learning loop (docs/strategy-model.md): warm starts against cold
searches, and instant estimates against full evaluations.

Work: optimization jobs run here (`run_job_here`, offline agents) on 8 of the embedded S&P 500
stocks, 2012 to the end of the data, `PATHS` paths, TPE, `TRIALS` trials in batches of 25, per seed
of `SEEDS`, each seed in a data directory of its own:

- cold: owner "cold" runs the request with the seed: its best objective and the trials it took
  to come within 1% of it;
- warm: owner "warm" runs the same request with four other seeds, then with the seed (its fifth
  search): the wall time it took to come within 1% of the cold best, from its start to the end
  of that batch (target: at most a third of the cold search's wall time), the trials and wall
  time to its end (it stops early when it has learnt enough, `quant.tuning.warm_stop`), and
  where it ended (target: never more than 1% below the cold best where the cold search's own
  best of as many trials is not);
- neighbours: the warm owner then searches a universe with a quarter of the names changed, and
  the window moved by a year, each against its own cold search (another owner), with the same
  targets;
- learning: what the owner's model costs to learn a search on top of a history of 1, 10 and 100
  earlier searches (the first seed's cold search replicated under other seeds): the seconds of
  `services.strategy_model.learn` (read the version, fit, store the next), and the rows
  learnt; the fit must not grow faster than the rows (the rows are bounded: `TRAINING_ROWS`);
- estimates: the warm owner's model estimates a configuration in the fifth search's five
  scenarios (the probe's universe and window; median latency in this warm process; target
  50 ms) and every configuration of a random search it never learnt (100 configurations, another
  seed): per metric, the rank correlation (Spearman within each scenario, averaged over the
  scenarios) with their full evaluations (target 0.8), with the ceiling the full evaluations'
  own path noise sets (their rank correlation with the same configurations evaluated on
  `EXPECTED_PATHS` paths of another seed, close to the expected values: what a model that knew
  the expected values exactly would reach) and the model's rank correlation with those
  near-expected values; the same for the searches' objective (Sharpe weighted over the
  scenarios); beside the rank correlation on its own held-out trials that its summary stores.

`STRATIGOS_BENCH_STRATEGY_SEEDS` (default 1,2,3,4,5) and `STRATIGOS_BENCH_STRATEGY_PATHS` (the
requests' paths, default 300, a request's default: the paths of the full evaluation an estimate
offers, a search of the same request) size it. With fewer paths the full evaluations' own noise
lowers the ceiling below 0.8 (64 paths: 0.64-0.84).

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
from quant.strategy_model import METRICS

SEEDS = tuple(
    int(s) for s in os.environ.get("STRATIGOS_BENCH_STRATEGY_SEEDS", "1,2,3,4,5").split(",")
)
TRIALS = 200
PATHS = int(os.environ.get("STRATIGOS_BENCH_STRATEGY_PATHS", "300"))
EXPECTED_PATHS = 2048
"""Paths of the evaluation that stands for a configuration's expected path means."""
UNIVERSE = ["AAPL", "KO", "XOM", "JNJ", "MSFT", "PG", "JPM", "WMT"]
NEIGHBOURS = ["AAPL", "KO", "XOM", "JNJ", "MSFT", "PG", "CVX", "PFE"]  # a quarter changed
REQUEST: dict[str, Any] = {
    "universe": UNIVERSE,
    "start": "2012-01-03",
    "end": "2022-12-28",
    "n_paths": PATHS,
    "budget": {"max_trials": TRIALS, "batch_size": 25},
}


def _search(store: Any, owner: str, settings: Any, **changes: Any) -> tuple[dict[str, Any], float]:
    """One optimization job of `owner`: (its result with its `run_id` and `batch_ends`, the
    seconds from the call to the end of each batch, its wall time in ms). The owner's model
    then learns it before the next search (not timed: nobody waits for it)."""
    import time

    from graphs.job_handlers import run_job_here
    from graphs.request import OptimizationRequest
    from services.strategy_model import wait_for_learning

    request = OptimizationRequest.model_validate({**REQUEST, **changes})
    ends: list[tuple[int, float]] = []

    def batch_done(event: Any) -> None:
        if event.type == "progress" and event.data.get("unit") == "trials":
            ends.append((int(event.data["done"]), time.perf_counter() - started))

    started = time.perf_counter()
    run_id, result = run_job_here(store, owner, request, settings=settings, sink=batch_done)
    wall = (time.perf_counter() - started) * 1000
    wait_for_learning(owner)
    return result | {"run_id": run_id, "batch_ends": ends}, wall


def _best(result: dict[str, Any], trials: int | None = None) -> float:
    return max(t["objective"] for t in result["trials"][:trials] if t["feasible"])


def _reached_after(result: dict[str, Any], trials: int | None) -> float | None:
    """Seconds from the search's start to the end of the batch holding its trial `trials`."""
    if trials is None:
        return None
    return next((seconds for done, seconds in result["batch_ends"] if done >= trials), None)


def _compare(
    table: Table,
    task: str,
    seed: int,
    warm: tuple[dict[str, Any], float],
    cold: tuple[dict[str, Any], float],
    fresh: tuple[dict[str, Any], Any] | None = None,
) -> None:
    """A row: the warm search's wall time to within 1% of the cold search's best (target: at
    most a third of the cold search's wall time), its trials and wall time to its end, and
    where it ended against the cold best: more than 1% below it only where the cold search's
    own best of as many trials is too (`MISSED` otherwise); with `fresh` (the request, the
    settings), also both winners scored on `EXPECTED_PATHS` paths of another seed (their
    expected objective, nearly: what the same paths' noise cannot flatter)."""
    from services.strategy_model import trials_to_reach

    best = _best(cold[0])
    reached = trials_to_reach(warm[0]["trials"], best)
    seconds = _reached_after(warm[0], reached)
    limit = cold[1] / 1000 / 3
    fast = seconds is not None and seconds <= limit
    used = len(warm[0]["trials"])
    ended = _best(warm[0])
    cold_same = _best(cold[0], used)
    below = ended < best - 0.01 * abs(best) and cold_same >= best - 0.01 * abs(best)
    stopped = (warm[0].get("warm_start") or {}).get("stopped")
    words = (
        f"within 1% of the cold best {best:.4f} after {reached or 'never'} trials, "
        f"{'-' if seconds is None else f'{seconds:.1f}'} s (<= a third of the cold search's "
        f"{cold[1] / 1000:.1f} s: {'met' if fast else 'MISSED'}); cold after "
        f"{trials_to_reach(cold[0]['trials'], best)} trials; ended after {used} trials, "
        f"{warm[1] / 1000:.1f} s ({'stopped early' if stopped else 'its budget or its optimizer'}) "
        f"at {ended:.4f} ({(ended / best - 1) * 100:+.1f}%), the cold search's best of as many "
        f"trials {cold_same:.4f} ({(cold_same / best - 1) * 100:+.1f}%): "
        f"{'MISSED (ended more than 1% below where the cold search did not)' if below else 'met'}"
    )
    if fresh is not None:
        winners = [
            max((t for t in r["trials"] if t["feasible"]), key=_objective)
            for r in (warm[0], cold[0])
        ]
        names = SearchSpace(dict(cold[0]["plan"]["search_space"])).names
        means = _expected(cold[0], fresh[0], [{n: t[n] for n in names} for t in winners], fresh[1])
        weights = cold[0]["market_view"]["scenario_weights"]
        scores = sum(w * means[s]["sharpe"] for s, w in weights.items())
        words += (
            f"; on {EXPECTED_PATHS} fresh paths the warm winner scores {scores[0]:.4f}, the cold "
            f"winner {scores[1]:.4f}"
        )
    table.add(
        Row(
            task,
            f"8 assets, {TRIALS} trials, seed {seed}",
            "cold search, same request and seed (wall time)",
            warm[1],
            cold[1],
            words,
        )
    )


def _objective(trial: dict[str, Any]) -> float:
    return float(trial["objective"])


def _expected(
    result: dict[str, Any], changed: dict[str, Any], configs: list[dict[str, Any]], settings: Any
) -> dict[str, dict[str, np.ndarray]]:
    """The path means of `configs` in the scenarios of search `result` (of request `changed`)
    drawn again with `EXPECTED_PATHS` paths and another seed: close to their expected values
    (scenario -> metric -> [configs])."""
    from graphs.request import OptimizationRequest
    from graphs.resources import release, resources
    from quant.scenarios import generate_scenarios
    from quant.tuning.evaluation import evaluate_path_means

    request = OptimizationRequest.model_validate(changed)
    run_id = f"bench-expected-{result['run_id']}"
    res = resources(run_id, request, settings)
    try:
        drawn = generate_scenarios(
            res.returns,
            names=request.scenarios,
            n_paths=EXPECTED_PATHS,
            horizon=int(result["search_context"]["horizon"]),
            seed=request.seed + 1_000,
            method=request.scenario_method,
            market=res.market,
        )
    finally:
        release(run_id)
    space = SearchSpace(dict(result["plan"]["search_space"]))
    means, _ = evaluate_path_means(
        [space.config(c) for c in configs], drawn, safe=request.safe_rate
    )
    return means


def _within(
    trials: list[dict[str, Any]],
    guessed: list[dict[str, Any]],
    expected: dict[str, dict[str, np.ndarray]],
    metric: str,
    scenarios: list[str],
) -> dict[str, float]:
    """Spearman within each scenario, averaged over the scenarios: the model's estimates
    against the full evaluations (`model`), against the near-expected values (`expected`), and
    the full evaluations against the near-expected values (`ceiling`: what a model that knew
    the expected values exactly would reach against the full evaluations)."""
    out: dict[str, list[float]] = {"model": [], "expected": [], "ceiling": []}
    for s in scenarios:
        full = [t[f"{s}.{metric}"] for t in trials]
        model = [g[s][metric]["estimate"] for g in guessed]
        out["model"].append(float(spearmanr(model, full).statistic))
        out["expected"].append(float(spearmanr(model, expected[s][metric]).statistic))
        out["ceiling"].append(float(spearmanr(full, expected[s][metric]).statistic))
    return {k: float(np.mean(v)) for k, v in out.items()}


def _objective_ranks(
    trials: list[dict[str, Any]],
    guessed: list[dict[str, Any]],
    expected: dict[str, dict[str, np.ndarray]],
    weights: dict[str, float],
) -> dict[str, float]:
    """Spearman of the searches' objective (Sharpe weighted over the scenarios by `weights`)
    computed from the estimates against the full evaluations' (`model`) and against the
    near-expected values' (`expected`); the full evaluations' against the near-expected
    (`ceiling`)."""
    model = [sum(w * g[s]["sharpe"]["estimate"] for s, w in weights.items()) for g in guessed]
    near = sum(w * expected[s]["sharpe"] for s, w in weights.items())
    full = [t["objective"] for t in trials]
    return {
        "model": float(spearmanr(model, full).statistic),
        "expected": float(spearmanr(model, near).statistic),
        "ceiling": float(spearmanr(full, near).statistic),
    }


def _seed(table: Table, seed: int, directory: Path) -> None:
    from services.estimates import estimate_strategy
    from settings import ModelSettings, Settings
    from store.factory import open_store

    settings = Settings(data_dir=directory, models=ModelSettings(provider="offline"))
    store = open_store(settings)
    cold = _search(store, "cold", settings, seed=seed)
    for other in range(1, 5):
        _search(store, "warm", settings, seed=100 * seed + other)
    fifth_search = _search(store, "warm", settings, seed=seed)
    fifth = fifth_search[0]
    fresh = ({**REQUEST, "seed": seed}, settings)
    _compare(table, "warm start: fifth search", seed, fifth_search, cold, fresh)
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
        )

    probe_changes: dict[str, Any] = {
        "seed": seed + 7,
        "method": "random",
        "budget": {"max_trials": 100, "batch_size": 50},
    }
    probe, probe_ms = _search(store, "probe", settings, **probe_changes)
    names = SearchSpace(dict(probe["plan"]["search_space"])).names
    configs = [{n: t[n] for n in names} for t in probe["trials"]]
    estimate = partial(estimate_strategy, store, "warm", configs[0], run_id=fifth["run_id"])
    latency = median_time(estimate, repeat=50, warmup=3) * 1000
    scenarios = list(probe["search_context"]["scenarios"])
    guessed = [
        estimate_strategy(store, "warm", c, run_id=fifth["run_id"])["scenarios"] for c in configs
    ]
    expected = _expected(probe, {**REQUEST, **probe_changes}, configs, settings)
    words, met = [], []
    for metric in METRICS:
        full = _within(probe["trials"], guessed, expected, metric, scenarios)
        words.append(
            f"{metric} {full['model']:.2f} (ceiling {full['ceiling']:.2f}; against "
            f"{EXPECTED_PATHS} paths {full['expected']:.2f})"
        )
        met.append(f"{metric} {'met' if full['model'] >= 0.8 else 'MISSED'}")
    weights = probe["market_view"]["scenario_weights"]
    objective = _objective_ranks(probe["trials"], guessed, expected, weights)
    model = estimate_strategy(store, "warm", configs[0])["model"]
    held_out = model["accuracy"]["sharpe"]["rank_correlation"]
    table.add(
        Row(
            "strategy estimate (model estimate)",
            f"1 configuration x {len(scenarios)} scenarios, seed {seed}",
            "target 50 ms",
            latency,
            50.0,
            f"rank correlation, within a scenario, averaged, with full evaluations "
            f"({PATHS} paths) of 100 random configurations never learnt: "
            f"{'; '.join(words)}; >= 0.8: {', '.join(met)}; the searches' objective (Sharpe "
            f"weighted over the scenarios) {objective['model']:.2f} (ceiling "
            f"{objective['ceiling']:.2f}; against {EXPECTED_PATHS} paths "
            f"{objective['expected']:.2f}); of the model's held-out trials (Sharpe, its "
            f"summary) {held_out:.2f}; a full evaluation took {probe_ms / 100:.0f} ms per "
            "configuration",
            target=1.0,
        )
    )
    if seed == SEEDS[0]:
        _learning_cost(table, store, cold[0], seed)
    store.close()


HISTORIES = (1, 10, 100)
"""Earlier searches of the owner the learning cost is measured on top of."""


def _learning_cost(table: Table, store: Any, cold: dict[str, Any], seed: int) -> None:
    """Rows: `learn` of one more search on top of an owner's history of `HISTORIES` searches
    (the cold search under other seeds: other held-out splits), each history stored as the
    version the learner reads, as it would have learnt them (the newest `TRAINING_ROWS`)."""
    import time
    from dataclasses import replace

    from graphs.request import OptimizationRequest
    from graphs.search_steps import search_of_result
    from services.strategy_model import TRAINING_ROWS, learn, learn_from

    request = OptimizationRequest.model_validate({**REQUEST, "seed": seed})
    search = search_of_result(cold["run_id"], request, cold)
    assert search is not None
    costs: list[tuple[int, int, float]] = []
    for earlier in HISTORIES:
        owner = f"history-{earlier}"
        history = [
            replace(search, run_id=f"h{i}", request={**search.request, "seed": 1000 + i})
            for i in range(earlier)
        ]
        previous = learn_from(history)
        store.put_strategy_model(owner, previous.to_bytes(), previous.summary(), previous=None)
        new = replace(search, run_id="new", request={**search.request, "seed": 999})
        started = time.perf_counter()
        version = learn(store, owner, new)
        costs.append((earlier, int(version.summary["rows"]), time.perf_counter() - started))
    base_rows, base_seconds = costs[0][1], costs[0][2]
    for earlier, rows, seconds in costs:
        growth, row_growth = seconds / base_seconds, rows / base_rows
        table.add(
            Row(
                "strategy model: learn one more search",
                f"history of {earlier} searches ({rows} rows after)",
                "the history of 1 (time x rows growth)",
                seconds * 1000,
                base_seconds * 1000 * row_growth,
                f"{seconds:.2f} s to read the version, fit and store the next ({rows} rows, at "
                f"most {TRAINING_ROWS}); x{growth:.1f} the history of 1's time for x{row_growth:.1f} "
                f"its rows: {'met' if growth <= row_growth * 1.25 else 'MISSED'} (no faster than "
                "the rows)",
            )
        )


def run(table: Table) -> None:
    """Add the rows of every seed of `SEEDS` to `table`."""
    for seed in SEEDS:
        with tempfile.TemporaryDirectory(prefix="bench-strategy-model-") as directory:
            _seed(table, seed, Path(directory))
