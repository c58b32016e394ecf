""" "It" after a read of the whole market ("how's the market doing?", then "what's its max
drawdown?" or "what was its worst month?", and after an answer about the index): the market,
that is the S&P 500 index, when the message names nothing else. Read as the
message with "the market" in its place, so that it is answered as a question about the index."""

from __future__ import annotations

from typing import Any

from settings import patterns

__all__ = ["INDEX_ANSWERED", "INDEX_SUBJECT", "market_referred", "says_it"]

INDEX_SUBJECT = "The S&P 500 index"
"""The subject of an answer about the index (`agents.offline.market_policies`' index line,
`agents.offline.analysis_answers`' index alone), followed by its window."""
INDEX_ANSWERED = f"{INDEX_SUBJECT} from "
"""How an answer about the index begins, which the reader of "it" looks for."""

_ITS = patterns.compile(r"\bits\b")
_IT = patterns.compile(r"\bit\b(?!'s\b)|\bit's\b")


def says_it(text: str) -> bool:
    """Whether `text` says "it" or "its" (read before the conversation is)."""
    return bool(_ITS.search(text) or _IT.search(text))


def market_referred(
    text: str, latest: tuple[str, dict[str, Any]] | None, windowed: bool, index_answered: bool
) -> str | None:
    """`text` with "its" as "the market's" and "it" as "the market" when `text` says "it" or
    "its" and the conversation's latest subject is the market: `latest`, the latest call with a
    subject (name, arguments), is a market read of every stock (`market_statistics` with no
    universe named), or the last answer was of the index (`index_answered`); over that call's
    window when `text` names none (not `windowed`); None otherwise."""
    if latest is None or not says_it(text):
        return None
    market_read = latest[0] == "market_statistics" and not latest[1].get("universe")
    if not (market_read or index_answered):
        return None
    said = _IT.sub(lambda m: "the market is" if m[0].endswith("'s") else "the market",
                   _ITS.sub("the market's", text))  # fmt: skip
    window = {k: latest[1][k] for k in ("start", "end") if latest[1].get(k)}
    if windowed or not window:
        return said
    return f"{said.rstrip(' ?.!')} from {window.get('start', 'the start')} to {window.get('end', 'now')}?"
