"""The child process that reads uploaded files and writes their passages to the research index
for `research.parser_pool`: `python -m research.parse_worker MEMORY_BYTES` (the protocol and
the memory cap: `research.child_process`; 0: no cap, for the children that write to the index).

- `{"op": "parse", "filename", "limits"}` (`limits`: the keyword arguments of `parse_document`,
  plus `max_chunks`) with the file's bytes, answered `{"parsed": {"media_type", "pages",
  "chunks": [[ordinal, text, reference], ...]}}` or `{"refused": {"kind", "message"}}` (a
  `DocumentError` subclass by name);
- `{"op": "index", "uri", "storage_options", "model_id", "dimensions", "owner", "chunks":
  [[document_id, document_name, ordinal, reference, text, uploaded_at], ...]}` with the chunks'
  vectors (float32, row after row), or no bytes when `model_id` is the offline embedder's (the
  chunks are then embedded here), answered `{"indexed": count}` or `{"index_error": text}`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from research.child_process import run_child
from research.chunking import chunk_blocks
from research.parsing import DocumentError, parse_document
from settings.process_exit import exit_process


class _GivenVectors:
    """The embedder of an index that is handed its vectors: its model id and length only."""

    def __init__(self, model_id: str, dimensions: int) -> None:
        self.model_id = model_id
        self.dimensions = dimensions

    def embed_documents(self, texts: Any) -> Any:
        raise RuntimeError("the index worker is handed its vectors")

    embed_query = embed_documents


_indexes: dict[tuple[str, str, int, str], Any] = {}


def _embedder(model_id: str, dimensions: int) -> Any:
    """The offline embedder when `model_id` is its own (it embeds here), else one that is
    handed its vectors (numpy imported only in index children: readers keep their cap)."""
    from research.embeddings import HashingEmbedder

    offline = HashingEmbedder(dimensions)
    return offline if offline.model_id == model_id else _GivenVectors(model_id, dimensions)


def index(header: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Add the header's chunks with their vectors (`data`; none: embedded here) to the index it
    names (LanceDB and Arrow imported only here: an index child has no address-space cap, as
    LanceDB reserves more address space than a reader's cap)."""
    import numpy as np

    from research.index import IndexedChunk, ResearchIndex, ResearchIndexError

    options = dict(header.get("storage_options") or {})
    dimensions = int(header["dimensions"])
    key = (str(header["uri"]), str(header["model_id"]), dimensions, json.dumps(options))
    try:
        found = _indexes.get(key)
        if found is None:
            found = _indexes[key] = ResearchIndex(key[0], _embedder(key[1], dimensions), options)
        chunks = [
            IndexedChunk(d, n, int(o), r, t, datetime.fromisoformat(u))
            for d, n, o, r, t, u in header["chunks"]
        ]
        vectors = (
            np.frombuffer(data, dtype=np.float32).reshape(len(chunks), dimensions) if data else None
        )
        found.add(str(header["owner"]), chunks, vectors)
    except ResearchIndexError as exc:
        return {"index_error": str(exc)}
    return {"indexed": len(chunks)}


def parse(header: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Read and chunk the file within the header's limits."""
    filename = str(header["filename"])
    limits = dict(header["limits"])
    max_chunks = limits.pop("max_chunks", None)
    try:
        parsed = parse_document(data, filename, **limits)
        chunks = chunk_blocks(parsed.blocks, max_chunks=max_chunks, filename=filename)
    except DocumentError as exc:
        return {"refused": {"kind": type(exc).__name__, "message": str(exc)}}
    rows = [[c.ordinal, c.text, c.reference] for c in chunks]
    return {"parsed": {"media_type": parsed.media_type, "pages": parsed.pages, "chunks": rows}}


def answer(header: dict[str, Any], data: bytes) -> tuple[dict[str, Any], bytes]:
    """Do what the header asks (see the module docstring)."""
    if header.get("op") == "index":
        return index(header, data), b""
    return parse(header, data), b""


if __name__ == "__main__":
    exit_process(lambda: run_child(answer))
