"""Weight limits, exclusions and the asks a portfolio build cannot keep, read from a message.

- limits on every weight, however said: a cap ("at most 30% in any stock", "capped at 30% per
  name", "max 25% each", "a 30% position limit", "thirty percent max per stock", "no name
  bigger than 30%", "keep each position under 30pct", "limit each one to 20%", "cap each at
  20%", "cap it at 25%"), a floor ("at least 5% in each stock", "a 10% floor on each name", "minimum 15% in
  every stock") and both ("each between 2% and 10%", "every weight between 5 and 30 percent",
  "at least 1% and at most 12% per stock");
- limits on named assets and on sectors or industries (`targets`: "at least 40% JPM", "keep
  financials under 15%", "cap LLY at 20%", "JNJ between 10% and 25%"), and a cap on every sector
  ("no more than 30% in any one sector", "max 25% per sector", "a 30% sector cap", "no sector
  above 30%");
- exclusions ("without XOM", "skip AMD", "ex-energy") and what a portfolio build keeps or
  cannot keep (`asks`: "long only", "no leverage"; "1.5x leverage", "benchmark SPY").

Every limit is a fraction of capital; a reader consumes what it reads from the scanner's free
text, so a number is given one meaning. The readers run from the most explicit phrasing to the
least: a cap said of "each name" before one said of a named asset, and a bare "capped at 30%"
(every weight) last.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from agents.offline.intent.asks import read_asks
from agents.offline.intent.scanner import PCT, Scanner, fraction
from agents.offline.intent.targets import (
    BETWEEN,
    CAP,
    FLOOR,
    TARGET,
    Book,
    exclusions,
    ranges,
    resolve,
    targeted,
)
from agents.offline.intent.words import read_tickers
from settings import patterns

_HOLDING = (
    r"(?:stock|asset|name|position|holding|ticker|company|share|equity|security|weight|line"
    r"|constituent)s?"
)
_EVERY = (
    rf"(?:(?:any one|any single|any|each|every|a single|one|single|per|all|all the|all of the"
    rf"|each of the)\s+"
    rf"(?:single\s+)?{_HOLDING}\b|each one\b|every one\b|each of them\b|all of them\b"
    r"|any (?:single )?one\b(?!\s+(?:sector|industry|group|of)\b))"
)
_EACH = r"(?:(?:in\s+|on\s+|for\s+)?each\b|apiece\b|a (?:name|stock|position|holding)\b)"
_ABOVE = (
    r"(?:above|over|more than|exceeding|exceeds?|bigger than|larger than|greater than|higher "
    r"than|at more than|should exceed|to exceed|is above)"
)
_SAID_OF_EACH = patterns.compile(r"(?:\beach|apiece|\ba (?:name|stock|position|holding))$")
_CAP_NOUN = r"(?:max(?:imum)?|cap|limit|ceiling)"
_FLOOR_NOUN = r"(?:floor|min(?:imum)?)"
_KIND = r"(?:(?:position|name|single[\s-]name|per[\s-]name|weight|holding|stock|asset)\s+)?"
_ON_EVERY = rf"(?:(?:in|on|per|for|to|of)\s+)?(?:{_EVERY}|{_EACH})"


@dataclass(frozen=True)
class LimitAsk:
    """The weight limits and exclusions of a message (see the module docstring): `max_weight`
    and `min_weight` on every asset, `asset_limits` (ticker -> (min, max)), `sector_limits`
    (term -> (min, max)), `excluded` tickers and sector terms; `kept`: what it asks that every
    portfolio built here keeps ("long-only", "no leverage"), and `unsupported`: what it asks
    that a long-only, fully invested portfolio build cannot keep, in words."""

    max_weight: float | None = None
    min_weight: float | None = None
    sector_cap: float | None = None
    """A cap on every sector's weights added up (the universe's sectors, each one)."""
    asset_limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    sector_limits: dict[str, tuple[float, float]] = field(default_factory=dict)
    excluded: tuple[str, ...] = ()
    excluded_sectors: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    unsupported: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether the message states no limit, exclusion or ask."""
        return self == LimitAsk()

    @property
    def changes_weights(self) -> bool:
        """Whether it states a limit on weights or leaves something out."""
        return any(
            (
                self.max_weight is not None,
                self.min_weight is not None,
                self.sector_cap is not None,
                self.asset_limits,
                self.sector_limits,
                self.excluded,
                self.excluded_sectors,
            )
        )


