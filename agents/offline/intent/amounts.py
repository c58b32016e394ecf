"""Amounts a message names beside an analysis: a horizon ahead in sessions ("over the next 6
months": 126) and a capital in currency ("$1m", "on 250k")."""

from __future__ import annotations

from agents.offline import patterns
from agents.offline.intent.dates import COUNT, UNIT, sessions

_AHEAD = patterns.compile(
    r"\b(?:over|in|within|during)\s+(?:the\s+)?(?:next\s+|coming\s+)?" + COUNT + r"\s*" + UNIT
    + r"|\bnext\s+" + COUNT + r"\s*" + UNIT
    + r"|\b" + COUNT + r"\s*" + UNIT + r"\s+(?:of (?:simulated )?paths|ahead|forward|horizon)"
)  # fmt: skip


def horizon_sessions(low: str) -> int | None:
    """ "over the next 6 months" -> 126 sessions; "in a year" -> 252; "2 years of paths" ->
    504."""
    match = _AHEAD.search(low)
    if match is None:
        return None
    unit_group = next(i for i in (2, 4, 6) if match.group(i))
    return sessions(match.group(unit_group - 1), match.group(unit_group))


_MONEY = patterns.compile(
    r"(?:\$|\busd\s*|€|£)\s*(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k|m|mm|mn|bn|thousand|million|"
    r"billion)?\b|\b(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)\s*(k|m|mm|mn|bn|thousand|million|billion)"
    r"\b(?!\s*(?:paths?|trials?))"
)
_SCALE = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "mn": 1e6, "million": 1e6, "bn": 1e9,
          "billion": 1e9}  # fmt: skip


def capital_named(low: str) -> float | None:
    """The capital named ("$1m", "on 250k", "$2,000,000"), if any."""
    for match in _MONEY.finditer(low):
        number = match.group(1) or match.group(3)
        unit = match.group(2) or match.group(4)
        value = float(number.replace(",", "")) * _SCALE.get(unit or "", 1.0)
        if value >= 1_000:
            return value
    return None
