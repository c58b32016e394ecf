"""Hyperparameter tuning: the search over `StrategyConfig`s on simulated scenarios, with overfitting
controls. (The package is not named `search` so that `quant.search`, the function, stays
unambiguous.)

Modules: `space` (the search space), `objective` (objective and constraints), `inputs`
(scenarios as arrays and the checks of the inputs), `evaluation` (a batch on every scenario),
`driver` (`search`, `SearchRun`), `result` (`SearchResult` and the overfitting controls),
`walk_forward`. Import the names from `quant` (loaded on first use); this package imports
nothing itself, so a light submodule (the space, the objective) stays light.

`search(space, scenarios, ...)` proposes configurations in batches, evaluates each batch with one
vectorised `quant.engine.evaluate` call per scenario (configs x paths), reduces every metric to its
mean over paths per scenario ("path means"), scores the batch with the `Objective` (maximised)
and checks the `Constraint`s (see `quant.tuning.objective`). Methods:

- `grid`: the Cartesian product of every searched field's grid values (see `quant.tuning.space`).
  If the grid has more points than `budget`, a seeded random subset of `budget` points (kept in
  grid order) is evaluated and a note says so; a smaller grid is evaluated whole, once.
- `random`: `budget` seeded independent draws (uniform, log-uniform for `log=True`).
- `tpe`: Optuna's TPE (`quant.tuning.tpe`): before each batch a study of the trials so far is
  built and `batch_size` proposals are made as `TPESampler(seed, constant_liar=False)` asks
  would make them, its two Parzen estimators fitted once for the batch. Each trial's largest
  constraint margin is its constraint in the study, so the sampler treats violating trials as
  infeasible and learns to avoid their region (Optuna's constrained TPE, not a penalty); a trial
  whose objective is not finite is a failed trial.

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
