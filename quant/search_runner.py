"""Hyperparameter search over `StrategyConfig`s on simulated scenarios, with overfitting controls.

`search(space, scenarios, ...)` proposes configurations in batches, evaluates each batch with one
vectorised `quant.engine.evaluate` call per scenario (configs x paths), reduces every metric to its
mean over paths per scenario ("path means"), scores the batch with the `Objective` (maximised)
and checks the `Constraint`s (see `quant.search_objective`). Methods:

- `grid`: the Cartesian product of every searched field's grid values (see `quant.search_space`).
  If the grid has more points than `budget`, a seeded random subset of `budget` points (kept in
  grid order) is evaluated and a note says so; a smaller grid is evaluated whole, once.
- `random`: `budget` seeded independent draws (uniform, log-uniform for `log=True`).
- `tpe`: Optuna's `TPESampler(seed=seed)` through ask/tell: `batch_size` trials are asked,
  evaluated together, then all told (Optuna's constant liar keeps a batch's proposals apart).
  Each constraint's margin is recorded with `Trial.set_constraint` before telling, so the
  sampler treats violating trials as infeasible and learns to avoid their region (Optuna's
  constrained TPE, not a penalty); a trial whose objective is not finite is told as failed.

Feasibility: a trial is feasible when every constraint's margin is <= 0 (constraints apply to path
means). Infeasible trials stay in `trials` but can never be the best. `convergence[b]` is the best
feasible objective after batch b (NaN until a feasible trial has been seen), so it is
nondecreasing. Identical configurations are evaluated once (results are cached by config).

Lookback: the engine spends the first `lookback` days of each path estimating, so metrics use
`horizon - lookback` days; every lookback in the space must leave at least `MIN_EVAL_DAYS` days.

Overfitting controls (see `quant.overfitting`):
- `deflated_sharpe`: Bailey & López de Prado's deflated Sharpe ratio of the winner. Its Sharpe is
  the scenario-weighted mean of its path-mean annualised Sharpe / sqrt(252) (per day); N is the
  number of distinct configurations evaluated; V the variance (ddof=1) of their per-day Sharpes;
  skewness and kurtosis are those of the winner's daily returns pooled over every path, when the
  engine provides them, else 0 and 3; T (`n_obs`) is `horizon - lookback` of the winner (the
  length of one simulated realisation, a conservative choice) unless `dsr_n_obs` is given (e.g.
  the length of the history the scenarios were drawn from, as `walk_forward` does).
- `paired_sharpe`: per scenario, the interval for the mean per-path Sharpe difference between the
  winner and the runner-up (the best feasible trial with a different configuration) over the same
  paths, mean(d) +/- z * std(d, ddof=1) / sqrt(P); "overall" combines the scenarios with the
  objective's scenario weights (scenarios are independent).

Reproducibility: the same inputs and seed give identical trials on every run.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import optuna
import pandas as pd

from quant.engine import evaluate
from quant.errors import ConstraintError, DataError
from quant.estimators import PERIODS_PER_YEAR
from quant.overfitting import (
    DeflatedSharpe,
    PairedInterval,
    combine_intervals,
    deflated_sharpe_ratio,
    paired_interval,
    return_moments,
)
from quant.scenarios import ScenarioSet, generate_scenarios
from quant.search_objective import (
    METRICS,
    Constraint,
    Objective,
    as_objective,
)
from quant.search_space import SearchSpace, SearchSpaceError, as_search_space
from quant.strategy import StrategyConfig

__all__ = [
    "MIN_EVAL_DAYS",
    "NoFeasibleTrialError",
    "SearchResult",
    "SearchRun",
    "WalkForwardResult",
    "as_scenarios",
    "evaluate_path_means",
    "search",
    "walk_forward",
]

SearchMethod = Literal["grid", "random", "tpe"]
METHODS: tuple[str, ...] = ("grid", "random", "tpe")

MIN_EVAL_DAYS = 2
"""Days a path must have after the lookback warm-up for its metrics to be defined."""

_MARGIN_CAP = 1e12


class NoFeasibleTrialError(ConstraintError):
    """No trial satisfied the constraints; `trials` holds every trial and its margins."""

    def __init__(self, message: str, *, trials: pd.DataFrame) -> None:
        super().__init__(message)
        self.trials = trials


# --------------------------------------------------------------------------------------------
# inputs
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ScenarioData:
    """One scenario's inputs for `evaluate`.

    `risky`: daily simple returns (paths, days) of the risky series, used by `sleeve="single"`
    configs. `assets`: (paths, days, assets) asset returns for optimizer sleeves, or None.
    """

    risky: np.ndarray
    assets: np.ndarray | None = None

    @property
    def n_paths(self) -> int:
        """Paths P."""
        return int(self.risky.shape[0])

    @property
    def horizon(self) -> int:
        """Days per path."""
        return int(self.risky.shape[1])


def as_scenarios(scenarios: ScenarioSet | Mapping[str, Any]) -> dict[str, ScenarioData]:
    """Scenario name -> `ScenarioData` (float64, finite).

    A `ScenarioSet` gives `risky(name)` (its single asset, or the daily-rebalanced equal-weight
    portfolio of its assets) and, with several assets, `paths[name]` for optimizer sleeves. A
    mapping gives arrays: (days,) for one path, (paths, days) risky returns, or
    (paths, days, assets) asset returns (the risky series is then their equal-weight mean).
    """
    if isinstance(scenarios, ScenarioSet):
        raw: dict[str, Any] = {name: scenarios.paths[name] for name in scenarios.names}
    elif isinstance(scenarios, Mapping):
        raw = dict(scenarios)
    else:
        raise DataError(
            f"scenarios must be a ScenarioSet or a mapping name -> (paths, days) array, got "
            f"{type(scenarios).__name__}"
        )
    if not raw:
        raise DataError("scenarios: no scenario given")
    out: dict[str, ScenarioData] = {}
    for name, values in raw.items():
        if isinstance(values, ScenarioData):
            out[str(name)] = values
            continue
        array = np.asarray(values, dtype=np.float64)
        if array.ndim == 1:
            array = array[None, :]
        if array.ndim not in (2, 3):
            raise DataError(
                f"scenario {name!r}: returns must be (days,), (paths, days) or "
                f"(paths, days, assets), got shape {array.shape}"
            )
        if min(array.shape) < 1:
            raise DataError(f"scenario {name!r}: empty returns, shape {array.shape}")
        if not np.isfinite(array).all():
            raise DataError(f"scenario {name!r}: returns contain NaN or infinite values")
        if array.ndim == 3:
            risky = array[:, :, 0] if array.shape[2] == 1 else array.mean(axis=2)
            assets = None if array.shape[2] == 1 else np.ascontiguousarray(array)
            out[str(name)] = ScenarioData(np.ascontiguousarray(risky), assets)
        else:
            out[str(name)] = ScenarioData(np.ascontiguousarray(array))
    return out


def _max_lookback(space: SearchSpace) -> int:
    return int(max(space.values_of("lookback")))


def _check_lookback(space: SearchSpace, days: int, where: str) -> None:
    longest = _max_lookback(space)
    if longest + MIN_EVAL_DAYS > days:
        raise SearchSpaceError(
            f"lookback: the largest lookback in the space ({longest}) leaves fewer than "
            f"{MIN_EVAL_DAYS} evaluated days of the {days}-day {where}; the warm-up consumes "
            f"the first lookback days, so use lookback <= {days - MIN_EVAL_DAYS} or a longer {where}"
        )


def _check_positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise SearchSpaceError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def _check_seed(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SearchSpaceError(f"seed must be a non-negative integer, got {seed!r}")
    return int(seed)


# --------------------------------------------------------------------------------------------
# evaluation
# --------------------------------------------------------------------------------------------
def _metric_arrays(result: Any, n_configs: int) -> dict[str, np.ndarray]:
    out = {}
    for metric in METRICS:
        array = np.asarray(getattr(result, metric), dtype=np.float64)
        out[metric] = array.reshape(n_configs, -1)
    return out


def _evaluate_scenario(configs: Sequence[StrategyConfig], data: ScenarioData, safe: float) -> Any:
    """`evaluate` on one scenario; single-series and sleeve configs go in separate calls."""
    single = [i for i, c in enumerate(configs) if c.sleeve == "single"]
    if len(single) == len(configs) or data.assets is None:
        if len(single) != len(configs):
            bad = configs[next(i for i, c in enumerate(configs) if c.sleeve != "single")]
            raise SearchSpaceError(
                f"sleeve: {bad.sleeve!r} needs multi-asset scenarios (paths, days, assets); these "
                "scenarios hold one risky series"
            )
        return _metric_arrays(evaluate(list(configs), data.risky, safe), len(configs))
    sleeves = [i for i, c in enumerate(configs) if c.sleeve != "single"]
    arrays = {m: np.empty((len(configs), data.n_paths)) for m in METRICS}
    for idx, inputs in ((single, data.risky), (sleeves, data.assets)):
        if not idx:
            continue
        part = _metric_arrays(evaluate([configs[i] for i in idx], inputs, safe), len(idx))
        for m in METRICS:
            arrays[m][idx] = part[m]
    return arrays


def evaluate_path_means(
    configs: Sequence[StrategyConfig],
    scenarios: ScenarioSet | Mapping[str, Any],
    *,
    safe: float = 0.02,
) -> tuple[dict[str, dict[str, np.ndarray]], dict[str, np.ndarray]]:
    """Evaluate `configs` with one `evaluate` call per scenario (two if sleeves are mixed).

    Returns (path means: scenario -> metric -> [C], per-path Sharpe: scenario -> [C, P]).
    """
    scen = as_scenarios(scenarios)
    means: dict[str, dict[str, np.ndarray]] = {}
    sharpe: dict[str, np.ndarray] = {}
    for name, data in scen.items():
        arrays = _evaluate_scenario(configs, data, safe)
        means[name] = {m: a.mean(axis=1) for m, a in arrays.items()}
        sharpe[name] = arrays["sharpe"]
    return means, sharpe


@dataclass
class _Record:
    means: dict[str, dict[str, float]]
    sharpe_paths: dict[str, np.ndarray] | None = None


class _Evaluator:
    """Evaluates batches of parameter dicts; caches results by config."""

    def __init__(
        self,
        space: SearchSpace,
        scenarios: dict[str, ScenarioData],
        objective: Objective,
        constraints: tuple[Constraint, ...],
        safe: float,
    ) -> None:
        self.space = space
        self.scenarios = scenarios
        self.names = list(scenarios)
        self.objective = objective
        self.constraints = constraints
        self.safe = safe
        self.cache: dict[StrategyConfig, _Record] = {}

    def run(self, batch: Sequence[Mapping[str, Any]]) -> list[StrategyConfig]:
        configs = [self.space.config(params) for params in batch]
        missing: list[StrategyConfig] = []
        for config in configs:
            if config not in self.cache and config not in missing:
                missing.append(config)
        if missing:
            means, sharpe = evaluate_path_means(missing, self.scenarios, safe=self.safe)
            for i, config in enumerate(missing):
                self.cache[config] = _Record(
                    means={s: {m: float(means[s][m][i]) for m in METRICS} for s in self.names},
                    sharpe_paths={s: sharpe[s][i] for s in self.names},
                )
        return configs

    def store(self, config: StrategyConfig, means: Mapping[str, Mapping[str, float]]) -> None:
        """Record path means computed elsewhere (a restored trial, a fanned-out evaluation)."""
        if config not in self.cache:
            self.cache[config] = _Record(
                means={s: {m: float(means[s][m]) for m in METRICS} for s in self.names}
            )

    def sharpe_paths(self, config: StrategyConfig) -> dict[str, np.ndarray]:
        """Per-path Sharpe ratios of `config` per scenario (evaluated again if not kept)."""
        record = self.cache[config]
        if record.sharpe_paths is None:
            _, sharpe = evaluate_path_means([config], self.scenarios, safe=self.safe)
            record.sharpe_paths = {s: sharpe[s][0] for s in self.names}
        return record.sharpe_paths

    def means_of(self, configs: Sequence[StrategyConfig]) -> dict[str, dict[str, np.ndarray]]:
        return {
            s: {m: np.array([self.cache[c].means[s][m] for c in configs]) for m in METRICS}
            for s in self.names
        }

    def score(self, configs: Sequence[StrategyConfig]) -> tuple[np.ndarray, np.ndarray]:
        """Objective [C] and constraint margins [C, K]."""
        means = self.means_of(configs)
        values = self.objective.values(means, self.names)
        if self.constraints:
            margins = np.stack([c.margins(means, self.names) for c in self.constraints], axis=1)
        else:
            margins = np.zeros((len(configs), 0))
        return values, margins


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class SearchResult:
    """Every trial of a search, the winner, convergence and overfitting controls.

    `trials`: one row per trial: `trial`, `batch`, the searched fields, `config_id`, `objective`,
    `feasible`, `violation` (largest constraint margin, 0 when satisfied) and one column
    `"<scenario>.<metric>"` per scenario and metric (path means). `convergence[b]` is the best
    feasible objective after batch b. `best_metrics[scenario][metric]` are the winner's path means.
    """

    trials: pd.DataFrame
    best_config: StrategyConfig
    best_value: float
    best_trial: int
    best_metrics: dict[str, dict[str, float]]
    convergence: np.ndarray
    method: str
    seed: int
    budget: int
    batch_size: int
    scenario_names: tuple[str, ...]
    space: SearchSpace
    objective: Objective
    constraints: tuple[Constraint, ...]
    deflated_sharpe: DeflatedSharpe
    runner_up_config: StrategyConfig | None
    paired_sharpe: dict[str, PairedInterval] | None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_trials(self) -> int:
        """Trials run."""
        return len(self.trials)

    @property
    def n_feasible(self) -> int:
        """Trials that satisfied every constraint."""
        return int(self.trials["feasible"].sum())

    @property
    def n_distinct(self) -> int:
        """Distinct configurations evaluated."""
        return int(self.trials["config_id"].nunique())

    def top(self, k: int = 5) -> pd.DataFrame:
        """The `k` best feasible trials, best first (ties: earlier trial first)."""
        feasible = self.trials[self.trials["feasible"] & np.isfinite(self.trials["objective"])]
        return feasible.sort_values(["objective", "trial"], ascending=[False, True]).head(k)

    def to_dict(self, top: int = 5) -> dict[str, Any]:
        """A compact JSON-friendly summary (the facts an explanation may cite)."""
        columns = ["trial", *self.space.names, "config_id", "objective"]
        top_rows = [
            {k: _plain(v) for k, v in row.items()}
            for row in self.top(top)[columns].to_dict(orient="records")
        ]
        return {
            "method": self.method,
            "seed": self.seed,
            "budget": self.budget,
            "batch_size": self.batch_size,
            "n_trials": self.n_trials,
            "n_distinct": self.n_distinct,
            "n_feasible": self.n_feasible,
            "scenarios": list(self.scenario_names),
            "objective": self.objective.to_dict(),
            "constraints": [c.to_dict() for c in self.constraints],
            "best_config": self.best_config.model_dump(mode="json"),
            "best_config_id": self.best_config.config_id,
            "best_value": float(self.best_value),
            "best_trial": int(self.best_trial),
            "best_metrics": self.best_metrics,
            "top_trials": top_rows,
            "convergence": [_plain(v) for v in self.convergence],
            "deflated_sharpe": self.deflated_sharpe.to_dict(),
            "runner_up_config": None
            if self.runner_up_config is None
            else self.runner_up_config.model_dump(mode="json"),
            "paired_sharpe_difference": None
            if self.paired_sharpe is None
            else {k: v.to_dict() for k, v in self.paired_sharpe.items()},
            "notes": list(self.notes),
        }


def _plain(value: Any) -> Any:
    if isinstance(value, (np.floating, float)):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


# --------------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------------
def search(
    space: SearchSpace | Mapping[str, Any],
    scenarios: ScenarioSet | Mapping[str, np.ndarray],
    *,
    objective: Objective | str | Mapping[str, float] | None = None,
    constraints: Sequence[Constraint] = (),
    method: SearchMethod = "tpe",
    budget: int = 200,
    batch_size: int = 50,
    seed: int = 0,
    safe: float = 0.02,
    confidence: float = 0.95,
    dsr_n_obs: int | None = None,
) -> SearchResult:
    """Search `space` for the configuration maximising `objective` on `scenarios`.

    `space`: a `SearchSpace` or a mapping field -> `Float`/`Int`/`Choice`/`Fixed` (or plain
    values). `scenarios`: a `ScenarioSet` or a mapping name -> risky daily simple returns
    (paths, days). `objective`: an `Objective`, a metric name, or None for the mean over scenarios
    of the mean over paths of the annualised Sharpe ratio. `constraints`: `Constraint`s on path
    means. `method`: grid, random or tpe (see the module docstring). `budget`: maximum number of
    trials; `batch_size`: trials per batch (one `evaluate` call per scenario per batch). `safe`:
    the safe asset's return, passed to `evaluate` as is. `confidence`: of the paired Sharpe
    intervals. `dsr_n_obs`: sample length for the deflated Sharpe ratio (default: the winner's
    evaluated days per path). Raises `SearchSpaceError` for bad inputs (naming the field and value)
    and `NoFeasibleTrialError` when no trial satisfies the constraints.
    """
    run = SearchRun(
        space,
        scenarios,
        objective=objective,
        constraints=constraints,
        method=method,
        budget=budget,
        batch_size=batch_size,
        seed=seed,
        safe=safe,
    )
    while not run.done:
        run.step()
    return run.result(confidence=confidence, dsr_n_obs=dsr_n_obs)


class SearchRun:
    """A search in progress, one batch at a time, resumable from its trial rows.

    `propose()` gives the next batch of searched-field values (deterministic given the trials so
    far); `record(params, means)` scores a batch whose path means were computed (or computes them
    when `means` is None); `step()` does both; `result()` gives the `SearchResult`. Passing the
    `trials` rows of an earlier run (`rows`, plain JSON-friendly dicts) resumes it: the next
    proposal is the one the uninterrupted run would have made, so a search checkpointed between
    batches and resumed gives the same trials as one that ran straight through. Restored rows are
    scored again with this run's objective and constraints (their metric columns are kept), so
    tightening the constraints re-judges earlier trials without evaluating them again.

    TPE: each batch rebuilds an Optuna study from the trials so far (values, and the largest
    constraint margin as its constraint) with a `TPESampler` seeded from (seed, batch index), then
    asks `batch_size` trials.
    """

    def __init__(
        self,
        space: SearchSpace | Mapping[str, Any],
        scenarios: ScenarioSet | Mapping[str, Any],
        *,
        objective: Objective | str | Mapping[str, float] | None = None,
        constraints: Sequence[Constraint] = (),
        method: SearchMethod = "tpe",
        budget: int = 200,
        batch_size: int = 50,
        seed: int = 0,
        safe: float = 0.02,
        trials: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        self.space = as_search_space(space)
        scen = as_scenarios(scenarios)
        self.names = list(scen)
        obj = as_objective(objective)
        obj.validate(self.names)
        cons = tuple(constraints)
        for constraint in cons:
            if not isinstance(constraint, Constraint):
                raise SearchSpaceError(
                    f"constraints must be Constraint objects, got {constraint!r}"
                )
            constraint.validate(self.names)
        if method not in METHODS:
            raise SearchSpaceError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
        self.method = method
        self.budget = _check_positive_int("budget", budget)
        self.batch_size = _check_positive_int("batch_size", batch_size)
        self.seed = _check_seed(seed)
        horizon = min(d.horizon for d in scen.values())
        _check_lookback(self.space, horizon, "scenario horizon")
        self.evaluator = _Evaluator(self.space, scen, obj, cons, safe)
        self.notes: list[str] = []
        self._planned: list[dict[str, Any]] | None = None
        if method in ("grid", "random"):
            self._planned = self._plan()
        self.rows: list[dict[str, Any]] = []
        for batch_index, batch in _group_by_batch(trials):
            configs = [self.space.config({n: row[n] for n in self.space.names}) for row in batch]
            for config, row in zip(configs, batch, strict=True):
                self.evaluator.store(
                    config, {s: {m: row[f"{s}.{m}"] for m in METRICS} for s in self.names}
                )
            self._append(batch_index, configs)

    # -- progress --------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Trials this run will make: the budget, or the whole grid when it is smaller."""
        return len(self._planned) if self._planned is not None else self.budget

    @property
    def done(self) -> bool:
        """True once `total` trials have been recorded."""
        return len(self.rows) >= self.total

    @property
    def batch_index(self) -> int:
        """Index of the next batch."""
        return self.rows[-1]["batch"] + 1 if self.rows else 0

    @property
    def convergence(self) -> list[float]:
        """Best feasible objective after each batch (NaN until a feasible trial)."""
        best, out, last = math.nan, [], None
        for row in self.rows:
            if last is not None and row["batch"] != last:
                out.append(best)
            last = row["batch"]
            if row["feasible"] and not row["objective"] <= best:
                best = row["objective"]
        if last is not None:
            out.append(best)
        return out

    # -- batches ---------------------------------------------------------------------------
    def propose(self) -> list[dict[str, Any]]:
        """Searched-field values of the next batch (empty when the run is done)."""
        n = min(self.batch_size, self.total - len(self.rows))
        if n <= 0:
            return []
        if self._planned is not None:
            return self._planned[len(self.rows) : len(self.rows) + n]
        return self._propose_tpe(n)

    def configs(self, params: Sequence[Mapping[str, Any]]) -> list[StrategyConfig]:
        """The `StrategyConfig`s of a batch of searched-field values."""
        return [self.space.config(p) for p in params]

    def record(
        self,
        params: Sequence[Mapping[str, Any]],
        means: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    ) -> list[dict[str, Any]]:
        """Score and keep a batch; `means[scenario][metric][i]` are its path means, evaluated
        here when None. Returns the batch's new trial rows."""
        configs = self.configs(params)
        if means is None:
            configs = self.evaluator.run(params)
        else:
            for i, config in enumerate(configs):
                self.evaluator.store(
                    config, {s: {m: means[s][m][i] for m in METRICS} for s in self.names}
                )
        return self._append(self.batch_index, configs)

    def step(self) -> list[dict[str, Any]]:
        """Propose, evaluate and record one batch."""
        return self.record(self.propose())

    def result(self, *, confidence: float = 0.95, dsr_n_obs: int | None = None) -> SearchResult:
        """The `SearchResult` of the trials so far (raises `NoFeasibleTrialError` if none is
        feasible)."""
        if dsr_n_obs is not None:
            dsr_n_obs = _check_positive_int("dsr_n_obs", dsr_n_obs)
        return _finish(
            trials=pd.DataFrame(self.rows),
            evaluator=self.evaluator,
            convergence=np.asarray(self.convergence, dtype=float),
            method=self.method,
            seed=self.seed,
            budget=self.budget,
            batch_size=self.batch_size,
            confidence=confidence,
            dsr_n_obs=dsr_n_obs,
            notes=list(self.notes),
        )

    # -- internals -------------------------------------------------------------------------
    def _append(self, batch_index: int, configs: Sequence[StrategyConfig]) -> list[dict[str, Any]]:
        values, margins = self.evaluator.score(configs)
        new: list[dict[str, Any]] = []
        for i, config in enumerate(configs):
            value = float(values[i])
            violation = float(margins[i].max()) if margins.shape[1] else -math.inf
            row: dict[str, Any] = {"trial": len(self.rows), "batch": int(batch_index)}
            row.update({n: native_value(getattr(config, n)) for n in self.space.names})
            row.update(
                config_id=config.config_id,
                objective=value,
                feasible=bool(violation <= 0.0) and math.isfinite(value),
                violation=max(violation, 0.0),
            )
            cached = self.evaluator.cache[config]
            for s in self.names:
                for m in METRICS:
                    row[f"{s}.{m}"] = cached.means[s][m]
            self.rows.append(row)
            new.append(row)
        return new

    def _plan(self) -> list[dict[str, Any]]:
        rng = np.random.default_rng(np.random.SeedSequence(self.seed))
        if self.method == "random":
            return self.space.sample(rng, self.budget)
        proposals = self.space.grid()
        if len(proposals) > self.budget:
            keep = np.sort(rng.choice(len(proposals), size=self.budget, replace=False))
            self.notes.append(
                f"the grid has {len(proposals)} points, more than the budget of {self.budget}: "
                f"evaluated a seeded random subset of {self.budget} points"
            )
            proposals = [proposals[int(k)] for k in keep]
        return proposals

    def _propose_tpe(self, n: int) -> list[dict[str, Any]]:
        distributions = self.space.distributions()
        constrained = bool(self.evaluator.constraints)
        sampler_seed = int(
            np.random.SeedSequence([self.seed, self.batch_index]).generate_state(1)[0]
        )
        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.WARNING)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                study = optuna.create_study(
                    direction="maximize", sampler=optuna.samplers.TPESampler(seed=sampler_seed)
                )
                for row in self.rows:
                    value = row["objective"]
                    finite = math.isfinite(value)
                    study.add_trial(
                        optuna.trial.create_trial(
                            params={name: row[name] for name in self.space.names},
                            distributions=distributions,
                            value=value if finite else None,
                            state=optuna.trial.TrialState.COMPLETE
                            if finite
                            else optuna.trial.TrialState.FAIL,
                            constraints={"violation": min(row["violation"], _MARGIN_CAP)}
                            if constrained
                            else None,
                        )
                    )
                return [dict(study.ask(distributions).params) for _ in range(n)]
        finally:
            optuna.logging.set_verbosity(verbosity)


