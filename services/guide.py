"""Stratigos's own documentation as a source the assistant answers questions about Stratigos
from ("can two strategies share a paper account?", "what brokers do you support?", "how do
hedges work?"): the pages of `docs/` and the README cut into sections at their headings, the
sections that best answer a question (BM25 over stemmed content words,
`research.embeddings.words_of`; a section's heading counts `HEADING_WEIGHT` times, its page's
title once; plus what its headings say of the question, `HEADING_MATCH_WEIGHT`: a subsection
inherits the headings above it, "Forward-testing an account" is part of "Strategies sharing an
account"), and in each the passage that speaks most to it (its paragraphs, list items and
table rows ranked by the question's words they hold, weighted by how rare each is; the first
passage also holds its section's heading): the text an answer quotes starts there.

The pages are those shipped inside the package (`services/guide_docs/`, copied from the
checkout when a wheel is built: `build_docs.py`), else the checkout's (`docs/` and `README.md`
beside the package); they are read once per process and again when a page changes. Code blocks
are left out (what a section says is its prose, tables and lists). `GuideUnavailableError` says
when this copy of Stratigos has neither.
"""

from __future__ import annotations

import itertools
import math
import re
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from research.embeddings import words_of

__all__ = [
    "BUNDLED_DOCS",
    "CHECKOUT_DOCS",
    "GuideHit",
    "GuideSection",
    "GuideUnavailableError",
    "docs_dir",
    "guide_sections",
    "search_guide",
]

BUNDLED_DOCS = Path(__file__).resolve().parent / "guide_docs"
"""The documentation's pages as an installed package ships them (`docs/*.md` and the README)."""
CHECKOUT_DOCS = Path(__file__).resolve().parents[1] / "docs"
"""The documentation's pages in a checkout (the repository's `docs/`; its README beside it)."""
README = "README.md"
"""The README's name, a page of the guide beside `docs/` (cited without the folder)."""

K1, B = 1.5, 0.75
"""BM25's term-frequency saturation and length normalisation."""
HEADING_WEIGHT = 5
"""How many times a section's own heading's words count in it (its page title's count once)."""
PASSAGE_WEIGHT = 0.35
"""How much a section's best passage's weight adds to the section's score."""
HEADING_MATCH_WEIGHT = 1.0
"""How much what a section's headings say of the question adds to its score (`_heading_match`):
a long section's heading is otherwise drowned by its text's own counts of the same words."""


class GuideUnavailableError(LookupError):
    """This copy of Stratigos has no documentation."""


def docs_dir() -> Path:
    """Where this copy's documentation is: the pages the package ships, else the checkout's
    `docs/` (`GuideUnavailableError` when neither holds a page)."""
    for folder in (BUNDLED_DOCS, CHECKOUT_DOCS):
        if folder.is_dir() and any(folder.glob("*.md")):
            return folder
    raise GuideUnavailableError("Stratigos's documentation is not installed with this copy")


@dataclass(frozen=True)
class GuideSection:
    """One section of a page: the page's file name and title, the section's own heading (the
    title for the text before the page's first subheading), its text without code blocks, and
    `parents`, the headings it is under below the title ("Strategies sharing an account" for
    "### Forward-testing an account"), outermost first."""

    page: str
    title: str
    heading: str
    text: str
    parents: tuple[str, ...] = ()

    @property
    def headings(self) -> tuple[str, ...]:
        """Its parents' headings and its own, outermost first."""
        return (*self.parents, self.heading)

    @property
    def citation(self) -> str:
        """How an answer cites it: ``(docs/deployments.md, "Strategies sharing an account")``,
        ``(README.md, "Quickstart")``."""
        return f'({self.path}, "{self.heading}")'

    @property
    def path(self) -> str:
        """The page's path in the repository: ``docs/deployments.md``, ``README.md``."""
        return self.page if self.page == README else f"docs/{self.page}"


@dataclass(frozen=True)
class GuideHit:
    """A section found for a question: its BM25 `score`, and `text`, the section's part that
    answers (its passage that speaks most to the question and those after it, at most
    `search_guide`'s `limit` characters)."""

    section: GuideSection
    score: float
    text: str


_QUESTION_WORDS = frozenset(
    words_of(
        "support supports supported work works working use uses using used feature features "
        "possible able allow allows allowed stratigos assistant app tool way ways explain tell"
    )
)
"""Words that say how a question about Stratigos is asked, not what it is about."""

