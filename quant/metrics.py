"""The engine's metrics: their names, in the order `quant.engine.evaluate` computes them.

Each is one number per config and path, defined in docs/engine.md ("Metrics"): losses
(`max_drawdown`, `var_95`, `cvar_95`) are positive numbers. The compiled kernels
(`quant.engine_kernels`) write them in this order. Importing this module is cheap: it loads no
compiled code, so tool schemas and request validation can name metrics without the engine.
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
