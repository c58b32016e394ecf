"""What industry a ticker is in: GICS sector and sub-industry of the S&P 500 constituents.

The price data of `quant.data` carries no classification, so Stratigos ships one: the S&P 500
constituents' company names, GICS sectors and GICS sub-industries
(`quant/sp500_classification.csv`, 504 tickers, from the `datasets/s-and-p-500-companies` data
package, licensed ODC-PDDL 1.0 (public domain), plus Range Resources (RRC), an embedded ticker
that has since left the index). Tickers of user-supplied market data that are not in it have no
classification (they can still be named by ticker).

`matching(term)` answers which classified tickers an industry or sector term names: a term
names a sector or sub-industry when it equals it or is a run of its whole words, ignoring case
("tobacco" -> Tobacco, "banks" -> Diversified Banks and Regional Banks, "energy" -> the Energy
sector).
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

CLASSIFICATION_FILE = Path(__file__).with_name("sp500_classification.csv")
"""The shipped classification: columns ticker, name, sector, industry."""


@dataclass(frozen=True)
class Classification:
    """A ticker's company name, GICS sector and GICS sub-industry (`industry`)."""

    ticker: str
    name: str
    sector: str
    industry: str


@functools.lru_cache(maxsize=1)
def classifications() -> dict[str, Classification]:
    """Every classified ticker (upper case) -> its classification."""
    with CLASSIFICATION_FILE.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    return {
        r["ticker"].upper(): Classification(
            ticker=r["ticker"].upper(), name=r["name"], sector=r["sector"], industry=r["industry"]
        )
        for r in rows
    }


def classify(ticker: str) -> Classification | None:
    """The classification of `ticker` (any case), or None when it has none."""
    return classifications().get(ticker.strip().upper())


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9&]+", text.lower())


def names_category(term: str, category: str) -> bool:
    """Whether `term` names `category` (a sector or sub-industry): it equals it, or its words
    are a run of the category's whole words, ignoring case and punctuation."""
    wanted, words = _words(term), _words(category)
    if not wanted:
        return False
    n = len(wanted)
    return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))


def matching(term: str) -> list[Classification]:
    """The classified tickers whose sector or sub-industry `term` names, in ticker order."""
    return [
        c
        for c in sorted(classifications().values(), key=lambda c: c.ticker)
        if names_category(term, c.sector) or names_category(term, c.industry)
    ]


__all__ = [
    "CLASSIFICATION_FILE",
    "Classification",
    "classifications",
    "classify",
    "matching",
    "names_category",
]
