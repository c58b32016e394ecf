"""The portfolio held, named in a message ("my current mix", "this allocation"), beside words
that ask for a portfolio to be made ("a safer mix of ...", "build")."""

from __future__ import annotations

from settings import patterns

__all__ = ["HELD_NAMED", "HELD_NOUN", "THE_BUILD", "asks_made"]

_MADE = patterns.compile(r"\b(?:mix|build|make|construct|create|give me|weights?|allocation)\b")
"""Words of a portfolio asked for ("a safer mix of ..."), not of names compared by risk."""
HELD_NOUN = r"(?:portfolio|allocation|holdings|mix|book|weights)"
"""What a portfolio held is called ("portfolio", "book", "mix", ...)."""
HELD_NAMED = patterns.compile(
    r"\b(?:my|our|this|that|the)\s+(?:(?:current|existing|present)\s+)?(?:portfolio\s+)?"
    rf"{HELD_NOUN}\b"
)
"""The portfolio held, named ("my current mix", "this allocation", "the portfolio")."""


def asks_made(low: str) -> bool:
    """Whether a lower-cased message asks for a portfolio to be made (`_MADE`), the one held
    aside ("is this allocation riskier than the market?" asks of it)."""
    return bool(_MADE.search(HELD_NAMED.sub(" ", low)))


THE_BUILD = patterns.compile(
    r"(?i)\b(?:we|you|i)\s+(?:just\s+)?(?:built|made|optimi[sz]ed)\b|\bthe build\b"
)
"""Words naming the conversation's build ("the portfolio we built") rather than weights or a
backtest used after it."""
