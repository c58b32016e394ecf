"""What the ask accounting (`graphs.ask_items`, `graphs.ask_accounting`) knows of the world: the
tickers of the market data, the company names and sector or industry terms of the
classification (`quant.classification`), and the sessions of the data (where "the last 6
months" starts).

It is shared low-level vocabulary, not any model's parser: the check reads a message on its own
so it can catch every model, the offline one included.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from quant.classification import SECTOR_ALIASES, Classification, classifications, matching
from quant.errors import DataError
from settings import patterns

GENERIC_NAME_WORDS = frozenset(
    {
        "advanced", "american", "and", "bank", "best", "company", "eli", "first", "general",
        "group", "home", "national", "of", "range", "the", "united"
    }
)  # fmt: skip
"""First words of company names too common to stand for the company alone ("General")."""

_THE = patterns.compile(r"^the\s+", re.IGNORECASE)
_AND_AT_END = patterns.compile(r"\s*(?:&|and)$")
_NAME_SUFFIX = patterns.compile(
    r"[,\s]+(?:inc\.?|incorporated|corp\.?|corporation|company|co\.?|group|plc|ltd\.?|"
    r"holdings?|and company)$",
    re.IGNORECASE,
)

GROUP_WORDS = frozenset(
    {
        "banking", "banks", "beverages", "biotech", "energy", "financials", "healthcare",
        "industrials", "insurance", "materials", "oil", "pharma", "pharmaceuticals",
        "semiconductors", "semis", "software", "staples", "tech", "technology", "utilities"
    }
)  # fmt: skip
"""Single words users say for a sector or industry (kept when the classification resolves
them: `matching`)."""


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """Tickers (upper case) the market data holds, company names (lower case) -> ticker, group
    terms (lower case) -> the tickers the classification puts in them, and the data's sessions
    (None when unknown)."""

    tickers: frozenset[str]
    names: Mapping[str, str] = field(default_factory=dict)
    groups: Mapping[str, frozenset[str]] = field(default_factory=dict)
    sessions: pd.DatetimeIndex | None = None
    classification_file: Path | None = None

    def members(self, term: str) -> frozenset[str]:
        """The tickers a sector or industry term names (`quant.classification.matching`)."""
        found = self.groups.get(term.strip().lower())
        if found is None:
            found = frozenset(c.ticker for c in matching(term, self.classification_file))
        return found

    @property
    def data_end(self) -> str | None:
        """The last session of the data, ISO (None when unknown)."""
        if self.sessions is None or not len(self.sessions):
            return None
        return pd.Timestamp(self.sessions[-1]).date().isoformat()


def _short_name(name: str) -> str:
    """A company name as people say it: no leading "The", no "Inc." or "Company"."""
    name = _THE.sub("", name.strip())
    while (shorter := _AND_AT_END.sub("", _NAME_SUFFIX.sub("", name))) != name:
        name = shorter
    return name.strip().lower()


def company_names(rows: Mapping[str, Classification]) -> dict[str, str]:
    """Company names (lower case) -> ticker: each classified company's short name and, when
    distinctive, its first word ("exxon" for Exxon Mobil)."""
    names: dict[str, str] = {}
    for ticker, row in rows.items():
        short = _short_name(row.name)
        if len(short) >= 3:
            names.setdefault(short, ticker)
        first = short.split()[0] if short else ""
        if len(first) >= 5 and first not in GENERIC_NAME_WORDS:
            names.setdefault(first, ticker)
    return names


def group_terms(path: Path | None) -> dict[str, frozenset[str]]:
    """Sector and industry terms (lower case) -> the tickers they name: every sector and
    sub-industry name of the classification, the words of `SECTOR_ALIASES` and `GROUP_WORDS`,
    each kept when `matching` finds tickers for it."""
    rows = classifications(path)
    candidates = set(SECTOR_ALIASES) | set(GROUP_WORDS)
    for row in rows.values():
        candidates |= {row.sector.lower(), row.industry.lower()}
    terms = {}
    for term in candidates:
        members = frozenset(c.ticker for c in matching(term, path))
        if members:
            terms[term] = members
    return terms


@functools.lru_cache(maxsize=4)
def _cached(
    tickers: tuple[str, ...], path: Path | None, sessions_key: tuple[str, str, int]
) -> Vocabulary:
    del sessions_key  # part of the cache key
    rows = classifications(path)
    return Vocabulary(
        tickers=frozenset(tickers),
        names=company_names({t: r for t, r in rows.items() if t in tickers}),
        groups=group_terms(path),
    )


def vocabulary(settings: object | None = None) -> Vocabulary:
    """The vocabulary of the configured market data and classification file (`settings`: a
    `Settings`, default the process's). Market data that cannot be read leaves the classified
    tickers and no sessions."""
    from services.market_data import market_closes
    from settings import Settings, get_settings

    chosen = settings if isinstance(settings, Settings) else get_settings()
    path = chosen.classification_file
    try:
        closes = market_closes(chosen)
        last = _LAST[-1] if _LAST else None
        if last is not None and last[0] is closes and last[1] == path:
            return last[2]
        sessions = pd.DatetimeIndex(closes.index)
        tickers = tuple(sorted(str(c).upper() for c in closes.columns))
    except DataError:
        sessions, tickers = None, tuple(sorted(classifications(path)))
    key = (
        (str(sessions[0]), str(sessions[-1]), len(sessions))
        if sessions is not None and len(sessions)
        else ("", "", 0)
    )
    found = _cached(tickers, path, key)
    made = Vocabulary(found.tickers, found.names, found.groups, sessions, path)
    if sessions is not None:
        _LAST[:] = [(closes, path, made)]
    return made


_LAST: list[tuple[object, Path | None, Vocabulary]] = []
"""The last vocabulary made from market data, with those closes (the provider's shared frame,
the same object while the data is unchanged) and classification file: a turn's accounting asks
for it on every answer."""


__all__ = ["Vocabulary", "company_names", "group_terms", "vocabulary"]
