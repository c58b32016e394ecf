"""A backtest of the conversation's finished search's winner ("backtest the winner", "backtest
it on the history", "backtest the winner on JPM and XOM since 2020"): `backtest_strategy` with
the run id of the last run the chat hands over (`LAST_RUN:`), which the tool resolves to the
winner as the search stored it (unrounded: the model-facing text holds six significant digits,
`prompts.canonical`), on the search's universe and window unless the message states others, so
that what is backtested is the strategy the search chose, not a default one."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.messages import SystemMessage

from agents.conversation_texts import LAST_RUN_MARKER
from agents.offline.backtest_policies import backtest_answer
from agents.offline.chat_intent import window_args
from agents.offline.intent import Intent
from agents.offline.intent.strategy_terms import WINNER_NAMED
from agents.offline.policies import PolicyInput
from agents.offline.strategy_args import stated_config
from services.formatting import listed, parameter
from settings import patterns

__all__ = [
    "NO_WINNER",
    "last_run",
    "names_the_winner",
    "no_winner",
    "strategy_backtest_answer",
    "winner_backtest_args",
]

_BACKTEST_IT = patterns.compile(r"\bback[\s-]?test\s+(?:it|that|this)\b")
"""A strategy referred to ("backtest it"): the search's winner after a search."""


def last_run(inp: PolicyInput) -> dict[str, Any] | None:
    """The conversation's last finished search as the chat hands it over (`LAST_RUN:`), or None."""
    for message in inp.messages:
        if isinstance(message, SystemMessage) and message.text.startswith(LAST_RUN_MARKER):
            run: dict[str, Any] = json.loads(message.text[len(LAST_RUN_MARKER) :])
            return run
    return None


def names_the_winner(intent: Intent, text: str) -> bool:
    """Whether the message (`text`) asks of a search's winner ("backtest the winner", "backtest
    it"); it may state stocks and a window ("backtest the winner on JPM and XOM since 2020"),
    which the winner is tested on, and fields of the strategy ("backtest the best config with a
    10% target vol"), which change the winner's."""
    low = text.lower()
    return bool(WINNER_NAMED.search(low) or (_BACKTEST_IT.search(low) and not intent.tickers))


def winner_backtest_args(inp: PolicyInput, intent: Intent, text: str) -> dict[str, Any] | None:
    """The `backtest_strategy` arguments that backtest the last run's winner as its search
    stored it (`run_id`) with the fields the message (`text`) states changed, on the stocks and
    window it states, else the search's, when the message names the winner (`names_the_winner`)
    and the last run has one; None otherwise."""
    if not names_the_winner(intent, text):
        return None
    run = last_run(inp) or {}
    if not run.get("run_id") or not (run.get("best") or {}).get("config"):
        return None
    changes, searched = stated_config(intent), (run.get("request") or {}).get("universe")
    said = window_args(intent)
    if searched and "universe" not in said:  # named, so that "and on JPM and XOM?" can change it
        said["universe"] = list(searched)
    return {"run_id": run["run_id"], **({"config": changes} if changes else {}), **said}


def no_winner(inp: PolicyInput) -> str:
    """The reply to a backtest of the winner when the conversation's searches left none."""
    run = last_run(inp)
    if run is None:
        return NO_WINNER
    return (
        f"Run {run.get('run_id')} {run.get('status') or 'ended'} without a winning "
        "configuration, so there is no winner to backtest. Say the strategy to backtest "
        "('backtest a 12% target-vol strategy on AAPL and KO since 2015') or run the search "
        "again. Nothing was computed."
    )


NO_WINNER = (
    "No strategy search has finished in this conversation, so there is no winner to backtest. "
    "Ask for a search first ('search strategies for AAPL, MSFT and KO since 2012'), or say the "
    "strategy to backtest ('backtest a 12% target-vol strategy on AAPL and KO since 2015'). "
    "Nothing was computed."
)
"""The reply to a backtest of the winner in a conversation with no finished search."""


def _winner_said(data: dict[str, Any]) -> str:
    """What a backtest of a search's winner (`backtest_strategy`'s result `data`, with its
    `search`) is said to be, before its figures: the winner as the search stored it, the fields
    the message changed, and the search's own stocks and window where others were tested."""
    searched = data["search"]
    said = f"The winner of run {searched['run_id']}, as its search stored it"
    changed = [
        f"{parameter(name, tested)} in place of its {parameter(name, stored)}"
        for name, (stored, tested) in (searched.get("changed") or {}).items()
    ]
    if changed:
        said += f" but with {listed(changed)}"
    if not searched.get("replaced") or "history" not in data:
        return f"{said}, on the market history of its search: "
    stocks = ", ".join(searched.get("universe") or ()) or "the default universe"
    return (
        f"{said} (its search ran on {stocks}, {searched.get('start')} to {searched.get('end')}): "
    )


def strategy_backtest_answer(data: dict[str, Any]) -> str:
    """The answer from a `backtest_strategy` result (`data`): a search's winner said as such."""
    answer = backtest_answer(data)
    return _winner_said(data) + answer if isinstance(data.get("search"), dict) else answer
