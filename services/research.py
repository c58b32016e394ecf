"""Searching the documents library, shared by the API, the CLI and the agents' tools.

The documents store holds what a document is (metadata, chunks, original); the research index
(`research.index`, LanceDB) holds what search needs (chunk texts and vectors); adding and
deleting keep them together (`services.documents`). Results are checked against the store, so
rows the index may still hold of a deleted document are never shown; `reindex` rebuilds an
owner's index from the store (after a crash between the two writes, or a change of embedding
model).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from research.embedder_factory import embedder_for
from research.index import (
    Fusion,
    ResearchIndex,
    SearchFilters,
    SearchHit,
    SearchMode,
    chunks_of,
)
from services.documents import all_chunks
from settings import Settings
from store import Document, Store

_indexes: dict[tuple[str, str, tuple[tuple[str, str], ...]], ResearchIndex] = {}
_indexes_lock = threading.Lock()


def research_index(settings: Settings) -> ResearchIndex:
    """The research index the settings name, with their embedder (`embedder_for`; one instance
    per location and model)."""
    embedder = embedder_for(settings)
    uri = settings.resolved_research_index_uri()
    options = settings.research_index_storage_options()
    key = (uri, embedder.model_id, tuple(sorted(options.items())))
    with _indexes_lock:
        index = _indexes.get(key)
        if index is None:
            index = _indexes[key] = ResearchIndex(uri, embedder, options)
        return index


class UnknownDocumentError(ValueError):
    """A search filter names a document the owner does not have."""


@dataclass(frozen=True)
class SearchResults:
    """Hits of a search, best first, and what the caller should know about the index:
    `unindexed` lists the owner's documents the index does not hold (search cannot find them
    until `reindex`)."""

    hits: list[SearchHit]
    unindexed: list[Document]


def search_documents(
    store: Store,
    index: ResearchIndex,
    owner: str,
    query: str,
    *,
    k: int = 5,
    mode: SearchMode = "hybrid",
    document_ids: list[str] | None = None,
    uploaded_from: datetime | None = None,
    uploaded_to: datetime | None = None,
    fusion: Fusion = "scores",
) -> SearchResults:
    """The best `k` passages of `owner`'s documents for `query`, hybrid ones fused by `fusion`
    (see `research.index`).

    `UnknownDocumentError` names a filtered document that is not the owner's; ValueError a bad
    query, `k`, mode or time range."""
    if uploaded_from and uploaded_to and uploaded_from >= uploaded_to:
        raise ValueError("uploaded_from must be before uploaded_to")
    stored = store.list_documents(owner)  # one read serves the filter, the hits and `unindexed`
    stored_ids = {document.id for document in stored}
    for document_id in document_ids or []:
        if document_id not in stored_ids:
            raise UnknownDocumentError(f"no such document: {document_id}")
    filters = SearchFilters(
        document_ids=frozenset(document_ids) if document_ids is not None else None,
        uploaded_from=uploaded_from,
        uploaded_to=uploaded_to,
    )
    hits = index.search(owner, query, k=k, mode=mode, filters=filters, fusion=fusion)
    indexed = index.document_ids(owner)
    return SearchResults(
        hits=[hit for hit in hits if hit.document_id in stored_ids],
        unindexed=[document for document in stored if document.id not in indexed],
    )


@dataclass(frozen=True)
class ReindexReport:
    """What `reindex` did: documents and chunks indexed, and stale documents removed."""

    documents: int
    chunks: int
    removed: int


def reindex(store: Store, index: ResearchIndex, owner: str) -> ReindexReport:
    """Rebuild `owner`'s index from the store: every stored document's chunks indexed again,
    rows of documents the store no longer holds removed, then the full-text index built once
    over all of them."""
    documents = store.list_documents(owner)
    stored = {d.id for d in documents}
    stale = index.document_ids(owner) - stored
    for document_id in stale:
        index.delete_document(owner, document_id)
    chunks = 0
    for document in documents:
        stored_chunks = all_chunks(store, owner, document.id)
        index.delete_document(owner, document.id)
        index.add(
            owner,
            chunks_of(document.id, document.name, document.created_at, stored_chunks),
            update_text_index=False,
        )
        chunks += len(stored_chunks)
    index.rebuild_text_index(owner)
    return ReindexReport(documents=len(documents), chunks=chunks, removed=len(stale))


def owner_search(
    store: Store, owner: str, settings: Settings
) -> Callable[[str, int, list[str] | None], SearchResults]:
    """search(query, k, document_ids): `owner`'s documents searched as the agents' tools do
    (the index opened on first use)."""

    def search(query: str, k: int, document_ids: list[str] | None) -> SearchResults:
        index = research_index(settings)
        return search_documents(store, index, owner, query, k=k, document_ids=document_ids)

    return search