def _group_by_batch(
    rows: Sequence[Mapping[str, Any]],
) -> list[tuple[int, list[Mapping[str, Any]]]]:
    groups: list[tuple[int, list[Mapping[str, Any]]]] = []
    for row in rows:
        batch = int(row["batch"])
        if not groups or groups[-1][0] != batch:
            groups.append((batch, []))
        groups[-1][1].append(row)
    return groups


def _per_day_sharpe(record: _Record, weights: np.ndarray, names: list[str]) -> float:
    annual = np.array([record.means[s]["sharpe"] for s in names])
    return float(weights @ annual) / math.sqrt(PERIODS_PER_YEAR)


def _finish(
    *,
    trials: pd.DataFrame,
    evaluator: _Evaluator,
    convergence: np.ndarray,
    method: str,
    seed: int,
    budget: int,
    batch_size: int,
    confidence: float,
    dsr_n_obs: int | None,
    notes: list[str],
) -> SearchResult:
    names = evaluator.names
    space = evaluator.space
    ok = trials["feasible"].to_numpy(dtype=bool) & np.isfinite(
        trials["objective"].to_numpy(dtype=float)
    )
    if not ok.any():
        worst = ""
        if evaluator.constraints:
            closest = int(np.argmin(trials["violation"].to_numpy(dtype=float)))
            worst = (
                f"; the smallest violation was {float(trials['violation'].iloc[closest]):.4g} "
                f"(trial {closest})"
            )
        described = "; ".join(c.describe() for c in evaluator.constraints) or "finite objective"
        raise NoFeasibleTrialError(
            f"none of the {len(trials)} trials satisfied the constraints ({described}){worst}; "
            "relax the constraints or widen the space",
            trials=trials,
        )
    objective = np.where(ok, trials["objective"].to_numpy(dtype=float), -np.inf)
    best_index = int(np.argmax(objective))  # first occurrence on ties
    best_row = trials.iloc[best_index]
    best_params = {n: native_value(best_row[n]) for n in space.names}
    best_config = space.config(best_params)
    best_record = evaluator.cache[best_config]

    # runner-up: best feasible trial with a different configuration
    different = ok & (trials["config_id"].to_numpy() != best_config.config_id)
    runner_up: StrategyConfig | None = None
    paired: dict[str, PairedInterval] | None = None
    weights = evaluator.objective.scenario_weight_vector(names)
    if different.any():
        runner_index = int(np.argmax(np.where(different, objective, -np.inf)))
        runner_row = trials.iloc[runner_index]
        runner_up = space.config({n: native_value(runner_row[n]) for n in space.names})
        best_paths = evaluator.sharpe_paths(best_config)
        runner_paths = evaluator.sharpe_paths(runner_up)
        paired = {
            s: paired_interval(best_paths[s], runner_paths[s], confidence=confidence) for s in names
        }
        paired["overall"] = combine_intervals(
            {s: paired[s] for s in names}, dict(zip(names, weights, strict=True))
        )

    # deflated Sharpe ratio over the distinct configurations
    distinct = list(evaluator.cache.values())
    per_day = np.array([_per_day_sharpe(r, weights, names) for r in distinct])
    finite = per_day[np.isfinite(per_day)]
    variance = float(finite.var(ddof=1)) if finite.size >= 2 else 0.0
    skewness, kurtosis = _winner_moments(best_config, evaluator)
    horizon = min(d.horizon for d in evaluator.scenarios.values())
    n_obs = dsr_n_obs if dsr_n_obs is not None else horizon - best_config.lookback
    winner_sharpe = _per_day_sharpe(best_record, weights, names)
    if dsr_n_obs is None:
        notes.append(
            f"deflated Sharpe uses n_obs={n_obs} (evaluated days of one path); pass dsr_n_obs "
            "to use the length of the history behind the scenarios"
        )
    dsr = deflated_sharpe_ratio(
        winner_sharpe,
        n_trials=max(len(distinct), 1),
        sharpe_variance=variance,
        n_obs=max(int(n_obs), 2),
        skewness=skewness,
        kurtosis=kurtosis,
    )
    return SearchResult(
        trials=trials,
        best_config=best_config,
        best_value=float(best_row["objective"]),
        best_trial=int(best_row["trial"]),
        best_metrics={s: dict(best_record.means[s]) for s in names},
        convergence=convergence,
        method=method,
        seed=seed,
        budget=budget,
        batch_size=batch_size,
        scenario_names=tuple(names),
        space=space,
        objective=evaluator.objective,
        constraints=evaluator.constraints,
        deflated_sharpe=dsr,
        runner_up_config=runner_up,
        paired_sharpe=paired,
        notes=tuple(notes),
    )


