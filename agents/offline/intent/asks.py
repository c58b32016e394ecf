"""What a message asks of a portfolio beyond its weights: leverage, short positions and a
benchmark. Said as a negation ("no leverage", "unlevered", "no shorting", "long only") they are
kept by every portfolio built here (long-only, fully invested, unlevered), and said so; asked
for ("1.5x leverage", "allow shorts", "benchmark SPY", "relative to the S&P 500") they cannot
be, and the reply says which and why (a benchmark's beta can be reported instead).
"""

from __future__ import annotations

from agents.offline.intent.scanner import Scanner
from settings import patterns

__all__ = ["INDEX_MOVE", "INDEX_NAMES", "read_asks"]

INDEX_NAMES = frozenset({"SPY", "SPX", "GSPC", "VOO", "IVV", "QQQ", "NDX", "ACWI", "URTH"})
"""Symbols of an index or an index fund: a benchmark, not a ticker of the data."""

INDEX_MOVE = patterns.compile(
    r"\b(?:spx|spy|s&p(?: 500)?|the index|the market)\s+(?:falls?|drops?|declines?|crash\w*"
    r"|tanks?|sinks?|slides?|rall\w*|rises?|gains?|is down|is up|goes (?:down|up)|were to \w+)"
    r"|\b(?:if|when)\s+(?:the\s+)?(?:spx|spy)\b"
)
"""The market index named as what moves ("if SPX falls 25%"), for a stress test."""

_NOUNS = (
    r"(?:leverage|margin|gearing|borrowing|shorts?|shorting|short (?:positions?|selling|sales))"
)
_KEPT = (
    (
        "long-only",
        patterns.compile(
            r"\blong[\s-]only\b|\bno\s+short(?:s|ing|\s+positions?|\s+selling|\s+sales)?\b"
            r"|\bwithout\s+(?:any\s+)?short\w*(?:\s+positions?)?|\bnot\s+short\w*\b"
            rf"|\b(?:no|without)\s+(?:any\s+)?{_NOUNS}\s+(?:or|nor|and)\s+short\w*(?:\s+positions?)?"
        ),
    ),
    (
        "no leverage",
        patterns.compile(
            r"\b(?:no|zero|without(?:\s+any)?)\s+(?:leverage|margin|gearing|borrowing)\b"
            r"|\bun-?lever(?:ag)?ed\b|\bnot\s+levered\b|\bno\s+levering\b|\b1(?:\.0)?\s*x\s+"
            r"(?:leverage|gross)\b|\b(?:no|without)\s+(?:any\s+)?short\w*(?:\s+positions?)?"
            r"\s+(?:or|nor|and)\s+(?:leverage|margin)\b"
        ),
    ),
)
_LEVERAGE = patterns.compile(
    r"(?<!\d)(\d+(?:\.\d+)?)\s*x\s+(?:leverage|levered|gross)|\blever(?:age|ed)\b|\bon margin\b"
)
_SHORTS = patterns.compile(
    r"\b(?:allow(?:ing)?\s+)?short(?:s|ing| positions| selling| sales)\b|\blong[\s/-]short\b"
)
_INDEX = (
    r"(s&p(?: 500)?|spy|spx|voo|ivv|qqq|nasdaq(?: 100)?|the index|the market|msci [a-z]+|[a-z]+ "
    r"index)"
)
_BENCHMARK = patterns.compile(
    rf"\b(?:relative to|versus|vs\.?|benchmark(?:ed|ing)?(?: is| of| to| against| vs\.?|:)?|"
    rf"tracking error (?:to|against|vs\.?|versus)|track(?:ing)?|against)\s+(?:the\s+)?{_INDEX}"
    rf"(?!\s+(?:falls?|drops?|declines?|crash\w*|tanks?|rall\w*|rises?))"
    rf"|\b{_INDEX}\s+as\s+(?:the\s+|a\s+|our\s+|my\s+)?benchmark\b"
)


def read_asks(scan: Scanner) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(what the message asks that every portfolio built here keeps, in words; what it asks
    that none can keep, each with why), consuming what it read."""
    found = [(name, match) for name, pattern in _KEPT for match in pattern.finditer(scan.free)]
    kept = list(dict.fromkeys(name for name, _ in found))
    for _, span in found:
        scan.consume(span)
    said = []
    if levered := _LEVERAGE.search(scan.free):
        amount = f" of {levered.group(1)}x" if levered.group(1) else ""
        said.append(
            f"leverage{amount}: portfolios here are fully invested and unlevered (a strategy "
            "search can lever its risky sleeve: max_leverage)"
        )
    if _SHORTS.search(scan.free):
        said.append("short positions: portfolios here are long-only")
    if benchmark := _BENCHMARK.search(scan.free):
        index = (benchmark.group(1) or benchmark.group(2)).removeprefix("the ")
        said.append(
            f"tracking {index}: portfolios are built on their own risk and return, not against "
            "a benchmark (their beta to the market index can be reported: ask for the "
            "portfolio's beta)"
        )
        scan.consume(benchmark)
    return tuple(kept), tuple(said)
