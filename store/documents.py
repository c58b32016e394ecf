"""The documents library's stored documents (metadata, chunks and original bytes) and their
repository interface.

A document is stored whole or not at all: it is listed (and readable) only once its metadata,
every chunk and its original bytes are all stored. SQLite writes them in one transaction; AWS
uploads the original to S3, writes the chunk items and writes the metadata item last (see
`store.aws.documents`).
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from store.common import (
    Clock,
    Page,
    check_limit,
    check_owner,
    decode_cursor,
    dumps,
    encode_cursor,
    from_micros,
    new_id,
    to_micros,
)

Reference = dict[str, str | int]
"""Where a chunk is in its document: `{"page": 3}`, `{"sheet": "Q1", "rows": "2-14"}`,
`{"section": "Risks"}`, `{"lines": "1-9"}`, `{"key": "limits"}`, ..."""


class ChunkLike(Protocol):
    """What `add_document` stores of each chunk (e.g. a `research.chunking.Chunk`)."""

    @property
    def ordinal(self) -> int: ...

    @property
    def text(self) -> str: ...

    @property
    def reference(self) -> Mapping[str, str | int]: ...


@dataclass(frozen=True)
class DocumentChunk:
    """A stored chunk: its position in reading order (from 0), its text and its reference."""

    ordinal: int
    text: str
    reference: Reference


@dataclass(frozen=True)
class Document:
    """A stored document's metadata; its chunks come from `document_chunks`, its original from
    `document_bytes`.

    `name` is the uploaded file name, `media_type` the original's, `size_bytes` and `sha256`
    (hex) describe the original bytes, `pages` is a PDF's page count (None for other kinds),
    `chunk_count` how many chunks it has (ordinals 0 .. chunk_count - 1).
    """

    id: str
    owner: str
    name: str
    media_type: str
    size_bytes: int
    sha256: str
    pages: int | None
    chunk_count: int
    created_at: datetime


DOCUMENT_FIELDS = (
    "id", "owner", "name", "media_type", "size_bytes", "sha256", "pages", "chunk_count",
)  # fmt: skip
"""The stored fields of a document besides `created_at` (stored as microseconds)."""

MAX_NAME_CHARS = 255
"""The longest document name."""


def document_to_row(document: Document) -> dict[str, Any]:
    """The stored form of a document's metadata (`created_at` as microseconds)."""
    return {
        **{field: getattr(document, field) for field in DOCUMENT_FIELDS},
        "created_at": to_micros(document.created_at),
    }


def document_from_row(d: Mapping[str, Any]) -> Document:
    """The Document a stored row or item holds."""
    return Document(
        id=d["id"],
        owner=d["owner"],
        name=d["name"],
        media_type=d["media_type"],
        size_bytes=int(d["size_bytes"]),
        sha256=d["sha256"],
        pages=None if d.get("pages") is None else int(d["pages"]),
        chunk_count=int(d["chunk_count"]),
        created_at=from_micros(d["created_at"]),  # type: ignore[arg-type]
    )


def chunk_from_row(d: Mapping[str, Any]) -> DocumentChunk:
    """The DocumentChunk a stored row or item holds (`reference` as JSON)."""
    return DocumentChunk(int(d["ordinal"]), d["text"], json.loads(d["reference"]))


def _chunk_rows(chunks: Sequence[ChunkLike]) -> list[tuple[int, str, str]]:
    """`(ordinal, text, reference JSON)` of each chunk; ValueError unless there is at least one
    chunk, the ordinals are 0, 1, 2, ... in order, and every text is non-empty."""
    if not chunks:
        raise ValueError("a document needs at least one chunk")
    rows = []
    for position, chunk in enumerate(chunks):
        if chunk.ordinal != position:
            raise ValueError(
                f"chunk ordinals must be 0, 1, 2, ...; got {chunk.ordinal} at {position}"
            )
        if not isinstance(chunk.text, str) or not chunk.text.strip():
            raise ValueError(f"chunk {position}'s text is empty")
        rows.append((position, chunk.text, dumps(dict(chunk.reference))))
    return rows


