"""Objectives and constraints of a strategy search, computed from per-scenario path means.

Every metric of the engine's `EvaluationResult` is a [configs, paths] array. A search first
reduces each to its mean over paths, per scenario ("path mean"); objectives and constraints are
functions of those path means:

Metrics are those of `quant.metrics.PATH_METRICS`: the engine's nine and the option overlay's
cost measures (`hedge_premium`, `hedge_payoff`, `hedge_carry`, fractions of wealth per year), so
`{"hedge_premium": -1.0}` asks for the cheapest protection that meets the constraints.

- `Objective(weights={"sharpe": 1.0, "max_drawdown": -0.5}, scenario_weights=None, aggregate="mean")`:
  per scenario, score = sum over metrics of weight * path mean; then `aggregate="mean"` takes the
  scenario-weighted mean of the scores (equal weights by default), `aggregate="min"` the worst
  scenario among those with positive weight. The search maximises this value. Losses (drawdown,
  VaR, CVaR, volatility, turnover) are positive numbers, so they take negative weights.
- `Constraint(metric, scenario=None, min=None, max=None, statistic="mean")`: the `statistic` of
  `metric` over the paths (`quant.limits.STATISTICS`: the path mean by default, or e.g. "p95",
  its 95th percentile) must lie in [min, max] in `scenario`, or in every scenario when
  `scenario` is None. Its margin is max(value - max, min - value), maximised over the scenarios
  it covers; <= 0 means satisfied (Optuna's convention). A NaN value violates the constraint.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from quant.errors import SearchSpaceError
from quant.limits import STATISTICS, statistic_key
from quant.metrics import METRICS, PATH_METRICS

LOSS_METRICS = frozenset(
    {"volatility", "max_drawdown", "var_95", "cvar_95", "turnover", "hedge_premium", "hedge_carry"}
)
"""Metrics where lower is better; a bare metric-name objective minimises these (the hedge's
premium and carry are costs)."""

PathMeans = Mapping[str, Mapping[str, np.ndarray]]
"""scenario -> metric -> path means, one per config (shape [C])."""


def _check_metric(metric: str, where: str) -> None:
    if metric not in PATH_METRICS:
        raise SearchSpaceError(
            f"{where}: unknown metric {metric!r}; valid metrics: {', '.join(PATH_METRICS)}"
        )


def _check_scenario(name: str, scenarios: Sequence[str], where: str) -> None:
    if name not in scenarios:
        raise SearchSpaceError(
            f"{where}: unknown scenario {name!r}; scenarios: {', '.join(scenarios)}"
        )


@dataclass(frozen=True)
class Objective:
    """A weighted combination of path-mean metrics, aggregated over scenarios (maximised)."""

    weights: Mapping[str, float] = field(default_factory=lambda: {"sharpe": 1.0})
    scenario_weights: Mapping[str, float] | None = None
    aggregate: Literal["mean", "min"] = "mean"

    def __post_init__(self) -> None:
        if not self.weights:
            raise SearchSpaceError("objective.weights: give at least one metric weight")
        for metric, weight in self.weights.items():
            _check_metric(metric, "objective.weights")
            if not np.isfinite(weight):
                raise SearchSpaceError(
                    f"objective.weights: weight of {metric} must be finite, got {weight!r}"
                )
        if self.aggregate not in ("mean", "min"):
            raise SearchSpaceError(
                f"objective.aggregate must be 'mean' or 'min', got {self.aggregate!r}"
            )
        if self.scenario_weights is not None:
            values = list(self.scenario_weights.values())
            if any((not np.isfinite(w)) or w < 0 for w in values) or sum(values) <= 0:
                raise SearchSpaceError(
                    f"objective.scenario_weights must be finite, >= 0 and not all zero, got "
                    f"{dict(self.scenario_weights)!r}"
                )

    @classmethod
    def from_metric(cls, metric: str) -> Objective:
        """Maximise `metric` (minimise it for a loss metric such as max_drawdown)."""
        _check_metric(metric, "objective")
        return cls(weights={metric: -1.0 if metric in LOSS_METRICS else 1.0})

    def validate(self, scenarios: Sequence[str]) -> None:
        """Raise `SearchSpaceError` if a scenario weight names an unknown scenario."""
        for name in self.scenario_weights or {}:
            _check_scenario(name, scenarios, "objective.scenario_weights")

    def scenario_weight_vector(self, scenarios: Sequence[str]) -> np.ndarray:
        """Normalised weight of each scenario (equal by default; unnamed scenarios get 0)."""
        if self.scenario_weights is None:
            return np.full(len(scenarios), 1.0 / len(scenarios))
        raw = np.array([float(self.scenario_weights.get(s, 0.0)) for s in scenarios])
        return raw / raw.sum()

    def scenario_scores(self, means: PathMeans, scenarios: Sequence[str]) -> np.ndarray:
        """Score per scenario and config, shape [S, C]: sum of weight x path mean."""
        return np.stack(
            [
                sum(
                    (
                        float(w) * np.asarray(means[s][m], dtype=float)
                        for m, w in self.weights.items()
                    ),
                    start=np.zeros_like(np.asarray(means[s][METRICS[0]], dtype=float)),
                )
                for s in scenarios
            ]
        )

    def values(self, means: PathMeans, scenarios: Sequence[str]) -> np.ndarray:
        """Objective value per config, shape [C] (NaN when a needed path mean is NaN)."""
        scores = self.scenario_scores(means, scenarios)
        w = self.scenario_weight_vector(scenarios)
        if self.aggregate == "min":
            active = scores[w > 0]
            return np.asarray(active.min(axis=0), dtype=float)
        return np.asarray(w @ scores, dtype=float)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description."""
        return {
            "weights": {k: float(v) for k, v in self.weights.items()},
            "scenario_weights": None
            if self.scenario_weights is None
            else {k: float(v) for k, v in self.scenario_weights.items()},
            "aggregate": self.aggregate,
        }


