"""Stratigos's own documentation as a source the assistant answers questions about Stratigos
from ("can two strategies share a paper account?", "what brokers do you support?", "how do
hedges work?"): the pages of `docs/` cut into sections at their headings, and the sections that
best answer a question (BM25 over stemmed content words, `research.embeddings.words_of`; a
section's heading counts `HEADING_WEIGHT` times, its page's title once).

The pages are read from the documentation folder beside the package (`DOCS_DIR`, a checkout's
`docs/`), once per process and again when a page changes. Code blocks are left out (what a
section says is its prose, tables and lists). `GuideUnavailableError` says when this copy of
Stratigos has no documentation folder (an installed wheel without the checkout).
"""

from __future__ import annotations

import math
import re
import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from research.embeddings import words_of

__all__ = [
    "DOCS_DIR",
    "GuideHit",
    "GuideSection",
    "GuideUnavailableError",
    "guide_sections",
    "search_guide",
]

DOCS_DIR = Path(__file__).resolve().parents[1] / "docs"
"""Where the documentation's pages are (the checkout's `docs/`)."""

K1, B = 1.5, 0.75
"""BM25's term-frequency saturation and length normalisation."""
HEADING_WEIGHT = 5
"""How many times a section's own heading's words count in it (its page title's count once)."""


class GuideUnavailableError(LookupError):
    """This copy of Stratigos has no documentation folder."""


@dataclass(frozen=True)
class GuideSection:
    """One section of a page: the page's file name and title, the section's own heading (the
    title for the text before the page's first subheading) and its text without code
    blocks."""

    page: str
    title: str
    heading: str
    text: str

    @property
    def citation(self) -> str:
        """How an answer cites it: ``(docs/deployments.md, "Strategies sharing an account")``."""
        return f'(docs/{self.page}, "{self.heading}")'


@dataclass(frozen=True)
class GuideHit:
    """A section found for a question, with its BM25 score."""

    section: GuideSection
    score: float


_QUESTION_WORDS = frozenset(
    words_of(
        "support supports supported work works working use uses using used feature features "
        "possible able allow allows allowed stratigos assistant app tool way ways explain tell"
    )
)
"""Words that say how a question about Stratigos is asked, not what it is about."""

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _sections(page: str, text: str) -> list[GuideSection]:
    """The sections of one page (see `GuideSection`)."""
    found: list[GuideSection] = []
    title, heading, lines, fenced = page, page, [], False
    for line in text.splitlines():
        if _FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        match = _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        if "\n".join(lines).strip():
            found.append(GuideSection(page, title, heading, "\n".join(lines).strip()))
        heading = match.group(2).strip("` ")
        if len(match.group(1)) == 1:
            title = heading
        lines = []
    if "\n".join(lines).strip():
        found.append(GuideSection(page, title, heading, "\n".join(lines).strip()))
    return found


@dataclass(frozen=True)
class _Index:
    sections: tuple[GuideSection, ...]
    terms: tuple[Counter[str], ...]
    lengths: tuple[int, ...]
    document_frequency: Counter[str]
    signature: tuple[tuple[str, float], ...]


_index: _Index | None = None
_lock = threading.Lock()


def _signature(docs: Path) -> tuple[tuple[str, float], ...]:
    """The pages (paths and modification times) the index is built from."""
    return tuple(sorted((str(p.resolve()), p.stat().st_mtime) for p in docs.glob("*.md")))


def _built(docs: Path) -> _Index:
    """The index of the pages in `docs` (rebuilt when a page changed)."""
    global _index
    if not docs.is_dir():
        raise GuideUnavailableError(
            "Stratigos's documentation (docs/) is not installed with this copy of Stratigos"
        )
    signature = _signature(docs)
    with _lock:
        if _index is not None and _index.signature == signature:
            return _index
        sections = [
            section
            for page in sorted(docs.glob("*.md"))
            for section in _sections(page.name, page.read_text(encoding="utf-8"))
        ]
        terms = tuple(
            Counter(words_of(s.text) + words_of(s.title) + words_of(s.heading) * HEADING_WEIGHT)
            for s in sections
        )
        frequency: Counter[str] = Counter()
        for counted in terms:
            frequency.update(counted.keys())
        _index = _Index(
            tuple(sections),
            terms,
            tuple(sum(c.values()) for c in terms),
            frequency,
            signature,
        )
        return _index


def guide_sections(docs: Path = DOCS_DIR) -> tuple[GuideSection, ...]:
    """Every section of the documentation (`GuideUnavailableError` without it)."""
    return _built(docs).sections


def search_guide(query: str, k: int = 3, docs: Path = DOCS_DIR) -> list[GuideHit]:
    """The `k` sections that best answer `query`, best first (none when no word of the query is
    in the documentation); `GuideUnavailableError` without the documentation."""
    index = _built(docs)
    words = set(words_of(query)) - _QUESTION_WORDS
    count = len(index.sections)
    average = sum(index.lengths) / max(1, count)
    hits = []
    for n, counted in enumerate(index.terms):
        score = 0.0
        for word in words & counted.keys():
            df = index.document_frequency[word]
            idf = math.log(1.0 + (count - df + 0.5) / (df + 0.5))
            tf = counted[word]
            norm = tf + K1 * (1.0 - B + B * index.lengths[n] / average)
            score += idf * tf * (K1 + 1.0) / norm
        if score > 0.0:
            hits.append(GuideHit(index.sections[n], score))
    hits.sort(key=lambda hit: (-hit.score, hit.section.page, hit.section.heading))
    return hits[:k]
