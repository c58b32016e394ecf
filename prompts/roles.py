"""The agent roles: who speaks in a run (the chat router and the four workflow agents). Each role
has a prompt file; trace events, manifests and the model factory name the same roles."""

from __future__ import annotations

from typing import Literal, get_args

AgentRole = Literal["supervisor", "market_analysis", "optimizer", "risk_manager", "explanation"]
"""Who is speaking: the chat router and the four workflow agents."""

AGENT_ROLES: tuple[AgentRole, ...] = get_args(AgentRole)
"""Every role, in workflow order."""

ROLE_WORDS: dict[AgentRole, str] = {
    "supervisor": "the supervisor",
    "market_analysis": "the market analyst",
    "optimizer": "the optimizer",
    "risk_manager": "the risk manager",
    "explanation": "the explanation agent",
}
"""Each role as a sentence names it."""
