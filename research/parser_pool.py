"""Uploaded files are read, and their passages embedded (offline) and written to the research
index, in child processes, never in the server's: `ParserPool.parse`, `ParserPool.index`.

Parsing and chunking an untrusted file is the heaviest thing a request can ask for (a 92 KB
workbook can expand to 400,000 rows). Here it runs in a child process (`research.parse_worker`,
through `research.child_process.ChildPool`) so that it neither holds the server's event loop or
interpreter lock nor grows the server's memory: a reading child's address space is capped
(`memory_bytes`), each file has `seconds` to be read (then the child is killed), at most
`workers` files are read at once (more callers wait their turn), and a child whose memory grew
past `recycle_bytes` is replaced. Writing to the index runs in children of its own, without the
cap (LanceDB reserves more address space than a reader's cap); they also embed the passages
when the index's embedder is the offline one (`HashingEmbedder`: its word cache and its
matrices then grow the child, not the server).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from research import parsing
from research.child_process import (
    RECYCLE_BYTES,
    ChildMemoryExhausted,
    ChildPool,
    ChildStopped,
    shared_pool,
)
from research.chunking import Chunk
from research.embeddings import HashingEmbedder
from research.index import IndexedChunk, ResearchIndex, ResearchIndexError
from research.parsing import (
    CorruptDocumentError,
    DocumentError,
    DocumentTooLargeError,
    TooSlowDocumentError,
)

WORKER = "research.parse_worker"
"""The module the children run."""


@dataclass(frozen=True)
class ParseLimits:
    """What one file may be (`research.parsing.parse_document`'s limits, and `max_chunks`)."""

    max_bytes: int
    max_pages: int
    max_expanded_bytes: int
    max_rows: int
    max_cells: int
    max_chars: int
    max_chunks: int


@dataclass(frozen=True)
class ChunkedFile:
    """A file read: its media type, its page count (PDFs), its chunks in reading order."""

    media_type: str
    pages: int | None
    chunks: list[Chunk]


def _refusals() -> dict[str, type[DocumentError]]:
    """Every `DocumentError` subclass of `research.parsing`, by name."""
    found: dict[str, type[DocumentError]] = {}
    pending: list[type[DocumentError]] = [DocumentError]
    while pending:
        kind = pending.pop()
        found[kind.__name__] = kind
        pending.extend(kind.__subclasses__())
    return {name: kind for name, kind in found.items() if getattr(parsing, name, None) is kind}


def embeds_in_child(index: ResearchIndex) -> bool:
    """Whether `ParserPool.index` embeds `index`'s passages itself (the offline embedder: it
    makes no call and refuses no text), so the caller need not hand it vectors."""
    return isinstance(index.embedder, HashingEmbedder)


class ParserPool(ChildPool):
    """Reads files in at most `workers` child processes at once (see the module docstring)."""

    def __init__(
        self,
        workers: int,
        memory_bytes: int,
        seconds: float,
        recycle_bytes: int = RECYCLE_BYTES,
    ) -> None:
        super().__init__(
            WORKER, workers, memory_bytes, seconds, recycle_bytes=recycle_bytes, uncapped={"index"}
        )
        self._refusals = _refusals()

    def parse(self, data: bytes, filename: str, limits: ParseLimits) -> ChunkedFile:
        """Parse and chunk `data` (the file `filename`) within `limits` in a child process.
        A `DocumentError` subclass says why a file is refused: the readers' own, plus
        `TooSlowDocumentError` past the time limit and `DocumentTooLargeError` when it needs
        more memory than the child has."""
        header = {"op": "parse", "filename": filename, "limits": asdict(limits)}
        try:
            reply, _ = self.ask(header, data)
        except TimeoutError:
            raise TooSlowDocumentError(
                f"{filename!r} takes longer than {self.seconds:g} s to read, the limit "
                "(documents_parse_seconds)"
            ) from None
        except ChildMemoryExhausted:
            raise DocumentTooLargeError(
                f"{filename!r} needs more than {self.memory_bytes // 2**20:,} MiB of memory to "
                "read, the limit (documents_parse_memory_bytes)"
            ) from None
        except ChildStopped as exc:
            raise CorruptDocumentError(
                f"{filename!r} could not be read: the reader stopped ({exc})"
            ) from None
        return self._result(reply, filename)

    def index(
        self,
        index: ResearchIndex,
        owner: str,
        chunks: Sequence[IndexedChunk],
        vectors: Any | None = None,
    ) -> None:
        """`index.add(owner, chunks, vectors)` done in a child process (LanceDB's buffers and
        its text index's build then grow the child, not this process); without `vectors`, the
        child embeds the chunks (only where `embeds_in_child(index)`). `ResearchIndexError`
        when the index refuses or the write takes longer than the limit."""
        if not chunks:
            return
        if vectors is None and not embeds_in_child(index):
            raise ValueError(f"{index.embedder.model_id} vectors are made by the caller")
        header = {
            "op": "index",
            "uri": index.uri,
            "storage_options": index.storage_options,
            "model_id": index.embedder.model_id,
            "dimensions": index.embedder.dimensions,
            "owner": owner,
            "chunks": [
                [
                    c.document_id,
                    c.document_name,
                    c.ordinal,
                    dict(c.reference),
                    c.text,
                    c.uploaded_at.isoformat(),
                ]
                for c in chunks
            ],
        }
        data = b"" if vectors is None else np.ascontiguousarray(vectors, np.float32).tobytes()
        try:
            reply, _ = self.ask(header, data)
        except (TimeoutError, ChildStopped, ChildMemoryExhausted) as exc:
            raise ResearchIndexError(
                f"research index at {index.uri}: writing the passages did not finish "
                f"({exc or f'longer than {self.seconds:g} s'})"
            ) from None
        if "index_error" in reply:
            raise ResearchIndexError(str(reply["index_error"]))
        if "indexed" not in reply:
            self._result(reply, "the document's passages")

    def _result(self, reply: dict[str, Any], filename: str) -> ChunkedFile:
        if "parsed" in reply:
            parsed = reply["parsed"]
            chunks = [Chunk(int(o), str(t), dict(r)) for o, t, r in parsed["chunks"]]
            return ChunkedFile(str(parsed["media_type"]), parsed["pages"], chunks)
        if "refused" in reply:
            refused = reply["refused"]
            kind = self._refusals.get(str(refused.get("kind")), CorruptDocumentError)
            raise kind(str(refused.get("message")))
        raise RuntimeError(f"the reader failed on {filename!r}: {reply.get('failed')}")


def parser_pool(workers: int, memory_bytes: int, seconds: float) -> ParserPool:
    """This process's pool of those settings (one per set of settings; closed at exit)."""
    key = (WORKER, workers, memory_bytes, seconds)
    pool = shared_pool(key, lambda: ParserPool(workers, memory_bytes, seconds))
    assert isinstance(pool, ParserPool)
    return pool
