"""The child process that reads uploaded files for `research.parser_pool`:
`python -m research.parse_worker MEMORY_BYTES`.

It limits its own address space to `MEMORY_BYTES` (where the platform allows), then answers
requests from stdin on stdout, one at a time, until stdin closes. A request is a frame holding
a JSON header (`{"filename", "limits"}`: the keyword arguments of `parse_document`, plus
`max_chunks`) and a frame holding the file's bytes; the answer is one frame of JSON:
`{"parsed": {"media_type", "pages", "chunks": [[ordinal, text, reference], ...]}}`,
`{"refused": {"kind", "message"}}` (a `DocumentError` subclass by name) or `{"failed": text}`
(a bug), each with `"rss"`, the process's resident memory in bytes after the work, and
`"exiting"`: a file that exhausts the memory is refused and the process exits, its memory going
back to the system. A
frame is a length (8 bytes, big-endian) and that many bytes.
"""

from __future__ import annotations

import json
import os
import sys
import warnings
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


def answer(header: dict[str, Any], data: bytes) -> dict[str, Any]:
    """Parse and chunk one file as the header asks (see the module docstring)."""
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
            reply = {
                "refused": {
                    "kind": DocumentTooLargeError.__name__,
                    "message": f"{request['filename']!r} needs more than "
                    f"{memory_bytes // 2**20:,} MiB of memory to read, the limit "
                    "(documents_parse_memory_bytes)",
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
    limit_memory(memory_bytes)
    serve(source, sink, memory_bytes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
