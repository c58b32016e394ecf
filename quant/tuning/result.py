"""The search's result: trials, the winner, convergence, and the overfitting controls (deflated
Sharpe, paired intervals)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quant.engine import evaluate
from quant.errors import NoFeasibleTrialError
from quant.estimators import PERIODS_PER_YEAR
from quant.options.vol_model import ImpliedVolModel
from quant.overfitting import (
    DeflatedSharpe,
    PairedInterval,
    combine_intervals,
    deflated_sharpe_ratio,
    paired_interval,
    return_moments,
)
from quant.strategy import StrategyConfig
from quant.tuning.evaluation import BatchEvaluator, EvaluatedConfig
from quant.tuning.objective import Constraint, Objective
from quant.tuning.space import SearchSpace


# --------------------------------------------------------------------------------------------
# result
# --------------------------------------------------------------------------------------------
def json_value(value: Any) -> Any:
    """`value` as plain JSON: numpy scalars as Python numbers (`native_value`), non-finite floats
    as None."""
    number = native_value(value)
    if isinstance(number, float) and not math.isfinite(number):
        return None
    return number


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Every trial of a search, the winner, convergence and overfitting controls.

    `trials`: one row per trial: `trial`, `batch`, the searched fields, `config_id`, `objective`,
    `feasible`, `violation` (largest constraint margin, 0 when satisfied) and one column
    `"<scenario>.<metric>"` per scenario and metric (path means). `convergence[b]` is the best
    feasible objective after batch b. `best_metrics[scenario][metric]` are the winner's path means.
    `vol_model`: the implied-volatility model that priced option overlays.
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
    vol_model: ImpliedVolModel = field(default_factory=ImpliedVolModel)

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
            {k: json_value(v) for k, v in row.items()}
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
            "convergence": [json_value(v) for v in self.convergence],
            "deflated_sharpe": self.deflated_sharpe.to_dict(),
            "runner_up_config": None
            if self.runner_up_config is None
            else self.runner_up_config.model_dump(mode="json"),
            "paired_sharpe_difference": None
            if self.paired_sharpe is None
            else {k: v.to_dict() for k, v in self.paired_sharpe.items()},
            "notes": list(self.notes),
        }


def group_by_batch(
    rows: Sequence[Mapping[str, Any]],
) -> list[tuple[int, list[Mapping[str, Any]]]]:
    groups: list[tuple[int, list[Mapping[str, Any]]]] = []
    for row in rows:
        batch = int(row["batch"])
        if not groups or groups[-1][0] != batch:
            groups.append((batch, []))
        groups[-1][1].append(row)
    return groups


def _per_day_sharpe(record: EvaluatedConfig, weights: np.ndarray, names: list[str]) -> float:
    annual = np.array([record.means[s]["sharpe"] for s in names])
    return float(weights @ annual) / math.sqrt(PERIODS_PER_YEAR)


def assemble_result(
    *,
    trials: pd.DataFrame,
    evaluator: BatchEvaluator,
    convergence: np.ndarray,
    method: str,
    seed: int,
    budget: int,
    batch_size: int,
    confidence: float,
    dsr_n_obs: int | None,
    notes: list[str],
) -> SearchResult:
    """The `SearchResult` of the trial rows so far: the best feasible trial (the first on ties),
    the runner-up's paired Sharpe intervals and the deflated Sharpe ratio; raises
    `NoFeasibleTrialError` when no trial is feasible with a finite objective."""
    names = evaluator.names
    space = evaluator.space
    ok = trials["feasible"].to_numpy(dtype=bool) & np.isfinite(
        trials["objective"].to_numpy(dtype=float)
    )
    if not ok.any():
        raise _no_feasible_trial(trials, evaluator)
    objective = np.where(ok, trials["objective"].to_numpy(dtype=float), -np.inf)
    best_index = int(np.argmax(objective))  # first occurrence on ties
    best_row = trials.iloc[best_index]
    best_config = space.config({n: native_value(best_row[n]) for n in space.names})
    best_record = evaluator.cache[best_config]
    weights = evaluator.objective.scenario_weight_vector(names)
    # runner-up: best feasible trial with a different configuration
    different = ok & (trials["config_id"].to_numpy() != best_config.config_id)
    runner_up: StrategyConfig | None = None
    paired: dict[str, PairedInterval] | None = None
    if different.any():
        runner_row = trials.iloc[int(np.argmax(np.where(different, objective, -np.inf)))]
        runner_up = space.config({n: native_value(runner_row[n]) for n in space.names})
        paired = _paired_sharpe(evaluator, best_config, runner_up, weights, confidence)
    dsr = _deflated_sharpe(evaluator, best_config, weights, dsr_n_obs, notes)
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
        vol_model=evaluator.vol_model,
    )


def _no_feasible_trial(trials: pd.DataFrame, evaluator: BatchEvaluator) -> NoFeasibleTrialError:
    """The error of a search none of whose trials is feasible, naming the constraints and the
    smallest violation."""
    worst = ""
    if evaluator.constraints:
        closest = int(np.argmin(trials["violation"].to_numpy(dtype=float)))
        worst = (
            f"; the smallest violation was {float(trials['violation'].iloc[closest]):.4g} "
            f"(trial {closest})"
        )
    described = "; ".join(c.describe() for c in evaluator.constraints) or "finite objective"
    return NoFeasibleTrialError(
        f"none of the {len(trials)} trials satisfied the constraints ({described}){worst}; "
        "relax the constraints or widen the space",
        trials=trials,
    )


def _paired_sharpe(
    evaluator: BatchEvaluator,
    best: StrategyConfig,
    runner_up: StrategyConfig,
    weights: np.ndarray,
    confidence: float,
) -> dict[str, PairedInterval]:
    """Paired intervals of the Sharpe difference of the winner and the runner-up, per scenario
    and ``overall`` (combined with the objective's scenario weights)."""
    names = evaluator.names
    best_paths = evaluator.sharpe_paths(best)
    runner_paths = evaluator.sharpe_paths(runner_up)
    paired = {
        s: paired_interval(best_paths[s], runner_paths[s], confidence=confidence) for s in names
    }
    paired["overall"] = combine_intervals(
        {s: paired[s] for s in names}, dict(zip(names, weights, strict=True))
    )
    return paired


def _deflated_sharpe(
    evaluator: BatchEvaluator,
    best: StrategyConfig,
    weights: np.ndarray,
    dsr_n_obs: int | None,
    notes: list[str],
) -> DeflatedSharpe:
    """The winner's deflated Sharpe ratio against the distinct configurations evaluated (per-day
    Sharpe ratios; the winner's skewness and kurtosis); `notes` says which sample length it used
    when `dsr_n_obs` is None (the evaluated days of one path)."""
    names = evaluator.names
    distinct = list(evaluator.cache.values())
    per_day = np.array([_per_day_sharpe(r, weights, names) for r in distinct])
    finite = per_day[np.isfinite(per_day)]
    variance = float(finite.var(ddof=1)) if finite.size >= 2 else 0.0
    skewness, kurtosis = _winner_moments(best, evaluator)
    horizon = min(d.horizon for d in evaluator.scenarios.values())
    n_obs = dsr_n_obs if dsr_n_obs is not None else horizon - best.lookback
    winner_sharpe = _per_day_sharpe(evaluator.cache[best], weights, names)
    if dsr_n_obs is None:
        notes.append(
            f"deflated Sharpe uses n_obs={n_obs} (evaluated days of one path); pass dsr_n_obs "
            "to use the length of the history behind the scenarios"
        )
    return deflated_sharpe_ratio(
        winner_sharpe,
        n_trials=max(len(distinct), 1),
        sharpe_variance=variance,
        n_obs=max(int(n_obs), 2),
        skewness=skewness,
        kurtosis=kurtosis,
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


def _winner_moments(config: StrategyConfig, evaluator: BatchEvaluator) -> tuple[float, float]:
    """Skewness and kurtosis of the winner's daily net returns, pooled over the first
    `MOMENT_PATHS` paths of every scenario (recomputed with `EvaluationResult.net_returns`)."""
    pooled = []
    for data in evaluator.scenarios.values():
        count = min(data.n_paths, MOMENT_PATHS)
        inputs = data.risky if config.sleeve == "single" or data.assets is None else data.assets
        result = evaluate([config], inputs[:count], evaluator.safe, vol_model=evaluator.vol_model)
        for p in range(count):
            pooled.append(result.net_returns(0, p))
    skew, kurt, _ = return_moments(np.concatenate(pooled))
    return skew, kurt
