"""What each MCP tool does to the caller's world, as MCP tool annotations (`readOnlyHint`,
`destructiveHint`, `idempotentHint`, `openWorldHint`), every hint stated for every tool.

- **read-only**: the analysis tools and `recall_memories`, `draft_status`: they change none of
  the owner's records (a portfolio or a scenario set one builds, `pf_...`, `scn_...`, is a result
  a later call may name, not a record: `api.mcp.artifacts`); calling one again changes nothing.
- **additive**: `save_idea`, `propose_ideas`, `remember_fact` and the two drafting tools add a
  record (an idea, a memory, a draft thread) and overwrite none; each call adds another, so
  they are not idempotent.
- **destructive**: `forget_memory` deletes memories (and the profile exclusions they added);
  forgetting the same key again deletes nothing more, so it is idempotent.
- **open world**: only `draft_deployment`: once approved, its deployment trades through the
  configured broker (Alpaca's paper endpoint, where configured). Every other tool works on the
  owner's records and the market data in the store (refreshed by its own job, never by a tool).

A tool served without an entry here gets MCP's defaults spelt out (`UNDECLARED`: not read-only,
destructive, not idempotent, open world), and `tests/api/test_mcp_tools.py` fails until it has
one.
"""

from __future__ import annotations

import mcp.types as types

READ_ONLY = types.ToolAnnotations(
    readOnlyHint=True, destructiveHint=False, idempotentHint=True, openWorldHint=False
)
ADDITIVE = types.ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=False
)
DELETES = types.ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=True, openWorldHint=False
)
TRADES_WHEN_APPROVED = types.ToolAnnotations(
    readOnlyHint=False, destructiveHint=False, idempotentHint=False, openWorldHint=True
)
UNDECLARED = types.ToolAnnotations(
    readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True
)
"""MCP's defaults for a tool that says nothing (the specification's `ToolAnnotations`)."""

TOOL_ANNOTATIONS: dict[str, types.ToolAnnotations] = {
    "market_statistics": READ_ONLY,
    "generate_market_scenarios": READ_ONLY,
    "search_research": READ_ONLY,
    "asset_statistics": READ_ONLY,
    "market_data_coverage": READ_ONLY,
    "optimize_portfolio": READ_ONLY,
    "efficient_frontier": READ_ONLY,
    "backtest_strategy": READ_ONLY,
    "backtest_weights": READ_ONLY,
    "compare_portfolios": READ_ONLY,
    "estimate_strategy": READ_ONLY,
    "portfolio_risk_report": READ_ONLY,
    "stress_test": READ_ONLY,
    "loss_probability": READ_ONLY,
    "price_option": READ_ONLY,
    "recall_memories": READ_ONLY,
    "draft_status": READ_ONLY,
    "save_idea": ADDITIVE,
    "propose_ideas": ADDITIVE,
    "remember_fact": ADDITIVE,
    "draft_strategy_search": ADDITIVE,
    "forget_memory": DELETES,
    "draft_deployment": TRADES_WHEN_APPROVED,
}
"""Each served tool's annotations (see the module docstring)."""


def annotations_of(name: str) -> types.ToolAnnotations:
    """Tool `name`'s annotations (`UNDECLARED` for a tool without an entry)."""
    return TOOL_ANNOTATIONS.get(name, UNDECLARED)


__all__ = ["TOOL_ANNOTATIONS", "UNDECLARED", "annotations_of"]
