"""How a PM names each portfolio method in a chat message ("min vol" for min_volatility)."""

METHOD_SAID = {"hrp": "HRP", "min_volatility": "min vol", "max_sharpe": "max sharpe",
               "risk_parity": "risk parity"}  # fmt: skip
"""Each method and how a PM names it."""