def native_value(value: Any) -> Any:
    """A numpy scalar as the matching Python scalar (for JSON); other values unchanged."""
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


MOMENT_PATHS = 100
"""Paths per scenario whose daily returns give the winner's skewness and kurtosis."""


def _winner_moments(config: StrategyConfig, evaluator: _Evaluator) -> tuple[float, float]:
    """Skewness and kurtosis of the winner's daily net returns, pooled over the first
    `MOMENT_PATHS` paths of every scenario (recomputed with `EvaluationResult.series`)."""
    pooled = []
    for data in evaluator.scenarios.values():
        count = min(data.n_paths, MOMENT_PATHS)
        inputs = data.risky if config.sleeve == "single" or data.assets is None else data.assets
        result = evaluate([config], inputs[:count], evaluator.safe)
        for p in range(count):
            pooled.append(result.series(0, p)["net"].to_numpy(dtype=float))
    skew, kurt, _ = return_moments(np.concatenate(pooled))
    return skew, kurt


# --------------------------------------------------------------------------------------------
# walk-forward
# --------------------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class WalkForwardResult:
    """A search on scenarios from the earlier part of history, checked on the later part.

    `in_sample` and `out_of_sample`: rows `best` (the search winner) and `median` (the feasible
    trial with the median objective, a typical configuration), columns the engine's metrics plus
    `score` (the objective's metric weights applied to that one historical path), evaluated on the
    in-sample and held-out historical returns respectively. `scenarios` were generated from
    `history[:split_index]` only.
    """

    search: SearchResult
    in_sample: pd.DataFrame
    out_of_sample: pd.DataFrame
    split_index: int
    split_label: Any
    n_in_sample: int
    n_out_of_sample: int
    median_config: StrategyConfig
    scenarios: ScenarioSet

    def to_dict(self) -> dict[str, Any]:
        """A compact JSON-friendly summary."""
        return {
            "split_index": self.split_index,
            "split_label": str(self.split_label),
            "n_in_sample": self.n_in_sample,
            "n_out_of_sample": self.n_out_of_sample,
            "best_config": self.search.best_config.model_dump(mode="json"),
            "median_config": self.median_config.model_dump(mode="json"),
            "in_sample": {
                k: {m: _plain(v) for m, v in row.items()}
                for k, row in self.in_sample.to_dict(orient="index").items()
            },
            "out_of_sample": {
                k: {m: _plain(v) for m, v in row.items()}
                for k, row in self.out_of_sample.to_dict(orient="index").items()
            },
            "search": self.search.to_dict(),
        }


