"""Parse an uploaded document (PDF, Excel xlsx, CSV, JSON, Markdown, plain text) into blocks of
text that keep where they came from.

`parse_document(data, filename, max_bytes=..., max_pages=...)` detects the type from the content
(`%PDF-`, an xlsx zip) and the file name's extension, refuses what it cannot read with a
`DocumentError` subclass saying why, and returns a `ParsedDocument` whose blocks
`research.chunking.chunk_blocks` packs into chunks. A block's `where` is its container (a PDF
page, a sheet, a Markdown section, a JSON top-level key); `span`, `first` and `last` give the
rows or lines it covers when the format has them (1-based, inclusive, as in the file).
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

DocumentKind = Literal["pdf", "xlsx", "csv", "json", "markdown", "text"]

MEDIA_TYPES: dict[DocumentKind, str] = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
    "json": "application/json",
    "markdown": "text/markdown",
    "text": "text/plain",
}
"""The media type of each supported kind (the text kinds are UTF-8)."""

_EXTENSIONS: dict[str, DocumentKind] = {
    "pdf": "pdf",
    "xlsx": "xlsx",
    "csv": "csv",
    "json": "json",
    "md": "markdown",
    "markdown": "markdown",
    "txt": "text",
    "text": "text",
}

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
"""Compound File Binary: a legacy .xls, or an encrypted (password-protected) xlsx."""


class DocumentError(ValueError):
    """A document that cannot be added; the message says why, for the uploader."""


class UnsupportedDocumentError(DocumentError):
    """Neither the content nor the file name is a supported kind."""


class DocumentTooLargeError(DocumentError):
    """More bytes than the limit."""


class TooManyPagesError(DocumentError):
    """A PDF with more pages than the limit."""


class CorruptDocumentError(DocumentError):
    """The content does not parse as the kind it claims (or is not UTF-8 text)."""


class EncryptedDocumentError(DocumentError):
    """A password-protected PDF or workbook: refused, never decrypted."""


class EmptyDocumentError(DocumentError):
    """No bytes, or no text to keep (a PDF of scanned images, an empty sheet)."""


@dataclass(frozen=True)
class Block:
    """A piece of a document's text and where it is.

    `where` names the container (`{"page": 3}`, `{"sheet": "Q1"}`, `{"section": "Risks"}`,
    `{"key": "weights"}`, or `{}` for the whole file); `span` is `"rows"` or `"lines"` when
    `first`..`last` (1-based, inclusive) number the rows or lines the block covers, else None.
    """

    text: str
    where: dict[str, str | int]
    span: Literal["rows", "lines"] | None = None
    first: int = 0
    last: int = 0


@dataclass(frozen=True)
class ParsedDocument:
    """A parsed document: its kind and media type, its page count (PDF only, else None) and
    its non-empty blocks in reading order."""

    kind: DocumentKind
    media_type: str
    pages: int | None
    blocks: tuple[Block, ...]


def detect_kind(data: bytes, filename: str) -> DocumentKind:
    """The kind of `data`: the content decides for PDF (`%PDF-`) and xlsx (a zip holding
    `xl/workbook.xml`), the file name's extension for the text kinds. `UnsupportedDocumentError`
    for anything else; `CorruptDocumentError` when the name claims a PDF or xlsx the content is
    not; `EncryptedDocumentError` for a password-protected xlsx."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    claimed = _EXTENSIONS.get(extension)
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
        except (zipfile.BadZipFile, ValueError) as exc:
            raise CorruptDocumentError(f"{filename!r} is a damaged zip archive") from exc
        if "xl/workbook.xml" in names:
            return "xlsx"
        raise UnsupportedDocumentError(
            f"{filename!r} is a zip archive but not an Excel workbook (xlsx)"
        )
    if data.startswith(_OLE_MAGIC):
        if claimed == "xlsx":
            raise EncryptedDocumentError(
                f"{filename!r} is a password-protected workbook: remove the password first"
            )
        raise UnsupportedDocumentError(
            f"{filename!r} is a legacy Office file (.xls, .doc): save it as xlsx or PDF"
        )
    if claimed in ("pdf", "xlsx"):
        raise CorruptDocumentError(f"{filename!r} is not a valid {claimed.upper()} file")
    if claimed is None:
        raise UnsupportedDocumentError(
            f"{filename!r}: unsupported type; supported are PDF, xlsx, CSV, JSON, Markdown "
            "(.md) and plain text (.txt)"
        )
    return claimed


def parse_document(data: bytes, filename: str, *, max_bytes: int, max_pages: int) -> ParsedDocument:
    """Parse `data` (the file named `filename`) into blocks. Refuses, with a `DocumentError`
    subclass: more than `max_bytes` bytes, an empty file, an unsupported, corrupt or encrypted
    one, a PDF of more than `max_pages` pages, and a file without any text."""
    if len(data) > max_bytes:
        raise DocumentTooLargeError(f"{filename!r} is larger than the limit of {max_bytes} bytes")
    if not data.strip():
        raise EmptyDocumentError(f"{filename!r} is empty")
    kind = detect_kind(data, filename)
    pages: int | None = None
    if kind == "pdf":
        pages, blocks = _pdf(data, filename, max_pages)
    elif kind == "xlsx":
        blocks = _xlsx(data, filename)
    else:
        text = _utf8(data, filename)
        parser = {"csv": _csv, "json": _json, "markdown": _markdown, "text": _text}[kind]
        blocks = list(parser(text, filename))
    blocks = [b for b in blocks if b.text.strip()]
    if not blocks:
        raise EmptyDocumentError(f"{filename!r} has no text to keep")
    return ParsedDocument(kind, MEDIA_TYPES[kind], pages, tuple(blocks))


