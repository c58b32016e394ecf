"""Vectorised evaluation of allocation strategies over many configs and return paths.

`evaluate(configs, risky, safe)` runs every `StrategyConfig` on every path and returns, per
config and path, CAGR, annualised volatility, Sharpe, Sortino, maximum drawdown, 95 % historical
VaR and CVaR, annual turnover and average risky weight. The exact day-by-day rules are written out
in docs/engine.md; in short, on rebalance days t = L, L+k, ... the risky weight is set from the
last L returns, costs c bps of the traded notional, and drifts with the market in between.

Units: daily simple returns in, annualised rates out (252 periods); VaR, CVaR and drawdown are
positive numbers meaning losses.
"""

from __future__ import annotations

import contextlib
import math
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numba
import numpy as np
import pandas as pd
from pydantic import ValidationError

from quant import engine_kernels as K
from quant.errors import ConstraintError, DataError, InsufficientDataError
from quant.metrics import METRICS, PATH_METRICS
from quant.options import overlay_kernels as OK
from quant.options.vol_model import ImpliedVolModel
from quant.sleeve import build_schedule
from quant.strategy import (
    ROLL_BANDS,
    StrategyConfig,
    check_config,
    get_weight_function,
)

MEMORY_BUDGET_BYTES = 512 * 1024**2
"""Working memory (beyond inputs and outputs) that the automatic path chunk size aims at."""

PARALLEL_ALWAYS_CONFIG_DAYS = 20_000_000
"""Compiled calls with at least this many config-days use all of numba's threads. Smaller calls
use only the cores that other processes leave idle (read from /proc when available): on a busy
machine a short parallel region ends waiting for a descheduled thread: measured up to 2.7x slower
than one thread for a 10 ms sweep, 10x for a 1 ms one (see docs/engine.md)."""

_CODES = {"inverse_vol": K.CODE_INVERSE_VOL, "sigmoid": K.CODE_SIGMOID, "merton": K.CODE_MERTON}


@dataclass
class _Inputs:
    """Validated inputs: risky [P, T] (single) and/or assets [P, T, N]; safe [P or 1, T]."""

    risky: np.ndarray | None
    assets: np.ndarray | None
    asset_names: list[str]
    safe: np.ndarray
    n_paths: int
    n_days: int


