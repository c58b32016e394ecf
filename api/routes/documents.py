"""`/v1/documents`: the documents library (issue 18; search and the agents reading it are to
come).

- `POST /v1/documents`: upload a PDF, xlsx, CSV, JSON, Markdown or text file (multipart field
  `file`); it is parsed and chunked, then stored with its chunks and original: 201 with its
  metadata and links. 415 for an unsupported type, 413 above `documents_max_bytes`, 422 for a
  corrupt, encrypted or empty file or a PDF above `documents_max_pages` (field `file`); a
  refused file leaves nothing stored.
- `GET /v1/documents` (newest first), `GET /v1/documents/{id}` (metadata and the references of
  the first chunks), `GET /v1/documents/{id}/chunks?cursor=&limit=`, `GET
  /v1/documents/{id}/original` (the uploaded bytes; 503 `ARCHIVED` with `Retry-After` while an
  original archived to S3 Glacier is being restored), `DELETE /v1/documents/{id}` (204; the
  chunks and the original, every version of it, go too). Another owner's document is 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, File, Query, Response, UploadFile
from pydantic import BaseModel, Field

from api.context import Caller, Ctx
from api.downloads import attachment
from api.errors import ApiError, ErrorResponse, not_found, validation_error
from research.parsing import DocumentError, DocumentTooLargeError, UnsupportedDocumentError
from services.documents import add_document, document_summary
from store import ArchivedError, Document, DocumentChunk, NotFoundError

router = APIRouter(prefix="/v1", tags=["documents"])


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


def document_error(exc: DocumentError) -> ApiError:
    """The API error of a refused file: 415 unsupported, 413 too large, else 422; field `file`."""
    if isinstance(exc, UnsupportedDocumentError):
        return ApiError(415, "UNSUPPORTED_MEDIA_TYPE", str(exc), [("file", str(exc))])
    if isinstance(exc, DocumentTooLargeError):
        return ApiError(413, "PAYLOAD_TOO_LARGE", str(exc), [("file", str(exc))])
    return validation_error("file", str(exc))


@router.post(
    "/documents",
    response_model=DocumentOut,
    status_code=201,
    summary="Add a document",
    responses={
        201: {"description": "Stored; `Location` names the document."},
        415: {"model": ErrorResponse, "description": "Unsupported media type"},
    },
)
async def create_document(
    context: Ctx,
    caller: Caller,
    response: Response,
    file: Annotated[
        UploadFile,
        File(description="PDF, xlsx, CSV, JSON, Markdown (.md) or plain text (.txt)."),
    ],
) -> DocumentOut:
    """Parse, chunk and store the file (see the module docstring for the errors)."""
    limit = context.settings.documents_max_bytes
    data = await file.read(limit + 1)  # one byte more than the limit is enough to refuse it
    try:
        document = add_document(context.store, context.settings, caller.owner, file.filename, data)
    except DocumentError as exc:
        raise document_error(exc) from None
    response.headers["Location"] = f"/v1/documents/{document.id}"
    return document_out(document)


@router.get("/documents", response_model=DocumentList, summary="List documents")
def list_documents(context: Ctx, caller: Caller) -> DocumentList:
    """The caller's documents, newest first."""
    return DocumentList(items=[document_out(d) for d in context.store.list_documents(caller.owner)])


def _missing(document_id: str) -> ApiError:
    return not_found("document", document_id)


@router.get("/documents/{document_id}", response_model=DocumentDetail, summary="Get a document")
def read_document(document_id: str, context: Ctx, caller: Caller) -> DocumentDetail:
    """The document's metadata and the references of its first chunks (404 if not the
    caller's)."""
    try:
        document, first = document_summary(context.store, caller.owner, document_id)
    except NotFoundError:
        raise _missing(document_id) from None
    return DocumentDetail(
        **document_out(document).model_dump(),
        first_chunks=[ReferenceOut(ordinal=c.ordinal, reference=c.reference) for c in first],
    )


def _chunk_out(chunk: DocumentChunk) -> ChunkOut:
    return ChunkOut(ordinal=chunk.ordinal, text=chunk.text, reference=chunk.reference)


@router.get(
    "/documents/{document_id}/chunks", response_model=ChunkPage, summary="A document's chunks"
)
def read_chunks(
    document_id: str,
    context: Ctx,
    caller: Caller,
    cursor: Annotated[str | None, Query(description="`next_cursor` of the previous page.")] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Chunks per page.")] = 100,
) -> ChunkPage:
    """The document's chunks in reading order, a page at a time (400 for a bad cursor)."""
    try:
        page = context.store.document_chunks(caller.owner, document_id, cursor=cursor, limit=limit)
    except NotFoundError:
        raise _missing(document_id) from None
    except ValueError as exc:
        raise ApiError(400, "BAD_REQUEST", str(exc), [("query.cursor", str(exc))]) from None
    return ChunkPage(items=[_chunk_out(c) for c in page.items], next_cursor=page.next_cursor)


@router.get(
    "/documents/{document_id}/original",
    summary="Download a document's original",
    response_model=None,
    response_class=Response,
    responses={
        200: {"content": {"application/octet-stream": {}}},
        503: {"model": ErrorResponse, "description": "Archived; a restore was requested"},
    },
)
def download_original(document_id: str, context: Ctx, caller: Caller) -> Response:
    """The bytes as uploaded, with their media type, the file name and `ETag` (SHA-256); 503
    `ARCHIVED` (with `Retry-After`, seconds) while an archived original is being restored."""
    try:
        document = context.store.get_document(caller.owner, document_id)
        data = context.store.document_bytes(caller.owner, document_id)
    except NotFoundError:
        raise _missing(document_id) from None
    except ArchivedError as exc:
        retry = str(exc.ready_in_hours * 3600)
        raise ApiError(503, "ARCHIVED", str(exc), headers={"Retry-After": retry}) from None
    return attachment(data, document.media_type, document.name, {"ETag": f'"{document.sha256}"'})


@router.delete(
    "/documents/{document_id}",
    status_code=204,
    response_class=Response,
    summary="Delete a document",
    responses={204: {"description": "Deleted, with its chunks and original."}},
)
def delete_document(document_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the document, its chunks and its original (404 if not the caller's)."""
    try:
        context.store.delete_document(caller.owner, document_id)
    except NotFoundError:
        raise _missing(document_id) from None
    return Response(status_code=204)
