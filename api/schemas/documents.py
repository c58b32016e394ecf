"""Request and response models of the documents library under `/v1/documents` and its search
under `/v1/research` (`api.routes.documents`)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from research.citations import cite
from research.index_terms import SearchMode
from store import Document

if TYPE_CHECKING:
    from research.index import SearchHit


class DocumentLinks(BaseModel):
    """Where a document's parts are."""

    self: str
    chunks: str
    original: str


class DocumentOut(BaseModel):
    """A stored document's metadata."""

    id: str = Field(description="Document id (`doc_...`).")
    name: str = Field(description="The uploaded file name.")
    media_type: str = Field(description="The original's media type.")
    size_bytes: int = Field(description="Size of the original, bytes.")
    sha256: str = Field(description="SHA-256 of the original (hex).")
    pages: int | None = Field(description="A PDF's page count; null for other kinds.")
    chunk_count: int = Field(description="Chunks (ordinals 0 .. chunk_count - 1).")
    created_at: datetime
    links: DocumentLinks


class ChunkOut(BaseModel):
    """A chunk of a document."""

    ordinal: int = Field(description="Position in reading order, from 0.")
    text: str
    reference: dict[str, str | int] = Field(
        description='Where it is: {"page": n}, {"sheet": name, "rows": "a-b"}, '
        '{"section": heading}, {"lines": "a-b"}, {"rows": "a-b"} (CSV) or {"key": k} (JSON).'
    )


class ReferenceOut(BaseModel):
    """A chunk's ordinal and reference (without its text)."""

    ordinal: int
    reference: dict[str, str | int]


class DocumentDetail(DocumentOut):
    """A document's metadata and the references of its first chunks."""

    first_chunks: list[ReferenceOut] = Field(description="The first (up to 10) chunks.")


class DocumentList(BaseModel):
    """The caller's documents, newest first."""

    items: list[DocumentOut]


class ChunkPage(BaseModel):
    """A page of a document's chunks; `next_cursor` is null on the last page."""

    items: list[ChunkOut]
    next_cursor: str | None


def document_out(document: Document) -> DocumentOut:
    """The API view of a document's metadata."""
    base = f"/v1/documents/{document.id}"
    return DocumentOut(
        id=document.id,
        name=document.name,
        media_type=document.media_type,
        size_bytes=document.size_bytes,
        sha256=document.sha256,
        pages=document.pages,
        chunk_count=document.chunk_count,
        created_at=document.created_at,
        links=DocumentLinks(self=base, chunks=f"{base}/chunks", original=f"{base}/original"),
    )


class HitOut(BaseModel):
    """A passage found by a search."""

    document_id: str
    document_name: str
    ordinal: int = Field(description="The chunk's position in its document, from 0.")
    reference: dict[str, str | int] = Field(description="Where it is (as a chunk's reference).")
    citation: str = Field(description='How to cite it: "(name, p. 3)".')
    snippet: str = Field(description="Up to 240 characters around the query's words.")
    text: str = Field(description="The whole chunk.")
    score: float = Field(
        description="BM25 score (bm25), cosine similarity (vector) or the fused score (hybrid: "
        "0.5 * bm25 / best bm25 + 0.5 * cosine, or sum(1 / (60 + rank)) with fusion=rrf)."
    )
    bm25_rank: int | None = Field(description="Rank in the full-text list, from 1 (null: absent).")
    vector_rank: int | None = Field(description="Rank in the vector list, from 1 (null: absent).")
    matched_terms: list[str] = Field(description="The query's words (stems) in the snippet.")
    uploaded_at: datetime


class UnindexedOut(BaseModel):
    """A stored document that search cannot find until the index is rebuilt."""

    id: str
    name: str


class SearchOut(BaseModel):
    """Search results, best first."""

    query: str
    mode: SearchMode
    embedding_model: str = Field(description="The model whose vectors were compared.")
    hits: list[HitOut]
    unindexed: list[UnindexedOut] = Field(
        description="Your documents the index does not hold (POST /v1/research/reindex)."
    )


class ReindexOut(BaseModel):
    """What a rebuild of the caller's index did."""

    documents: int
    chunks: int
    removed: int = Field(description="Documents the index held that the store no longer does.")


def hit_out(hit: SearchHit) -> HitOut:
    """The API form of a search hit."""
    return HitOut(
        document_id=hit.document_id,
        document_name=hit.document_name,
        ordinal=hit.ordinal,
        reference=hit.reference,
        citation=cite(hit.document_name, hit.reference),
        snippet=hit.snippet,
        text=hit.text,
        score=hit.score,
        bm25_rank=hit.bm25_rank,
        vector_rank=hit.vector_rank,
        matched_terms=list(hit.matched_terms),
        uploaded_at=hit.uploaded_at,
    )
