"""What industry a ticker is in: company name, GICS sector and GICS sub-industry.

The price data of `quant.data` carries no classification, so Stratigos ships one for the
embedded data only: `quant/embedded_classification.csv`, written for this project, classifies
exactly the 20 embedded tickers (`quant.data.sp500_prices().columns`). A user whose market data
holds other tickers supplies their own classification file (for instance their data vendor's):
a CSV with the columns ``ticker,name,sector,industry`` (other columns are ignored) whose rows
add to the embedded ones and, for the same ticker, replace them. Every function takes that
file as `path` (None: the embedded classification alone); the caller passes the configured one
(`Settings.classification_file`). A file is read again whenever it changes (modification time
or size); one that cannot be used raises `ClassificationFileError` naming it and the problem.
Tickers classified nowhere can still be named by ticker.

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

from quant.errors import DataError

EMBEDDED_CLASSIFICATION_FILE = Path(__file__).with_name("embedded_classification.csv")
"""The shipped classification of the embedded tickers: columns ticker, name, sector, industry."""

COLUMNS = ("ticker", "name", "sector", "industry")
"""The columns a classification file must have (in any order; others are ignored)."""


class ClassificationFileError(DataError):
    """A classification file that cannot be used; the message names the file and the problem."""


@dataclass(frozen=True)
class Classification:
    """A ticker's company name, GICS sector and GICS sub-industry (`industry`)."""

    ticker: str
    name: str
    sector: str
    industry: str


def read_classification_file(path: Path) -> dict[str, Classification]:
    """The rows of the classification CSV at `path`: ticker (upper case) -> its classification.
    `ClassificationFileError` when the file cannot be read, lacks a column, has an empty or
    blank field, a ticker with whitespace, a ticker twice, or no rows."""

    def refuse(problem: str) -> ClassificationFileError:
        return ClassificationFileError(f"classification file {path}: {problem}")

    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            header = [str(h).strip().lower() for h in reader.fieldnames or []]
            missing = [c for c in COLUMNS if c not in header]
            if missing:
                raise refuse(
                    f"missing column(s) {', '.join(missing)} (a classification file has the "
                    f"columns {','.join(COLUMNS)})"
                )
            reader.fieldnames = header
            out: dict[str, Classification] = {}
            for row in reader:
                line = reader.line_num
                values = {c: (row.get(c) or "").strip() for c in COLUMNS}
                empty = [c for c in COLUMNS if not values[c]]
                if empty:
                    raise refuse(f"line {line}: empty {', '.join(empty)}")
                ticker = values["ticker"].upper()
                if re.search(r"\s", ticker):
                    raise refuse(f"line {line}: ticker {values['ticker']!r} contains whitespace")
                if ticker in out:
                    raise refuse(f"line {line}: ticker {ticker} appears twice")
                out[ticker] = Classification(
                    ticker, values["name"], values["sector"], values["industry"]
                )
    except OSError as exc:
        raise refuse(exc.strerror or str(exc)) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise refuse(f"not a UTF-8 CSV file ({exc})") from None
    if not out:
        raise refuse("no rows")
    return out


@functools.lru_cache(maxsize=1)
def embedded_classifications() -> dict[str, Classification]:
    """The shipped classification of the embedded tickers (treat it as read-only)."""
    return read_classification_file(EMBEDDED_CLASSIFICATION_FILE)


@functools.lru_cache(maxsize=8)
def _merged(path: Path, version: tuple[int, int]) -> dict[str, Classification]:
    del version  # part of the cache key only: a changed file is read again
    return {**embedded_classifications(), **read_classification_file(path)}


def classifications(path: Path | None = None) -> dict[str, Classification]:
    """Every classified ticker (upper case) -> its classification: the embedded ones, with the
    rows of the classification file at `path` added (and, for the same ticker, replacing
    them); treat it as read-only. `ClassificationFileError` names a file that cannot be used."""
    if path is None:
        return embedded_classifications()
    path = path.expanduser()
    try:
        stat = path.stat()
    except OSError as exc:
        raise ClassificationFileError(
            f"classification file {path}: {exc.strerror or exc}"
        ) from None
    return _merged(path, (stat.st_mtime_ns, stat.st_size))


def classify(ticker: str, path: Path | None = None) -> Classification | None:
    """The classification of `ticker` (any case) with the file at `path` (see
    `classifications`), or None when it has none."""
    return classifications(path).get(ticker.strip().upper())


@functools.lru_cache(maxsize=4096)
def _words(text: str) -> tuple[str, ...]:
    """The words of `text`, lower-cased, each in its singular ("banks" -> "bank")."""
    return tuple(_singular(w) for w in re.findall(r"[a-z0-9&]+", text.lower()))


def _singular(word: str) -> str:
    """`word` without a plural's final "s" ("banks", "financials"; not "gas", "glass")."""
    return word[:-1] if len(word) > 3 and word.endswith("s") and not word.endswith("ss") else word


@functools.lru_cache(maxsize=65536)
def names_category(term: str, category: str) -> bool:
    """Whether `term` names `category` (a sector or sub-industry): it equals it, or its words
    are a run of the category's whole words, ignoring case, punctuation and plurals ("bank"
    names "Diversified Banks", "financial" "Financials")."""
    wanted, words = _words(term), _words(category)
    if not wanted:
        return False
    n = len(wanted)
    return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))


SECTOR_ALIASES = {
    "tech": "information technology",
    "technology": "information technology",
    "healthcare": "health care",
    "pharma": "pharmaceuticals",
    "semis": "semiconductors",
    "chipmakers": "semiconductors",
    "retailers": "retail",
    "banking": "banks",
}
"""Words users say for a GICS sector or sub-industry whose name does not contain them."""


def matching(term: str, path: Path | None = None) -> list[Classification]:
    """The classified tickers (with the file at `path`, see `classifications`) whose sector or
    sub-industry `term` names (or the category a `SECTOR_ALIASES` word stands for), in ticker
    order."""
    term = SECTOR_ALIASES.get(term.strip().lower(), term)
    return [
        c
        for c in sorted(classifications(path).values(), key=lambda c: c.ticker)
        if names_category(term, c.sector) or names_category(term, c.industry)
    ]


__all__ = [
    "COLUMNS",
    "EMBEDDED_CLASSIFICATION_FILE",
    "SECTOR_ALIASES",
    "Classification",
    "ClassificationFileError",
    "classifications",
    "classify",
    "embedded_classifications",
    "matching",
    "names_category",
    "read_classification_file",
]
