"""The portfolios the conversation built (`optimize_portfolio` results): each one's weights by its
id, as the tool returned them."""

from __future__ import annotations

from agents.offline.policies import PolicyInput

__all__ = ["built_weights"]


def built_weights(inp: PolicyInput, portfolio_id: str) -> dict[str, float]:
    """The weights (fractions by ticker, zero weights kept) of the portfolio the conversation
    built under `portfolio_id`, the latest build first; {} when it was not built here (a saved
    portfolio, or none)."""
    for result in reversed(inp.tool_results()):
        data = result.data if result.name == "optimize_portfolio" else None
        if isinstance(data, dict) and data.get("portfolio_id") == portfolio_id:
            return {str(t): float(w) for t, w in (data.get("weights") or {}).items()}
    return {}