def _value(match: re.Match[str]) -> float | None:
    """The first percentage of `match` as a fraction in (0, 1], else None."""
    value = fraction(next(g for g in match.groups() if g is not None))
    return value if 0.0 < value <= 1.0 else None


_TARGET_BEFORE = patterns.compile(rf"{TARGET}\s*$")
_STARTS_WITH_EACH = patterns.compile(r"\s*each\b")


def _targets_before(scan: Scanner, start: int, known: Sequence[str]) -> bool:
    """Whether the words just before `start` name one asset or sector (not a ticker list): "JPM
    and BAC at most 15% each" limits them, "KO PG XOM max 25% each" every weight."""
    words = _TARGET_BEFORE.search(scan.free[:start])
    if words is None or len(read_tickers(words.group(1).upper(), known)) >= 2:
        return False
    return resolve(words.group(1), known, backward=True)[0] is not None


def _first(scan: Scanner, said: Sequence[re.Pattern[str]], known: Sequence[str]) -> float | None:
    """The value of the first of the patterns `said` that matches (and is not said of a named
    target)."""
    for pattern in said:
        for match in pattern.finditer(scan.free):
            value = _value(match)
            said_of_each = _SAID_OF_EACH.search(match.group(0)) or _STARTS_WITH_EACH.match(
                match.group(0)
            )
            if value is None or (said_of_each and _targets_before(scan, match.start(), known)):
                continue
            scan.consume(match)
            return value
    return None


