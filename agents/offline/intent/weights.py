"""The weights of a portfolio a message gives: "40% KO, 30% PG and 30% PEP", "KO 40%, PG 30%",
"60/40 AAPL/KO", "50/50 AAPL AMD", "40 AAPL / 60 WMT", "25% each in AAPL, KO, XOM and JNJ", and
bare numbers beside the tickers that make a whole portfolio: "aapl .5 msft .3 jpm .2", "AAPL 0.6
KO 0.4", "aapl=60 ko=40".

A percentage after a limit's word ("at least 40% JPM", "cap LLY at 20%") is a limit, not a
weight, and weights are the portfolio's only when they make one: they sum to 100% (a build's
limits never do), or, for a question that builds nothing, at least two of them are given (the
tools take them as given: a sum below 100% leaves the rest in cash, and the answer says how the
sum was treated). Bare numbers are weights only when they sum to 1 (or to 100). What is read is
consumed, so no other reader takes it for a limit.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import NamedTuple

from agents.offline.intent.scanner import PCT, Scanner, fraction
from settings import patterns

__all__ = ["read_weights"]

_LIMIT_BEFORE = patterns.compile(
    r"(?:at most|at least|no more than|no less than|not more than|not less than|up to|max(?:imum)?"
    r"|min(?:imum)?|cap(?:ped)?|limit(?:ed)?|floor(?:ed)?|below|under|above|over|less than|more "
    r"than|exceed\w*|within|between|than|<=?|>=?|≤|≥)\s*(?:of\s+|at\s+)?$"
)
_CHAINED_BEFORE = patterns.compile(
    rf"(?:{PCT}\s*(?:in\s+|of\s+|into\s+|on\s+|for\s+)?(?:the\s+)?\$?[a-z][\w.&\-]*(?:\s+[a-z]+)?"
    r"(?:\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+|\s*;\s*))+$"
)
"""The shares of targets joined before another ("at least 60% in KO and " before "40% in
JNJ"): a limit's comparator said before them holds for the next one too."""
_JOINED_END = patterns.compile(r"(?:,|;|\band|&)\s*$")
_CHAIN_CHARS = 160
"""How far back shares joined to a limit are looked for (characters): a handful of them."""
_TOLERANCE = 0.011
"""How far from 100% weights may sum and still be the whole portfolio (rounding)."""


def _after_limit(free: str, start: int) -> bool:
    """Whether a number at `start` follows a limit's word, directly ("at least 40% JPM") or
    through the shares joined after it ("at least 60% in KO and 40% in JNJ")."""
    before = free[max(0, start - _CHAIN_CHARS) : start]
    if _JOINED_END.search(before[-6:]) and (chained := _CHAINED_BEFORE.search(before)):
        before = before[: chained.start()]
    return _LIMIT_BEFORE.search(before[-25:]) is not None


_BARE = r"(\d*\.\d+|\d{1,3})"
_NOT_A_WEIGHT = (
    r"(?!\s*(?:%|(?:percent|per cent|pct|bps|bp|basis|days?|weeks?|months?|years?|yrs?|y|sessions?"
    r"|trials?|paths?|x|k|m|mm|bn|thousand|million|billion|stocks?|names?|assets?)\b)|[\d.])"
)
"""After a bare number: not a unit that makes it something else than a weight (a whole word:
".5 weekly" is a weight before a cadence)."""

_NOT_A_VOLATILITY = r"(?!\s*(?:annual(?:ised|ized)?\s+)?vol(?:atility)?\b)"
"""After a percentage: not a volatility ("KO and PEP at 12% volatility" is a target)."""

Ordered = tuple[tuple[re.Pattern[str], tuple[int, int]], ...]
"""Patterns, each with the groups of its ticker and its number."""


class _Readers(NamedTuple):
    """The patterns that read weights of the known tickers."""

    ticker: re.Pattern[str]
    pairs: Ordered
    split: re.Pattern[str]
    each: re.Pattern[str]
    numbers: re.Pattern[str]
    bare: Ordered


@functools.lru_cache(maxsize=8)
def _readers(known: tuple[str, ...]) -> _Readers:
    """The weights' patterns of the `known` tickers (those of the data: a few universes a
    process)."""
    names = "|".join(sorted((re.escape(t.lower()) for t in known), key=len, reverse=True))
    ticker = rf"\$?\b({names})\b"
    join = r"\s*(?:/|,|and|&|\+|\s)\s*"
    shares = r"(\d{1,2}(?:\.\d+)?)\s*[/-]\s*(\d{1,2}(?:\.\d+)?)(?:\s*[/-]\s*(\d{1,2}(?:\.\d+)?))?"
    return _Readers(
        ticker=patterns.compile(ticker),
        pairs=(
            (patterns.compile(rf"{PCT}\s*(?:in\s+|of\s+|into\s+|on\s+)?{ticker}"), (2, 1)),
            (patterns.compile(rf"{ticker}\s*(?:at|:|=|@|-)?\s*{PCT}{_NOT_A_VOLATILITY}"), (1, 2)),
        ),
        split=patterns.compile(
            rf"\b{shares}\s*(?:%\s*)?(?:split\s+)?(?:of\s+|in\s+|between\s+|portfolio\s+(?:of\s+)?)?"
            rf"{ticker}{join}{ticker}(?:{join}{ticker})?"
        ),
        each=patterns.compile(
            rf"{PCT}\s*(?:each|apiece)\s+(?:in\s+|of\s+|on\s+)?((?:{ticker}(?:\s*,\s*|\s+and\s+|\s+"
            rf"|\s*&\s*)?)+)"
        ),
        numbers=patterns.compile(
            rf"\b(\d{{1,3}})\s+{ticker}\s*(?:/|,|and|&)\s*(\d{{1,3}})\s+{ticker}"
        ),
        bare=(
            (patterns.compile(rf"{ticker}\s*(?:[:=@]|at\b|-)?\s*{_BARE}{_NOT_A_WEIGHT}"), (1, 2)),
            (patterns.compile(rf"(?<![\d.$])\b{_BARE}\s*(?:of\s+|in\s+)?{ticker}\b"), (2, 1)),
        ),
    )


def _pairs(scan: Scanner, readers: _Readers) -> list[tuple[re.Match[str], str, float]]:
    """(match, ticker, weight) of "40% KO" and "KO 40%", not after a limit's word."""
    found = []
    for pattern, order in readers.pairs:
        for match in pattern.finditer(scan.free):
            if _after_limit(scan.free, match.start()):
                continue
            name, value = match.group(order[0]), fraction(match.group(order[1]))
            found.append((match, name.upper(), value))
    found.sort(key=lambda item: item[0].start())
    kept, end = [], -1
    for item in found:
        if item[0].start() >= end:
            kept.append(item)
            end = item[0].end()
    return kept


def _split(scan: Scanner, readers: _Readers) -> tuple[list[re.Match[str]], dict[str, float]]:
    """ "60/40 AAPL/KO", "50/50 AAPL AMD", "40 AAPL / 60 WMT", "25% each in AAPL, KO and XOM"."""
    split = readers.split.search(scan.free)
    if split:
        parts = [float(p) for p in split.group(1, 2, 3) if p]
        tickers = [t.upper() for t in split.group(4, 5, 6) if t]
        if len(parts) == len(tickers) and abs(sum(parts) - 100.0) < 1.1:
            return [split], {t: p / 100.0 for p, t in zip(parts, tickers, strict=True)}
    each = readers.each.search(scan.free)
    if each and not _after_limit(scan.free, each.start()):
        tickers = [t.upper() for t in readers.ticker.findall(each.group(2))]
        share = fraction(each.group(1))
        if tickers and abs(share * len(tickers) - 1.0) < _TOLERANCE:
            return [each], dict.fromkeys(tickers, share)
    numbers = readers.numbers.search(scan.free)
    if numbers and int(numbers.group(1)) + int(numbers.group(3)) == 100:
        return [numbers], {
            numbers.group(2).upper(): int(numbers.group(1)) / 100.0,
            numbers.group(4).upper(): int(numbers.group(3)) / 100.0,
        }
    return [], {}


def _bare(scan: Scanner, readers: _Readers) -> tuple[list[re.Match[str]], dict[str, float]]:
    """Weights written as bare numbers beside each ticker ("aapl .5 msft .3 jpm .2", "AAPL 0.6
    KO 0.4", "60 AAPL 40 KO", "aapl=60, ko=40"), two or more, summing to 1 (or to 100)."""
    for pattern, order in readers.bare:
        found = [m for m in pattern.finditer(scan.free) if not _after_limit(scan.free, m.start())]
        weights = {m.group(order[0]).upper(): float(m.group(order[1])) for m in found}
        if len(found) < 2 or len(weights) != len(found):
            continue
        total = sum(weights.values())
        scale = 100.0 if abs(total - 100.0) < 100 * _TOLERANCE else 1.0
        if abs(total / scale - 1.0) < _TOLERANCE:
            return found, {name: value / scale for name, value in weights.items()}
    return [], {}


def read_weights(scan: Scanner, known: Sequence[str], builds: bool) -> dict[str, float]:
    """The portfolio weights the message gives, by ticker (fractions; {} when none); `builds`:
    the message asks for a portfolio to be built (its percentages must then sum to 100%)."""
    readers = _readers(tuple(known))
    matches, weights = _split(scan, readers)
    if not weights:
        for match, name, value in _pairs(scan, readers):
            if name not in weights:
                matches.append(match)
                weights[name] = value
    if not weights:
        matches, weights = _bare(scan, readers)
    total = sum(weights.values())
    whole = abs(total - 1.0) < _TOLERANCE
    given = not builds and len(weights) >= 2
    if not weights or not (whole or given):
        return {}
    for match in matches:
        scan.consume(match)
    return weights
