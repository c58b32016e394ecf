"""The series a beta is asked against when it is not the index ("beta of JPM to XOM": XOM)."""

from __future__ import annotations

from agents.offline.intent import Intent
from settings import patterns

__all__ = ["beta_to"]

_BETA_TO = patterns.compile(
    r"\bbetas?\b[^.?!;]{0,60}?\b(?:to|against|relative to|with respect to|w\.?r\.?t\.?)\s+"
    r"([a-z][a-z.]{0,5})\b"
)


def beta_to(intent: Intent, low: str) -> str | None:
    """The stock named after "beta ... to / against / relative to" ("beta of JPM to XOM"), when
    it is one of the message's tickers; None for the index ("beta to the market")."""
    match = _BETA_TO.search(low)
    if match is None:
        return None
    named = match.group(1).upper()
    return named if named in intent.tickers else None
