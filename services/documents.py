"""The documents library's use cases, shared by the API and the CLI: add a file (parsed and
chunked before anything is stored, so a file that fails leaves nothing), and a document's
summary (its metadata and the references of its first chunks). Listing, reading chunks and the
original, and deleting are the store's `list_documents`, `document_chunks`, `document_bytes`
and `delete_document`.
"""

from __future__ import annotations

from pathlib import PurePosixPath, PureWindowsPath

from research.chunking import chunk_blocks
from research.parsing import parse_document
from settings import Settings
from store import Document, DocumentChunk, Store
from store.documents import MAX_NAME_CHARS

PREVIEW_CHUNKS = 10
"""How many first chunks a document's summary shows the references of."""


def document_name(filename: str | None) -> str:
    """The name a document is stored under: the file name without any directory (a browser
    may send a Windows path), at most `MAX_NAME_CHARS` characters; "document" if none."""
    base = PureWindowsPath(PurePosixPath(filename or "").name).name.strip()
    return (base or "document")[:MAX_NAME_CHARS]


def add_document(
    store: Store, settings: Settings, owner: str, filename: str | None, data: bytes
) -> Document:
    """Parse `data` (the file `filename`) within the settings' limits
    (`documents_max_bytes`, `documents_max_pages`), chunk it and store the original, the
    chunks and the metadata as one document of `owner`. A `DocumentError` subclass (nothing
    stored) says why a file is refused; a `StoreError` means nothing is listed either."""
    name = document_name(filename)
    parsed = parse_document(
        data,
        name,
        max_bytes=settings.documents_max_bytes,
        max_pages=settings.documents_max_pages,
    )
    chunks = chunk_blocks(parsed.blocks)
    return store.add_document(owner, name, parsed.media_type, data, chunks, parsed.pages)


def document_summary(
    store: Store, owner: str, document_id: str
) -> tuple[Document, list[DocumentChunk]]:
    """The owner's document and its first `PREVIEW_CHUNKS` chunks (`NotFoundError` for a
    missing document or another owner's)."""
    document = store.get_document(owner, document_id)
    return document, store.document_chunks(owner, document_id, limit=PREVIEW_CHUNKS).items
