"""The user's latest chat message as the offline model reads it: its text (never the agent loop's
asks for a decision), its `Intent`, the tickers intent parsing recognises, and the universe and
dates the tools take from it."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from langchain_core.messages import HumanMessage

from agents.conversation_texts import DECISION_PROMPT, RETRY_PROMPT
from agents.offline.intent import Intent, parse_intent
from agents.offline.policies import PolicyInput


@lru_cache(maxsize=1)
def known_tickers() -> tuple[str, ...]:
    """Tickers of the embedded dataset (what intent parsing recognises)."""
    from quant.data import load_sp500_prices

    return tuple(load_sp500_prices().columns)


def user_text(inp: PolicyInput) -> str:
    """The latest message the user wrote (not the agent runner's request for a decision)."""
    asks = (DECISION_PROMPT.split("{")[0], RETRY_PROMPT.split("{")[0])
    for message in reversed(inp.messages):
        if isinstance(message, HumanMessage) and not message.text.startswith(asks):
            return message.text
    return ""


def intent_of(inp: PolicyInput) -> Intent:
    """The intent of the user's latest message."""
    return parse_intent(user_text(inp), known_tickers())


def window_args(intent: Intent) -> dict[str, Any]:
    """The ``universe``, ``start`` and ``end`` tool arguments the intent names (none it leaves
    out)."""
    args: dict[str, Any] = {}
    tickers = intent.universe(known_tickers())
    if tickers:
        args["universe"] = tickers
    if intent.start:
        args["start"] = intent.start
    if intent.end:
        args["end"] = intent.end
    return args
