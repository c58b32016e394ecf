"""The agent roles of the multi-agent workflow and which model tier each one uses."""

from __future__ import annotations

from typing import Literal, get_args

AgentRole = Literal["supervisor", "market_analysis", "optimizer", "risk_manager", "explanation"]
"""Who is speaking: the chat router and the four workflow agents."""

AGENT_ROLES: tuple[AgentRole, ...] = get_args(AgentRole)
"""Every role, in workflow order."""

ModelTier = Literal["strong", "fast"]

STRONG_ROLES: frozenset[AgentRole] = frozenset({"optimizer", "explanation"})
"""Roles that reason over results (search refinement, explanations): the strong model."""


def model_tier(role: AgentRole) -> ModelTier:
    """`"strong"` for the optimizer and explanation agents, `"fast"` for routing and analysis."""
    if role not in AGENT_ROLES:
        raise ValueError(f"unknown agent role {role!r}; known roles: {', '.join(AGENT_ROLES)}")
    return "strong" if role in STRONG_ROLES else "fast"
