"""Portfolio optimizers: HRP, risk parity, inverse volatility and long-only mean-variance with
bounds.

Each returns a pandas Series of weights indexed by asset that sums to 1 and respects its bounds.

Every optimizer is imported on first use (as the names of `quant` are): the solvers' linear
algebra (scipy's) and HRP's clustering are loaded by the callers that build such a portfolio,
not by every caller of the package's other modules (`quant.optimizers.bounds`,
`quant.optimizers.grouped`) or by a risk report. Risk parity (`risk_parity`) lives in
`quant.optimizers.risk_budgeting` and inverse volatility (`inverse_volatility`) in
`quant.optimizers.naive_parity`: a name exported on first use is never its own module's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lazy_exports import exported_names, lazy_exports

OPTIMIZERS: dict[str, tuple[str, ...]] = {
    "quant.optimizers.constrained_parity": ("bounded_risk_parity",),
    "quant.optimizers.hrp": ("hierarchical_risk_parity",),
    "quant.optimizers.naive_parity": ("inverse_volatility",),
    "quant.optimizers.mean_variance": (
        "efficient_frontier",
        "efficient_return",
        "efficient_risk",
        "max_sharpe",
        "min_volatility",
    ),
    "quant.optimizers.risk_budgeting": ("risk_parity",),
}
"""The optimizers' modules and the names each exports on first use (`quant` exports them too)."""

__all__ = exported_names(OPTIMIZERS)

__getattr__, __dir__ = lazy_exports("quant.optimizers", OPTIMIZERS, globals())

if TYPE_CHECKING:
    from quant.optimizers.constrained_parity import bounded_risk_parity
    from quant.optimizers.hrp import hierarchical_risk_parity
    from quant.optimizers.mean_variance import (
        efficient_frontier,
        efficient_return,
        efficient_risk,
        max_sharpe,
        min_volatility,
    )
    from quant.optimizers.naive_parity import inverse_volatility
    from quant.optimizers.risk_budgeting import risk_parity
