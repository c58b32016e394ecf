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
