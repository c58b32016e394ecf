"""The series a beta or a tracking error is asked against when it is not the index ("beta of JPM
to XOM", "tracking error of JPM vs XOM": XOM), and the stock names are ranked by their
correlation with ("which stocks have the lowest correlation to AAPL?": AAPL)."""

from __future__ import annotations

from agents.offline.intent import Intent
from settings import patterns

__all__ = ["beta_to", "correlated_to"]

_BETA_TO = patterns.compile(
    r"\bbetas?\b[^.?!;]{0,60}?\b(?:to|against|relative to|with respect to|w\.?r\.?t\.?)\s+"
    r"([a-z][a-z.]{0,5})\b"
    r"|\b(?:tracking[\s-]+errors?|information\s+ratios?|active\s+returns?)\b[^.?!;]{0,60}?\b"
    r"(?:to|against|relative to|with respect to|w\.?r\.?t\.?|vs\.?|versus)\s+([a-z][a-z.]{0,5})\b"
)


def beta_to(intent: Intent, low: str) -> str | None:
    """The stock named after "beta ... to / against / relative to" ("beta of JPM to XOM") or
    "tracking error ... vs" too (a tracking error is always against something: "beta of JPM vs
    XOM" compares two betas), when it is one of the message's tickers; None for the index
    ("beta to the market")."""
    match = _BETA_TO.search(low)
    if match is None:
        return None
    named = (match.group(1) or match.group(2)).upper()
    return named if named in intent.tickers else None


_CORRELATED_TO = patterns.compile(
    r"\bcorrelat\w*\b[^.?!;]{0,40}?\b(?:to|with|against|relative to|vs\.?|versus)\s+"
    r"([a-z][a-z.]{0,5})\b"
)
PAIRS_ASKED = patterns.compile(
    r"\b(?:each other|one another|pairs?|pairwise|together|among (?:them|themselves)|between)\b"
)
"""Correlations asked of names among themselves ("which stocks are most correlated with each
other?", "the most correlated pair"): a matrix's pairs, not each name's with one series."""


def correlated_to(intent: Intent, low: str) -> str | None:
    """The stock named after "correlated with / correlation to" ("which stocks have the lowest
    correlation to AAPL?": AAPL) when it is one of the message's tickers; None for the index or
    none named."""
    match = _CORRELATED_TO.search(low)
    if match is None:
        return None
    named = match.group(1).upper()
    return named if named in intent.tickers else None
