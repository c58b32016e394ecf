"""Questions about what the market data holds ("which stocks are in the data?", "what tickers
do you have?", "which banks do you cover?": `covered_group`), and every sector of the data as
groups to rank ("which sector did best in 2022?": `sectors_asked`)."""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline import patterns
from agents.offline.intent import Intent
from agents.offline.intent.targets import sector_tickers
from quant.classification import classify

__all__ = ["covered_group", "every_sector", "sectors_asked"]

_HOLDINGS = r"(?:stocks?|tickers?|names|symbols?|companies|equities|assets|securities|sectors)"
_COVERAGE = patterns.compile(
    rf"\b(?:which|what)\s+(?:\w+\s+){{0,2}}{_HOLDINGS}\s+(?:are|is)\s+(?:there\b|in\s+(?:the|your)"
    r"\s+(?:market\s+)?(?:data|universe|system)|included\b|available\b|covered\b|supported\b)"
    rf"|\b(?:which|what)\s+(?:\w+\s+){{0,2}}{_HOLDINGS}\s+(?:do|does)\s+(?:you|it|the data)"
    r"\s+(?:have|cover|know|support|hold|include)\b"
    rf"|\b(?:which|what)\s+(?:\w+\s+){{0,2}}{_HOLDINGS}\s+(?:can|could)\s+(?:i|we)\s+(?:use|trade"
    r"|look at|analy[sz]e|pick from|choose from|ask about)\b"
    rf"|\blist\s+(?:all\s+)?(?:of\s+)?(?:the\s+|your\s+)?(?:\w+\s+)?(?:{_HOLDINGS}|universe)\b"
    r"(?!\s+(?:in|of)\s+(?:my|our)\b)"
    r"|\bwhat(?:'s| is)\s+in\s+(?:the|your)\s+(?:market\s+)?(?:data(?:\s?set)?|universe|system)\b"
    r"|\bwhat\s+(?:market\s+)?data\s+(?:do|does)\s+(?:you|it)\s+have\b"
    r"|\b(?:does|do|what does)\s+(?:the\s+|your\s+)?(?:data|universe|dataset)\s+(?:cover|contain"
    r"|hold|include)\b"
    r"|\bhow far back\b|\bhow (?:much|many years of) (?:history|data)\b"
)
"""A question about what the market data holds ("which stocks are in the data?", "what tickers
do you have?", "list the stocks", "how far back does the data go?")."""
_COVERAGE_OF_GROUP = patterns.compile(
    r"\b(?:which|what)\s+((?:[a-z&\-]+\s+)?[a-z&\-]+)\s+(?:do|does|can)\s+(?:you|we|it|the data)"
    r"\s+(?:have|cover|hold|include)\b"
)
"""The same asked of a sector ("which banks do you have?")."""


_OWN = patterns.compile(r"\b(?:my|our|i hold|i own|we hold|we own|do i|do we)\b")
"""Words about the user's own holdings: "which stocks are in my portfolio?" is no question
about the data."""
_NOT_SECTORS = ("information", "data")


def covered_group(intent: Intent, low: str) -> tuple[tuple[str, tuple[str, ...]], ...] | None:
    """The sector a question about the data's stocks asks of, as `AnalysisAsk.groups` (() for
    every stock), or None when the message asks no such question (one naming tickers, a method,
    weights, a portfolio or the user's own holdings asks something else)."""
    of_sectors = set(sector_tickers(intent.sectors))  # "which tech stocks are available?"
    named = [t for t in intent.tickers if t not in of_sectors]
    if named or intent.methods or intent.weights or intent.portfolio_ids or _OWN.search(low):
        return None
    if _COVERAGE.search(low):
        term = intent.sectors[0] if len(intent.sectors) == 1 else None
    elif (
        (asked := _COVERAGE_OF_GROUP.search(low))
        and asked.group(1) not in _NOT_SECTORS
        and sector_tickers([asked.group(1)])
    ):
        term = asked.group(1)
    else:
        return None
    return () if term is None else ((term, tuple(sector_tickers([term]))),)


def every_sector(known: Sequence[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every GICS sector of the `known` tickers with its tickers, as `AnalysisAsk.groups`."""
    found: dict[str, list[str]] = {}
    for ticker in known:
        if (classified := classify(ticker)) is not None:
            found.setdefault(classified.sector.lower(), []).append(ticker)
    return tuple((sector, tuple(members)) for sector, members in sorted(found.items()))


_SECTORS = patterns.compile(
    r"\b(?:which|what|rank\w*|sort\w*|order\w*|compare|top|bottom|best|worst)\s+(?:\d+\s+)?(?:of\s+)?"
    r"(?:the\s+)?(?:\w+\s+)?(?:sectors?|industr(?:y|ies))\b"
)
_WITHIN = patterns.compile(
    r"\b(?:each|every|per|within|by)\s+(?:the\s+)?(?:sectors?|industr(?:y|ies))\b"
)
"""Sectors as the groups stocks are ranked within ("the most volatile stock in each sector"):
not the sectors ranked."""


def sectors_asked(
    intent: Intent, low: str, known: Sequence[str]
) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Every sector of the `known` tickers when a question speaks of sectors and names no sector
    or stock ("which sector did best in 2022?"), else ()."""
    if intent.sectors or intent.tickers or not _SECTORS.search(low) or _WITHIN.search(low):
        return ()
    return every_sector(known)