def _history_series(history: pd.Series | pd.DataFrame | np.ndarray) -> pd.DataFrame:
    if isinstance(history, (pd.Series, pd.DataFrame)):
        frame = history.to_frame() if isinstance(history, pd.Series) else history
    else:
        array = np.asarray(history, dtype=float)
        if array.ndim == 1:
            array = array[:, None]
        if array.ndim != 2:
            raise DataError(f"history_returns must be 1- or 2-dimensional, got shape {array.shape}")
        frame = pd.DataFrame(array, columns=[f"asset_{i}" for i in range(array.shape[1])])
    values = frame.to_numpy(dtype=float)
    if not np.isfinite(values).all():
        raise DataError("history_returns contain NaN or infinite values")
    return frame


def _path_metrics(
    configs: list[StrategyConfig], frame: pd.DataFrame, safe: float, obj: Objective
) -> pd.DataFrame:
    values = frame.to_numpy(dtype=float)
    data = ScenarioData(
        risky=np.ascontiguousarray(values.mean(axis=1)[None, :]),
        assets=np.ascontiguousarray(values[None, :, :]) if values.shape[1] > 1 else None,
    )
    arrays = _evaluate_scenario(configs, data, safe)
    table = pd.DataFrame({m: a.mean(axis=1) for m, a in arrays.items()}, index=["best", "median"])
    table["score"] = sum(float(w) * table[m] for m, w in obj.weights.items())
    return table


