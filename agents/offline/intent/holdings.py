"""How many stocks a portfolio build is asked to hold ("a low risk portfolio of 5 stocks", "a
10-stock HRP portfolio", "pick 8 names for a diversified portfolio", "hold only 6 stocks"): the
`holdings` of `optimize_portfolio`."""

from __future__ import annotations

from agents.offline.intent.rankings import COUNT, count_said
from settings import patterns

__all__ = ["holdings_changed", "holdings_named"]

_HELD = r"(?:stocks?|names?|holdings?|positions?|tickers|companies|shares|equities)"
_HOLDINGS = patterns.compile(
    rf"\b(?:portfolio|basket|book|mix|allocation)\s+(?:of|with|holding|using)\s+"
    rf"(?:(?:just|only|exactly)\s+)?{COUNT}\s+(?:\w+\s+)?{_HELD}\b"
    rf"|\b{COUNT}[\s-]+(?:stock|name|holding|position)s?\b(?=[\s-]+(?:\w+[\s-]+){{0,3}}"
    r"(?:portfolio|basket|allocation)\b)"
    rf"|\b(?:with|using|holding|hold|pick|picks|choose|select|own)\s+(?:(?:just|only|exactly)\s+)?"
    rf"{COUNT}\s+(?:\w+\s+)?{_HELD}\b"
    rf"|\b(?:only|just|exactly|at most|no more than|max(?:imum)? of)\s+{COUNT}\s+{_HELD}\b"
)
"""A count of holdings said of a portfolio (a count of 2 to 3 digits or words)."""


def holdings_named(low: str) -> int | None:
    """The number of stocks a lower-cased build request asks the portfolio to hold, or None."""
    return count_said(_HOLDINGS.search(low))


_COUNT_AGAIN = patterns.compile(
    rf"(?<!top )(?<!bottom )(?<!best )(?<!worst )\b{COUNT}\s+(?:stocks|names|holdings|positions)\b"
)
"""A count of stocks said again in a follow-up ("what about 8 stocks?", "try it with 3 names")."""


def holdings_changed(low: str) -> int | None:
    """The number of stocks a lower-cased follow-up asks a portfolio to hold instead ("what
    about 8 stocks?", "now with 3 stocks"), or None ("the top 5 stocks" is no count of
    holdings)."""
    return holdings_named(low) or count_said(_COUNT_AGAIN.search(low))
