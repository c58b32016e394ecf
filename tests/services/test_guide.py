"""Stratigos's own documentation as a source (issue 51): pages cut into sections at their
headings without their code blocks, sections into passages, and the sections ranked by BM25
plus the weight of their best passage, checked against the formulas computed here on a small
set of pages; on the shipped docs (and the README), the questions a portfolio manager asks about
Stratigos find the sections that answer them, and the text returned starts at the passage that
does."""

from __future__ import annotations

import itertools
import math
from collections import Counter
from pathlib import Path

import pytest

from research.embeddings import words_of
from services.guide import (
    CHECKOUT_DOCS,
    HEADING_MATCH_WEIGHT,
    HEADING_WEIGHT,
    K1,
    PASSAGE_WEIGHT,
    B,
    GuideUnavailableError,
    guide_sections,
    passages,
    search_guide,
)

PAGES = {
    "accounts.md": (
        "# Accounts\n\nEvery deployment trades an account.\n\n## Sharing an account\n\n"
        "Several strategies can share one paper account: their orders are netted.\n\n"
        "```bash\nstratigos deploy create --account shared-secret-word\n```\n"
        "### Netting\n\nOne order a day per stock.\n\n## Closing\n\nClose it when done.\n"
    ),
    "brokers.md": "# Brokers\n\nPaper and Alpaca brokers are supported. Alpaca is a broker.\n",
    "hedges.md": "# Hedges\n\nA put hedge pays when the market falls.\n\n### Costs\n\nPremiums.\n",
}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    for name, text in PAGES.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    return tmp_path


def test_pages_are_cut_at_their_headings_without_code(docs: Path) -> None:
    sections = guide_sections(docs)
    assert [(s.page, s.title, s.heading) for s in sections] == [
        ("accounts.md", "Accounts", "Accounts"),
        ("accounts.md", "Accounts", "Sharing an account"),
        ("accounts.md", "Accounts", "Netting"),
        ("accounts.md", "Accounts", "Closing"),
        ("brokers.md", "Brokers", "Brokers"),
        ("hedges.md", "Hedges", "Hedges"),
        ("hedges.md", "Hedges", "Costs"),
    ]
    assert all("secret" not in s.text and "stratigos deploy" not in s.text for s in sections)
    assert sections[1].citation == '(docs/accounts.md, "Sharing an account")'
    assert [s.headings for s in sections[:4]] == [
        ("Accounts",),
        ("Sharing an account",),
        ("Sharing an account", "Netting"),  # a subsection is under its parent's heading
        ("Closing",),  # a heading of the parent's level closes it
    ]


