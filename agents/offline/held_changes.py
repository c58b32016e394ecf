"""Changes asked of the portfolio the conversation holds, each answered as its own what-if: less
risk (`agents.offline.less_risk`: its min-volatility version) and part of it in cash
(`agents.offline.cash_what_if`: its risk beside the fully invested one)."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from agents.offline.cash_what_if import cash_route
from agents.offline.less_risk import less_risk_route
from agents.offline.policies import PolicyInput

__all__ = ["held_change_route"]


def held_change_route(inp: PolicyInput) -> AIMessage | None:
    """The supervisor's route (or answer) for a change asked of the portfolio held; None for
    any other message."""
    return less_risk_route(inp) or cash_route(inp)
