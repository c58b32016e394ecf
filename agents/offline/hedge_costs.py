"""The cost of the conversation's hedge asked ("how much would the hedge have cost in 2022?",
`agents.offline.intent.hedge.HEDGE_COST_ASKED`): after a backtest of a strategy with an option
overlay, that backtest over the window said (a change of the latest request,
`agents.offline.follow_ups`), whose answer gives the overlay's premiums, payoff and net cost;
with no hedged strategy as the conversation's latest request, a question that says what to ask
(before: a strategy search was drafted over the window, and refused for a year's window)."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from agents.offline.follow_ups import thread_requests
from agents.offline.intent import Intent
from agents.offline.intent.hedge import HEDGE_COST_ASKED
from agents.offline.policies import PolicyInput, forced_call, reply

__all__ = ["NO_HEDGE", "hedged_latest", "no_hedge_route"]

NO_HEDGE = (
    "There is no hedged strategy in this conversation to cost yet, so nothing was computed. "
    "Backtest one with its hedge and its premiums, payoff and net cost are given ('backtest a "
    "10% target-vol strategy with a 90% put on AAPL and KO in 2022'), or price one option "
    "('how much would a 90% put on AAPL have cost at the start of 2022?')."
)
"""The reply to a hedge's cost asked with no hedged strategy to cost."""


def hedged_latest(inp: PolicyInput) -> bool:
    """Whether the conversation's latest request is a backtest of a strategy with an option
    overlay (its result's configuration, else the one asked)."""
    requests = thread_requests(inp)
    if not requests or requests[0].tool != "backtest_strategy":
        return False
    data = requests[0].data if isinstance(requests[0].data, dict) else {}
    config = data.get("config") or requests[0].args.get("config") or {}
    return config.get("overlay") not in (None, "none")


def no_hedge_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's answer to a hedge's cost asked with no hedged strategy to cost
    (`NO_HEDGE`, through its own route when a route must be called); None otherwise."""
    if not HEDGE_COST_ASKED.search(intent.text.lower()) or hedged_latest(inp):
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "no hedge to cost"})
    return reply(NO_HEDGE)
