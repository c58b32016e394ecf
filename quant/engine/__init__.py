"""Vectorised evaluation of allocation strategies over many configs and return paths.

`evaluate(configs, risky, safe)` runs every `StrategyConfig` on every path and returns, per
config and path, CAGR, annualised volatility, Sharpe, Sortino, maximum drawdown, 95 % historical
VaR and CVaR, annual turnover and average risky weight. The exact day-by-day rules are written out
in docs/engine.md; in short, on rebalance days t = L, L+k, ... the risky weight is set from the
last L returns, costs c bps of the traded notional, and drifts with the market in between.

Units: daily simple returns in, annualised rates out (252 periods); VaR, CVaR and drawdown are
positive numbers meaning losses.

The package, in the order a call runs through it: `inputs` (validation), `weights` (weight
functions), the three kinds of run (`single_runs`: single series, SIMD blocks; `sleeve_runs`:
multi-asset sleeves; `hedged_runs`: configs holding an option hedge), `resources` (paths per
chunk, threads), `result` (`EvaluationResult`). The compiled kernels: `window_kernels` (window
statistics, built-in weight rules), `path_kernels` (one config on one path: the day loop and the
metrics), `hedge_kernels` (hedge units and the hedged day loop), `schedule_kernels` (the
per-config loops over every config and path of a schedule), `lane_kernels` (the SIMD block loop
of single series), `tail_kernels` (the 5 % quantile and tail mean).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from quant.engine.hedge_kernels import N_HEDGE
from quant.engine.hedged_runs import evaluate_hedged
from quant.engine.inputs import RiskyInput, SafeInput, as_config, check_lengths, prepare_inputs
from quant.engine.path_kernels import N_METRICS
from quant.engine.result import EvaluationResult
from quant.engine.single_runs import evaluate_single
from quant.engine.sleeve_runs import evaluate_sleeve
from quant.engine.weights import clipped_targets
from quant.errors import ConstraintError
from quant.metrics import METRICS
from quant.options.vol_model import ImpliedVolModel
from quant.strategy import StrategyConfig

__all__ = ["METRICS", "EvaluationResult", "clipped_targets", "evaluate"]


def evaluate(
    configs: Sequence[StrategyConfig | Mapping[str, Any]],
    risky: RiskyInput,
    safe: SafeInput,
    *,
    chunk_size: int | None = None,
    vol_model: ImpliedVolModel | None = None,
) -> EvaluationResult:
    """Evaluate every config on every path of daily returns.

    Parameters
    ----------
    configs:
        C `StrategyConfig` objects (or mappings validated into one).
    risky:
        Daily simple returns of the risky sleeve: (T,) or (P, T) for ``sleeve="single"``; asset
        returns (T, N), (P, T, N) or a DataFrame (T, N) when any config uses an optimizer sleeve.
    safe:
        The safe asset: an annual rate (float; daily return rate / 252 every day) or daily simple
        returns shaped (T,) (shared by all paths) or (P, T).
    chunk_size:
        Paths per compiled call; ``None`` chooses it from `resources.MEMORY_BUDGET_BYTES`. Results do not
        depend on it.
    vol_model:
        The implied-volatility model that prices option hedges (default `ImpliedVolModel()`).

    Returns
    -------
    EvaluationResult with one float64 array [C, P] per metric.

    Raises
    ------
    ConstraintError: an invalid config (field and value named), or a weight function returning
        non-finite values.
    DataError: NaN/inf or returns <= -1 in the inputs (path, day and asset named), bad shapes.
    InsufficientDataError: a lookback leaving fewer than 2 evaluation days.
    """
    if isinstance(configs, StrategyConfig):
        configs = [configs]
    cfgs = [as_config(item, i) for i, item in enumerate(configs)]
    if not cfgs:
        raise ConstraintError("configs is empty: pass at least one StrategyConfig")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ConstraintError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    inp = prepare_inputs(cfgs, risky, safe)
    check_lengths(cfgs, inp.n_days)
    model = vol_model if vol_model is not None else ImpliedVolModel()
    if not isinstance(model, ImpliedVolModel):
        raise ConstraintError(
            f"vol_model must be an ImpliedVolModel, got {type(vol_model).__name__}"
        )
    C, P = len(cfgs), inp.n_paths
    out = np.empty((N_METRICS, C, P))
    fallbacks = np.zeros((C, P), dtype=np.int64)
    hedge = np.zeros((N_HEDGE, C, P))

    single = [i for i, cfg in enumerate(cfgs) if cfg.sleeve == "single" and not cfg.has_hedge]
    if single:
        evaluate_single(cfgs, single, inp, out, chunk_size)
    sleeves: dict[tuple[str, int, int], list[int]] = {}
    hedged: dict[tuple[str, int], list[int]] = {}
    for i, cfg in enumerate(cfgs):
        if cfg.has_hedge:
            hedged.setdefault((cfg.sleeve, cfg.lookback), []).append(i)
        elif cfg.sleeve != "single":
            sleeves.setdefault((cfg.sleeve, cfg.lookback, cfg.rebalance_every), []).append(i)
    for (sleeve, L, k), members in sleeves.items():
        evaluate_sleeve(cfgs, members, sleeve, L, k, inp, out, fallbacks, chunk_size)
    for (sleeve, L), members in hedged.items():
        evaluate_hedged(cfgs, members, sleeve, L, inp, out, hedge, fallbacks, model, chunk_size)

    metrics = {name: np.ascontiguousarray(out[m]) for m, name in enumerate(METRICS)}
    return EvaluationResult(
        configs=cfgs, sleeve_fallbacks=fallbacks, hedge_premium=hedge[0], hedge_payoff=hedge[1],
        vol_model=model, _inputs=inp, **metrics,
    )  # fmt: skip
