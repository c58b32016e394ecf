"""The child process that reads uploaded files and writes their passages to the research index
for `research.parser_pool`: `python -m research.parse_worker MEMORY_BYTES`.

It limits its own address space to `MEMORY_BYTES` (where the platform allows; 0: no limit, for
the children that write to the index), then answers
requests from stdin on stdout, one at a time, until stdin closes. A request is a frame holding
a JSON header and a frame of bytes:

- `{"op": "parse", "filename", "limits"}` (`limits`: the keyword arguments of `parse_document`,
  plus `max_chunks`) with the file's bytes, answered `{"parsed": {"media_type", "pages",
  "chunks": [[ordinal, text, reference], ...]}}` or `{"refused": {"kind", "message"}}` (a
  `DocumentError` subclass by name);
- `{"op": "index", "uri", "storage_options", "model_id", "dimensions", "owner", "chunks":
  [[document_id, document_name, ordinal, reference, text, uploaded_at], ...]}` with the chunks'
  vectors (float32, row after row), answered `{"indexed": count}` or `{"index_error": text}`.

Anything else is a bug, answered `{"failed": text}`. Each answer has `"rss"`, the process's resident memory in bytes after the work, and
`"exiting"`: a file that exhausts the memory is refused and the process exits, its memory going
back to the system. A
frame is a length (8 bytes, big-endian) and that many bytes.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
from datetime import datetime
from typing import IO, Any

from research.chunking import chunk_blocks
from research.parsing import DocumentError, DocumentTooLargeError, parse_document


def read_frame(stream: IO[bytes]) -> bytes | None:
    """The next frame's bytes, or None at the end of the stream."""
    head = stream.read(8)
    if len(head) < 8:
        return None
    size = int.from_bytes(head, "big")
    body = stream.read(size)
    if len(body) < size:
        return None
    return body


def frame(body: bytes) -> bytes:
    """`body` as a frame (its length, then itself)."""
    return len(body).to_bytes(8, "big") + body


def resident_bytes() -> int:
    """This process's resident memory now (Linux), else its peak (elsewhere), in bytes."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return int(peak if sys.platform == "darwin" else peak * 1024)


def limit_memory(memory_bytes: int) -> None:
    """Cap this process's address space (no cap where `resource` does not exist)."""
    try:
        import resource
    except ImportError:
        return
    hard = resource.getrlimit(resource.RLIMIT_AS)[1]
    cap = memory_bytes if hard == resource.RLIM_INFINITY else min(memory_bytes, hard)
    resource.setrlimit(resource.RLIMIT_AS, (cap, hard))


class _GivenVectors:
    """The embedder of an index that is handed its vectors: its model id and length only."""

    def __init__(self, model_id: str, dimensions: int) -> None:
        self.model_id = model_id
        self.dimensions = dimensions

    def embed_documents(self, texts: Any) -> Any:
        raise RuntimeError("the index worker is handed its vectors")

    embed_query = embed_documents


_indexes: dict[tuple[str, str, int, str], Any] = {}


def index(header: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Add the header's chunks with their vectors (`data`) to the index it names (LanceDB and
    Arrow imported only here: an index child has no address-space cap, as LanceDB reserves more
    address space than a reader's cap)."""
    import numpy as np

    from research.index import IndexedChunk, ResearchIndex, ResearchIndexError

    options = dict(header.get("storage_options") or {})
    dimensions = int(header["dimensions"])
    key = (str(header["uri"]), str(header["model_id"]), dimensions, json.dumps(options))
    try:
        found = _indexes.get(key)
        if found is None:
            embedder = _GivenVectors(key[1], dimensions)
            found = _indexes[key] = ResearchIndex(key[0], embedder, options)
        chunks = [
            IndexedChunk(d, n, int(o), r, t, datetime.fromisoformat(u))
            for d, n, o, r, t, u in header["chunks"]
        ]
        vectors = np.frombuffer(data, dtype=np.float32).reshape(len(chunks), dimensions)
        found.add(str(header["owner"]), chunks, vectors)
    except ResearchIndexError as exc:
        return {"index_error": str(exc)}
    return {"indexed": len(chunks)}


def answer(header: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Do what the header asks (see the module docstring)."""
    if header.get("op") == "index":
        return index(header, data)
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


def serve(source: IO[bytes], sink: IO[bytes], memory_bytes: int) -> None:
    """Answer requests from `source` on `sink` until `source` ends or memory runs out."""
    while True:
        header, data = read_frame(source), read_frame(source)
        if header is None or data is None:
            return
        exhausted = False
        request = json.loads(header)
        try:
            reply = answer(request, data)
        except MemoryError:
            exhausted = True
            what = repr(request.get("filename", "the document's passages"))
            reply = {
                "refused": {
                    "kind": DocumentTooLargeError.__name__,
                    "message": f"{what} needs more than {memory_bytes // 2**20:,} MiB of "
                    "memory to read, the limit (documents_parse_memory_bytes)",
                }
            }
        except Exception as exc:  # a bug: reported to the parent, which logs it
            reply = {"failed": f"{type(exc).__name__}: {exc}"}
        reply["rss"] = resident_bytes()
        reply["exiting"] = exhausted
        sink.write(frame(json.dumps(reply).encode()))
        sink.flush()
        if exhausted:
            return


def main(argv: list[str] | None = None) -> int:
    """Serve requests on the standard streams (see the module docstring)."""
    memory_bytes = int((argv or sys.argv[1:])[0])
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a library prints may reach the answers
    warnings.simplefilter("ignore")  # openpyxl's notes about styles are not for the server log
    if memory_bytes:
        limit_memory(memory_bytes)
    serve(source, sink, memory_bytes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
