"""Amounts a message names: a horizon ahead in sessions ("over the next 6 months": 126), a
capital in currency ("$1m", "on 250k") and the shares of names added ("add 10% JNJ")."""

from __future__ import annotations

from collections.abc import Sequence

from agents.offline.intent.dates import COUNT, UNIT, sessions
from settings import patterns

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


_PERCENT = r"\s*(?:%|percent\b|per\s?cent\b|pct\b)"
_WEIGHT_OF = patterns.compile(
    rf"(?<!most )(?<!max )(?<!to )\b(\d{{1,2}}(?:\.\d+)?){_PERCENT}\s+"
    r"(?:(?:position|stake|allocation|weight)\s+)?(?:of\s+|in\s+)?([a-z.]{1,6})\b"
    rf"|\b([a-z.]{{1,6}})\s+(?:at|@|with)\s+(?:a\s+)?(\d{{1,2}}(?:\.\d+)?){_PERCENT}"
    r"(?!\s*(?:cap|max|maximum|limit|ceiling|floor|min|minimum)\b)"
)


def added_shares(low: str, tickers: Sequence[str]) -> tuple[tuple[str, float], ...]:
    """The weight stated for each name added ("add 10% JNJ", "add JNJ at 5%"), as fractions."""
    found: dict[str, float] = {}
    for match in _WEIGHT_OF.finditer(low):
        share, name = (match.group(1), match.group(2)) if match.group(1) else match.group(4, 3)
        if name.upper() in tickers and 0 < float(share) < 100:
            found.setdefault(name.upper(), float(share) / 100)
    return tuple(found.items())
