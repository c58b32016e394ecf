"""A generated research corpus with labelled queries, for retrieval quality tests and the
research benchmark.

Documents are sector notes about fictional companies: each paragraph states facts ("Corvana
Energy (CVE) reported an operating margin of 14.2% in Q3 2025, helped by ...") among market
commentary. Every fact is unique (company, metric, period), so the passage that answers a query
about it is known. Queries ask about a fact in other words than the passage uses (another form
of the metric's name, the ticker instead of the name, question words), as a reader would.
Everything is derived from a seed (`random.Random`), so a corpus is the same on every machine.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

SECTORS = (
    "energy", "utilities", "semiconductors", "banks", "consumer staples", "healthcare",
    "telecoms", "industrials", "real estate", "insurance",
)  # fmt: skip
"""The sectors notes are written about."""

_SYLLABLES = (
    "cor", "va", "nel", "tri", "dax", "mer", "lo", "quin", "sa", "bel", "tor", "ra", "vin",
    "zel", "ka", "mon", "dra", "pel", "ix", "ora", "ven", "tal", "rus", "gen",
)  # fmt: skip
_SUFFIX = {
    "energy": "Energy", "utilities": "Power", "semiconductors": "Micro", "banks": "Bancorp",
    "consumer staples": "Foods", "healthcare": "Health", "telecoms": "Telecom",
    "industrials": "Industries", "real estate": "Realty", "insurance": "Assurance",
}  # fmt: skip

# (name in the passage, other ways a reader asks about it, unit)
_METRICS = (
    ("operating margin", ("operating margins", "margin from operations"), "%"),
    ("free cash flow", ("free cash flows", "cash generation after capex"), " billion dollars"),
    ("dividend yield", ("dividend yields", "yield paid to shareholders"), "%"),
    ("capital expenditure", ("capital expenditures", "capex spending"), " billion dollars"),
    ("revenue growth", ("revenues growing", "sales growth"), "%"),
    ("net debt to EBITDA", ("net debt over EBITDA", "leverage ratio"), "x"),
    ("return on equity", ("returns on equity", "ROE"), "%"),
    ("earnings per share", ("EPS", "per-share earnings"), " dollars"),
)
_PERIODS = ("Q1 2025", "Q2 2025", "Q3 2025", "Q4 2025", "Q1 2026", "Q2 2026")
_DRIVERS = (
    "helped by lower input costs", "despite weaker volumes", "on the back of higher prices",
    "as hedging gains rolled off", "after an impairment charge", "thanks to cost cuts",
    "while demand stayed soft", "with the new plant ramping up",
)  # fmt: skip
_COMMENTARY = (
    "Markets remained volatile through the period and positioning stayed light.",
    "We keep our sector weighting unchanged pending the next round of guidance.",
    "Valuations look stretched relative to the ten-year average multiple.",
    "Flows into passive funds continued to dominate price action.",
    "The macro backdrop is mixed, with inflation easing but growth slowing.",
    "Consensus estimates moved little after the quarter's results.",
    "Management commentary on the outlook was cautious but constructive.",
    "Balance sheets across the group are in better shape than a year ago.",
)
_ASK = (
    "What {metric} did {who} report in {period}?",
    "{who} {metric} {period}",
    "How did the {metric} of {who} look in {period}?",
    "{period}: {who}'s {metric}",
)


@dataclass(frozen=True)
class Fact:
    """One stated fact: who, which metric, when, the value and the sentence stating it."""

    company: str
    ticker: str
    metric: str
    period: str
    value: str
    sentence: str


@dataclass(frozen=True)
class CorpusDocument:
    """A generated document: its file name, its Markdown text and the facts it states."""

    name: str
    text: str
    facts: tuple[Fact, ...]


@dataclass(frozen=True)
class LabelledQuery:
    """A query and the sentence the passage answering it holds."""

    query: str
    answer: str


def _companies(
    rng: random.Random, sector: str, count: int, used: set[str]
) -> list[tuple[str, str]]:
    companies: list[tuple[str, str]] = []
    while len(companies) < count:
        stem = "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3)))
        ticker = stem[0].upper() + "".join(rng.choice("ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(3))
        if stem in used or ticker in used:
            continue
        used.update({stem, ticker})
        companies.append((f"{stem.capitalize()} {_SUFFIX[sector]}", ticker))
    return companies


def corpus(
    documents: int = 20, companies_per_document: int = 6, seed: int = 7
) -> list[CorpusDocument]:
    """`documents` sector notes (Markdown), each about `companies_per_document` companies with
    a fact per company for several metrics and periods."""
    rng = random.Random(seed)
    used: set[str] = set()
    out: list[CorpusDocument] = []
    for number in range(documents):
        sector = SECTORS[number % len(SECTORS)]
        lines = [f"# {sector.title()} sector note {number + 1}", ""]
        facts: list[Fact] = []
        for company, ticker in _companies(rng, sector, companies_per_document, used):
            lines += [f"## {company}", ""]
            for metric, _, unit in rng.sample(_METRICS, 4):
                period = rng.choice(_PERIODS)
                value = f"{rng.uniform(0.5, 40):.1f}{unit}"
                sentence = (
                    f"{company} ({ticker}) reported {metric} of {value} in {period}, "
                    f"{rng.choice(_DRIVERS)}."
                )
                facts.append(Fact(company, ticker, metric, period, value, sentence))
                lines += [f"{sentence} {rng.choice(_COMMENTARY)}", ""]
        out.append(CorpusDocument(f"note-{number + 1:03d}.md", "\n".join(lines), tuple(facts)))
    return out


def labelled_queries(documents: list[CorpusDocument], count: int, seed: int = 11) -> list[LabelledQuery]:  # fmt: skip
    """`count` queries about distinct facts of `documents`, each asked in other words than the
    fact's sentence: another form of the metric's name, and the ticker or the name (misspelt,
    two letters swapped, in about 15% of the queries)."""
    rng = random.Random(seed)
    facts = [fact for document in documents for fact in document.facts]
    queries: list[LabelledQuery] = []
    for fact in rng.sample(facts, min(count, len(facts))):
        forms = next(other for name, other, _ in _METRICS if name == fact.metric)
        who = fact.ticker if rng.random() < 0.5 else fact.company
        if who == fact.company and rng.random() < 0.3:  # misspelt: two letters swapped
            at = rng.randrange(1, len(fact.company.split()[0]) - 1)
            who = who[:at] + who[at + 1] + who[at] + who[at + 2 :]
        query = rng.choice(_ASK).format(metric=rng.choice(forms), who=who, period=fact.period)
        queries.append(LabelledQuery(query, fact.sentence))
    return queries


def page_lines(document: CorpusDocument, width: int = 90) -> list[list[str]]:
    """`document` laid out as PDF pages of at most 40 lines of `width` characters (paragraphs
    separated by a blank line), for PDFs of generated research."""
    lines: list[str] = []
    for paragraph in document.text.split("\n\n"):
        words = paragraph.replace("#", "").split()
        line = ""
        for word in words:
            if line and len(line) + 1 + len(word) > width:
                lines.append(line)
                line = word
            else:
                line = f"{line} {word}".strip()
        lines += [line, ""] if line else []
    return [lines[i : i + 40] for i in range(0, len(lines), 40)]


@dataclass(frozen=True)
class RetrievalScores:
    """Recall@5 (share of queries whose answer is in the first 5 passages) and MRR@10 (mean of
    1 / rank of the answer within the first 10; 0 when absent)."""

    recall_at_5: float
    mrr_at_10: float


def score_rankings(rankings: list[list[str]], queries: list[LabelledQuery]) -> RetrievalScores:
    """Scores of `rankings` (per query, the passages' texts best first) against `queries`' answers
    (a passage answers when it holds the answer sentence, whitespace runs read as one space: a
    PDF breaks lines)."""
    found = 0
    reciprocal = 0.0
    for ranked, query in zip(rankings, queries, strict=True):
        texts = [" ".join(text.split()) for text in ranked[:10]]
        rank = next((i for i, text in enumerate(texts, 1) if query.answer in text), None)
        found += rank is not None and rank <= 5
        reciprocal += 1.0 / rank if rank else 0.0
    return RetrievalScores(found / len(queries), reciprocal / len(queries))
