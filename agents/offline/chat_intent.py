"""The user's latest chat message as the offline model reads it: its text (never the agent loop's
asks for a decision), its `Intent`, the tickers intent parsing recognises, the conversation's
subject (the universe its earlier turns worked on), and the universe and dates the tools take
from them."""

from __future__ import annotations

import re
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


@lru_cache(maxsize=1)
def data_end() -> str:
    """The last date of the embedded dataset (ISO), where "the last 3 years" ends."""
    from quant.data import load_sp500_prices

    return str(load_sp500_prices().index[-1].date())


def lookback_start(years: float, end: str | None = None) -> str:
    """The first day of the `years` before `end` (default: the data's last date), ISO."""
    import pandas as pd

    last = pd.Timestamp(end or data_end())
    months = round(years * 12)
    return str((last - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date())


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


SUBJECT_TOOLS = (
    "optimize_portfolio",
    "efficient_frontier",
    "market_statistics",
    "generate_market_scenarios",
    "backtest_strategy",
    "asset_statistics",
    "stress_test",
    "loss_probability",
    "backtest_weights",
    "compare_portfolios",
)
"""The tools whose universe becomes the conversation's subject."""


def thread_subject(inp: PolicyInput) -> tuple[str, ...]:
    """The conversation's current universe: that of its latest turn before this one which
    worked on named tickers (a portfolio built, statistics read, a backtest); () when none."""
    earlier = {call["id"] for call in inp.calls_this_turn()}
    for call in reversed(inp.tool_calls_made()):
        if call["id"] in earlier or call["name"] not in SUBJECT_TOOLS:
            continue
        universe = call["args"].get("universe")
        if universe:
            return tuple(str(t) for t in universe)
    return ()


REVISE = re.compile(r"\b(?:rebuild|redo|re-?run|recompute|re-?optimi[sz]e|again|now|instead)\b")
"""A message that asks to build the conversation's portfolio again, changed."""


def thread_method(inp: PolicyInput) -> str | None:
    """The method of the conversation's latest portfolio built before this turn."""
    earlier = {call["id"] for call in inp.calls_this_turn()}
    for call in reversed(inp.tool_calls_made()):
        if call["name"] == "optimize_portfolio" and call["id"] not in earlier:
            method = call["args"].get("method")
            return str(method) if method else None
    return None


def revises_portfolio(inp: PolicyInput, intent: Intent) -> bool:
    """Whether the message changes the conversation's latest portfolio ("drop KO and rebuild",
    "now cap at 30%", "add PG"): it names no method or other ask, changes the universe or the
    limits, and the conversation has built a portfolio."""
    if thread_method(inp) is None or intent.methods:
        return False
    ask = intent.limits
    changes = bool(
        ask.max_weight is not None
        or ask.min_weight is not None
        or ask.asset_limits
        or ask.sector_limits
        or ask.excluded
        or ask.excluded_sectors
        or (intent.adds and intent.tickers)
    )
    return changes or bool(REVISE.search(intent.text.lower()) and intent.refers_back)


def window_args(intent: Intent, subject: tuple[str, ...] = ()) -> dict[str, Any]:
    """The ``universe``, ``start`` and ``end`` tool arguments the intent names (none it leaves
    out); the universe is the conversation's `subject` when the message names none; "the last
    N years" starts N years before the end."""
    args: dict[str, Any] = {}
    tickers = intent.universe(known_tickers(), subject)
    if tickers:
        args["universe"] = tickers
    if intent.start:
        args["start"] = intent.start
    elif intent.lookback_years:
        args["start"] = lookback_start(intent.lookback_years, intent.end)
    if intent.end:
        args["end"] = intent.end
    return args
