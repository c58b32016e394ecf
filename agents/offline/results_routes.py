"""The supervisor's routes for questions about what the conversation's results already hold,
answered from them: the hedge's cost, the more correlated pair, the better of two backtests,
the largest holding built, an amount on the day just given."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from agents.offline.backtests_compared import backtests_compared_route
from agents.offline.day_amounts import day_amount_route
from agents.offline.hedge_costs import hedge_cost_route
from agents.offline.held_ends import held_end_route
from agents.offline.intent import Intent
from agents.offline.pairs_compared import pairs_compared_route
from agents.offline.policies import PolicyInput

__all__ = ["held_results_route"]


def held_results_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The route of a question the conversation's results answer: its hedge's cost
    (`hedge_cost_route`), the more correlated pair (`pairs_compared_route`), the better backtest
    (`backtests_compared_route`), the largest holding built (`held_end_route`), an amount on the
    day just given (`day_amount_route`); None otherwise."""
    return (
        hedge_cost_route(inp, intent)
        or pairs_compared_route(inp, intent)
        or backtests_compared_route(inp, intent)
        or held_end_route(inp)
        or day_amount_route(inp)
    )