def _utf8(data: bytes, filename: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CorruptDocumentError(f"{filename!r} is not UTF-8 text") from exc
    if "\x00" in text:
        raise CorruptDocumentError(f"{filename!r} holds binary data, not text")
    return text


def _paragraphs(text: str) -> Iterator[tuple[str, int, int]]:
    """(paragraph, first line, last line) of `text`'s blank-line separated paragraphs."""
    lines = text.splitlines()
    start: int | None = None
    for number, line in enumerate([*lines, ""], start=1):
        if line.strip() and start is None:
            start = number
        elif not line.strip() and start is not None:
            yield "\n".join(lines[start - 1 : number - 1]).strip(), start, number - 1
            start = None


def _pdf(data: bytes, filename: str, max_pages: int) -> tuple[int, list[Block]]:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise EncryptedDocumentError(
                f"{filename!r} is an encrypted PDF: remove the password first"
            )
        count = len(reader.pages)
        if count > max_pages:
            raise TooManyPagesError(
                f"{filename!r} has {count} pages; the limit is {max_pages} pages"
            )
        blocks = [
            Block(paragraph, {"page": number})
            for number, page in enumerate(reader.pages, start=1)
            for paragraph, _, _ in _paragraphs(page.extract_text() or "")
        ]
    except DocumentError:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, OSError) as exc:
        raise CorruptDocumentError(f"{filename!r} is a damaged PDF: {exc}") from exc
    if not blocks:
        raise EmptyDocumentError(
            f"{filename!r} has no extractable text (scanned pages need OCR, not supported)"
        )
    return count, blocks


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rows_as_lines(
    rows: Iterator[tuple[int, list[str]]], where: dict[str, str | int]
) -> Iterator[Block]:
    """Blocks of one line per data row, `"header: value; ..."` (empty cells left out); the first
    non-empty row is the header (a column without one is named by its position)."""
    header: list[str] | None = None
    for number, cells in rows:
        if not any(cells):
            continue
        if header is None:
            header = cells
            continue
        names = [*header, *[""] * (len(cells) - len(header))]
        pairs = [
            f"{names[i] or f'column {i + 1}'}: {value}" for i, value in enumerate(cells) if value
        ]
        yield Block("; ".join(pairs), where, "rows", number, number)


def _xlsx(data: bytes, filename: str) -> list[Block]:
    from openpyxl import load_workbook

    blocks: list[Block] = []
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        try:
            for sheet in workbook.worksheets:
                rows = (
                    (number, [_cell(v) for v in values])
                    for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
                )
                blocks += _rows_as_lines(rows, {"sheet": sheet.title})
        finally:
            workbook.close()
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook (read lazily)
        raise CorruptDocumentError(f"{filename!r} is a damaged xlsx workbook: {exc}") from exc
    return blocks


def _csv(text: str, filename: str) -> Iterator[Block]:
    try:
        rows = [(n, [c.strip() for c in r]) for n, r in enumerate(csv.reader(io.StringIO(text)), 1)]
    except csv.Error as exc:
        raise CorruptDocumentError(f"{filename!r} is not valid CSV: {exc}") from exc
    return _rows_as_lines(iter(rows), {})


def _flatten(value: Any, path: str) -> Iterator[str]:
    """`path: value` lines of every leaf of a JSON value (`a.b[0].c`)."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield from _flatten(inner, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            yield from _flatten(inner, f"{path}[{index}]")
    else:
        yield f"{path}: {json.dumps(value, ensure_ascii=False)}"


def _json(text: str, filename: str) -> Iterator[Block]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CorruptDocumentError(f"{filename!r} is not valid JSON: {exc}") from exc
    if isinstance(document, dict):
        tops: list[tuple[str, Any]] = [(str(k), v) for k, v in document.items()]
    elif isinstance(document, list):
        tops = [(f"[{i}]", v) for i, v in enumerate(document)]
    else:
        tops = [("", document)]
    for key, value in tops:
        for line in _flatten(value, key):
            yield Block(line, {"key": key})


_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def _markdown(text: str, filename: str) -> Iterator[Block]:
    """Paragraphs under their nearest heading (`{"section": heading}`); text before the first
    heading is in the section `""`. A heading line is kept as the first line of its section."""
    section = ""
    lines: list[str] = []
    for line in [*text.splitlines(), "# "]:
        heading = _HEADING.match(line)
        if heading is None:
            lines.append(line)
            continue
        for paragraph, _, _ in _paragraphs("\n".join(lines)):
            yield Block(paragraph, {"section": section})
        section = heading.group(2)
        lines = [line]


def _text(text: str, filename: str) -> Iterator[Block]:
    for paragraph, first, last in _paragraphs(text):
        yield Block(paragraph, {}, "lines", first, last)
