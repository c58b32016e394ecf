"""Risk at a horizon of a portfolio held at constant weights (the use case the chat's risk
report, the API and MCP share): VaR and CVaR over h days by both methods of
`quant.horizon_risk`, each with its definition, so an answer states the method behind its
number.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from quant.errors import DataError
from quant.horizon_risk import HORIZON_METHODS, horizon_risk
from quant.risk import portfolio_returns


def portfolio_horizon_risk(
    weights: pd.Series, returns: pd.DataFrame, *, horizon: int, level: float
) -> dict[str, Any]:
    """VaR and CVaR (positive losses, fractions of the capital) of `weights` held at constant
    weights over `returns` (daily), over `horizon` sessions at confidence `level`: `days`,
    `level`, and per method (`overlapping`, `square_root_of_time`) its `var`, `cvar`, the
    `windows` (or days) it used and its `definition`, or `not_computed` with why (too few
    windows for an overlapping estimate). `DataError` when neither method can be computed."""
    daily = portfolio_returns(weights, returns)
    methods: dict[str, dict[str, Any]] = {}
    for method in HORIZON_METHODS:
        try:
            risk = horizon_risk(daily, horizon=horizon, level=level, method=method)
        except DataError as exc:
            methods[method] = {"not_computed": str(exc)}
            continue
        methods[method] = {
            "var": risk.var,
            "cvar": risk.cvar,
            "windows": risk.windows,
            "definition": risk.definition,
        }
    if all("not_computed" in m for m in methods.values()):
        raise DataError(methods["square_root_of_time"]["not_computed"])
    return {"days": horizon, "level": level, "methods": methods}


__all__ = ["portfolio_horizon_risk"]
