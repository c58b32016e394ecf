"""The cost or the outcome of the conversation's hedge asked ("how much would the hedge have
cost in 2022?", "how did the collar do?", `agents.offline.intent.hedge.HEDGE_OUTCOME_ASKED`):
after a backtest of a strategy with an option overlay, that backtest over the window said (a
change of the latest request, `agents.offline.follow_ups`), whose answer gives the overlay's
premiums, payoff and net cost; with no window said, what that backtest measured, read from its
result (nothing computed);
with no hedged strategy as the conversation's latest request, a question that says what to ask
(before: a strategy search was drafted, or the documentation quoted)."""

from __future__ import annotations

from langchain_core.messages import AIMessage

from agents.offline.backtest_policies import hedge_cost_words
from agents.offline.follow_ups import ThreadRequest, thread_edit, thread_requests
from agents.offline.intent import Intent
from agents.offline.intent.hedge import HEDGE_OUTCOME_ASKED
from agents.offline.policies import PolicyInput, forced_call, reply

__all__ = ["NO_HEDGE", "hedge_cost_route"]

NO_HEDGE = (
    "There is no hedged strategy in this conversation to cost yet, so nothing was computed. "
    "Backtest one with its hedge and its premiums, payoff and net cost are given ('backtest a "
    "10% target-vol strategy with a 90% put on AAPL and KO in 2022'), or price one option "
    "('how much would a 90% put on AAPL have cost at the start of 2022?')."
)
"""The reply to a hedge's cost asked with no hedged strategy to cost."""


def _hedged(inp: PolicyInput) -> ThreadRequest | None:
    """The conversation's latest request when it is a backtest of a strategy with an option
    overlay (its result's configuration, else the one asked); None otherwise."""
    requests = thread_requests(inp)
    if not requests or requests[0].tool != "backtest_strategy":
        return None
    data = requests[0].data if isinstance(requests[0].data, dict) else {}
    config = data.get("config") or requests[0].args.get("config") or {}
    return None if config.get("overlay") in (None, "none") else requests[0]


def _measured_cost(request: ThreadRequest) -> str:
    """What the hedged backtest `request` measured of its hedge, from its result."""
    data = request.data if isinstance(request.data, dict) else None
    if data is None or "hedge_carry" not in (data.get("metrics") or {}):
        return (
            "Your latest hedged backtest gave no result, so there is no cost to give; nothing "
            "was computed. Ask for the backtest again."
        )
    history, metrics = data["history"], data["metrics"]
    return (
        f"In your latest backtest ({', '.join(history['universe'])}, {history['start']} to "
        f"{history['end']}), the {hedge_cost_words(data['config'], metrics)}; the strategy "
        f"with it had a CAGR of {metrics['cagr']:.1%} and a maximum drawdown of "
        f"{metrics['max_drawdown']:.1%}. Nothing new was computed: ask 'and without the hedge?' "
        "for the same strategy without it, or name a year for another window ('how much would "
        "the hedge have cost in 2020?')."
    )


def hedge_cost_route(inp: PolicyInput, intent: Intent) -> AIMessage | None:
    """The supervisor's answer to the cost or outcome of the conversation's hedge asked with no
    window (what its backtest measured) or with no hedged strategy to cost (`NO_HEDGE`), through
    its own route when a route must be called; None otherwise (a window said changes the
    hedged backtest: `agents.offline.follow_ups`)."""
    if not HEDGE_OUTCOME_ASKED.search(intent.text.lower()):
        return None
    hedged = _hedged(inp)
    if hedged is not None and thread_edit(inp) is not None:
        return None
    if inp.must_call_tool:
        return forced_call(inp, {"agent": "supervisor", "reason": "the hedge's cost"})
    return reply(NO_HEDGE if hedged is None else _measured_cost(hedged))
