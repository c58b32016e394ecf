"""Portfolio optimizers: HRP, risk parity and long-only mean-variance with bounds.

Each returns a pandas Series of weights indexed by asset that sums to 1 and respects its bounds.
"""

from quant.optimizers.hrp import hierarchical_risk_parity
from quant.optimizers.mean_variance import (
    efficient_frontier,
    efficient_return,
    efficient_risk,
    max_sharpe,
    min_volatility,
)
from quant.optimizers.risk_parity import risk_parity

__all__ = [
    "efficient_frontier",
    "efficient_return",
    "efficient_risk",
    "hierarchical_risk_parity",
    "max_sharpe",
    "min_volatility",
    "risk_parity",
]
