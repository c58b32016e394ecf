"""Split a parsed document's blocks into chunks of about `CHUNK_CHARS` characters that keep
their reference.

Chunks never cross a container (a PDF page, a sheet, a Markdown section, a JSON key): each
chunk's reference is its container's (`{"page": 3}`) plus, when the blocks number rows or lines,
the range it covers (`{"sheet": "Q1", "rows": "2-14"}`, `{"lines": "1-9"}`, 1-based,
inclusive). Blocks are packed whole while they fit; a longer block is split on sentence
boundaries, then on whitespace, then anywhere. A chunk starts with the previous chunk's last
piece when that piece is at most `OVERLAP_CHARS` long (a small overlap for context). Chunks are
never empty and are numbered from 0 (`ordinal`) in reading order.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import groupby

from research.parsing import Block, TooManyChunksError

CHUNK_CHARS = 800
"""Target (and largest) chunk length in characters."""

OVERLAP_CHARS = 150
"""The longest piece repeated at the start of the next chunk."""

_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+")


@dataclass(frozen=True)
class Chunk:
    """A chunk of a document: its position in reading order, its text and its reference."""

    ordinal: int
    text: str
    reference: dict[str, str | int]


@dataclass(frozen=True)
class _Piece:
    text: str
    first: int
    last: int


def _split(text: str, size: int) -> Iterator[str]:
    """`text` in pieces of at most `size` characters: sentences packed together, a sentence
    too long cut at whitespace, a word too long cut anywhere."""
    if len(text) <= size:
        yield text
        return
    current = ""
    for sentence in _SENTENCE_END.split(text):
        words = [sentence] if len(sentence) <= size else sentence.split()
        for word in words:
            for start in range(0, len(word), size):
                part = word[start : start + size]
                if current and len(current) + 1 + len(part) > size:
                    yield current
                    current = ""
                current = f"{current} {part}" if current else part
    if current:
        yield current


def _reference(block: Block, pieces: list[_Piece]) -> dict[str, str | int]:
    reference = dict(block.where)
    if block.span is not None:
        reference[block.span] = f"{pieces[0].first}-{pieces[-1].last}"
    return reference


def chunk_blocks(
    blocks: Iterable[Block],
    size: int = CHUNK_CHARS,
    overlap: int = OVERLAP_CHARS,
    *,
    max_chunks: int | None = None,
    filename: str = "the document",
) -> list[Chunk]:
    """The chunks of `blocks` (see the module docstring); `size` and `overlap` in characters.
    `TooManyChunksError` as soon as there would be more than `max_chunks` (None: unbounded)."""
    chunks: list[Chunk] = []

    def emit(block: Block, pieces: list[_Piece]) -> None:
        if max_chunks is not None and len(chunks) >= max_chunks:
            raise TooManyChunksError(
                f"{filename!r} makes more than {max_chunks:,} chunks, the limit "
                "(documents_max_chunks)"
            )
        text = "\n".join(p.text for p in pieces)
        chunks.append(Chunk(len(chunks), text, _reference(block, pieces)))

    def container(block: Block) -> tuple[object, ...]:
        return (tuple(block.where.items()), block.span)

    for _, group in groupby(blocks, key=container):
        members = list(group)
        pieces = [
            _Piece(part, b.first, b.last)
            for b in members
            for part in _split(b.text.strip(), size)
            if part.strip()
        ]
        current: list[_Piece] = []
        length = 0
        for piece in pieces:
            if current and length + 1 + len(piece.text) > size:
                emit(members[0], current)
                tail = current[-1]
                keep = len(tail.text) <= overlap and len(tail.text) + 1 + len(piece.text) <= size
                current = [tail] if keep else []
                length = len(tail.text) if keep else 0
            length += (1 if current else 0) + len(piece.text)
            current.append(piece)
        if current:
            emit(members[0], current)
    return chunks
