"""One stock asked about as a hedge for another ("is KO a good hedge for AAPL?", "would XOM hedge
my MSFT?"): read as the correlation of their daily returns (`asset_statistics` of the two), then
what it means for a hedge: one that offsets falls moves against what it protects (a correlation
below 0); above 0 the stock only diversifies, its falls coming with the other's. Before, the message was read as an option hedge and asked which protection."""

from __future__ import annotations

from typing import Any

from agents.offline.correlation_answers import matrix_pairs
from agents.offline.statistic_words import pct
from quant.sp500_files import sp500_tickers
from settings import patterns

__all__ = ["hedge_note", "stock_hedge_restated"]

_STOCK_HEDGE = patterns.compile(
    r"\b(?:is|would|does|could|will|can)\s+(?P<hedge>[a-z.]{1,6})\s+(?:be\s+)?(?:any\s+good\s+as\s+)?"
    r"(?:an?\s+)?(?:(?:good|decent|bad|poor|effective|useful|reasonable|real|natural)\s+)?hedges?\s+"
    r"(?:for|against|to|on)?\s*(?:my\s+|our\s+|the\s+)?(?P<held>[a-z.]{1,6})\b"
    r"|\b(?:would|does|could|will|can)\s+(?P<hedge2>[a-z.]{1,6})\s+hedge\s+(?:my\s+|our\s+|the\s+)?"
    r"(?P<held2>[a-z.]{1,6})\b"
)
"""One stock asked about as a hedge for another ("is KO a good hedge for AAPL?", "would XOM hedge
my MSFT?")."""


def _pair(text: str) -> tuple[str, str] | None:
    """(the hedge, the stock it would protect) the message names, both of the data; else None."""
    asked = _STOCK_HEDGE.search(text.lower())
    if asked is None:
        return None
    hedge = (asked["hedge"] or asked["hedge2"]).upper()
    held = (asked["held"] or asked["held2"]).upper()
    known = set(sp500_tickers())
    return (hedge, held) if hedge != held and {hedge, held} <= known else None


def stock_hedge_restated(text: str) -> str | None:
    """The message as the question it asks of the data ("is KO a good hedge for AAPL?": "what
    is the correlation between KO and AAPL?"), else None."""
    pair = _pair(text)
    return None if pair is None else f"what is the correlation between {pair[0]} and {pair[1]}?"


def hedge_note(message: str, data: Any) -> str:
    """What the pair's correlation in `data` (an `asset_statistics` result) means for `message`'s
    hedge; "" when the message asks no such thing or the result holds no correlation."""
    pair = _pair(message)
    if pair is None or not isinstance(data, dict):
        return ""
    pairs = matrix_pairs(data)
    correlation = pairs.get(pair) if pair in pairs else pairs.get((pair[1], pair[0]))
    if correlation is None:
        return ""
    hedge, held = pair
    if correlation < 0:
        return (
            f" As a hedge: {hedge} moved against {held} (a correlation of {correlation:.2f}), "
            f"which is what a hedge does: on {held}'s falling days it tended to rise."
        )
    assets = data.get("assets") or {}
    vols = [float((assets.get(t) or {}).get("volatility") or 0.0) for t in pair]
    each = f" ({hedge}'s volatility {pct(vols[0])} a year against {held}'s {pct(vols[1])})"
    return (
        f" As a hedge: {hedge} moved with {held} (a correlation of {correlation:.2f}), so it does "
        f"not offset {held}'s falls; held beside {held} it only diversifies"
        f"{each if all(vols) else ''}. A hedge moves against what it protects: a correlation "
        "below 0."
    )
