"""Asks outside what the assistant does, answered with what it does instead: placing orders or
trades for the user (it deploys to a paper account, after approval, only) and predicting a
price (it gives the spread of outcomes of scenario paths instead)."""

from __future__ import annotations

from agents.offline import patterns

_ORDER = patterns.compile(
    r"\b(?:buy|sell|purchase|short)\s+\d[\d,]*\s+(?:shares?|units?|lots?)\b"
    r"|\b(?:place|submit|execute|send|put in)\s+(?:an?\s+|the\s+|my\s+)?(?:buy\s+|sell\s+)?"
    r"(?:order|trade)s?\b"
    r"|\b(?:buy|sell)\s+(?:some\s+|more\s+)?[a-z.]+\s+(?:for me|now|today|right now|at (?:the )?market)\b"
)
_PREDICTION = patterns.compile(
    r"\b(?:what|where) will\s+\S+\s+(?:trade|close|open|be (?:worth|priced|trading)|end)\b"
    r"|\bprice (?:prediction|tomorrow|next (?:week|month))\b|\bpredict (?:the )?(?:price|close)\b"
)

ORDER_REPLY = (
    "I can't place orders or trade for you: I analyse, build and test portfolios, and can deploy "
    "a strategy or a portfolio to a paper account after your approval (for example 'an HRP "
    "portfolio of AAPL, MSFT and JNJ', then 'deploy it to paper, weekly'). Nothing was traded."
)
PREDICTION_REPLY = (
    "I don't predict prices: I can give the spread of outcomes over simulated market scenarios "
    "(for example 'probability of losing more than 10% over the next month for AAPL'), a stress "
    "test, or what your research says. Nothing was computed."
)


def out_of_scope(text: str) -> str | None:
    """The reply to an order or a price prediction asked in `text` (None for any other ask)."""
    low = " ".join(text.lower().split())
    if _ORDER.search(low):
        return ORDER_REPLY
    if _PREDICTION.search(low):
        return PREDICTION_REPLY
    return None
