"""How the portfolio methods are named in replies ("min_volatility": "min-volatility")."""

from __future__ import annotations

__all__ = ["METHOD_NAMES", "method_name"]

METHOD_NAMES = {
    "hrp": "HRP",
    "risk_parity": "risk-parity",
    "inverse_volatility": "inverse-volatility",
    "min_volatility": "min-volatility",
    "max_sharpe": "max-Sharpe",
    "equal_weight": "equal-weight",
    "efficient_return": "efficient-return",
    "efficient_risk": "efficient-risk",
}
"""How the portfolio methods are named in replies."""


def method_name(method: str) -> str:
    """A method as replies name it ("min_volatility" -> "min-volatility"; any other label, such
    as a portfolio's id, as it is)."""
    return METHOD_NAMES.get(method, method)
