"""Which model tier each agent role uses (the roles themselves are `prompts.roles`)."""

from __future__ import annotations

from typing import Literal

from prompts.roles import AGENT_ROLES, AgentRole

ModelTier = Literal["strong", "fast"]

STRONG_ROLES: frozenset[AgentRole] = frozenset({"optimizer", "explanation"})
"""Roles that reason over results (search refinement, explanations): the strong model."""


def model_tier(role: AgentRole) -> ModelTier:
    """`"strong"` for the optimizer and explanation agents, `"fast"` for routing and analysis."""
    if role not in AGENT_ROLES:
        raise ValueError(f"unknown agent role {role!r}; known roles: {', '.join(AGENT_ROLES)}")
    return "strong" if role in STRONG_ROLES else "fast"


ModelDepth = Literal["shallow", "deep"]

ROLE_DEPTH: dict[AgentRole, ModelDepth] = {
    "supervisor": "shallow",
    "market_analysis": "shallow",
    "risk_manager": "deep",
    "optimizer": "deep",
    "explanation": "deep",
}
"""How hard each role thinks: the router and the market read are fast and shallow (thinking off
where the model allows it); the risk gate, the optimizer and the explanation think (adaptive)."""

ROLE_EFFORT: dict[AgentRole, str] = {
    "supervisor": "low",
    "market_analysis": "low",
    "risk_manager": "medium",
    "optimizer": "high",
    "explanation": "high",
}
"""The effort level (Bedrock's ``outputConfig.effort``) each role asks for, on models that take
one; `bedrock_effort_by_role` overrides it."""
