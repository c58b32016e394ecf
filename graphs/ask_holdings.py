"""The ask accounting's reading of a number of holdings asked of a portfolio ("a portfolio of 5
stocks", "a 10-stock portfolio", "holding just 6 names", "pick 8 names for a diversified
portfolio"): an item of kind ``holdings`` that a build must keep (`optimize_portfolio`'s
``holdings``, or a universe of exactly that many). Written apart from the offline model's
reader, as every reading of the accounting is."""

from __future__ import annotations

import re
from collections.abc import Iterator

from graphs.ask_patterns import NUMBER_WORDS
from settings import patterns

__all__ = ["holdings_said"]

_WORDS = "|".join(sorted((w for w in NUMBER_WORDS if len(w) > 2), key=len, reverse=True))


def _count(group: str) -> str:
    """A count (at most 3 digits, or a spelled number) in the named group `group`."""
    return rf"(?P<{group}>\d{{1,3}}|{_WORDS})"


_NAMES = r"(?:stocks?|names?|holdings?|positions?|tickers|companies|equities)"
_HOLDINGS = patterns.compile(
    r"\b(?:portfolio|basket|allocation)\s+(?:of|with|holding)\s+(?:(?:just|only|exactly)\s+)?"
    rf"{_count('a')}\s+(?:[a-z]+\s+)?{_NAMES}\b"
    rf"|\b{_count('b')}[\s-](?:stock|name|holding|position)s?\s+(?:[a-z-]+\s+){{0,3}}?"
    r"(?:portfolio|basket|allocation)\b"
    rf"|\b(?:hold|holding|own|owning)\s+(?:(?:just|only|exactly)\s+)?{_count('c')}\s+{_NAMES}\b"
    rf"|\b(?:pick|choose|select)\s+{_count('d')}\s+{_NAMES}\s+for\s+(?:a|an|my|the)\s+"
    r"(?:[a-z-]+\s+){0,3}?portfolio\b",
    re.IGNORECASE,
)
"""A count of holdings said of a portfolio (at most 3 digits, or a spelled number)."""


def holdings_said(view: str) -> Iterator[tuple[re.Match[str], int]]:
    """Each count of holdings asked in `view` (the message, lower-cased and masked): its match
    and the count."""
    for match in _HOLDINGS.finditer(view):
        word = next(w for w in match.group("a", "b", "c", "d") if w is not None)
        count = int(word) if word.isdigit() else NUMBER_WORDS[word.lower()]
        if count >= 1:
            yield match, count
