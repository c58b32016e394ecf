"""The documents library's use cases, shared by the API, the CLI and the tools: add a file
(parsed and chunked, and embedded by a model that could refuse it, before anything is stored,
so a file that fails leaves nothing),
delete one, and a document's summary (its metadata and the references of its first chunks).
Listing and reading chunks and the original are the store's `list_documents`,
`document_chunks` and `document_bytes`.

A document is searchable once the store and the research index (`research.index`) both hold
it: `add_document` stores it, then indexes it, and deletes it again when indexing fails;
`delete_document` removes the vectors first, then the document. Search (`services.research`)
shows only documents the store holds, so index rows left by a crash between the two writes are
never shown, and `services.research.reindex` rebuilds an owner's index from the store.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from pathlib import PurePosixPath, PureWindowsPath

from quant.problems import strip_controls
from research.chunking import CHUNK_CHARS
from research.index import ResearchIndex, chunks_of
from research.parser_pool import (
    ChunkedFile,
    ParseLimits,
    ParserPool,
    embeds_in_child,
    parser_pool,
)
from research.parsing import DocumentTooLargeError
from settings import Settings
from store import Document, DocumentChunk, Store
from store.documents import MAX_NAME_CHARS

log = logging.getLogger("stratigos.documents")


class OwnerChunksError(DocumentTooLargeError):
    """The owner's documents would hold more chunks than `documents.max_owner_chunks`."""


PREVIEW_CHUNKS = 10
"""How many first chunks a document's summary shows the references of."""


def document_name(filename: str | None) -> str:
    """The name a document is stored under: the file name without any directory (a browser
    may send a Windows path) and without control or bidirectional-override characters
    (`quant.problems.strip_controls`), at most `MAX_NAME_CHARS` characters; "document" if
    none."""
    base = strip_controls(PureWindowsPath(PurePosixPath(filename or "").name).name).strip()
    return (base or "document")[:MAX_NAME_CHARS]


def parse_limits(settings: Settings) -> ParseLimits:
    """What one file may be, from the settings' `documents` group (docs/security.md)."""
    documents = settings.documents
    return ParseLimits(
        max_bytes=documents.max_bytes,
        max_pages=documents.max_pages,
        max_expanded_bytes=documents.max_expanded_bytes,
        max_rows=documents.max_rows,
        max_cells=documents.max_cells,
        max_chars=documents.max_chunks * CHUNK_CHARS,  # more text makes more chunks
        max_chunks=documents.max_chunks,
    )


def chunked_document(
    settings: Settings, filename: str | None, data: bytes
) -> tuple[str, ChunkedFile]:
    """Parse and chunk `data` (the file `filename`) within the settings' limits, in a child
    process of the settings' parser pool (`research.parser_pool`): its stored name and the file
    read. A `DocumentError` subclass says why a file is refused."""
    name = document_name(filename)
    return name, _pool(settings).parse(data, name, parse_limits(settings))


def _pool(settings: Settings) -> ParserPool:
    documents = settings.documents
    return parser_pool(
        documents.parse_workers, documents.parse_memory_bytes, documents.parse_seconds
    )


def _check_owner_room(store: Store, settings: Settings, owner: str, adding: int) -> None:
    """`OwnerChunksError` when `adding` chunks would take the owner's documents past
    `documents.max_owner_chunks` (checked before the file is read, then with its count)."""
    limit = settings.documents.max_owner_chunks
    held = sum(d.chunk_count for d in store.list_documents(owner))
    if held + adding > limit:
        raise OwnerChunksError(
            f"your documents hold {held:,} chunks; {'adding this one' if adding else 'more'} "
            f"would pass the limit of {limit:,} per owner (documents_max_owner_chunks): delete "
            "documents first"
        )


def add_document(
    store: Store,
    index: ResearchIndex,
    settings: Settings,
    owner: str,
    filename: str | None,
    data: bytes,
) -> Document:
    """Parse, chunk and embed `data`, store it as `owner`'s document and index it (reading and
    indexing in child processes of the settings' parser pool; embedding there too with the
    offline embedder, which makes no call and refuses no text, else here before anything is
    stored).

    A `DocumentError` subclass (nothing stored) says why a file is refused, including an
    owner whose documents would hold more chunks than allowed (`OwnerChunksError`); a
    `StoreError` or a `ResearchIndexError` means nothing is listed or searchable either."""
    _check_owner_room(store, settings, owner, 0)
    name, read = chunked_document(settings, filename, data)
    _check_owner_room(store, settings, owner, len(read.chunks))
    chunks = read.chunks
    vectors = (
        None
        if embeds_in_child(index)
        else index.embed(chunks_of("pending", name, datetime.now(UTC), chunks))
    )
    document = store.add_document(owner, name, read.media_type, data, chunks, read.pages)
    try:
        passages = chunks_of(document.id, name, document.created_at, chunks)
        _pool(settings).index(index, owner, passages, vectors)
    except Exception:
        log.exception("indexing document %s failed; removing it", document.id)
        store.delete_document(owner, document.id)
        raise
    return document


def delete_document(store: Store, index: ResearchIndex, owner: str, document_id: str) -> None:
    """Delete `owner`'s document with its chunks, original and vectors (`NotFoundError` for a
    missing document or another owner's). The vectors go first: a failure leaves the document
    listed, to delete again."""
    store.get_document(owner, document_id)
    index.delete_document(owner, document_id)
    store.delete_document(owner, document_id)


def all_chunks(store: Store, owner: str, document_id: str) -> list[DocumentChunk]:
    """Every chunk of `owner`'s document, in reading order."""
    chunks: list[DocumentChunk] = []
    cursor: str | None = None
    while True:
        page = store.document_chunks(owner, document_id, cursor=cursor, limit=1000)
        chunks.extend(page.items)
        if page.next_cursor is None:
            return chunks
        cursor = page.next_cursor


def document_summary(
    store: Store, owner: str, document_id: str
) -> tuple[Document, list[DocumentChunk]]:
    """The owner's document and its first `PREVIEW_CHUNKS` chunks (`NotFoundError` for a
    missing document or another owner's)."""
    document = store.get_document(owner, document_id)
    return document, store.document_chunks(owner, document_id, limit=PREVIEW_CHUNKS).items
