"""The window a question that refers back and names no window of its own is asked over: that
of the call that last worked on its subject (`subject_window`), or of the call that judged the name it refers to (`agents.offline.judged_names`: "the worst stock
in 2008?", then "how volatile was it?" or "and that stock's max drawdown?": over 2008), or of
the call that made one stock the subject ("the beta of AAPL in 2021?", then "and its max
drawdown?": over 2021)."""

from __future__ import annotations

from typing import Any

from agents.offline.chat_intent import (
    ANALYSIS_TOOLS,
    earlier_results,
    judged_before,
    shown_before,
    subject_stock,
    window_of,
)
from agents.offline.data_dates import session_window
from agents.offline.intent import Intent
from agents.offline.policies import PolicyInput

__all__ = ["judged_window", "stock_referred", "subject_window"]


def _dated(window: dict[str, Any]) -> dict[str, Any]:
    """`window` (`start`, `end`, `last_sessions`) with a trailing window as its dates."""
    window = dict(window)
    if (sessions := window.pop("last_sessions", None)) is not None:
        window["start"], window["end"] = session_window(sessions, window.get("end"))
    return window


def judged_window(inp: PolicyInput, intent: Intent) -> dict[str, Any]:
    """The `start` and `end` (a trailing window as its dates) of the call that judged the names
    the message refers back to; {} when the message names a window or refers back to none."""
    if intent.start or intent.end or intent.last_sessions or judged_before(inp) is None:
        return {}
    latest = next(iter(earlier_results(inp)), None)  # the call whose answer judged them
    return _dated(window_of(latest[1])) if latest is not None else {}


def stock_referred(inp: PolicyInput, intent: Intent) -> tuple[str, dict[str, Any]] | None:
    """The one stock the conversation last worked on, when the message refers back to it and
    names no stock ("and its max drawdown?" after "the beta of AAPL in 2021?"), with the window
    to ask over: the message's, else that of the call that made it the subject; None otherwise."""
    if not intent.refers_back or intent.tickers or (stock := subject_stock(inp)) is None:
        return None
    if intent.start or intent.end or intent.last_sessions:
        return stock[0], {}
    return stock[0], _dated(stock[1])


def subject_window(inp: PolicyInput, subject: dict[str, Any]) -> dict[str, Any]:
    """The window the conversation last worked on its `subject` over (a portfolio built: the
    dates it was estimated on; weights or stocks: the window of the analysis or the market
    read that used them), for a question about it that names no window of its own; a name the
    last answer judged best or worst: the window it was judged over."""
    judged = judged_before(inp) is not None or shown_before(inp) is not None
    for name, args, data in earlier_results(inp):
        if name == "optimize_portfolio" and isinstance(data, dict):
            if data.get("portfolio_id") == subject.get("portfolio_id"):
                span = data.get("date_range") or {}
                return {k: span[k] for k in ("start", "end") if span.get(k)}
        elif name in (*ANALYSIS_TOOLS, "market_statistics") and (
            judged or any(args.get(k) == v for k, v in subject.items())
        ):
            return window_of(args)
    return {}