@dataclass
class EvaluationResult:
    """Metrics of every config on every path: one float64 array [C, P] per metric.

    Attributes: ``cagr``, ``volatility``, ``sharpe``, ``sortino``, ``max_drawdown``, ``var_95``,
    ``cvar_95``, ``turnover``, ``average_weight`` (see docs/engine.md for their definitions),
    ``configs`` (the C configs, in order), ``sleeve_fallbacks`` (int [C, P]: rebalances where a
    max-Sharpe sleeve fell back to min-volatility), ``hedge_premium`` and ``hedge_payoff`` ([C, P]:
    the option overlay's premium paid and value received, each summed as fractions of the wealth
    at the time and divided by the years evaluated; 0 without an overlay; the value received
    counts settlements, sales and the options still held at the end) and ``vol_model`` (the
    implied-volatility model that priced the overlays).
    """

    configs: list[StrategyConfig]
    cagr: np.ndarray
    volatility: np.ndarray
    sharpe: np.ndarray
    sortino: np.ndarray
    max_drawdown: np.ndarray
    var_95: np.ndarray
    cvar_95: np.ndarray
    turnover: np.ndarray
    average_weight: np.ndarray
    sleeve_fallbacks: np.ndarray
    hedge_premium: np.ndarray
    hedge_payoff: np.ndarray
    vol_model: ImpliedVolModel
    _inputs: _Inputs = field(repr=False)

    @property
    def n_configs(self) -> int:
        """Number of configs C."""
        return len(self.configs)

    @property
    def n_paths(self) -> int:
        """Number of paths P."""
        return int(self.cagr.shape[1])

    @property
    def hedge_carry(self) -> np.ndarray:
        """[C, P] net cost of the overlay per year: ``hedge_premium - hedge_payoff``."""
        return np.asarray(self.hedge_premium - self.hedge_payoff)

    def metric(self, name: str) -> np.ndarray:
        """The [C, P] array of metric `name`: one of `METRICS` or a hedge measure
        (`quant.metrics.HEDGE_METRICS`)."""
        if name not in PATH_METRICS:
            raise KeyError(f"unknown metric {name!r}; metrics: {', '.join(PATH_METRICS)}")
        return np.asarray(getattr(self, name))

    def to_frame(self) -> pd.DataFrame:
        """Long table: one row per (config, path), columns config_index, config_id, path and
        one column per metric."""
        C, P = self.cagr.shape
        ids = [cfg.config_id for cfg in self.configs]
        data: dict[str, Any] = {
            "config_index": np.repeat(np.arange(C), P),
            "config_id": np.repeat(np.asarray(ids, dtype=object), P),
            "path": np.tile(np.arange(P), C),
        }
        for name in METRICS:
            data[name] = self.metric(name).reshape(-1)
        return pd.DataFrame(data)

    def summary(self) -> pd.DataFrame:
        """Mean of each metric over the paths: one row per config, indexed by config_id."""
        return pd.DataFrame(
            {name: self.metric(name).mean(axis=1) for name in METRICS},
            index=pd.Index([cfg.config_id for cfg in self.configs], name="config_id"),
        )

    def series(self, config_index: int, path_index: int = 0) -> pd.DataFrame:
        """Day-by-day record of one config on one path, recomputed on demand.

        Rows are days L .. T-1 (index: day number t); columns ``weight`` (w_t), ``gross`` (g_t),
        ``cost`` (cost_t), ``net`` (p_t), ``wealth`` (W after the day, starting from 1) and
        ``rebalance`` (bool); with an option overlay also ``hedge_value`` (the options' value at
        the close), ``premium`` (paid for options bought before the day) and ``payoff`` (received
        for options settled or sold before the day), as fractions of wealth.
        """
        if not 0 <= config_index < self.n_configs:
            raise IndexError(f"config_index {config_index} out of range 0..{self.n_configs - 1}")
        if not 0 <= path_index < self.n_paths:
            raise IndexError(f"path_index {path_index} out of range 0..{self.n_paths - 1}")
        cfg = self.configs[config_index]
        inp = self._inputs
        T = inp.n_days
        L, k = cfg.lookback, cfg.rebalance_every
        safe = inp.safe[path_index] if inp.safe.shape[0] > 1 else inp.safe[0]
        if cfg.sleeve == "single":
            r = _single_matrix(inp)[path_index]
            sig, mu, saf = K.stats_single(r[None, :], safe[None, :], L, k)
            v_new = v_pre = np.zeros((1, 1))
            multi = False
        else:
            assert inp.assets is not None
            sched = build_schedule(
                inp.assets[path_index : path_index + 1], safe[None, :], cfg.sleeve, L, k,
                inp.asset_names,
            )  # fmt: skip
            r = sched.returns[0]
            sig, mu, saf = sched.sigma, sched.mu, sched.safe
            v_new, v_pre = sched.v_new[0], sched.v_pre[0]
            multi = True
        targets = clipped_targets(cfg, sig, mu, saf)[0]
        n = T - L
        out = np.empty((K.N_METRICS, 1, 1))
        columns = ["weight", "gross", "cost", "net", "wealth", "rebalance"]
        if cfg.has_overlay:
            units = _unit_series_of(cfg, r[None, :], safe[None, :], L, self.vol_model)[0, 0]
            series = np.empty((9, n))
            OK.simulate_overlay(
                np.ascontiguousarray(r), np.ascontiguousarray(safe), L, k, targets,
                cfg.cost_bps / 1e4, multi, v_new, v_pre, units, cfg.overlay_hedge_ratio,
                cfg.overlay_budget or 0.0, cfg.overlay_tenor_days, np.empty(T), np.empty(3 * T),
                series, True, out, np.empty((OK.N_HEDGE, 1, 1)), 0, 0,
            )  # fmt: skip
            columns += ["hedge_value", "premium", "payoff"]
        else:
            series = np.empty((6, n))
            K.simulate(
                np.ascontiguousarray(r), np.ascontiguousarray(safe), L, k, targets,
                cfg.cost_bps / 1e4, multi, v_new, v_pre, np.empty(T), np.empty(3 * T), series, True,
                out, 0, 0,
            )  # fmt: skip
        frame = pd.DataFrame(series.T, columns=columns, index=pd.RangeIndex(L, T, name="day"))
        frame["rebalance"] = frame["rebalance"].astype(bool)
        return frame


