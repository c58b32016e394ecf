"""The parser pool reads files in child processes: the result is the one the readers give in
this process, a file that needs more memory than a child has or more time than allowed is
refused naming the setting (and the pool goes on with a new child), children are reused, and a
child that grew is replaced."""

from __future__ import annotations

import pytest

from research.chunking import chunk_blocks
from research.parser_pool import ParseLimits, ParserPool
from research.parsing import DocumentTooLargeError, TooSlowDocumentError, parse_document

LIMITS = ParseLimits(
    max_bytes=50_000_000,
    max_pages=10,
    max_expanded_bytes=100_000_000,
    max_rows=10_000_000,
    max_cells=100_000_000,
    max_chars=100_000_000,
    max_chunks=1_000_000,
)

NOTE = b"# Policy\n\nEquities at most 60 percent.\n\n## Bonds\n\nThe rest, laddered."


def test_a_child_reads_as_this_process_does_and_is_reused() -> None:
    pool = ParserPool(1, 512 * 2**20, 30.0)
    try:
        read = pool.parse(NOTE, "policy.md", LIMITS)
        here = chunk_blocks(parse_document(NOTE, "policy.md", max_bytes=10**6, max_pages=1).blocks)
        assert read.media_type == "text/markdown" and read.pages is None
        assert [(c.ordinal, c.text, c.reference) for c in read.chunks] == [
            (c.ordinal, c.text, c.reference) for c in here
        ]
        (child,) = pool.idle("parse")
        pool.parse(b"a,b\n1,2\n", "t.csv", LIMITS)
        assert pool.idle("parse") == [child] and child.alive()
    finally:
        pool.close()
    assert not child.alive()


def test_a_file_needing_more_memory_than_the_child_has_is_refused() -> None:
    pool = ParserPool(1, 96 * 2**20, 60.0)
    numbers = b"[" + b",".join(b"0.5" for _ in range(4_000_000)) + b"]"  # 16 MB of JSON
    try:
        with pytest.raises(DocumentTooLargeError, match="documents_parse_memory_bytes"):
            pool.parse(numbers, "numbers.json", LIMITS)
        assert pool.idle("parse") == []  # that child ended; its memory went back to the system
        assert len(pool.parse(NOTE, "policy.md", LIMITS).chunks) == 2
    finally:
        pool.close()


def test_a_file_slower_than_the_limit_is_refused_and_its_child_killed() -> None:
    pool = ParserPool(1, 512 * 2**20, 0.2)
    rows = b"date,asset,weight\n" + b"".join(b"2020-01-02,A%d,0.5\n" % i for i in range(300_000))
    try:
        with pytest.raises(TooSlowDocumentError, match="documents_parse_seconds"):
            pool.parse(rows, "rows.csv", LIMITS)
        assert pool.idle("parse") == []
    finally:
        pool.close()
    patient = ParserPool(1, 512 * 2**20, 60.0)
    try:
        assert len(patient.parse(NOTE, "policy.md", LIMITS).chunks) == 2
    finally:
        patient.close()


def test_a_child_that_grew_is_replaced() -> None:
    pool = ParserPool(1, 512 * 2**20, 30.0, recycle_bytes=1)
    try:
        pool.parse(NOTE, "policy.md", LIMITS)
        assert pool.idle("parse") == []
    finally:
        pool.close()
