"""What the agents are told about an owner's research library each turn: their documents by
name and kind, newest first and bounded, and the universe's tickers those documents name (real
SQLite store, real index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from research.embeddings import HashingEmbedder
from research.index import ResearchIndex
from services.documents import add_document
from services.research_library import LIBRARY_DOCUMENTS, library_context, tickers_named
from settings import Settings
from store.sqlite import SQLiteStore

UNIVERSE = ("AAPL", "CVX", "KO", "RRC", "XOM")
ENERGY = b"# Energy\n\nWe prefer XOM and CVX over gas producers; RRC is the most exposed.\n"
STAPLES = b"# Staples\n\nKO holds up; A GOOD YEAR FOR MSFT is not our call.\n"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "research"


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    with SQLiteStore(tmp_path / "store.sqlite") as opened:
        yield opened


@pytest.fixture
def add(store: SQLiteStore, tmp_path: Path):  # type: ignore[no-untyped-def]
    index = ResearchIndex(str(tmp_path / "index"), HashingEmbedder())
    settings = Settings(data_dir=tmp_path)

    def add_one(owner: str, name: str, data: bytes):  # type: ignore[no-untyped-def]
        return add_document(store, index, settings, owner, name, data)

    return add_one


def test_no_document_no_library(store: SQLiteStore) -> None:
    assert library_context(store, "alice", UNIVERSE) is None


def test_the_library_names_the_documents_and_the_tickers_they_write(store, add) -> None:  # type: ignore[no-untyped-def]
    add("alice", "energy.md", ENERGY)
    add("alice", "staples.md", STAPLES)
    add("alice", "energy-outlook.pdf", (EXAMPLES / "energy-outlook.pdf").read_bytes())
    add("bob", "bob.md", b"# Tech\n\nAAPL is our top pick.\n")
    text = library_context(store, "alice", UNIVERSE)
    assert text is not None
    lines = text.splitlines()
    assert "`search_research`" in lines[0]
    assert lines[1:4] == [
        "- energy-outlook.pdf (PDF, 2 pages)",
        "- staples.md (notes)",
        "- energy.md (notes)",
    ]  # newest first
    # in the universe's order; MSFT is not in the universe, AAPL only in another owner's note
    assert lines[4] == "Tickers these documents name: CVX, KO, RRC, XOM."


def test_a_long_library_lists_the_latest_and_counts_the_rest(store, add) -> None:  # type: ignore[no-untyped-def]
    for number in range(LIBRARY_DOCUMENTS + 3):
        add("alice", f"note-{number:02d}.md", f"# Note {number}\n\nKO note {number}.\n".encode())
    text = library_context(store, "alice", UNIVERSE)
    assert text is not None
    listed = [line for line in text.splitlines() if line.startswith("- note-")]
    assert len(listed) == LIBRARY_DOCUMENTS and listed[0].startswith(
        f"- note-{LIBRARY_DOCUMENTS + 2}"
    )
    assert "- (3 older documents, searched as well.)" in text


def test_the_tickers_of_a_document_are_read_once(store, add) -> None:  # type: ignore[no-untyped-def]
    document = add("alice", "energy.md", ENERGY)
    assert tickers_named(store, "alice", document, UNIVERSE) == ("CVX", "RRC", "XOM")
    store.delete_document("alice", document.id)  # its chunks are gone from the store
    assert tickers_named(store, "alice", document, UNIVERSE) == ("CVX", "RRC", "XOM")
