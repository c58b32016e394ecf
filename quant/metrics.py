"""The engine's metrics: their names, in the order `quant.engine.evaluate` computes them.

Each is one number per config and path, defined in docs/engine.md ("Metrics"): losses
(`max_drawdown`, `var_95`, `cvar_95`) are positive numbers. The compiled kernels
(`quant.engine.path_kernels`) write them in this order. Importing this module is cheap: it loads
no compiled code, so tool schemas and request validation can name metrics without the engine.

Beside the nine metrics, `evaluate` reports what an option overlay cost and paid
(`HEDGE_METRICS`, docs/engine.md "Option hedges"), per config and path, as fractions of wealth
per year (0.01 = 1 % of wealth a year):

- `hedge_premium`: premium paid for the options bought;
- `hedge_payoff`: value received for them (settlements, sales, options still held at the end);
- `hedge_carry`: `hedge_premium - hedge_payoff`, the hedge's net cost (negative when it paid
  more than it cost).

All three are 0 for a strategy without an overlay. `PATH_METRICS` (the nine and the three) is
what a search reduces to path means, and what objectives and constraints may name.
"""

from __future__ import annotations

from typing import Literal, get_args

Metric = Literal[
    "cagr",
    "volatility",
    "sharpe",
    "sortino",
    "max_drawdown",
    "var_95",
    "cvar_95",
    "turnover",
    "average_weight",
]
"""The name of one engine metric."""
METRICS: tuple[str, ...] = get_args(Metric)
"""Names of the metrics `evaluate` computes, in the order of `EvaluationResult.metrics`."""

HedgeMetric = Literal["hedge_premium", "hedge_payoff", "hedge_carry"]
"""The name of one measure of an option overlay's cost (fraction of wealth per year)."""
HEDGE_METRICS: tuple[str, ...] = get_args(HedgeMetric)
"""Names of the overlay's cost measures (see the module docstring)."""

PathMetric = Literal[Metric, HedgeMetric]
"""The name of any per-config, per-path number `evaluate` reports."""
PATH_METRICS: tuple[str, ...] = METRICS + HEDGE_METRICS
"""The engine metrics followed by the hedge measures: what searches average over paths."""
