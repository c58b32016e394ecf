"""Whether a strategy search of the conversation finished, and whether it is the conversation's
latest work: what "its Sharpe", "backtest it" and "how did it do in the bear scenario?" are
about (the search's winner, or the portfolio or stocks worked on after it)."""

from __future__ import annotations

import json

from langchain_core.messages import AIMessage, BaseMessage, SystemMessage

from agents.conversation_texts import EARLIER_RUN_MARKER, RUN_DONE
from agents.offline.chat_intent import SUBJECT_TOOLS
from agents.offline.policies import PolicyInput

__all__ = [
    "STOCK_TOOLS",
    "finished_run",
    "ran_here",
    "run_is_latest",
    "run_is_latest_portfolio_work",
]


def ran_here(message: BaseMessage) -> bool:
    """Whether `message` is a finished strategy search's answer, or the system message that keeps
    one older than the conversation's window in view (`EARLIER_RUN_MARKER`)."""
    if isinstance(message, SystemMessage):
        return message.text.startswith(EARLIER_RUN_MARKER)
    return isinstance(message, AIMessage) and bool(RUN_DONE.search(message.text))


def _followed(message: BaseMessage) -> bool:
    """Whether `message` keeps in view a search that other work followed, out of view too."""
    if not (isinstance(message, SystemMessage) and message.text.startswith(EARLIER_RUN_MARKER)):
        return False
    return bool(json.loads(message.text[len(EARLIER_RUN_MARKER) :]).get("followed_by_other_work"))


def finished_run(inp: PolicyInput) -> bool:
    """Whether a strategy search of the conversation finished (its answer is in the thread)."""
    return any(ran_here(m) for m in inp.messages)


def run_is_latest(inp: PolicyInput) -> bool:
    """Whether the conversation's latest finished strategy search came after its latest work on
    a portfolio or stocks (a call of `SUBJECT_TOOLS` or a risk report): "its Sharpe" is then the
    winner's."""
    return _run_after(inp, (*SUBJECT_TOOLS, "portfolio_risk_report"))


STOCK_TOOLS = ("market_statistics", "asset_statistics")
"""The tools that read stocks' statistics: work with no market scenarios of its own."""


def run_is_latest_portfolio_work(inp: PolicyInput) -> bool:
    """Whether the conversation's latest finished strategy search came after its latest work on
    a portfolio or scenarios (a build, a backtest or stress of weights, scenarios generated, a
    risk report; questions about stocks' statistics aside): "how did it do in the bear
    scenario?" is then the winner's, as a stock's statistics have no scenarios."""
    portfolio_tools = tuple(name for name in SUBJECT_TOOLS if name not in STOCK_TOOLS)
    return _run_after(inp, (*portfolio_tools, "portfolio_risk_report"))


def _run_after(inp: PolicyInput, tools: tuple[str, ...]) -> bool:
    """Whether the conversation's latest finished strategy search came after its latest call of
    one of `tools`."""
    done = [i for i, m in enumerate(inp.messages) if ran_here(m) and not _followed(m)]
    worked = [
        i
        for i, m in enumerate(inp.messages)
        if isinstance(m, AIMessage) and any(c["name"] in tools for c in m.tool_calls)
    ]
    return bool(done) and (not worked or done[-1] > worked[-1])