def _check_document(name: str, media_type: str, data: bytes, pages: int | None) -> None:
    """ValueError naming the first bad argument of `add_document`."""
    if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_CHARS:
        raise ValueError(f"document name must be 1 to {MAX_NAME_CHARS} characters, got {name!r}")
    if not isinstance(media_type, str) or "/" not in media_type:
        raise ValueError(f"document media_type must be a media type, got {media_type!r}")
    if not isinstance(data, bytes | bytearray) or not data:
        raise ValueError("document data must be non-empty bytes")
    if pages is not None and (isinstance(pages, bool) or not isinstance(pages, int) or pages < 1):
        raise ValueError(f"document pages must be None or a positive integer, got {pages!r}")


class DocumentRepository(ABC):
    """An owner's documents library."""

    clock: Clock

    def add_document(
        self,
        owner: str,
        name: str,
        media_type: str,
        data: bytes,
        chunks: Sequence[ChunkLike],
        pages: int | None = None,
    ) -> Document:
        """Store the original `data` (a file `name` of `media_type`, `pages` pages if a PDF), its
        `chunks` (ordinals 0, 1, 2, ...) and its metadata (id `doc_…`, size, SHA-256, chunk
        count, creation time) as one document. Returns the record once everything is stored; on
        any failure (`StoreError`) no document is listed or readable. `ValueError` names a bad
        argument."""
        check_owner(owner)
        _check_document(name, media_type, data, pages)
        rows = _chunk_rows(chunks)
        document = Document(
            id=new_id("doc"),
            owner=owner,
            name=name,
            media_type=media_type,
            size_bytes=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            pages=pages,
            chunk_count=len(rows),
            created_at=from_micros(to_micros(self.clock())),  # type: ignore[arg-type]
        )
        self._insert_document(document, bytes(data), rows)
        return document

    @abstractmethod
    def _insert_document(
        self, document: Document, data: bytes, chunks: list[tuple[int, str, str]]
    ) -> None:
        """`add_document` after its checks: store the original, the chunks (`(ordinal, text,
        reference JSON)`) and the metadata so that the document is listed only when all are."""

    @abstractmethod
    def get_document(self, owner: str, document_id: str) -> Document:
        """The document's metadata, or `NotFoundError` (also for another owner's)."""

    @abstractmethod
    def list_documents(self, owner: str) -> list[Document]:
        """The owner's documents, newest first."""

    def document_chunks(
        self, owner: str, document_id: str, cursor: str | None = None, limit: int = 100
    ) -> Page[DocumentChunk]:
        """The document's chunks in ordinal order, `limit` (1..1000) per page from the opaque
        `cursor`; `NotFoundError` if the document is not the owner's, `ValueError` for a bad
        cursor or limit."""
        check_limit(limit)
        after = decode_cursor(cursor)
        self.get_document(owner, document_id)
        rows = self._document_chunks(owner, document_id, after, limit + 1)
        items = [chunk_from_row(r) for r in rows[:limit]]
        more = len(rows) > limit
        return Page(items, encode_cursor(items[-1].ordinal) if more else None)

    @abstractmethod
    def _document_chunks(
        self, owner: str, document_id: str, after: int, limit: int
    ) -> list[dict[str, Any]]:
        """Up to `limit` chunk rows (`ordinal`, `text`, `reference` JSON) of an existing
        document with ordinals above `after`, in ordinal order."""

    @abstractmethod
    def document_bytes(self, owner: str, document_id: str) -> bytes:
        """The original bytes exactly as uploaded, or `NotFoundError`."""

    @abstractmethod
    def delete_document(self, owner: str, document_id: str) -> None:
        """Delete the document: its metadata, its chunks and its original (`NotFoundError` if
        absent). Once it returns the document is neither listed nor readable."""