def walk_forward(
    space: SearchSpace | Mapping[str, Any],
    history_returns: pd.Series | pd.DataFrame | np.ndarray,
    *,
    split: float = 0.7,
    n_paths: int = 200,
    horizon: int = 252,
    seed: int = 0,
    method: SearchMethod = "tpe",
    budget: int = 100,
    batch_size: int = 50,
    objective: Objective | str | Mapping[str, float] | None = None,
    constraints: Sequence[Constraint] = (),
    scenario_names: Sequence[str] = ("bull", "bear", "high_vol", "low_vol", "base"),
    scenario_method: Literal["block_bootstrap", "gbm"] = "block_bootstrap",
    block_size: int = 20,
    safe: float = 0.02,
) -> WalkForwardResult:
    """Search on scenarios simulated from the first `split` of history; test on the rest.

    The first floor(split x T) days of `history_returns` (daily simple returns of the risky asset;
    several columns are combined into their daily-rebalanced equal-weight portfolio, as
    `ScenarioSet.risky` does) feed `generate_scenarios`; the search runs on those scenarios (its
    deflated Sharpe ratio uses the in-sample length as the sample size). The winner and the median
    trial are then evaluated with `evaluate` on the in-sample and on the held-out historical paths.
    No held-out day enters the scenarios or the search.
    """
    frame = _history_series(history_returns)
    if not (isinstance(split, (int, float)) and 0.0 < float(split) < 1.0):
        raise SearchSpaceError(f"split must be a fraction in (0, 1), got {split!r}")
    space = as_search_space(space)
    n_total = len(frame)
    split_index = math.floor(float(split) * n_total)
    n_out = n_total - split_index
    _check_lookback(space, n_out, f"held-out part (split={split})")
    in_frame = frame.iloc[:split_index]
    out_frame = frame.iloc[split_index:]
    scenarios = generate_scenarios(
        in_frame,
        names=tuple(scenario_names),
        n_paths=n_paths,
        horizon=horizon,
        seed=seed,
        method=scenario_method,
        block_size=block_size,
    )
    result = search(
        space,
        scenarios,
        objective=objective,
        constraints=constraints,
        method=method,
        budget=budget,
        batch_size=batch_size,
        seed=seed,
        safe=safe,
        dsr_n_obs=split_index,
    )
    feasible = result.trials[result.trials["feasible"]].sort_values(["objective", "trial"])
    median_row = feasible.iloc[(len(feasible) - 1) // 2]
    median_config = space.config({n: native_value(median_row[n]) for n in space.names})
    configs = [result.best_config, median_config]
    obj = result.objective
    in_sample = (
        _path_metrics(configs, in_frame, safe, obj)
        if split_index >= _max_lookback(space) + MIN_EVAL_DAYS
        else pd.DataFrame(index=["best", "median"])
    )
    out_of_sample = _path_metrics(configs, out_frame, safe, obj)
    return WalkForwardResult(
        search=result,
        in_sample=in_sample,
        out_of_sample=out_of_sample,
        split_index=split_index,
        split_label=frame.index[split_index],
        n_in_sample=split_index,
        n_out_of_sample=n_out,
        median_config=median_config,
        scenarios=scenarios,
    )
