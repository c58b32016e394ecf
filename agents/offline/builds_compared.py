"""Two portfolios the conversation built, compared when asked with no names ("build an HRP
portfolio of AAPL KO JNJ", "build a min vol portfolio of AAPL KO JNJ", then "compare them",
"which is better?", "compare it with the previous one", "compare them on drawdown since 2020",
"compare to the first one"): the message is read with the two portfolios' ids in place of the
words that refer to them, so they are compared over one window as when named (before: a market
read of the stocks, a risk report of each stock, or a question of what to do)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from services.formatting import listed
from settings import patterns

__all__ = ["builds_restated"]

_LEAD = r"^\W*(?:(?:and|so|ok(?:ay)?|now|then|well|please|can you|could you)\W+)*"
_OTHER = (
    r"the\s+(?:first|previous|last|earlier|original|other|old|initial)"
    r"(?:\s+(?:one|portfolio|build))?"
)
_BOTH = patterns.compile(
    rf"{_LEAD}(?P<verb>compare)\s+(?P<said>them|the\s+two|both(?:\s+of\s+them)?|these|those"
    r"|the\s+(?:two\s+)?(?:portfolios|builds)"
    rf"|(?:it|this|that|this\s+one|the\s+new\s+one)\s+(?:with|to|against)\s+{_OTHER}"
    rf"|(?:with|to|against)\s+{_OTHER})\b"
)
"""Two builds compared with no names said; `said` is the words that refer to them."""
_WHICH = patterns.compile(
    rf"{_LEAD}(?:which|what)(?:\s+one)?\s+(?:is|was|looks?)\s+(?:the\s+)?better"
    r"(?:\s+(?:one|of\s+the\s+two))?\W*$"
)
_FIRST = patterns.compile(r"\b(?:first|original|initial|old)\b")


def _builds(earlier: Sequence[tuple[str, dict[str, Any], Any]]) -> list[str]:
    """The ids of the portfolios built before this message, newest first, each once."""
    ids: list[str] = []
    for name, _, data in earlier:
        built = str(data.get("portfolio_id") or "") if isinstance(data, dict) else ""
        if name == "optimize_portfolio" and built and built not in ids:
            ids.append(built)
    return ids


def builds_restated(
    message: str, earlier_of: Callable[[], Sequence[tuple[str, dict[str, Any], Any]]]
) -> str | None:
    """`message` with the two portfolios it compares named by id ("compare them on drawdown"
    -> "compare pf_a and pf_b on drawdown"; "which is better?" -> "which is better, pf_a or
    pf_b?"), the earlier first: the latest build and the one before it (the first built when
    it says "first" or "original"), or those a comparison just set side by side ("compare them
    on drawdown"); None when it asks no such thing, fewer than two were built, the conversation
    has moved on from its latest build, or it asks which is better of a comparison just given
    (its pick: `comparison_pick`). `earlier_of`: (tool, arguments,
    result) of the calls before it, newest first."""
    low = message.lower()
    both, which = _BOTH.search(low), _WHICH.search(low)
    if both is None and which is None:
        return None
    earlier = earlier_of()  # read only for a message that asks it: `user_text` is hot
    ids = _builds(earlier)
    latest = earlier[0] if earlier else ("", {}, None)
    compared = [str(i) for i in latest[1].get("portfolio_ids") or ()]
    if compared:  # "which is better?" after a comparison: its pick; "compare them on X": again
        if both is None or len(compared) < 2 or _FIRST.search(low):
            return None
        return f"{message[: both.start('said')]}{listed(compared)}{message[both.end('said') :]}"
    on_build = latest[0] == "optimize_portfolio" or latest[1].get("portfolio_id") in ids[:1]
    if len(ids) < 2 or not on_build:
        return None
    other = ids[-1] if _FIRST.search(low) else ids[1]
    if both is None:
        return f"which is better, {other} or {ids[0]}?"
    return f"{message[: both.start('said')]}{other} and {ids[0]}{message[both.end('said') :]}"