@dataclass(frozen=True)
class Constraint:
    """The `statistic` of `metric` over the paths (default their mean) must lie in [min, max]
    (in `scenario`, or in every scenario)."""

    metric: str
    scenario: str | None = None
    min: float | None = None
    max: float | None = None
    statistic: str = "mean"

    def __post_init__(self) -> None:
        _check_metric(self.metric, "constraint")
        if self.statistic not in STATISTICS:
            raise SearchSpaceError(
                f"constraint on {self.metric}: statistic must be one of "
                f"{', '.join(STATISTICS)}, got {self.statistic!r}"
            )
        if self.min is None and self.max is None:
            raise SearchSpaceError(f"constraint on {self.metric}: give min, max or both")
        for name, bound in (("min", self.min), ("max", self.max)):
            if bound is not None and not np.isfinite(bound):
                raise SearchSpaceError(
                    f"constraint on {self.metric}: {name} must be finite, got {bound!r}"
                )
        if self.min is not None and self.max is not None and self.min > self.max:
            raise SearchSpaceError(
                f"constraint on {self.metric}: min ({self.min!r}) > max ({self.max!r})"
            )

    @property
    def key(self) -> str:
        """The per-scenario value it is checked on (`quant.limits.statistic_key`)."""
        return statistic_key(self.metric, self.statistic)

    def validate(self, scenarios: Sequence[str]) -> None:
        """Raise `SearchSpaceError` if `scenario` is not one of `scenarios`."""
        if self.scenario is not None:
            _check_scenario(self.scenario, scenarios, f"constraint on {self.metric}")

    def margins(self, means: PathMeans, scenarios: Sequence[str]) -> np.ndarray:
        """Violation margin per config, shape [C]: > 0 violated, <= 0 satisfied, inf for NaN
        (and for a statistic `means` lacks)."""
        covered = [self.scenario] if self.scenario is not None else list(scenarios)
        size = len(np.asarray(means[covered[0]][METRICS[0]]))
        values = np.stack(
            [
                np.asarray(means[s].get(self.key, np.full(size, np.nan)), dtype=float)
                for s in covered
            ]
        )
        margin = np.full(values.shape, -np.inf)
        if self.max is not None:
            margin = np.maximum(margin, values - self.max)
        if self.min is not None:
            margin = np.maximum(margin, self.min - values)
        margin = np.where(np.isnan(values), np.inf, margin)
        return np.asarray(margin.max(axis=0), dtype=float)

    def describe(self) -> str:
        """E.g. 'max_drawdown <= 0.25 in bear' (the path mean), 'max_drawdown@p95 <= 0.25 in
        bear' (its 95th percentile over the paths)."""
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        where = f"in {self.scenario}" if self.scenario is not None else "in every scenario"
        return f"{self.key} {' and '.join(parts)} {where}"

    def to_dict(self) -> dict[str, Any]:
        """A JSON-friendly description."""
        return {
            "metric": self.metric,
            "scenario": self.scenario,
            "min": self.min,
            "max": self.max,
            "statistic": self.statistic,
        }


def as_objective(objective: Objective | str | Mapping[str, float] | None) -> Objective:
    """None -> mean Sharpe; a metric name -> `Objective.from_metric`; a mapping -> metric weights."""
    if objective is None:
        return Objective()
    if isinstance(objective, Objective):
        return objective
    if isinstance(objective, str):
        return Objective.from_metric(objective)
    if isinstance(objective, Mapping):
        return Objective(weights=dict(objective))
    raise SearchSpaceError(
        f"objective must be an Objective, a metric name or a mapping, got {type(objective).__name__}"
    )