def _expected(docs: Path, query: str) -> list[tuple[str, float, str]]:
    """(heading, score, first passage of the text) of each section for `query`, computed from
    the definitions: BM25 over the sections, plus `PASSAGE_WEIGHT` times the best passage's
    weight (its BM25 over all passages, the first passage holding the heading too; each pair
    of consecutive query words it says together adds its second word's passage idf), plus
    `HEADING_MATCH_WEIGHT` times its headings' match (the heading idf of each query word its
    parents' and own headings hold, and of each pair's second word they say together, times
    the share of the headings' distinct words the query holds)."""
    sections = guide_sections(docs)
    said = words_of(query)
    asked = set(said) - set(words_of("support supported work use"))
    pairs = {(a, b) for a, b in itertools.pairwise(said) if {a, b} <= asked}

    def bm25(bag: Counter[str], bags: list[Counter[str]], average: float) -> float:
        total, length = 0.0, sum(bag.values())
        for word in asked:
            if bag[word]:
                df = sum(1 for b in bags if word in b)
                idf = math.log(1 + (len(bags) - df + 0.5) / (df + 0.5))
                total += idf * bag[word] * (K1 + 1) / (bag[word] + K1 * (1 - B + B * length / average))  # fmt: skip
        return total

    bags = [
        Counter(words_of(s.text) + words_of(s.title) + words_of(s.heading) * HEADING_WEIGHT)
        for s in sections
    ]
    average = sum(sum(b.values()) for b in bags) / len(bags)
    units = [passages(s.text) for s in sections]
    unit_bags = [Counter(words_of(u)) for section_units in units for u in section_units]
    unit_average = sum(sum(b.values()) for b in unit_bags) / len(unit_bags)
    heading_words = [words_of(" ".join((*s.parents, s.heading))) for s in sections]

    def heading_idf(word: str) -> float:
        df = sum(1 for said in heading_words if word in said)
        return math.log(1 + (len(sections) - df + 0.5) / (df + 0.5))

    found = []
    for section, bag, section_units, titled in zip(
        sections, bags, units, heading_words, strict=True
    ):
        score = bm25(bag, bags, average)
        if score <= 0:
            continue
        weights = []
        for n, unit in enumerate(section_units):
            held = words_of(unit) + (words_of(section.heading) if n == 0 else [])
            together = set(itertools.pairwise(held)) & pairs
            bonus = 0.0
            for _, word in together:
                df = sum(1 for b in unit_bags if word in b)
                bonus += math.log(1 + (len(unit_bags) - df + 0.5) / (df + 0.5))
            weights.append(bm25(Counter(held), unit_bags, unit_average) + bonus)
        best = max(range(len(weights)), key=lambda n: (weights[n], -n))
        held = asked & set(titled)
        match = (len(held) / len(set(titled))) * (
            sum(heading_idf(w) for w in held)
            + sum(heading_idf(b) for _, b in set(itertools.pairwise(titled)) & pairs)
        )
        score += PASSAGE_WEIGHT * weights[best] + HEADING_MATCH_WEIGHT * match
        found.append((section.heading, score, section_units[best]))
    return sorted(found, key=lambda item: -item[1])


@pytest.mark.parametrize(
    "query",
    ["can two strategies share a paper account?", "what brokers do you support?",
     "how do hedges work?", "premiums of a put", "how are orders netted on a shared account?"],
)  # fmt: skip
def test_sections_are_ranked_by_bm25_and_their_best_passage(docs: Path, query: str) -> None:
    hits = search_guide(query, k=5, docs=docs)
    expected = _expected(docs, query)
    assert [h.section.heading for h in hits] == [heading for heading, _, _ in expected]
    assert [h.score for h in hits] == pytest.approx([score for _, score, _ in expected])
    assert [h.text.split("\n\n")[0] for h in hits] == [first for _, _, first in expected]


def test_a_long_section_is_quoted_from_the_passage_that_answers(tmp_path: Path) -> None:
    filler = "\n\n".join(f"Paragraph {n} says nothing of interest here." for n in range(60))
    (tmp_path / "long.md").write_text(
        f"# Long\n\n{filler}\n\n- Several strategies share one paper account, netted.\n",
        encoding="utf-8",
    )
    (hit,) = search_guide("can strategies share a paper account?", k=1, docs=tmp_path, limit=200)
    assert hit.text.startswith("- Several strategies share one paper account, netted.")


def test_a_question_no_page_speaks_to_finds_nothing(docs: Path) -> None:
    assert search_guide("quantum teleportation", docs=docs) == []


def test_without_the_documentation_the_search_says_so(tmp_path: Path) -> None:
    with pytest.raises(GuideUnavailableError, match="not installed"):
        search_guide("brokers", docs=tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(GuideUnavailableError, match="not installed"):
        search_guide("brokers", docs=tmp_path / "empty")


@pytest.mark.parametrize(
    ("question", "page", "heading"),
    [
        ("can two strategies share a paper account?", "deployments.md", "Strategies sharing an account"),
        ("what brokers do you support?", "deployments.md", "Brokers: paper or Alpaca"),
        ("is there a kill switch?", "deployments.md", "The kill switch"),
        ("can I get email alerts?", "notifications.md", None),
        ("do I need AWS credentials to use this?", "README.md", "Quickstart"),
    ],
)  # fmt: skip
def test_the_shipped_docs_answer_questions_about_stratigos(
    question: str, page: str, heading: str | None
) -> None:
    top = search_guide(question, k=1, docs=CHECKOUT_DOCS)[0].section
    assert top.page == page and (heading is None or top.heading == heading)
