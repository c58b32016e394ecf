"""The search driver: `search` and the resumable `SearchRun` (grid, random or TPE proposals in
batches, constraints, convergence)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict, Unpack

import numpy as np
import pandas as pd

from quant.errors import SearchSpaceError
from quant.options.vol_model import ImpliedVolModel
from quant.scenarios import ScenarioSet
from quant.strategy import StrategyConfig
from quant.tuning.evaluation import BatchEvaluator
from quant.tuning.inputs import (
    METHODS,
    SearchMethod,
    as_scenarios,
    check_lookback,
    check_positive_int,
    check_seed,
)
from quant.tuning.objective import Constraint, Objective, as_objective
from quant.tuning.result import SearchResult, assemble_result, group_by_batch, native_value
from quant.tuning.space import SearchSpace, as_search_space
from quant.tuning.tpe import tpe_proposals
from quant.tuning.warm_stop import EXPLORATION_SHARE, warm_stop_reason


# --------------------------------------------------------------------------------------------
# search
# --------------------------------------------------------------------------------------------
class SearchOptions(TypedDict, total=False):
    """How a search runs, as keyword arguments of `SearchRun` (its defaults apply)."""

    objective: Objective | str | Mapping[str, float] | None
    constraints: Sequence[Constraint]
    method: SearchMethod
    budget: int
    batch_size: int
    seed: int
    safe: float
    vol_model: ImpliedVolModel | None


def search(
    space: SearchSpace | Mapping[str, Any],
    scenarios: ScenarioSet | Mapping[str, np.ndarray],
    *,
    confidence: float = 0.95,
    dsr_n_obs: int | None = None,
    **options: Unpack[SearchOptions],
) -> SearchResult:
    """Search `space` for the configuration maximising `objective` on `scenarios`: a `SearchRun`
    run to the end.

    `space`: a `SearchSpace` or a mapping field -> `FloatRange`/`IntRange`/`Choices`/`FixedValue`
    (or plain values). `scenarios`: a `ScenarioSet` or a mapping name -> risky daily simple
    returns (paths, days). `options` (`SearchOptions`, with the defaults of `SearchRun`):
    `objective`, an `Objective`, a metric name, or None for the mean over scenarios of the mean
    over paths of the annualised Sharpe ratio; `constraints`, `Constraint`s on path means;
    `method`, grid, random or tpe (see the module docstring); `budget`, the maximum number of
    trials; `batch_size`, trials per batch (one `evaluate` call per scenario per batch); `seed`;
    `safe`, the safe asset's return, passed to `evaluate` as is; `vol_model`, the
    implied-volatility model that prices option overlays (default `ImpliedVolModel()`).
    `confidence`: of the paired Sharpe intervals. `dsr_n_obs`: sample length for the deflated Sharpe ratio (default: the
    winner's evaluated days per path). Raises `SearchSpaceError` for bad inputs (naming the field
    and value) and `NoFeasibleTrialError` when no trial satisfies the constraints.
    """
    run = SearchRun(space, scenarios, **options)
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

    `statistics`: keys ``<metric>@<statistic>`` (`quant.limits.statistic_key`) of the
    statistics of the paths each trial keeps beside its path means, as columns
    ``<scenario>.<metric>@<statistic>`` (default: those the constraints are checked on).

    `first`: searched-field values proposed before the method's own (a warm start: configurations
    learnt from earlier searches); they take the first trials and count against the budget, and
    TPE then learns from them as from any trial. Grid search ignores them (it evaluates its grid).
    A TPE search with `first` keeps `quant.tuning.warm_stop.EXPLORATION_SHARE` of every later
    batch for random draws from the whole space. `predicted` (the model's objective estimate of
    each of `first`) and `probes` (how many of the last of `first` are random draws): with them,
    the search stops before its budget once `warm_stop_reason` says so (`stop_note`).

    TPE: each batch is `quant.tuning.tpe.tpe_proposals` of the trials so far (values, and the
    largest constraint margin as its constraint), seeded from (seed, batch index).
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
        vol_model: ImpliedVolModel | None = None,
        first: Sequence[Mapping[str, Any]] = (),
        statistics: Sequence[str] | None = None,
        predicted: Sequence[float | None] = (),
        probes: int = 0,
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
        self.budget = check_positive_int("budget", budget)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.seed = check_seed(seed)
        horizon = min(d.horizon for d in scen.values())
        check_lookback(self.space, horizon, "scenario horizon")
        self.evaluator = BatchEvaluator(self.space, scen, obj, cons, safe, vol_model, statistics)
        self.notes: list[str] = []
        self._planned: list[dict[str, Any]] | None = None
        if method in ("grid", "random"):
            self._planned = self._plan()
        self.first = [] if method == "grid" else self._checked_first(first)
        self.predicted = list(predicted)[: len(self.first)] if self.first else []
        self.probes = min(int(probes), len(self.predicted))
        self.rows: list[dict[str, Any]] = []
        for batch_index, batch in group_by_batch(trials):
            configs = [self.space.config({n: row[n] for n in self.space.names}) for row in batch]
            columns = self.evaluator.columns
            for config, row in zip(configs, batch, strict=True):
                self.evaluator.store(
                    config,
                    {
                        s: {m: row[f"{s}.{m}"] for m in columns if f"{s}.{m}" in row}
                        for s in self.names
                    },
                )
            self._append(batch_index, configs)

    # -- progress --------------------------------------------------------------------------
    @property
    def total(self) -> int:
        """Trials this run will make: the budget, or the whole grid when it is smaller."""
        return len(self._planned) if self._planned is not None else self.budget

    @property
    def done(self) -> bool:
        """True once `total` trials have been recorded, or a warm search stopped (`stop_note`)."""
        return len(self.rows) >= self.total or self.stop_note is not None

    @property
    def stop_note(self) -> str | None:
        """Why a warm search stopped before its budget (`warm_stop_reason`), or None."""
        if not self.probes or len(self.rows) >= self.total:
            return None
        return warm_stop_reason(self.rows, self.predicted, self.probes)

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
        if n <= 0 or self.stop_note is not None:
            return []
        done = len(self.rows)
        head = [dict(p) for p in self.first[done : done + n]]
        rest = n - len(head)
        if rest <= 0:
            return head
        if self._planned is not None:
            start = max(done - len(self.first), 0)
            return head + self._planned[start : start + rest]
        explore = math.ceil(EXPLORATION_SHARE * rest) if self.first and done else 0
        tpe = self._propose_tpe(rest - explore) if rest > explore else []
        return head + tpe + self._explore(explore)

    def _explore(self, n: int) -> list[dict[str, Any]]:
        """`n` draws from the whole space, seeded by the search's seed and the batch."""
        if n <= 0:
            return []
        rng = np.random.default_rng(np.random.SeedSequence([self.seed, self.batch_index, 63]))
        return self.space.sample(rng, n)

    def configs(self, params: Sequence[Mapping[str, Any]]) -> list[StrategyConfig]:
        """The `StrategyConfig`s of a batch of searched-field values."""
        return [self.space.config(p) for p in params]

    def record(
        self,
        params: Sequence[Mapping[str, Any]],
        means: Mapping[str, Mapping[str, Sequence[float]]] | None = None,
    ) -> list[dict[str, Any]]:
        """Score and keep a batch; `means[scenario][metric][i]` are its path means (and the
        statistics the run tracks, by key), evaluated here when None. Returns the batch's new
        trial rows."""
        configs = self.configs(params)
        if means is None:
            configs = self.evaluator.run(params)
        else:
            columns = self.evaluator.columns
            for i, config in enumerate(configs):
                self.evaluator.store(
                    config,
                    {s: {m: means[s][m][i] for m in columns if m in means[s]} for s in self.names},
                )
        return self._append(self.batch_index, configs)

    def step(self) -> list[dict[str, Any]]:
        """Propose, evaluate and record one batch."""
        return self.record(self.propose())

    def result(self, *, confidence: float = 0.95, dsr_n_obs: int | None = None) -> SearchResult:
        """The `SearchResult` of the trials so far (raises `NoFeasibleTrialError` if none is
        feasible)."""
        if dsr_n_obs is not None:
            dsr_n_obs = check_positive_int("dsr_n_obs", dsr_n_obs)
        return assemble_result(
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
                for m in self.evaluator.columns:
                    row[f"{s}.{m}"] = cached.means[s][m]
            self.rows.append(row)
            new.append(row)
        return new

    def _checked_first(self, first: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
        """`first` as searched-field values of this space, at most the budget; a
        `SearchSpaceError` naming the proposal that lacks a field or lies outside its range."""
        searched = self.space.searched
        checked = []
        for i, params in enumerate(list(first)[: self.budget]):
            for name, param in searched.items():
                if name not in params or not param.contains(params[name]):
                    raise SearchSpaceError(
                        f"first[{i}].{name}: {params.get(name)!r} is not in the search space"
                    )
            checked.append({name: params[name] for name in searched})
        return checked

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
        seed = int(np.random.SeedSequence([self.seed, self.batch_index]).generate_state(1)[0])
        return tpe_proposals(
            self.rows,
            self.space.distributions(),
            n,
            seed=seed,
            constrained=bool(self.evaluator.constraints),
        )
