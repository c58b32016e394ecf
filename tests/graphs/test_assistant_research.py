"""The chat reads the owner's research: "what does my research say about energy stocks?" is
answered from the uploaded PDF and spreadsheet with (document, page) citations, another owner's
thread finds nothing of it, and an answer whose citations do not hold is replaced."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage

from agents.grounding import citation_problems
from devtools.document_files import pdf_bytes, xlsx_bytes
from graphs.assistant import ground_citations
from graphs.chat import ChatSession
from services.documents import add_document
from services.research import research_index
from settings import Settings, get_settings
from store import Store
from store.sqlite import SQLiteStore

OUTLOOK = [
    ["Macro outlook. Rates stay restrictive through 2027."],
    [
        "Energy stocks: we expect OPEC cuts to lift Brent crude to 92 dollars.",
        "We prefer integrated energy majors over refiners.",
    ],
]


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return SQLiteStore(tmp_path / "store.sqlite")


def _alice_s_library(store: Store) -> None:
    """Alice's outlook (a PDF) and forecasts (a spreadsheet with XOM's row)."""
    settings = get_settings()
    index = research_index(settings)
    add_document(store, index, settings, "alice", "outlook.pdf", pdf_bytes(OUTLOOK))
    sheet = {"Energy": [["ticker", "view", "expected return"], ["XOM", "overweight", 0.081]]}
    add_document(store, index, settings, "alice", "forecasts.xlsx", xlsx_bytes(sheet))


def test_the_chat_answers_from_the_owner_s_documents_with_citations(
    offline_data_dir: Path, store: Store
) -> None:
    _alice_s_library(store)

    session = ChatSession("research-1", settings=Settings(), owner="alice", store=store)
    reply = session.send("What does my research say about energy stocks?").replies[-1]
    assert "(outlook.pdf, p. 2)" in reply
    assert "OPEC cuts to lift Brent crude to 92 dollars" in reply
    follow_up = session.send("and what do my spreadsheets say about XOM?").replies[-1]
    assert "(forecasts.xlsx, sheet Energy, row 2)" in follow_up and "0.081" in follow_up

    stranger = ChatSession("research-2", settings=Settings(), owner="bob", store=store)
    assert "found nothing" in stranger.send("What does my research say about energy?").replies[-1]


PASSAGES = {
    "query": "energy",
    "passages": [
        {"citation": "(outlook.pdf, p. 2)", "text": "OPEC cuts lift Brent crude to 92 dollars."},
    ],
}


def _turn(answer: str) -> tuple[list[HumanMessage], list[AIMessage | ToolMessage]]:
    history = [HumanMessage("What does my research say about energy?")]
    call = {"name": "search_research", "args": {"query": "energy"}, "id": "c1"}
    new: list[AIMessage | ToolMessage] = [
        AIMessage("", tool_calls=[call]),
        ToolMessage(json.dumps(PASSAGES), name="search_research", tool_call_id="c1"),
        AIMessage(answer, id="final"),
    ]
    return history, new


@pytest.mark.parametrize(
    ("answer", "problem"),
    [
        ("Brent should reach 95 dollars (outlook.pdf, p. 2).", "95 is not in"),
        ("Brent should reach 92 dollars (outlook.pdf, p. 7).", "not a passage"),
        ("Crude rises (memo.pdf).", "not a passage"),
    ],
)
def test_an_answer_whose_citations_do_not_hold_is_replaced(answer: str, problem: str) -> None:
    history, new = _turn(answer)
    assert any(problem in p for p in citation_problems(answer, PASSAGES["passages"]))
    grounded = ground_citations(history, new)  # type: ignore[arg-type]
    assert (
        grounded[-1].text
        == 'Your research says: "OPEC cuts lift Brent crude to 92 dollars." (outlook.pdf, p. 2).'
    )
    assert grounded[-1].id == "final" and grounded[:-1] == new[:-1]


def test_a_grounded_answer_is_kept() -> None:
    answer = "Your research expects Brent at 92 dollars (outlook.pdf, page 2), after OPEC cuts."
    history, new = _turn(answer)
    assert citation_problems(answer, PASSAGES["passages"]) == []
    assert ground_citations(history, new) == new  # type: ignore[arg-type]


class _Prompts(BaseCallbackHandler):
    """The system texts of every model call of a turn."""

    def __init__(self) -> None:
        self.system: list[str] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
        for batch in messages:
            self.system += [m.text for m in batch if isinstance(m, SystemMessage)]


def test_every_agent_is_told_the_owner_s_library_and_a_view_phrased_freely_is_searched(
    offline_data_dir: Path, store: Store
) -> None:
    _alice_s_library(store)

    session = ChatSession("research-3", settings=Settings(), owner="alice", store=store)
    prompts = _Prompts()
    session.config["callbacks"] = [prompts]
    reply = session.send("what's our take on XOM?").replies[-1]
    assert "(forecasts.xlsx, sheet Energy, row 2)" in reply and "0.081" in reply
    library = [text for text in prompts.system if text.startswith("The user's research library")]
    assert library and all(
        "- forecasts.xlsx (spreadsheet)\n- outlook.pdf (PDF, 2 pages)" in text
        and text.endswith("Tickers these documents name: XOM.")
        for text in library
    )

    stranger = ChatSession("research-4", settings=Settings(), owner="bob", store=store)
    prompts = _Prompts()
    stranger.config["callbacks"] = [prompts]
    stranger.send("what's our view on energy?")
    assert prompts.system and not any("research library" in text for text in prompts.system)


def test_a_thread_with_no_owner_says_research_needs_a_signed_in_user(
    offline_data_dir: Path,
) -> None:
    """A conversation with no owner (a library caller, the recorder) has no research: the reply
    says why in a user's words and how to get some (before: "no documents library here: this
    conversation has no owner", a developer's words)."""
    session = ChatSession("research-ownerless", settings=Settings())
    reply = session.send("what's the outlook for energy?").replies[-1]
    assert reply.startswith("I could not search your documents: research is kept for each")
    assert "signed-in user" in reply and "`stratigos docs`" in reply, reply
    assert "owner" not in reply and reply.endswith("Nothing was computed."), reply
