"""Stratigos's own documentation as a source (issue 51): pages cut into sections at their
headings without their code blocks, and the sections ranked by BM25, checked against the
formula computed here on a small set of pages; on the shipped docs, the questions a portfolio
manager asks about Stratigos find the sections that answer them."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

from research.embeddings import words_of
from services.guide import (
    DOCS_DIR,
    HEADING_WEIGHT,
    K1,
    B,
    GuideUnavailableError,
    guide_sections,
    search_guide,
)

PAGES = {
    "accounts.md": (
        "# Accounts\n\nEvery deployment trades an account.\n\n## Sharing an account\n\n"
        "Several strategies can share one paper account: their orders are netted.\n\n"
        "```bash\nstratigos deploy create --account shared-secret-word\n```\n"
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
        ("brokers.md", "Brokers", "Brokers"),
        ("hedges.md", "Hedges", "Hedges"),
        ("hedges.md", "Hedges", "Costs"),
    ]
    assert all("secret" not in s.text and "stratigos deploy" not in s.text for s in sections)
    assert sections[1].citation == '(docs/accounts.md, "Sharing an account")'


def _bm25(docs: Path, query: str) -> list[tuple[str, float]]:
    """BM25 of each section for `query`, computed from the definition."""
    sections = guide_sections(docs)
    bags = [
        Counter(words_of(s.text) + words_of(s.title) + words_of(s.heading) * HEADING_WEIGHT)
        for s in sections
    ]
    average = sum(sum(b.values()) for b in bags) / len(bags)
    asked = set(words_of(query)) - set(words_of("support supported work use"))
    scores = []
    for section, bag in zip(sections, bags, strict=True):
        length = sum(bag.values())
        total = 0.0
        for word in asked:
            df = sum(1 for b in bags if word in b)
            if not bag[word]:
                continue
            idf = math.log(1 + (len(bags) - df + 0.5) / (df + 0.5))
            total += idf * bag[word] * (K1 + 1) / (bag[word] + K1 * (1 - B + B * length / average))
        if total > 0:
            scores.append((section.heading, total))
    return sorted(scores, key=lambda item: -item[1])


@pytest.mark.parametrize(
    "query",
    ["can two strategies share a paper account?", "what brokers do you support?",
     "how do hedges work?", "premiums of a put"],
)  # fmt: skip
def test_sections_are_ranked_by_bm25(docs: Path, query: str) -> None:
    hits = search_guide(query, k=5, docs=docs)
    expected = _bm25(docs, query)
    assert [h.section.heading for h in hits] == [heading for heading, _ in expected]
    assert [h.score for h in hits] == pytest.approx([score for _, score in expected])


def test_a_question_no_page_speaks_to_finds_nothing(docs: Path) -> None:
    assert search_guide("quantum teleportation", docs=docs) == []


def test_without_the_documentation_the_search_says_so(tmp_path: Path) -> None:
    with pytest.raises(GuideUnavailableError, match="not installed"):
        search_guide("brokers", docs=tmp_path / "missing")


@pytest.mark.parametrize(
    ("question", "page", "heading"),
    [
        ("can two strategies share a paper account?", "deployments.md", "Strategies sharing an account"),
        ("what brokers do you support?", "deployments.md", "Brokers: paper or Alpaca"),
        ("is there a kill switch?", "deployments.md", "The kill switch"),
        ("can I get email alerts?", "notifications.md", None),
    ],
)  # fmt: skip
def test_the_shipped_docs_answer_questions_about_stratigos(
    question: str, page: str, heading: str | None
) -> None:
    top = search_guide(question, k=1, docs=DOCS_DIR)[0].section
    assert top.page == page and (heading is None or top.heading == heading)