_HEADING = re.compile(r"^(#{1,4})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_TABLE_RULE = re.compile(r"^\s*\|[\s:|-]+\|\s*$")


def _sections(page: str, text: str) -> list[GuideSection]:
    """The sections of one page (see `GuideSection`)."""
    found: list[GuideSection] = []
    title, heading, lines, fenced = page, page, [], False
    above: list[tuple[int, str]] = []  # (level, heading) of the open subheadings, outermost first
    parents: tuple[str, ...] = ()
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
            found.append(GuideSection(page, title, heading, "\n".join(lines).strip(), parents))
        heading, level = match.group(2).strip("` "), len(match.group(1))
        above = [(n, h) for n, h in above if n < level]
        parents = tuple(h for _, h in above)
        if level == 1:
            title, above = heading, []
        else:
            above.append((level, heading))
        lines = []
    if "\n".join(lines).strip():
        found.append(GuideSection(page, title, heading, "\n".join(lines).strip(), parents))
    return found


def passages(text: str) -> list[str]:
    """The passages of a section's text: its paragraphs (blocks between blank lines), each
    row of a table (its rule left out) and each item of a list on its own."""
    found: list[str] = []
    for block in re.split(r"\n\s*\n", text):
        lines = [line for line in block.splitlines() if line.strip()]
        if lines and all(line.lstrip().startswith("|") for line in lines):
            found += [line.strip() for line in lines if not _TABLE_RULE.match(line)]
        elif lines and _ITEM.match(lines[0]):
            items: list[list[str]] = []
            for line in lines:
                if _ITEM.match(line) or not items:
                    items.append([])
                items[-1].append(line.strip())
            found += [" ".join(item) for item in items]
        elif lines:
            found.append("\n".join(lines))
    return found


@dataclass(frozen=True)
class _PassageTerms:
    """A passage's words as its weight reads them: how often each is said, how many are said,
    and which pairs of consecutive words it says."""

    counts: Counter[str]
    length: int
    pairs: frozenset[tuple[str, str]]

    @classmethod
    def of(cls, said: Sequence[str]) -> _PassageTerms:
        return cls(Counter(said), len(said), frozenset(itertools.pairwise(said)))


@dataclass(frozen=True)
class _Index:
    sections: tuple[GuideSection, ...]
    terms: tuple[Counter[str], ...]
    lengths: tuple[int, ...]
    document_frequency: Counter[str]
    passages: tuple[tuple[str, ...], ...]
    """Each section's passages."""
    passage_terms: tuple[tuple[_PassageTerms, ...], ...]
    """What each section's passages say (the first also holds the section's heading)."""
    passage_frequency: Counter[str]
    """In how many passages each word is."""
    passage_count: int
    passage_length: float
    """The passages' average length in words."""
    headings: tuple[tuple[str, ...], ...]
    """Each section's headings' words (`GuideSection.headings`), in order."""
    heading_frequency: Counter[str]
    """In how many sections' headings each word is."""
    signature: tuple[tuple[str, float], ...]


_indexes: dict[Path, _Index] = {}
_lock = threading.Lock()


def _pages(docs: Path) -> list[Path]:
    """The guide's pages in `docs`: its markdown files, and the README beside a checkout's
    `docs/` (a bundled copy holds it inside)."""
    pages = sorted(docs.glob("*.md"))
    beside = docs.parent / README
    if docs != BUNDLED_DOCS and docs == CHECKOUT_DOCS and beside.is_file():
        pages.append(beside)
    return pages


def _signature(pages: list[Path]) -> tuple[tuple[str, float], ...]:
    """The pages (paths and modification times) the index is built from."""
    return tuple(sorted((str(p.resolve()), p.stat().st_mtime) for p in pages))


def _built(docs: Path | None) -> _Index:
    """The index of the pages in `docs` (this copy's by default; rebuilt when a page changed)."""
    folder = docs_dir() if docs is None else docs
    pages = _pages(folder) if folder.is_dir() else []
    if not pages:
        raise GuideUnavailableError(f"Stratigos's documentation is not installed at {folder}")
    signature = _signature(pages)
    with _lock:
        found = _indexes.get(folder)
        if found is not None and found.signature == signature:
            return found
        sections = [
            section
            for page in pages
            for section in _sections(page.name, page.read_text(encoding="utf-8"))
        ]
        terms = tuple(
            Counter(words_of(s.text) + words_of(s.title) + words_of(s.heading) * HEADING_WEIGHT)
            for s in sections
        )
        frequency: Counter[str] = Counter()
        for counted in terms:
            frequency.update(counted.keys())
        units = tuple(tuple(passages(s.text)) for s in sections)
        unit_words = tuple(tuple(tuple(words_of(unit)) for unit in su) for su in units)
        in_passages: Counter[str] = Counter()
        lengths = []
        for section_words in unit_words:
            for said in section_words:
                in_passages.update(set(said))
                lengths.append(len(said))
        headings = tuple(tuple(words_of(" ".join(s.headings))) for s in sections)
        in_headings: Counter[str] = Counter()
        for titled in headings:
            in_headings.update(set(titled))
        index = _Index(
            tuple(sections),
            terms,
            tuple(sum(c.values()) for c in terms),
            frequency,
            units,
            tuple(
                tuple(
                    _PassageTerms.of([*said, *(words_of(s.heading) if n == 0 else ())])
                    for n, said in enumerate(section_words)
                )
                for s, section_words in zip(sections, unit_words, strict=True)
            ),
            in_passages,
            len(lengths),
            sum(lengths) / max(1, len(lengths)),
            headings,
            in_headings,
            signature,
        )
        _indexes[folder] = index
        return index


def guide_sections(docs: Path | None = None) -> tuple[GuideSection, ...]:
    """Every section of the documentation (`GuideUnavailableError` without it)."""
    return _built(docs).sections


def _best_passage(
    index: _Index, section: int, words: set[str], pairs: set[tuple[str, str]]
) -> tuple[float, int]:
    """The passage of section `section` that speaks most to the question, with its weight: its
    BM25 score over all passages for the question's `words` (the first passage also holds the
    section's heading), plus, for each of the question's `pairs` of consecutive words it says
    together ("risk manager"), the second word's inverse passage frequency again."""
    units = index.passage_terms[section]

    def weight(n: int) -> float:
        said = units[n]
        counted = said.counts
        norm = K1 * (1.0 - B + B * said.length / index.passage_length)
        score = sum(
            _idf(index, w) * counted[w] * (K1 + 1.0) / (counted[w] + norm)
            for w in words & counted.keys()
        )
        return score + sum(_idf(index, b) for _, b in said.pairs & pairs)

    best = max(range(len(units)), key=lambda n: (weight(n), -n))
    return weight(best), best


def _heading_match(
    index: _Index, section: int, words: set[str], pairs: set[tuple[str, str]]
) -> float:
    """What a section's headings (its parents' and its own) say of the question: the inverse
    heading frequency (over all sections' headings) of each of the question's `words` they
    hold, plus, for each of its `pairs` they say together, the second word's again, times the
    share of the headings' distinct words the question holds (a heading all about the question
    counts in full, one that shares a word with it in passing little)."""
    said = index.headings[section]
    count = len(index.sections)

    def idf(word: str) -> float:
        df = index.heading_frequency[word]
        return math.log(1.0 + (count - df + 0.5) / (df + 0.5))

    held = words & set(said)
    if not held:
        return 0.0
    together = set(itertools.pairwise(said)) & pairs
    coverage = len(held) / len(set(said))
    return coverage * (sum(idf(w) for w in held) + sum(idf(b) for _, b in together))


def _idf(index: _Index, word: str) -> float:
    """BM25's inverse frequency of `word` over all passages."""
    count, df = index.passage_count, index.passage_frequency[word]
    return math.log(1.0 + (count - df + 0.5) / (df + 0.5))


def _text_from(index: _Index, section: int, start: int, limit: int) -> str:
    """Passage `start` of section `section` and those after it while they fit in `limit`
    characters (the first cut at a word, marked "...", when it alone is longer)."""
    units = index.passages[section]
    chosen = [units[start]]
    for more in units[start + 1 :]:
        if len("\n\n".join([*chosen, more])) > limit:
            break
        chosen.append(more)
    joined = "\n\n".join(chosen)
    return joined if len(joined) <= limit else joined[:limit].rsplit(" ", 1)[0] + " ..."


def search_guide(
    query: str, k: int = 3, docs: Path | None = None, limit: int = 1500
) -> list[GuideHit]:
    """The `k` sections that best answer `query`, best first, each with the text that answers
    (at most `limit` characters); none when no word of the query is in the documentation.
    `GuideUnavailableError` without it.

    A section's score is its BM25 score (see the module docstring) plus `PASSAGE_WEIGHT` times
    the weight of its passage that speaks most to the query (`_best_passage`) plus
    `HEADING_MATCH_WEIGHT` times what its headings say of it (`_heading_match`): a section is
    found by what it is about, by what it is titled and by one place in it that says what was
    asked."""
    index = _built(docs)
    asked = words_of(query)
    words = set(asked) - _QUESTION_WORDS
    pairs = {(a, b) for a, b in itertools.pairwise(asked) if {a, b} <= words}
    count = len(index.sections)
    average = sum(index.lengths) / max(1, count)
    scored = []
    for n, counted in enumerate(index.terms):
        score = 0.0
        for word in words & counted.keys():
            df = index.document_frequency[word]
            idf = math.log(1.0 + (count - df + 0.5) / (df + 0.5))
            tf = counted[word]
            norm = tf + K1 * (1.0 - B + B * index.lengths[n] / average)
            score += idf * tf * (K1 + 1.0) / norm
        if score > 0.0:
            weight, start = _best_passage(index, n, words, pairs)
            heading = HEADING_MATCH_WEIGHT * _heading_match(index, n, words, pairs)
            scored.append((score + PASSAGE_WEIGHT * weight + heading, n, start))
    scored.sort(
        key=lambda hit: (-hit[0], index.sections[hit[1]].page, index.sections[hit[1]].heading)
    )
    return [
        GuideHit(index.sections[n], score, _text_from(index, n, start, limit))
        for score, n, start in scored[:k]
    ]
