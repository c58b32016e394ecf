"""A count of a sector's stocks asked for ("a max-Sharpe portfolio of the 10 largest tech
stocks", "a portfolio of 5 bank stocks"), and whether they are asked by size: the data holds
each sector's stocks it has, and no company sizes."""

from __future__ import annotations

from agents.offline.intent import Intent
from agents.offline.intent.rankings import COUNT, count_said
from settings import patterns

__all__ = ["sector_count", "sized"]

_COUNTED = patterns.compile(rf"\b{COUNT}\s+((?:[a-z&-]+\s+){{0,3}}[a-z&-]+)")
_SIZE = patterns.compile(
    r"\b(?:largest|biggest|top|leading|major|mega[\s-]?caps?|large[\s-]?caps?|blue[\s-]?chips?)\b"
)


def sector_count(intent: Intent) -> int | None:
    """How many of a named sector's stocks the message asks for, the count said right before
    the sector ("the 10 largest tech stocks": 10), or None."""
    low = intent.text.lower()
    for match in _COUNTED.finditer(low):
        said = f" {match.group(2)} "
        if any(f" {term.lower()} " in said for term in intent.sectors):
            return count_said(match)
    return None


def sized(intent: Intent) -> bool:
    """Whether the sector's stocks are asked by their size ("the 10 largest tech stocks")."""
    return bool(_SIZE.search(intent.text.lower()))
