"""Questions about what the market data holds ("which stocks are in the data?", "what tickers
do you have?", "which banks do you cover?": `covered_group`), and every sector of the data as
groups to rank ("which sector did best in 2022?": `sectors_asked`)."""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline.intent import Intent
from agents.offline.intent.scanner import word_character
from agents.offline.intent.targets import sector_tickers
from quant.classification import classify
from settings import patterns

__all__ = ["covered_group", "every_sector", "names_covered", "sectors_asked"]

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


_IN_THE_DATA = patterns.compile(
    r"\b(?:is|are)\s+([a-z.,&\s]{1,80}?)\s+(?:in|part of"
    r"|included in|covered (?:by|in))\s+(?:the|your)\s+(?:market\s+)?(?:data(?:\s?set)?"
    r"|universe|system)\b"
)
"""A question whether named stocks are in the data ("is AAPL in the data?", "are JPM and BAC
covered by your data"): the words before "in" are the names."""
_HISTORY_OF_NAME = patterns.compile(
    r"\bhow far back\s+(?:does|do)\b.{0,40}?\bgo\b"
    r"|\bwhen (?:does|do)\b.{0,40}?\b(?:data|history|returns|prices)\s+(?:start|begin|end)\b"
    r"|\bis there (?:any\s+)?(?:data|history|prices?|returns)\s+(?:on|for|of)\b"
    r"|\bwhat (?:date range|dates|history) do you have\b"
    r"|\b(?:which|what)\s+(?:sectors?|industr(?:y|ies))\s+(?:is|are|does|do)\b"
)
"""How far back named stocks go ("how far back does XOM go?", "is there data on AAPL?"), or
which sector they are in ("which sector is AAPL in?"): the data's record of each."""
_HAVE_NAME = patterns.compile(
    r"\b(?:do|does|can)\s+(?:you|the data|the dataset|your data)\s+(?:have|cover|hold|include"
    r"|contain|carry)\s+(?:any\s+)?(?:(?:the\s+)?(?:data|prices?|price history|history"
    r"|(?:daily\s+)?returns)\s+(?:on|for|of)\s+)?(?:the\s+|both\s+)?([a-z.]{1,6})\b"
    r"|\bhave you got\s+([a-z.]{1,6})\b"
)
"""The same said as having one ("do you have AAPL?", "do you cover data on KO?")."""
_JOINERS = {"and", "or", "both", "all", ",", "&"}
"""Words that join the names of a list ("AAPL, KO and PEP")."""


def names_covered(intent: Intent, low: str) -> tuple[str, ...]:
    """The stocks named by a question whether they are in the data or how far back they go ("is
    AAPL in the data?", "do you have KO and PEP?", "is TSLA in the data?": those the data lacks
    too, in the order named); () when the message asks no such question (or also names a
    method, weights, a portfolio or the user's own holdings)."""
    of_sectors = set(sector_tickers(intent.sectors))
    known = [t for t in intent.tickers if t not in of_sectors]
    named = sorted({*known, *intent.unknown_tickers}, key=lambda t: _position(low, t))
    if not named or intent.methods or intent.weights or intent.portfolio_ids or _OWN.search(low):
        return ()
    if (listed := _IN_THE_DATA.search(low)) is not None:
        words = listed.group(1).replace(",", " , ").split()
        if all(w in _JOINERS or w.upper() in named for w in words):
            return tuple(named)
        return ()
    had = _HAVE_NAME.search(low)
    if _HISTORY_OF_NAME.search(low) or (
        had is not None and (had.group(1) or had.group(2) or "").upper() in named
    ):
        return tuple(named)
    return ()


def _position(low: str, ticker: str) -> int:
    """Where `ticker` is first named in the lower-cased message, as a word (its end if not)."""
    word = ticker.lower()  # where `(?<![\w.])word(?![\w])` matches (no pattern of a ticker)
    at = low.find(word)
    while at >= 0:
        before = at > 0 and (low[at - 1] == "." or word_character(low, at - 1))
        if not before and not word_character(low, at + len(word)):
            return at
        at = low.find(word, at + 1)
    return len(low)


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
    r"|\b(?:which|what)(?:'s|\s+(?:is|was|are|were|has|had))\s+the\s+(?:most\s+|least\s+)?\w+"
    r"\s+(?:sectors?|industr(?:y|ies))\b"
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
