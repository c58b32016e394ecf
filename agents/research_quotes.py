"""What an answer from the owner's research quotes: the passages that speak to the question and,
in each, the sentences (or spreadsheet rows) that do, quoted verbatim with their citations, so
the answer is grounded by construction (`agents.grounding.citation_problems` finds nothing).

A question's words are its stemmed content words (`research.embeddings.words_of`) less those
that only say where to look ("what does our research / the house view say"). A unit of a
passage (a sentence, a short heading joined to the sentence after it, or one row of a
spreadsheet) scores one per question word it or its place (a sheet's name) holds, or a synonym
of it ("oil" is held by "Brent" and "crude"), two for a ticker the question names, a half for a
word naming a kind of number ("forecast", "expected return"), a quarter for a word every market
text holds ("stocks", "price"), and a half more when the question asks for a figure
("forecast", "how much") and the unit states one. A passage scores as its
best unit; passages scoring under `KEEP_FRACTION` of the best one are not quoted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from research.embeddings import words_of
from settings import patterns

__all__ = ["KEEP_FRACTION", "MIN_QUOTED_WORDS", "best_sentence", "quoted_answer"]

MIN_QUOTED_WORDS = 4
"""Sentences shorter than this (headings, labels) are not quoted on their own: joined to the
sentence after them."""

KEEP_FRACTION = 0.75
"""A passage is quoted when it scores at least this fraction of the best passage's score."""

MAX_ROWS = 3
"""Spreadsheet rows quoted from one passage at most."""

_WHERE_TO_LOOK = set(
    words_of(
        "research document documents docs note notes memo file files upload uploads library "
        "pdf spreadsheet say says said tell think thinks view views take takes house firm desk "
        "team analyst analysts strategist outlook thesis opinion stance call according cite"
    )
)
_COMMON = set(words_of("stock stocks share shares equity equities market markets price prices"))
_KIND_OF_NUMBER = set(words_of("forecast expect estimate target return projection"))
_SYNONYMS: dict[str, set[str]] = {
    stem: set(words_of(related))
    for word, related in {
        "oil": "brent crude wti opec barrel",
        "gas": "lng henry natural",
        "energy": "oil gas brent crude opec",
        "forecast": "expect expected projection projected estimate target",
        "defensive": "staples utilities health",
        "rates": "yield yields treasury fed",
        "inflation": "cpi prices",
        "recession": "slowdown contraction",
    }.items()
    for stem in words_of(word)
}
_WEIGHTS = {**dict.fromkeys(_KIND_OF_NUMBER, 0.5), **dict.fromkeys(_COMMON, 0.25)}
_FIGURE_ASKED = patterns.compile(
    r"\bforecasts?\b|\bexpect\w*|\btargets?\b|\bhow (?:much|many|high|low)\b|\bestimates?\b"
    r"|\breturns?\b|\bprices?\b|\blevels?\b|\bgrowth\b|\bnumbers?\b|\bfigures?\b"
)
_FIGURE = patterns.compile(r"\d+\.\d+|\d+\s?%|(?<![\d.])(?!(?:19|20)\d\d\b)\d{2,}(?![\d.])")
_TICKER = patterns.compile(r"\b[A-Z]{1,5}\b")
_SENTENCE_END = patterns.compile(r"(?<=[.!?])\s+")
_ROW = patterns.compile(r"^[^:\n]+: [^\n]*;")


def _units(text: str) -> list[str]:
    """The quotable units of a passage's text: the rows of a spreadsheet's passage (lines of
    "name: value; ..."), else its sentences with each short one (a heading) joined to the next."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if lines and all(_ROW.match(line) for line in lines):
        return lines
    sentences = [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]
    units: list[str] = []
    heading = ""
    for sentence in sentences:
        if len(sentence.split()) < MIN_QUOTED_WORDS:
            heading = f"{heading} {sentence}".strip()
            continue
        units.append(f"{heading} {sentence}".strip())
        heading = ""
    return units + ([heading] if heading else [])


class _Question:
    """What a question asks for, as `_score` weighs it."""

    def __init__(self, question: str) -> None:
        self.words = [w for w in dict.fromkeys(words_of(question)) if w not in _WHERE_TO_LOOK]
        self.tickers = set(words_of(" ".join(_TICKER.findall(question))))
        self.figure = bool(_FIGURE_ASKED.search(question.lower()))

    def score(self, unit: str, citation: str = "") -> float:
        held = set(words_of(f"{unit} {citation.partition(',')[2]}"))
        total = 0.0
        for word in self.words:
            if word in held or _SYNONYMS.get(word, set()) & held:
                total += _WEIGHTS.get(word, 2.0 if word in self.tickers else 1.0)
        if total and self.figure and _FIGURE.search(unit):
            total += 0.5
        return total


def _quote(text: str, question: _Question, citation: str = "") -> tuple[float, str]:
    """A passage's score and what it quotes: its best rows (up to `MAX_ROWS`; the first rows
    when none scores) or its best sentence, with the next one when that one scores too (the
    first two when the question names nothing to weigh by)."""
    units = _units(text)
    if not units:
        return 0.0, " ".join(text.split())
    scores = [question.score(unit, citation) for unit in units]
    best = max(range(len(units)), key=lambda i: (scores[i], -i))
    if all(_ROW.match(unit) for unit in units):
        rows = [u for u, s in zip(units, scores, strict=True) if s == scores[best]]
        return scores[best], " ".join(rows[:MAX_ROWS])
    quoted = [units[best]]
    if best + 1 < len(units) and (scores[best + 1] > 0 or not question.words):
        quoted.append(units[best + 1])
    return scores[best], " ".join(quoted)


def best_sentence(text: str, question: str) -> str:
    """The part of `text` that speaks most to `question` (see the module's docstring), verbatim
    with whitespace runs as one space: the first sentence or rows when nothing does."""
    return _quote(text, _Question(question))[1]


def quoted_answer(passages: Sequence[Mapping[str, Any]], question: str, count: int = 3) -> str:
    """An answer that quotes, from up to `count` of the passages that speak to the question
    (best first; in the search's order when the question names nothing to weigh them by), the
    part that does, each with its citation: grounded by construction. When none speaks to it,
    the answer says so and quotes the search's closest passages."""
    asked = _Question(question)
    scored = [
        (*_quote(str(p["text"]), asked, str(p["citation"])), rank, str(p["citation"]))
        for rank, p in enumerate(passages)
    ]
    top = max((score for score, *_ in scored), default=0.0)
    kept = sorted(
        (item for item in scored if item[0] >= KEEP_FRACTION * top),
        key=lambda item: (-item[0], item[2]),
    )
    quotes = [f'"{quote}" {citation}' for _, quote, _, citation in kept[:count]]
    if asked.words and top == 0:
        lead = "Nothing in your documents speaks to that directly; the closest passages say: "
    else:
        lead = "Your research says: "
    return lead + "; ".join(quotes) + "."
