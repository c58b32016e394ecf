"""Issue 51, offline: a question about Stratigos itself is answered from its own documentation,
quoted verbatim with its citation, and nothing is drafted, deployed or computed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from graphs.chat import ChatSession
from services.guide import guide_sections
from settings import Settings


@pytest.fixture
def session(offline_data_dir: Path) -> ChatSession:
    return ChatSession("about", settings=Settings())


def _plain(text: str) -> str:
    return " ".join(re.sub(r"\*\*|__|`", "", text).split())


@pytest.mark.parametrize(
    ("question", "page", "heading"),
    [
        ("can two strategies share a paper account?", "deployments.md",
         "Strategies sharing an account"),
        ("what brokers do you support?", "deployments.md", "Brokers: paper or Alpaca"),
        ("Is there a kill switch?", "deployments.md", "The kill switch"),
    ],
)  # fmt: skip
def test_a_question_about_stratigos_is_answered_from_its_documentation(
    session: ChatSession, question: str, page: str, heading: str
) -> None:
    turn = session.send(question)
    assert turn.pending is None  # nothing drafted for approval
    calls = [
        call["name"] for message in session.history() for call in getattr(message, "tool_calls", [])
    ]
    assert calls == ["search_guide"]
    reply = turn.replies[-1]
    assert reply.startswith("From Stratigos's documentation: ")
    citation = f'(docs/{page}, "{heading}")'
    assert citation in reply
    quoted = re.search(rf'"([^"]+)" {re.escape(citation)}', reply)
    assert quoted is not None
    section = next(s for s in guide_sections() if s.page == page and s.heading == heading)
    assert quoted.group(1).removesuffix(" ...") in _plain(section.text)


def test_a_question_about_sharing_an_account_drafts_no_deployment(
    offline_data_dir: Path,
) -> None:
    owned = ChatSession("about-owned", settings=Settings(), owner="pm-1")
    turn = owned.send("can two strategies share a paper account?")
    assert turn.pending is None and "Nothing was changed or computed" in turn.replies[-1]
