"""`/v1/documents`: the documents library and its search.

- `POST /v1/documents`: upload a PDF, xlsx, CSV, JSON, Markdown or text file (multipart field
  `file`); it is parsed and chunked in a child process (`research.parser_pool`), embedded,
  then stored with its chunks and original and indexed for search: 201 with its metadata and
  links. 415 for an unsupported type; 413 naming the limit passed (`documents_max_bytes`, the
  expanded size, rows, cells, chunks, the owner's chunks, memory); 422 for a corrupt,
  encrypted or empty file, a PDF above `documents_max_pages` or one slower to read than
  `documents_parse_seconds` (field `file`); a refused file leaves nothing stored.
- `GET /v1/documents` (newest first), `GET /v1/documents/{id}` (metadata and the references of
  the first chunks), `GET /v1/documents/{id}/chunks?cursor=&limit=`, `GET
  /v1/documents/{id}/original` (the uploaded bytes; 503 `ARCHIVED` with `Retry-After` while an
  original archived to S3 Glacier is being restored), `DELETE /v1/documents/{id}` (204; the
  chunks, the vectors and the original, every version of it, go too). Another owner's document
  is 404.
- `GET /v1/research/search?q=&k=&mode=&document_id=&uploaded_from=&uploaded_to=`: the best
  passages of the caller's documents (hybrid BM25 + vector search by default), with snippets
  and citations; `POST /v1/research/reindex` rebuilds the caller's index from the store.
  503 when the index cannot be read or written.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import File, Query, Response, UploadFile

from api.context import Caller, Ctx
from api.downloads import attachment
from api.errors import ApiError, ErrorResponse, cursor_errors, not_found, validation_error
from api.params import Cursor, Moment
from api.route_defaults import api_router
from api.schemas.documents import (
    ChunkOut,
    ChunkPage,
    DocumentDetail,
    DocumentList,
    DocumentOut,
    ReferenceOut,
    ReindexOut,
    SearchOut,
    UnindexedOut,
    document_out,
    hit_out,
)
from research.embeddings import EmbeddingInputError, EmbeddingServiceError
from research.index_terms import MAX_K, Fusion, ResearchIndexError, SearchMode
from research.parsing import DocumentError, DocumentTooLargeError, UnsupportedDocumentError
from store import ArchivedError, Document, DocumentChunk, NotFoundError

router = api_router(prefix="/v1", tags=["documents"])

SEARCH_UNAVAILABLE = (ResearchIndexError, EmbeddingServiceError)
"""Failures of the research index or the embedding model: 503 wherever documents are added,
searched, reindexed or deleted."""


def document_error(exc: DocumentError) -> ApiError:
    """The API error of a refused file: 415 unsupported; 413 past a size limit (bytes, the
    expanded size, rows, cells, text, chunks, the owner's chunks, memory), naming it; else 422
    (corrupt, encrypted, empty, too many pages, too slow to read); field `file`."""
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
    """Parse, chunk and store the file (see the module docstring for the errors). The file is
    read, and indexed, in child processes (the offline embedder runs there too), from a worker
    thread that stores it: the event loop serves other requests meanwhile."""
    await context.load("services.documents")  # off the event loop
    from services.documents import add_document

    limit = context.settings.documents.max_bytes

    def add(data: bytes) -> Document:
        index = context.research_index
        return add_document(
            context.store, index, context.settings, caller.owner, file.filename, data
        )

    try:
        document = await context.read_upload(file, limit, add)
    except DocumentError as exc:
        raise document_error(exc) from None
    except EmbeddingInputError as exc:
        raise validation_error("file", str(exc)) from None
    except SEARCH_UNAVAILABLE as exc:
        raise index_unavailable(exc) from None
    response.headers["Location"] = f"/v1/documents/{document.id}"
    return document_out(document)


@router.get("/documents", response_model=DocumentList, summary="List documents")
def list_documents(context: Ctx, caller: Caller) -> DocumentList:
    """The caller's documents, newest first."""
    return DocumentList(items=[document_out(d) for d in context.store.list_documents(caller.owner)])


def _missing(document_id: str) -> ApiError:
    return not_found("document", document_id)


def index_unavailable(exc: Exception) -> ApiError:
    """503: the research index could not be read or written, or the embedding model failed."""
    return ApiError(503, "SERVICE_UNAVAILABLE", f"search is unavailable: {exc}")


def _aware(value: datetime | None, field: str) -> datetime | None:
    if value is not None and value.tzinfo is None:
        raise validation_error(field, "give a time zone (e.g. 2026-01-31T00:00:00Z)")
    return value


@router.get("/research/search", response_model=SearchOut, summary="Search your documents")
def search(
    context: Ctx,
    caller: Caller,
    q: Annotated[str, Query(min_length=1, max_length=1000, description="What to look for.")],
    k: Annotated[int, Query(ge=1, le=MAX_K, description="How many passages.")] = 5,
    mode: Annotated[SearchMode, Query(description="hybrid, bm25 or vector.")] = "hybrid",
    fusion: Annotated[
        Fusion, Query(description="How hybrid fuses: scores (default) or rrf (rank fusion).")
    ] = "scores",
    document_id: Annotated[
        list[str] | None, Query(description="Only these documents (repeat the parameter).")
    ] = None,
    uploaded_from: Annotated[
        Moment | None, Query(description="Only documents uploaded at or after (ISO 8601).")
    ] = None,
    uploaded_to: Annotated[
        Moment | None, Query(description="Only documents uploaded before (ISO 8601).")
    ] = None,
) -> SearchOut:
    """The best `k` passages of the caller's documents for `q` (422 for a bad parameter or a
    filtered document that is not the caller's, 503 when the index is unavailable)."""
    from services.research import UnknownDocumentError, search_documents

    if not q.strip():
        raise validation_error("query.q", "the query is empty")
    start = _aware(uploaded_from, "query.uploaded_from")
    end = _aware(uploaded_to, "query.uploaded_to")
    if start and end and start >= end:
        raise validation_error("query.uploaded_to", "must be after uploaded_from")
    index = context.research_index
    try:
        results = search_documents(
            context.store,
            index,
            caller.owner,
            q,
            k=k,
            mode=mode,
            document_ids=document_id,
            uploaded_from=start,
            uploaded_to=end,
            fusion=fusion,
        )
    except UnknownDocumentError as exc:
        raise validation_error("query.document_id", str(exc)) from None
    except EmbeddingInputError as exc:
        raise validation_error("query.q", str(exc)) from None
    except SEARCH_UNAVAILABLE as exc:
        raise index_unavailable(exc) from None
    return SearchOut(
        query=q,
        mode=mode,
        embedding_model=index.embedder.model_id,
        hits=[hit_out(hit) for hit in results.hits],
        unindexed=[UnindexedOut(id=d.id, name=d.name) for d in results.unindexed],
    )


@router.post("/research/reindex", response_model=ReindexOut, summary="Rebuild your index")
def rebuild_index(context: Ctx, caller: Caller) -> ReindexOut:
    """Index every stored document of the caller again and drop rows of deleted ones."""
    from services.research import reindex

    try:
        report = reindex(context.store, context.research_index, caller.owner)
    except SEARCH_UNAVAILABLE as exc:
        raise index_unavailable(exc) from None
    return ReindexOut(documents=report.documents, chunks=report.chunks, removed=report.removed)


@router.get("/documents/{document_id}", response_model=DocumentDetail, summary="Get a document")
def read_document(document_id: str, context: Ctx, caller: Caller) -> DocumentDetail:
    """The document's metadata and the references of its first chunks (404 if not the
    caller's)."""
    from services.documents import document_summary

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
    cursor: Cursor = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Chunks per page.")] = 100,
) -> ChunkPage:
    """The document's chunks in reading order, a page at a time (400 for a bad cursor)."""
    try:
        with cursor_errors():
            page = context.store.document_chunks(
                caller.owner, document_id, cursor=cursor, limit=limit
            )
    except NotFoundError:
        raise _missing(document_id) from None
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
    responses={204: {"description": "Deleted, with its chunks, original and vectors."}},
)
def delete_document(document_id: str, context: Ctx, caller: Caller) -> Response:
    """Delete the document, its chunks, its original and its vectors (404 if not the caller's)."""
    from services import documents as library

    try:
        library.delete_document(context.store, context.research_index, caller.owner, document_id)
    except NotFoundError:
        raise _missing(document_id) from None
    except SEARCH_UNAVAILABLE as exc:
        raise index_unavailable(exc) from None
    return Response(status_code=204)