def clipped_targets(
    cfg: StrategyConfig, sigma: np.ndarray, mu: np.ndarray, safe: np.ndarray
) -> np.ndarray:
    """Clipped target weights [P, J] of `cfg` from window statistics [P, J] (Python path)."""
    fn = get_weight_function(cfg.weight_function)
    with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
        raw = np.asarray(fn(sigma, mu, safe, cfg), dtype=float)
    raw = np.broadcast_to(raw, sigma.shape)
    if not np.all(np.isfinite(raw)):
        p, j = np.argwhere(~np.isfinite(raw))[0]
        raise ConstraintError(
            f"weight_function={cfg.weight_function!r} returned {raw[p, j]!r} on path {p}, "
            f"rebalance {j} (sigma={sigma[p, j]!r}, mu={mu[p, j]!r}, safe_rate={safe[p, j]!r})"
        )
    return np.ascontiguousarray(np.clip(raw, 0.0, cfg.max_leverage))


def _as_config(item: object, index: int) -> StrategyConfig:
    if isinstance(item, StrategyConfig):
        cfg = item
    elif isinstance(item, Mapping):
        try:
            cfg = StrategyConfig.model_validate(dict(item))
        except ValidationError as exc:
            raise ConstraintError(f"config {index}: {exc}") from exc
    else:
        raise ConstraintError(
            f"config {index} must be a StrategyConfig or a mapping, got {type(item).__name__}"
        )
    try:
        check_config(cfg)
    except ValueError as exc:
        raise ConstraintError(f"config {index}: {exc}") from exc
    return cfg


def _check_finite(values: np.ndarray, what: str, names: Sequence[str] | None = None) -> None:
    """Refuse NaN/inf and returns <= -1; `values` is [P, T] or [P, T, N]."""
    bad = ~np.isfinite(values)
    if bad.any():
        where = np.argwhere(bad)[0]
        kind = "NaN" if np.isnan(values[tuple(where)]) else "an infinite value"
        asset = f", asset {names[where[2]]}" if names is not None and len(where) == 3 else ""
        raise DataError(
            f"{kind} in {what} on path {where[0]}, day {where[1]}{asset} "
            f"({int(bad.sum())} non-finite values in all); clean the data before evaluating"
        )
    low = values <= -1.0
    if low.any():
        where = np.argwhere(low)[0]
        asset = f", asset {names[where[2]]}" if names is not None and len(where) == 3 else ""
        raise DataError(
            f"{what} on path {where[0]}, day {where[1]}{asset} is {values[tuple(where)]!r}: "
            "a daily simple return must be > -1 (-100 %)"
        )


def _prepare(
    configs: list[StrategyConfig],
    risky: np.ndarray | pd.Series | pd.DataFrame | Sequence[float],
    safe: float | np.ndarray | pd.Series | Sequence[float],
) -> _Inputs:
    multi = any(cfg.sleeve != "single" for cfg in configs)
    names: list[str] = []
    arr: np.ndarray[Any, np.dtype[np.float64]]
    if isinstance(risky, pd.DataFrame):
        names = [str(c) for c in risky.columns]
        arr = risky.to_numpy(dtype=float)
        if not multi:
            if arr.shape[1] != 1:
                raise DataError(
                    f"risky is a DataFrame of {arr.shape[1]} assets but every config has "
                    "sleeve='single': pass one return series (a Series or a (T,) or (P, T) "
                    "array), or choose an optimizer sleeve"
                )
            arr = arr[:, 0][None, :]
        else:
            arr = arr[None, :, :]
    else:
        try:
            arr = np.asarray(risky, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"risky returns must be numeric: {exc}") from exc
        if not multi:
            if arr.ndim == 1:
                arr = arr[None, :]
            elif arr.ndim == 3 and arr.shape[2] == 1:
                arr = arr[:, :, 0]
            elif arr.ndim != 2:
                raise DataError(
                    f"risky must be (T,) or (P, T) for sleeve='single', got shape {arr.shape}"
                )
        else:
            if arr.ndim == 2:
                arr = arr[None, :, :]
            elif arr.ndim != 3:
                raise DataError(
                    "risky must be asset returns (T, N), (P, T, N) or a DataFrame (T, N) when a "
                    f"config uses an optimizer sleeve, got shape {arr.shape}"
                )
            names = [f"asset_{i}" for i in range(arr.shape[2])]
    if arr.size == 0:
        raise InsufficientDataError(f"risky returns are empty (shape {arr.shape})")
    P, T = arr.shape[0], arr.shape[1]
    if multi:
        if arr.shape[2] < 1:
            raise InsufficientDataError("risky has no assets")
        _check_finite(arr, "risky returns", names)
    else:
        _check_finite(arr, "risky returns")

    if isinstance(safe, int | float | np.floating | np.integer) and not isinstance(safe, bool):
        rate = float(safe)
        if not math.isfinite(rate):
            raise DataError(f"safe rate must be finite, got {rate!r}")
        safe_arr = np.full((1, T), rate / K.PERIODS)
        if rate / K.PERIODS <= -1.0:
            raise DataError(f"safe rate {rate!r} gives a daily return <= -1")
    else:
        try:
            safe_arr = np.asarray(safe, dtype=float)
        except (TypeError, ValueError) as exc:
            raise DataError(f"safe returns must be a number or numeric array: {exc}") from exc
        if safe_arr.ndim == 1:
            safe_arr = safe_arr[None, :]
        if safe_arr.ndim != 2 or safe_arr.shape[1] != T or safe_arr.shape[0] not in (1, P):
            raise DataError(
                f"safe must be an annual rate (float) or daily safe returns shaped (T,) or (P, T) "
                f"= ({T},) or ({P}, {T}) to match risky, got shape {np.shape(safe)}"
            )
        _check_finite(safe_arr, "safe returns")
    safe_arr = np.ascontiguousarray(safe_arr, dtype=np.float64)
    if multi:
        assets = np.ascontiguousarray(arr, dtype=np.float64)
        risky_single = None
        if any(cfg.sleeve == "single" for cfg in configs):
            if assets.shape[2] != 1:
                bad = next(i for i, c in enumerate(configs) if c.sleeve == "single")
                raise DataError(
                    f"config {bad} has sleeve='single' but risky holds {assets.shape[2]} assets: "
                    "evaluate single-series and multi-asset configs in separate calls"
                )
            risky_single = np.ascontiguousarray(assets[:, :, 0])
        return _Inputs(risky_single, assets, names, safe_arr, P, T)
    return _Inputs(arr, None, names, safe_arr, P, T)


