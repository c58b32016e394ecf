"""Several portfolios side by side over one window: one row of measures per portfolio, and which
portfolio is best on each measure.

Each portfolio is held at constant weights (rebalanced daily) over the same daily simple
returns, measured by `quant.risk.risk_report` (annualised arithmetic return, CAGR, volatility,
Sharpe ratio against the annual `risk_free_rate`, maximum drawdown; one-day historical VaR and
CVaR at `level`, positive losses), plus the cumulative return over the window.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from quant.risk import risk_report

__all__ = ["BEST_IS", "ComparisonRow", "best_rows", "compare_weights"]

BEST_IS: dict[str, str] = {
    "cumulative_return": "highest",
    "annualised_return": "highest",
    "volatility": "lowest",
    "sharpe_ratio": "highest",
    "max_drawdown": "lowest",
    "cvar": "lowest",
}
"""The measures a comparison ranks, and whether the best is the highest or the lowest."""


@dataclass(frozen=True)
class ComparisonRow:
    """One portfolio's measures over the window (see the module docstring)."""

    label: str
    weights: pd.Series
    cumulative_return: float
    annualised_return: float
    cagr: float
    volatility: float
    sharpe_ratio: float
    max_drawdown: float
    var: float
    cvar: float


def compare_weights(
    returns: pd.DataFrame,
    portfolios: Mapping[str, pd.Series],
    *,
    level: float = 0.95,
    risk_free_rate: float = 0.0,
) -> list[ComparisonRow]:
    """One `ComparisonRow` per portfolio (label -> weights by asset of `returns`; assets a
    portfolio does not hold weigh 0), in the order given."""
    rows = []
    for label, weights in portfolios.items():
        aligned = weights.reindex(returns.columns).fillna(0.0).astype(float)
        report = risk_report(aligned, returns, level=level, risk_free_rate=risk_free_rate)
        daily = returns.to_numpy(dtype=float) @ aligned.to_numpy()
        rows.append(
            ComparisonRow(
                label=label,
                weights=weights.astype(float),
                cumulative_return=float(np.prod(1.0 + daily) - 1.0),
                annualised_return=report.annualised_return,
                cagr=report.cagr,
                volatility=report.volatility,
                sharpe_ratio=report.sharpe_ratio,
                max_drawdown=report.max_drawdown,
                var=report.var_historical,
                cvar=report.cvar_historical,
            )
        )
    return rows


def best_rows(rows: list[ComparisonRow]) -> dict[str, str]:
    """The label of the best row on each measure of `BEST_IS` (ties: the first; measures that
    are not finite on every row are left out)."""
    best: dict[str, str] = {}
    for measure, direction in BEST_IS.items():
        values = np.array([getattr(row, measure) for row in rows], dtype=float)
        if not np.isfinite(values).all():
            continue
        pick = int(np.argmax(values) if direction == "highest" else np.argmin(values))
        best[measure] = rows[pick].label
    return best
