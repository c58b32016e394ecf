""" "And why?" asked at the end of a question about figures ("which month was worst for AAPL in
2022 and why?", "what was the best sector in 2021, and why?"): the question is answered, and the
reply says what the data cannot say (before: the "why" alone was read, and nothing was
computed)."""

from __future__ import annotations

from settings import patterns

__all__ = ["WHY_NOT_SAID", "without_why"]

_WHY_TOO = patterns.compile(r"(?:\s*[,;-]\s*|\s+)(?:and\s+|but\s+)?(?:why|how come)\s*[?.!]*\s*$")
"""A "why" that ends a question of its own ("... in 2022 and why?")."""
_EXPLAINED = patterns.compile(r"\bexplain\w*|walk me through|\bjustify|rationale|\breasons?\b")
"""Words that ask for an explanation already ("explain the portfolio and why")."""
WHY_NOT_SAID = (
    "Why: the market data holds daily prices only, not earnings, rates, commodity prices or "
    "news, so it shows what moved and by how much, not why."
)
"""What the reply to a question that also asks why says of the why."""


def without_why(text: str) -> str | None:
    """`text` without the "why" that ends it, when what is left is a question of its own
    ("which month was worst for AAPL in 2022"); None otherwise ("why?", "explain it and
    why")."""
    said = _WHY_TOO.search(text)
    if said is None:
        return None
    rest = text[: said.start()].strip()
    if len(rest.split()) < 3 or _EXPLAINED.search(rest.lower()):
        return None
    return rest + "?"
