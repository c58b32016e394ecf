"""A backtest of the conversation's finished search's winner ("backtest the winner", "backtest
it on the history"): the winner's configuration on the search's universe and window, read from
the last run the chat hands over (`LAST_RUN:`, its numbers to six significant digits as every
model-facing text: `prompts.canonical`), so that what is backtested is the strategy the search
chose, not a default one on the default universe."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import SystemMessage

from agents.conversation_texts import LAST_RUN_MARKER
from agents.offline.intent import Intent
from agents.offline.policies import PolicyInput
from agents.offline.strategy_args import stated_config
from settings import patterns

__all__ = ["NO_WINNER", "last_run", "names_the_winner", "winner_backtest_args", "winner_said"]

_THE_WINNER = patterns.compile(
    r"\b(?:the\s+)?(?:winner|winning\s+(?:strategy|config\w*|one)|best\s+(?:config\w*|strategy"
    r"|one))\b|\bback[\s-]?test\s+(?:it|that|this)\b"
)
"""The search's winner named ("backtest the winner", "backtest the best config", "backtest it")."""


def last_run(inp: PolicyInput) -> dict[str, Any] | None:
    """The conversation's last finished search as the chat hands it over (`LAST_RUN:`), or None."""
    for message in inp.messages:
        if isinstance(message, SystemMessage) and message.text.startswith(LAST_RUN_MARKER):
            run: dict[str, Any] = json.loads(message.text[len(LAST_RUN_MARKER) :])
            return run
    return None


def names_the_winner(intent: Intent, text: str) -> bool:
    """Whether the message (`text`) asks of a search's winner and states no strategy or stocks
    of its own."""
    return bool(_THE_WINNER.search(text.lower())) and not (intent.tickers or stated_config(intent))


def winner_backtest_args(inp: PolicyInput, intent: Intent, text: str) -> dict[str, Any] | None:
    """The `backtest_strategy` arguments that backtest the last run's winner on its search's
    universe and window, when the message (`text`) names the winner (`names_the_winner`);
    None otherwise."""
    if not names_the_winner(intent, text):
        return None
    run = last_run(inp)
    best, request = (run or {}).get("best") or {}, (run or {}).get("request") or {}
    if not best.get("config"):
        return None
    config = {k: v for k, v in best["config"].items() if v is not None}
    said = {k: request[k] for k in ("universe", "start", "end") if request.get(k)}
    return {"config": config, **said}  # no universe: the search's, the default one


NO_WINNER = (
    "No strategy search has finished in this conversation, so there is no winner to backtest. "
    "Ask for a search first ('search strategies for AAPL, MSFT and KO since 2012'), or say the "
    "strategy to backtest ('backtest a 12% target-vol strategy on AAPL and KO since 2015'). "
    "Nothing was computed."
)
"""The reply to a backtest of the winner in a conversation with no finished search."""


def winner_said(inp: PolicyInput) -> str:
    """What a backtest of the winner is said to be, before its figures."""
    run = last_run(inp) or {}
    return (
        f"The winner of run {run.get('run_id')} (its settings to six significant digits, as "
        "the chat holds them), on the market history of its search: "
    )