_CAPS_EXPLICIT = patterns.compile_all(
    rf"{CAP}\s*{PCT}\s*{_ON_EVERY}",
    rf"\beach\s+(?:one\s+)?{CAP}\s*{PCT}",
    rf"{PCT}\s*{_KIND}{_CAP_NOUN}\s*{_ON_EVERY}",
    rf"(?:\bno|none of the|not a|not one)\s+(?:single\s+)?{_HOLDING}\s*{_ABOVE}\s*{PCT}",
    rf"\bnothing\s+{_ABOVE}\s*{PCT}",
    rf"{_EVERY}\s*(?:weight\s*)?(?:should be\s*|must be\s*|is\s*|stays?\s*|kept\s*|at\s*)?{CAP}\s*{PCT}",
    rf"\b(?:limit|cap|restrict|constrain|hold|keep)\s+(?:it\s+|them\s+)?{_EVERY}\s*(?:to|at|under|below|at most)\s*{PCT}",
    rf"\b(?:cap|limit)\s+(?:it|them|the weights?)\s+(?:at|to)\s+{PCT}\s*{_ON_EVERY}",
    rf"\b(?:cap|limit|restrict|hold|keep)\s+(?:them\s+|it\s+)?(?:each|all|everything|every one)"
    rf"\s+(?:(?:to|at|under|below)\s+|at most\s+)?{PCT}",
)
_BELOW = r"(?:below|under|less than|smaller than|lower than|beneath)"
_FLOORS_EXPLICIT = patterns.compile_all(
    rf"{FLOOR}\s*{PCT}\s*{_ON_EVERY}",
    rf"\beach\s+(?:one\s+)?{FLOOR}\s*{PCT}",
    rf"(?:\bno|none of the|not a|not one)\s+(?:single\s+)?{_HOLDING}\s*{_BELOW}\s*{PCT}",
    rf"\bnothing\s+{_BELOW}\s*{PCT}",
    rf"{PCT}\s*{_KIND}{_FLOOR_NOUN}\s*{_ON_EVERY}",
    rf"{_EVERY}\s*(?:weight\s*)?(?:should be\s*|must be\s*|is\s*|stays?\s*|kept\s*|at\s*)?{FLOOR}\s*{PCT}",
)
_CLAUSE_START = r"(?:^|[,;:]\s*|\b(?:with|and|but|keep|keeping)\s+)"
_CLAUSE_END = (
    r"(?=(?:\s*\b(?:in|the|over|for|during|from|since|of)\b)*\s*(?:$|[,.;!?]|(?:and|with|but"
    r"|using)\b))"
)
"""Around a limit said alone as a clause of a build ("hrp on AAPL MSFT JPM XOM, max 25%"): a
limit on every weight; after it, up to the clause's end, only the words of a window read before
("max 25% in 2020": "in" is left of it). A target, a risk measure or a unit after it makes it
something else."""
_CAPS_BARE = patterns.compile_all(
    rf"{_CLAUSE_START}(?:a\s+)?(?:max(?:imum)?|cap(?:ped)?(?:\s+at)?|ceiling(?:\s+of)?|no more than"
    rf"|not more than|at most|up to)\s+(?:of\s+)?{PCT}{_CLAUSE_END}",
    rf"{PCT}\s*{_KIND}{_CAP_NOUN}\b(?!\s*(?:in|on|for|of|to)\b)",
    rf"(?:position|weight|name|single[\s-]name|per[\s-]name|concentration|holding)[\s_-]+"
    rf"(?:limit|cap|max(?:imum)?)\s*(?:of|at|=|:|to)?\s*{PCT}",
    rf"max(?:imum)?[\s_-]*weights?\s*(?:of|at|=|:)?\s*{PCT}",
    rf"\bcap(?:ped)?\s+(?:it\s+|them\s+|(?:the\s+)?weights?\s+|(?:the\s+)?positions?\s+)?at\s+"
    rf"{PCT}(?!\s*(?:in|on|for|of)\b)",
    rf"^\s*(?:and\s+|now\s+|then\s+)?(?:a\s+)?cap\s+(?:of\s+)?{PCT}\s*(?:too|as well|also"
    r"|please|pls|instead)?\s*[.?!]?\s*$",
    rf"(?:weights?|positions?|holdings?)\s*(?:capped at|of at most|at most|no more than|below"
    rf"|under|<=)\s*{PCT}",
)
_FLOORS_BARE = patterns.compile_all(
    rf"{PCT}\s*{_KIND}{_FLOOR_NOUN}\b(?!\s*(?:in|on|for|of|to)\b)",
    rf"\bfloor(?:ed)?\s+(?:it\s+|them\s+|(?:the\s+)?weights?\s+)?at\s+{PCT}(?!\s*(?:in|on|for|of)\b)",
    rf"{_CLAUSE_START}(?:a\s+)?(?:floor|min(?:imum)?|at least)\s+(?:of\s+)?{PCT}{_CLAUSE_END}",
)
_RANGES_EVERY = patterns.compile_all(
    rf"(?:{_EVERY}|\beach\b)\s*(?:weight\s*)?(?:(?:is|at|should be|must be|kept|held|of)\s+)?{BETWEEN}",
    rf"{BETWEEN}\s*{_ON_EVERY}",
    rf"{FLOOR}\s*{PCT}\s*(?:,|and|but)\s*{CAP}\s*{PCT}\s*{_ON_EVERY}",
    rf"{CAP}\s*{PCT}\s*(?:,|and|but)\s*{FLOOR}\s*{PCT}\s*{_ON_EVERY}",
)


