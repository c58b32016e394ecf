"""`EvaluationResult`: the metrics of every config on every path, and the day-by-day record of
any one of them, recomputed on demand by the same compiled loops (docs/engine.md, "Result")."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from quant.engine import hedge_kernels as HK
from quant.engine.hedged_runs import hedge_key, unit_series
from quant.engine.inputs import Inputs
from quant.engine.path_kernels import N_METRICS, N_SERIES, simulate
from quant.engine.weights import clipped_targets
from quant.engine.window_kernels import stats_single
from quant.metrics import METRICS, PATH_METRICS
from quant.options.vol_model import ImpliedVolModel
from quant.sleeve import build_schedule
from quant.strategy import StrategyConfig

_COLUMNS = ["weight", "gross", "cost", "net", "wealth", "rebalance"]
_HEDGE_COLUMNS = ["hedge_value", "premium", "payoff"]


@dataclass
class EvaluationResult:
    """Metrics of every config on every path: one float64 array [C, P] per metric.

    Attributes: ``cagr``, ``volatility``, ``sharpe``, ``sortino``, ``max_drawdown``, ``var_95``,
    ``cvar_95``, ``turnover``, ``average_weight`` (see docs/engine.md for their definitions),
    ``configs`` (the C configs, in order), ``sleeve_fallbacks`` (int [C, P]: rebalances where a
    max-Sharpe sleeve fell back to min-volatility), ``hedge_premium`` and ``hedge_payoff`` ([C, P]:
    the option hedge's premium paid and value received, each summed as fractions of the wealth
    at the time and divided by the years evaluated; 0 without a hedge (``overlay="none"``); the
    value received counts settlements, sales and the options still held at the end) and
    ``vol_model`` (the implied-volatility model that priced the hedges).
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
    _inputs: Inputs = field(repr=False)

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
        """[C, P] net cost of the hedge per year: ``hedge_premium - hedge_payoff``."""
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
        ``rebalance`` (bool); with an option hedge also ``hedge_value`` (the options' value at
        the close), ``premium`` (paid for options bought before the day) and ``payoff`` (received
        for options settled or sold before the day), as fractions of wealth.
        """
        cfg, series = self._record(config_index, path_index)
        columns = _COLUMNS + (_HEDGE_COLUMNS if cfg.has_hedge else [])
        T, L = self._inputs.n_days, cfg.lookback
        frame = pd.DataFrame(series.T, columns=columns, index=pd.RangeIndex(L, T, name="day"))
        frame["rebalance"] = frame["rebalance"].astype(bool)
        return frame

    def net_returns(self, config_index: int, path_index: int = 0) -> np.ndarray:
        """The ``net`` column of `series` (float64, days L .. T-1), without building the frame."""
        return self._record(config_index, path_index)[1][_COLUMNS.index("net")]

    def _record(self, config_index: int, path_index: int) -> tuple[StrategyConfig, np.ndarray]:
        """The config at `config_index` and its `replay` on path `path_index` (indices checked)."""
        if not 0 <= config_index < self.n_configs:
            raise IndexError(f"config_index {config_index} out of range 0..{self.n_configs - 1}")
        if not 0 <= path_index < self.n_paths:
            raise IndexError(f"path_index {path_index} out of range 0..{self.n_paths - 1}")
        cfg = self.configs[config_index]
        return cfg, replay(cfg, self._inputs, path_index, self.vol_model)


def replay(cfg: StrategyConfig, inp: Inputs, path: int, model: ImpliedVolModel) -> np.ndarray:
    """The day-by-day record [rows, T - L] of `cfg` on path `path`, written by the compiled day
    loop (`path_kernels.write_day`; a hedged config's loop adds the hedge's three rows)."""
    T = inp.n_days
    L, k = cfg.lookback, cfg.rebalance_every
    safe = inp.safe[path] if inp.safe.shape[0] > 1 else inp.safe[0]
    if cfg.sleeve == "single":
        r = inp.single_matrix()[path]
        sig, mu, saf = stats_single(r[None, :], safe[None, :], L, k)
        v_new = v_pre = np.zeros((1, 1))
    else:
        assert inp.assets is not None
        sched = build_schedule(
            inp.assets[path : path + 1], safe[None, :], cfg.sleeve, L, k, inp.asset_names
        )
        r = sched.returns[0]
        sig, mu, saf = sched.sigma, sched.mu, sched.safe
        v_new, v_pre = sched.v_new[0], sched.v_pre[0]
    targets = clipped_targets(cfg, sig, mu, saf)[0]
    r, safe = np.ascontiguousarray(r), np.ascontiguousarray(safe)
    multi = cfg.sleeve != "single"
    out = np.empty((N_METRICS, 1, 1))
    if not cfg.has_hedge:
        series = np.empty((N_SERIES, T - L))
        simulate(
            r, safe, L, k, targets, cfg.cost_bps / 1e4, multi, v_new, v_pre, series, True, out,
            0, 0,
        )  # fmt: skip
        return series
    units = unit_series([hedge_key(cfg)], r[None, :], safe[None, :], L, model)[0, 0]
    series = np.empty((HK.N_HEDGED_SERIES, T - L))
    HK.simulate_hedged(
        r, safe, L, k, targets, cfg.cost_bps / 1e4, multi, v_new, v_pre, units,
        cfg.overlay_hedge_ratio, cfg.overlay_budget or 0.0, cfg.overlay_tenor_days, series, True,
        out, np.empty((HK.N_HEDGE, 1, 1)), 0, 0,
    )  # fmt: skip
    return series