def _single_matrix(inp: _Inputs) -> np.ndarray:
    assert inp.risky is not None
    return inp.risky


def _check_lengths(configs: list[StrategyConfig], T: int) -> None:
    for i, cfg in enumerate(configs):
        if T - cfg.lookback < 2:
            raise InsufficientDataError(
                f"config {i} ({cfg.config_id}): lookback={cfg.lookback} needs a history longer "
                f"than lookback + 1 days, got T={T} days (at least 2 evaluation days are needed)"
            )


def auto_chunk_size(n_days: int, n_custom: int, n_assets: int = 1, n_configs: int = 0) -> int:
    """Paths per chunk so the per-chunk working arrays stay within `MEMORY_BUDGET_BYTES`.

    Per path a chunk holds about 4 + 2 x (custom weight functions) + 3 x (assets) float64 rows of
    length T (inputs, window statistics, targets, sleeve weights) and 9 metrics per config.
    """
    per_path = 8 * (n_days * (4 + 2 * n_custom + 3 * n_assets) + K.N_METRICS * n_configs)
    return max(1, MEMORY_BUDGET_BYTES // per_path)


def evaluate(
    configs: Sequence[StrategyConfig | Mapping[str, Any]],
    risky: np.ndarray | pd.Series | pd.DataFrame | Sequence[float],
    safe: float | np.ndarray | pd.Series | Sequence[float],
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
        Paths per compiled call; ``None`` chooses it from `MEMORY_BUDGET_BYTES`. Results do not
        depend on it.
    vol_model:
        The implied-volatility model that prices option overlays (default `ImpliedVolModel()`).

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
    cfgs = [_as_config(item, i) for i, item in enumerate(configs)]
    if not cfgs:
        raise ConstraintError("configs is empty: pass at least one StrategyConfig")
    if chunk_size is not None and (not isinstance(chunk_size, int) or chunk_size < 1):
        raise ConstraintError(f"chunk_size must be a positive integer or None, got {chunk_size!r}")
    inp = _prepare(cfgs, risky, safe)
    P, T = inp.n_paths, inp.n_days
    _check_lengths(cfgs, T)
    C = len(cfgs)
    out = np.empty((K.N_METRICS, C, P))
    fallbacks = np.zeros((C, P), dtype=np.int64)

    hedge = np.zeros((OK.N_HEDGE, C, P))
    model = vol_model if vol_model is not None else ImpliedVolModel()
    if not isinstance(model, ImpliedVolModel):
        raise ConstraintError(
            f"vol_model must be an ImpliedVolModel, got {type(vol_model).__name__}"
        )

    single = [i for i, cfg in enumerate(cfgs) if cfg.sleeve == "single" and not cfg.has_overlay]
    if single:
        _evaluate_single(cfgs, single, inp, out, chunk_size)
    groups: dict[tuple[str, int, int], list[int]] = {}
    hedged: dict[tuple[str, int], list[int]] = {}
    for i, cfg in enumerate(cfgs):
        if cfg.has_overlay:
            hedged.setdefault((cfg.sleeve, cfg.lookback), []).append(i)
        elif cfg.sleeve != "single":
            groups.setdefault((cfg.sleeve, cfg.lookback, cfg.rebalance_every), []).append(i)
    for (sleeve, L, k), members in groups.items():
        _evaluate_sleeve(cfgs, members, sleeve, L, k, inp, out, fallbacks, chunk_size)
    for (sleeve, L), members in hedged.items():
        steps = sorted({cfgs[i].rebalance_every for i in members})
        _evaluate_overlay(
            cfgs, members, sleeve, L, steps, inp, out, hedge, fallbacks, model, chunk_size
        )

    metrics = {name: np.ascontiguousarray(out[m]) for m, name in enumerate(METRICS)}
    return EvaluationResult(
        configs=cfgs, sleeve_fallbacks=fallbacks, hedge_premium=hedge[0], hedge_payoff=hedge[1],
        vol_model=model, _inputs=inp, **metrics,
    )  # fmt: skip


def _param_arrays(cfgs: list[StrategyConfig], idx: list[int]) -> dict[str, np.ndarray]:
    sel = [cfgs[i] for i in idx]
    return {
        "lookback": np.array([c.lookback for c in sel], dtype=np.int64),
        "step": np.array([c.rebalance_every for c in sel], dtype=np.int64),
        "code": np.array(
            [_CODES.get(c.weight_function, K.CODE_CUSTOM) for c in sel], dtype=np.int64
        ),
        "target_vol": np.array([c.target_vol for c in sel], dtype=np.float64),
        "max_leverage": np.array([c.max_leverage for c in sel], dtype=np.float64),
        "risk_aversion": np.array([c.risk_aversion for c in sel], dtype=np.float64),
        "steepness": np.array([c.steepness for c in sel], dtype=np.float64),
        "cost_rate": np.array([c.cost_bps / 1e4 for c in sel], dtype=np.float64),
    }


@dataclass
class _Blocks:
    """Configs of single-series sleeves in the order of `engine_kernels.run_blocks`."""

    order: np.ndarray  # config index (into the caller's list) of each sorted position
    start: np.ndarray
    lanes: np.ndarray
    lookback: np.ndarray
    step: np.ndarray
    bounds: np.ndarray
    params: list[np.ndarray]  # target_vol, max_leverage, risk_aversion, steepness, cost rate


def _blocks(cfgs: list[StrategyConfig], idx: list[int]) -> _Blocks:
    """Sort configs by schedule (L, k) and weight function; cut each schedule into blocks of at
    most `LANES` configs (lane counts padded to a multiple of `VECTOR`)."""
    rank_of = {"inverse_vol": 0, "sigmoid": 1, "merton": 2}  # custom functions: 3
    table = np.array(
        [
            (
                c.lookback, c.rebalance_every, rank_of.get(c.weight_function, 3), c.target_vol,
                c.max_leverage, c.risk_aversion, c.steepness, c.cost_bps / 1e4,
            )
            for c in (cfgs[i] for i in idx)
        ],
        dtype=np.float64,
    ).reshape(len(idx), 8)  # fmt: skip
    L, k, rank = (table[:, j].astype(np.int64) for j in range(3))
    perm = np.lexsort((np.arange(len(idx)), rank, k, L))
    L, k, rank = L[perm], k[perm], rank[perm]
    new_schedule = np.flatnonzero((np.diff(L) != 0) | (np.diff(k) != 0)) + 1
    cuts = [0]
    for lo, hi in zip(np.r_[0, new_schedule], np.r_[new_schedule, len(idx)], strict=True):
        cuts.extend(range(int(lo) + K.LANES, int(hi), K.LANES))
        cuts.append(int(hi))
    start = np.array(cuts, dtype=np.int64)
    size = np.diff(start)
    counts = np.stack([np.add.reduceat((rank <= g).astype(np.int64), start[:-1]) for g in range(4)])
    return _Blocks(
        order=np.asarray(idx, dtype=np.int64)[perm],
        start=start,
        lanes=-(-size // K.VECTOR) * K.VECTOR,
        lookback=L[start[:-1]],
        step=k[start[:-1]],
        bounds=np.ascontiguousarray(counts.T),
        params=[np.ascontiguousarray(table[perm, j]) for j in range(3, 8)],
    )


def _busy_cores() -> int | None:
    """Runnable tasks of other processes right now (Linux /proc), or None when unknown."""
    try:
        with open("/proc/loadavg") as f:
            running = int(f.read().split()[3].split("/")[0])
        own = 0
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/stat") as f:
                stat = f.read()
            own += stat[stat.rindex(")") + 2] == "R"
    except (OSError, ValueError, IndexError):
        return None
    return max(0, running - own)


def _n_threads(config_days: int) -> int:
    """Threads for a compiled call of `config_days` (see `PARALLEL_ALWAYS_CONFIG_DAYS`)."""
    n = numba.get_num_threads()
    if n == 1 or config_days >= PARALLEL_ALWAYS_CONFIG_DAYS:
        return n
    busy = _busy_cores()
    if busy is None:
        return n
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(n, (cores or 1) - busy))


@contextlib.contextmanager
def _threads_for(config_days: int) -> Iterator[None]:
    """Run the compiled calls inside with `_n_threads` (config_days) threads."""
    threads = numba.get_num_threads()
    try:
        numba.set_num_threads(_n_threads(config_days))
        yield
    finally:
        numba.set_num_threads(threads)


def _run_blocks(
    blocks: _Blocks,
    R: np.ndarray,
    S: np.ndarray,
    custom_targets: np.ndarray,
    out: np.ndarray,
    out_index: np.ndarray,
) -> None:
    n_days = R.shape[1] - blocks.lookback
    config_days = int(R.shape[0] * np.sum(np.diff(blocks.start) * n_days))
    target_vol, max_leverage, risk_aversion, steepness, cost_rate = blocks.params
    with _threads_for(config_days), numba.parallel_chunksize(1):
        # dynamic scheduling: blocks differ in cost
        K.run_blocks(
            R, S, blocks.start, blocks.lanes, blocks.lookback, blocks.step, blocks.bounds,
            target_vol, max_leverage, risk_aversion, steepness, cost_rate, out_index,
            custom_targets, out, numba.get_num_threads(),
        )  # fmt: skip


def _evaluate_single(
    cfgs: list[StrategyConfig],
    idx: list[int],
    inp: _Inputs,
    out: np.ndarray,
    chunk_size: int | None,
) -> None:
    R_all = _single_matrix(inp)
    P, T = R_all.shape
    builtin = [i for i in idx if cfgs[i].weight_function in _CODES]
    custom = [i for i in idx if cfgs[i].weight_function not in _CODES]
    step = chunk_size or auto_chunk_size(T, 1, n_configs=len(builtin))
    no_custom = np.zeros((1, 1))
    blocks = _blocks(cfgs, builtin) if builtin else None
    for p0 in range(0, P, step):
        p1 = min(P, p0 + step)
        R = np.ascontiguousarray(R_all[p0:p1], dtype=np.float64)
        S = inp.safe[p0:p1] if inp.safe.shape[0] > 1 else inp.safe
        if blocks is not None:
            if p1 - p0 == P:  # one chunk: the kernel writes the builtin configs' rows of `out`
                _run_blocks(blocks, R, S, no_custom, out, blocks.order)
            else:
                part = np.empty((K.N_METRICS, len(cfgs), p1 - p0))
                _run_blocks(blocks, R, S, no_custom, part, blocks.order)
                out[:, builtin, p0:p1] = part[:, builtin]
        for i in custom:
            cfg = cfgs[i]
            sig, mu, saf = K.stats_single(R, S, cfg.lookback, cfg.rebalance_every)
            targets = clipped_targets(cfg, sig, mu, saf)
            part = np.empty((K.N_METRICS, 1, p1 - p0))
            _run_blocks(_blocks(cfgs, [i]), R, S, targets, part, np.zeros(1, dtype=np.int64))
            out[:, i, p0:p1] = part[:, 0, :]


def _evaluate_sleeve(
    cfgs: list[StrategyConfig],
    idx: list[int],
    sleeve: str,
    L: int,
    k: int,
    inp: _Inputs,
    out: np.ndarray,
    fallbacks: np.ndarray,
    chunk_size: int | None,
) -> None:
    assert inp.assets is not None
    P, T, N = inp.assets.shape
    step = chunk_size or auto_chunk_size(T, len(idx), N, n_configs=len(idx))
    params = _param_arrays(cfgs, idx)
    del params["lookback"], params["step"]
    for p0 in range(0, P, step):
        p1 = min(P, p0 + step)
        S = inp.safe[p0:p1] if inp.safe.shape[0] > 1 else inp.safe
        sched = build_schedule(inp.assets[p0:p1], S, sleeve, L, k, inp.asset_names)
        J = sched.sigma.shape[1]
        custom = np.zeros((len(idx), p1 - p0, J))
        for pos, i in enumerate(idx):
            if cfgs[i].weight_function not in _CODES:
                custom[pos] = clipped_targets(cfgs[i], sched.sigma, sched.mu, sched.safe)
        part = np.empty((K.N_METRICS, len(idx), p1 - p0))
        K.run_sleeve(
            sched.returns, S, L, k, sched.sigma, sched.mu, sched.safe,
            np.ascontiguousarray(sched.v_new), np.ascontiguousarray(sched.v_pre),
            custom_targets=custom, out=part, **params,
        )  # fmt: skip
        out[:, idx, p0:p1] = part
        fallbacks[idx, p0:p1] = sched.fallbacks[None, :]


_OVERLAY_KINDS = {"put": OK.KIND_PUT, "put_spread": OK.KIND_PUT_SPREAD, "collar": OK.KIND_COLLAR}


_ROLL_RULES = {"expiry": OK.RULE_EXPIRY, "band": OK.RULE_BAND, "delta": OK.RULE_DELTA}

OverlayKey = tuple[int, float, float, int, int, float]
"""What a unit of overlay depends on besides the path (see `_overlay_key`)."""


def _overlay_key(cfg: StrategyConfig) -> OverlayKey:
    """What a unit of `cfg`'s overlay depends on besides the path: kind, the two strikes (the
    bought put's, then the sold put's or call's; 0 for a plain put), tenor, the roll rule and
    its band (moneyness or delta; 0 when rolling at expiry)."""
    second = {"put": 0.0, "put_spread": cfg.overlay_lower_strike, "collar": cfg.overlay_call_strike}
    band_field = ROLL_BANDS.get(cfg.overlay_roll)
    band = float(getattr(cfg, band_field)) if band_field else 0.0
    return (
        _OVERLAY_KINDS[cfg.overlay], cfg.overlay_strike, second[cfg.overlay],
        cfg.overlay_tenor_days, _ROLL_RULES[cfg.overlay_roll], band,
    )  # fmt: skip


def _run_units(
    keys: list[OverlayKey],
    R: np.ndarray,
    S: np.ndarray,
    L: int,
    model: ImpliedVolModel,
) -> np.ndarray:
    """Unit series [U, P, N_UNIT_ROWS, T] of the overlays `keys` on the paths R [P, T]."""
    P, T = R.shape
    units = np.zeros((len(keys), P, OK.N_UNIT_ROWS, T))
    with _threads_for(len(keys) * P * (T - L) * 50):  # pricing a day costs ~50 config-days
        OK.run_units(
        np.ascontiguousarray(R), np.ascontiguousarray(S), L,
        np.array([key[0] for key in keys], dtype=np.int64),
        np.array([[key[1], key[2]] for key in keys], dtype=np.float64),
        np.array([key[3] for key in keys], dtype=np.int64),
        np.array([key[4] for key in keys], dtype=np.int64),
        np.array([key[5] for key in keys], dtype=np.float64),
        np.array(model.as_tuple(), dtype=np.float64), model.realised_window, units,
        )  # fmt: skip
    return units


def _unit_series_of(
    cfg: StrategyConfig, R: np.ndarray, S: np.ndarray, L: int, model: ImpliedVolModel
) -> np.ndarray:
    """Unit series [1, P, N_UNIT_ROWS, T] of `cfg`'s overlay."""
    return _run_units([_overlay_key(cfg)], R, S, L, model)


def _evaluate_overlay(
    cfgs: list[StrategyConfig],
    idx: list[int],
    sleeve: str,
    L: int,
    steps: list[int],
    inp: _Inputs,
    out: np.ndarray,
    hedge: np.ndarray,
    fallbacks: np.ndarray,
    model: ImpliedVolModel,
    chunk_size: int | None,
) -> None:
    """Configs holding an option overlay that share a sleeve and a lookback L (rebalance steps
    `steps`). On a single series the overlay units are priced once for every step."""
    keys = sorted({_overlay_key(cfgs[i]) for i in idx})
    P, T = inp.n_paths, inp.n_days
    n_assets = inp.assets.shape[2] if inp.assets is not None and sleeve != "single" else 0
    n_custom = sum(cfgs[i].weight_function not in _CODES for i in idx)
    per_path = 8 * T * (
        4 + OK.N_UNIT_ROWS * len(keys) + 3 * n_assets + 3 + n_custom
    ) + 8 * len(idx) * K.N_METRICS  # fmt: skip
    step = chunk_size or max(1, MEMORY_BUDGET_BYTES // per_path)
    by_step = {k: [i for i in idx if cfgs[i].rebalance_every == k] for k in steps}
    for p0 in range(0, P, step):
        p1 = min(P, p0 + step)
        S = inp.safe[p0:p1] if inp.safe.shape[0] > 1 else inp.safe
        units = None
        for k, members in by_step.items():
            if sleeve == "single":
                R = np.ascontiguousarray(_single_matrix(inp)[p0:p1])
                sig, mu, saf = K.stats_single(R, S, L, k)
                v_new = v_pre = np.zeros((1, 1, 1))
            else:
                assert inp.assets is not None
                sched = build_schedule(inp.assets[p0:p1], S, sleeve, L, k, inp.asset_names)
                R = np.ascontiguousarray(sched.returns)
                sig, mu, saf = sched.sigma, sched.mu, sched.safe
                v_new = np.ascontiguousarray(sched.v_new)
                v_pre = np.ascontiguousarray(sched.v_pre)
                fallbacks[members, p0:p1] = sched.fallbacks[None, :]
                units = None  # a multi-asset sleeve's returns depend on its schedule
            if units is None:
                units = _run_units(keys, R, S, L, model)
            _run_overlay(
                cfgs, members, keys, R, S, L, k, (sig, mu, saf), sleeve != "single", v_new,
                v_pre, units, out, hedge, p0, p1,
            )  # fmt: skip


def _run_overlay(
    cfgs: list[StrategyConfig],
    members: list[int],
    keys: list[OverlayKey],
    R: np.ndarray,
    S: np.ndarray,
    L: int,
    k: int,
    stats: tuple[np.ndarray, np.ndarray, np.ndarray],
    multi: bool,
    v_new: np.ndarray,
    v_pre: np.ndarray,
    units: np.ndarray,
    out: np.ndarray,
    hedge: np.ndarray,
    p0: int,
    p1: int,
) -> None:
    """Run the hedged configs `members` (one schedule L, k) on the paths p0 .. p1-1."""
    sel = [cfgs[i] for i in members]
    custom = [c for c in sel if c.weight_function not in _CODES]
    custom_targets = (
        np.ascontiguousarray(np.stack([clipped_targets(c, *stats) for c in custom]))
        if custom
        else np.zeros((1, 1, 1))
    )
    custom_of = np.full(len(sel), -1, dtype=np.int64)
    for n, pos in enumerate(pos for pos, c in enumerate(sel) if c.weight_function not in _CODES):
        custom_of[pos] = n
    params = np.array(
        [
            (c.target_vol, c.max_leverage, c.risk_aversion, c.steepness, c.cost_bps / 1e4,
             c.overlay_hedge_ratio, c.overlay_budget or 0.0)
            for c in sel
        ],
        dtype=np.float64,
    )  # fmt: skip
    part = np.empty((K.N_METRICS, len(sel), p1 - p0))
    part_hedge = np.empty((OK.N_HEDGE, len(sel), p1 - p0))
    sig, mu, saf = (np.ascontiguousarray(x) for x in stats)
    with _threads_for(R.shape[0] * len(sel) * (R.shape[1] - L)):
        OK.run_overlay(
        R, S, L, k, sig, mu, saf, multi, v_new, v_pre, units,
        np.array([_CODES.get(c.weight_function, K.CODE_CUSTOM) for c in sel], dtype=np.int64),
        params, custom_of, custom_targets,
        np.array([keys.index(_overlay_key(c)) for c in sel], dtype=np.int64),
        np.array([c.overlay_tenor_days for c in sel], dtype=np.int64),
        part, part_hedge, np.arange(len(sel), dtype=np.int64),
        )  # fmt: skip
    out[:, members, p0:p1] = part
    hedge[:, members, p0:p1] = part_hedge