_SECTOR_WORD = r"(?:sectors?|industry|industries)"
_ANY_SECTOR = (
    rf"(?:(?:in|on|to|for|of|across)\s+)?(?:any one|any single|any|each|every|a single|one|single"
    rf"|per|a|the same)\s+{_SECTOR_WORD}\b"
)
_SECTOR_CAPS = patterns.compile_all(
    rf"{CAP}\s*{PCT}\s*{_ANY_SECTOR}",
    rf"{PCT}\s*(?:max(?:imum)?|cap|limit|ceiling)\s*{_ANY_SECTOR}",
    rf"\b{_SECTOR_WORD}[\s-]+(?:cap|limit|max(?:imum)?|ceiling)s?\s*(?:of|at|=|:|to)?\s*{PCT}",
    rf"{PCT}\s*{_SECTOR_WORD}[\s-]+(?:cap|limit|max(?:imum)?|ceiling)\b",
    rf"\b(?:cap|limit|restrict|keep|hold)\s+(?:(?:each|every|any|all|all the)\s+)?{_SECTOR_WORD}\s*"
    rf"(?:weights?\s+)?(?:to|at|under|below|at most|within)\s*{PCT}",
    rf"\bno\s+(?:single\s+|one\s+)?{_SECTOR_WORD}\s*(?:weight\s*)?(?:at\s+|is\s+)?{_ABOVE}\s*{PCT}",
    rf"\b(?:each|every|any)\s+(?:single\s+)?{_SECTOR_WORD}\s*(?:(?:should|must|can|may)\s+be\s+|is\s+"
    rf"|at\s+|stays?\s+)?{CAP}\s*{PCT}",
)
"""A cap on every sector ("no more than 30% in any one sector", "30% max per sector", "a 30%
sector cap", "cap each sector at 25%", "cap sectors at 40%", "no sector above 30%", "each sector
at most 30%")."""


_SECTOR_CAP_AFTER = patterns.compile(
    rf"(?:\band|,)\s*{PCT}\s*(?:per|a|each|in any(?: one)?|in each)\s+{_SECTOR_WORD}\b"
)
"""A sector's cap said after a cap on every stock or on a sector, the cap word shared ("max 20%
per stock and 35% per sector", "at most 40% in tech and 30% per sector": tech's is 40%)."""


def _sector_cap(scan: Scanner, patterns_said: Sequence[re.Pattern[str]]) -> float | None:
    """The cap on every sector the message states by one of `patterns_said` (`_SECTOR_CAPS`
    read first: its number is a sector's, never a stock's)."""
    for pattern in patterns_said:
        if (match := pattern.search(scan.free)) is not None and (value := _value(match)):
            scan.consume(match)
            return value
    return None


def _every_range(scan: Scanner, known: Sequence[str]) -> tuple[float, float] | None:
    """Both limits on every weight ("each between 2% and 10%"), as (floor, cap); not a first
    limit said of a named asset or sector ("jnj at least 9% and at most 30% per name": the
    floor is JNJ's)."""
    for n, pattern in enumerate(_RANGES_EVERY):
        match = pattern.search(scan.free)
        if match is None or (n >= 2 and _targets_before(scan, match.start(), known)):
            continue
        low, high = (fraction(g) for g in match.groups() if g is not None)
        low, high = (high, low) if n == 3 else (low, high)
        if 0.0 <= low <= high <= 1.0:
            scan.consume(match)
            return low, high
    return None


def read_limits(scan: Scanner, known: Sequence[str]) -> LimitAsk:
    """The limits of the message in `scan` (see the module docstring)."""
    sector_cap = _sector_cap(scan, _SECTOR_CAPS)
    floor, cap = _every_range(scan, known) or (None, None)
    assets: Book = {}
    sectors: Book = {}
    ranges(scan, known, assets, sectors)
    cap = cap if cap is not None else _first(scan, _CAPS_EXPLICIT, known)
    if cap is not None and sector_cap is None:
        sector_cap = _sector_cap(scan, (_SECTOR_CAP_AFTER,))
    floor = floor if floor is not None else _first(scan, _FLOORS_EXPLICIT, known)
    targeted(scan, known, assets, sectors)
    if sectors and sector_cap is None:  # "at most 40% in tech and 30% per sector"
        sector_cap = _sector_cap(scan, (_SECTOR_CAP_AFTER,))
    cap = cap if cap is not None else _first(scan, _CAPS_BARE, known)
    floor = floor if floor is not None else _first(scan, _FLOORS_BARE, known)
    excluded, excluded_sectors = exclusions(scan, known)
    kept, unsupported = read_asks(scan)
    return LimitAsk(
        max_weight=cap,
        min_weight=floor or None,
        sector_cap=sector_cap,
        asset_limits=assets,
        sector_limits=sectors,
        excluded=excluded,
        excluded_sectors=excluded_sectors,
        kept=kept,
        unsupported=unsupported,
    )


__all__ = ["LimitAsk", "read_limits"]
