"""The documents library and its index kept together: a failed indexing stores nothing, rows of
a deleted document are never shown, a document the index misses is reported, and reindex
repairs both (real SQLite store, real LanceDB index)."""

from __future__ import annotations

from pathlib import Path

import pytest

from research.chunking import Chunk
from research.embeddings import HashingEmbedder
from research.index import ResearchIndex, ResearchIndexError
from services.documents import add_document, delete_document
from services.research import UnknownDocumentError, reindex, search_documents
from settings import Settings
from store.sqlite import SQLiteStore

NOTE = b"# Energy\n\nEnergy stocks fell as crude collapsed.\n\n# Banks\n\nBank margins widened.\n"


@pytest.fixture
def store(tmp_path: Path) -> SQLiteStore:
    with SQLiteStore(tmp_path / "store.sqlite") as opened:
        yield opened


@pytest.fixture
def index(tmp_path: Path) -> ResearchIndex:
    return ResearchIndex(str(tmp_path / "index"), HashingEmbedder())


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path)


def test_a_document_is_stored_and_searchable_or_neither(
    store: SQLiteStore, settings: Settings, tmp_path: Path
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("a file where the index should be")
    with pytest.raises(ResearchIndexError):
        ResearchIndex(str(blocked / "index"), HashingEmbedder())
    index = ResearchIndex(str(tmp_path / "index"), HashingEmbedder())
    index.add("alice", [])  # nothing to add: no table yet
    (tmp_path / "index").rename(tmp_path / "moved")
    (tmp_path / "index").write_text("the index's directory is now a file")
    with pytest.raises(ResearchIndexError):
        add_document(store, index, settings, "alice", "note.md", NOTE)
    assert store.list_documents("alice") == []


def test_search_hides_rows_of_deleted_documents_and_reindex_removes_them(
    store: SQLiteStore, index: ResearchIndex, settings: Settings
) -> None:
    kept = add_document(store, index, settings, "alice", "note.md", NOTE)
    gone = add_document(store, index, settings, "alice", "old.md", b"# Energy\n\nEnergy old.\n")
    store.delete_document("alice", gone.id)  # a crash between the two deletions
    hits = search_documents(store, index, "alice", "energy", k=10).hits
    assert {hit.document_id for hit in hits} == {kept.id}
    report = reindex(store, index, "alice")
    assert (report.documents, report.removed) == (1, 1)
    assert index.document_ids("alice") == {kept.id}


def test_a_document_the_index_misses_is_reported_until_reindexed(
    store: SQLiteStore, index: ResearchIndex, settings: Settings
) -> None:
    add_document(store, index, settings, "alice", "note.md", NOTE)
    missed = store.add_document(  # stored, then a crash before indexing
        "alice", "banks.md", "text/markdown", b"x", [Chunk(0, "Bank margins recovered.", {})], None
    )
    results = search_documents(store, index, "alice", "bank margins recovered")
    assert [d.id for d in results.unindexed] == [missed.id]
    assert missed.id not in {hit.document_id for hit in results.hits}
    assert reindex(store, index, "alice").chunks == 3
    results = search_documents(store, index, "alice", "bank margins recovered")
    assert results.unindexed == [] and results.hits[0].document_id == missed.id


def test_delete_takes_the_vectors_and_filters_name_only_the_owner_s_documents(
    store: SQLiteStore, index: ResearchIndex, settings: Settings
) -> None:
    mine = add_document(store, index, settings, "alice", "note.md", NOTE)
    theirs = add_document(store, index, settings, "bob", "bob.md", NOTE)
    with pytest.raises(UnknownDocumentError, match=theirs.id):
        search_documents(store, index, "alice", "energy", document_ids=[theirs.id])
    delete_document(store, index, "alice", mine.id)
    assert index.document_ids("alice") == set() and store.list_documents("alice") == []
    assert index.document_ids("bob") == {theirs.id}
