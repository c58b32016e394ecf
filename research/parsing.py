"""Parse an uploaded document (PDF, Excel xlsx, CSV, JSON, Markdown, plain text) into blocks of
text that keep where they came from.

`parse_document(data, filename, max_bytes=..., max_pages=..., ...)` detects the type from the
content (`%PDF-`, an xlsx zip) and the file name's extension, refuses what it cannot read with a
`DocumentError` subclass saying why, and returns a `ParsedDocument` whose blocks
`research.chunking.chunk_blocks` packs into chunks. The limits stop a file that expands beyond
them as soon as it does, before the rest is read: a workbook's uncompressed size (its zip
directory, before anything is inflated), its sheets' declared size, then the rows and cells read,
and the text kept (see `Budget`). Untrusted files are parsed in a child process with a memory
and a time limit (`research.parser_pool`). A block's `where` is its container (a PDF
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

from quant.problems import NestedTooDeepError, json_problems, read_json, unicode_problem

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


class ExpandsTooLargeError(DocumentTooLargeError):
    """A compressed file (a workbook) that expands beyond the limit: a zip bomb."""


class TooManyRowsError(DocumentTooLargeError):
    """More rows (sheet and CSV rows, JSON values) or spreadsheet cells than the limit."""


class TooMuchTextError(DocumentTooLargeError):
    """More text than the chunks a document may have can hold."""


class TooManyChunksError(DocumentTooLargeError):
    """More chunks than a document may have."""


class TooSlowDocumentError(DocumentError):
    """A file that takes longer than the time limit to read."""


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


def detect_kind(data: bytes, filename: str, max_expanded_bytes: int | None = None) -> DocumentKind:
    """The kind of `data`: the content decides for PDF (`%PDF-`) and xlsx (a zip holding
    `xl/workbook.xml`), the file name's extension for the text kinds. `UnsupportedDocumentError`
    for anything else; `CorruptDocumentError` when the name claims a PDF or xlsx the content is
    not; `EncryptedDocumentError` for a password-protected xlsx; `ExpandsTooLargeError` for a
    zip whose members expand to more than `max_expanded_bytes` (read from its directory, before
    anything is inflated; the zip reader stops each member at its declared size)."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    claimed = _EXTENSIONS.get(extension)
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        try:
            members = zipfile.ZipFile(io.BytesIO(data)).infolist()
        except (zipfile.BadZipFile, ValueError) as exc:
            raise CorruptDocumentError(f"{filename!r} is a damaged zip archive") from exc
        expanded = sum(member.file_size for member in members)
        if max_expanded_bytes is not None and expanded > max_expanded_bytes:
            raise ExpandsTooLargeError(
                f"{filename!r} expands to {expanded:,} bytes, more than the limit of "
                f"{max_expanded_bytes:,} bytes (documents_max_expanded_bytes)"
            )
        if "xl/workbook.xml" in {member.filename for member in members}:
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


@dataclass
class Budget:
    """What a document may still hold while it is read: rows (sheet and CSV rows, JSON values;
    `max_rows`), spreadsheet cells, empty ones included (`max_cells`), and characters of text
    kept (`max_chars`); None: unbounded. Each limit names its setting in its refusal."""

    filename: str
    max_rows: int | None = None
    max_cells: int | None = None
    max_chars: int | None = None
    rows: int = 0
    cells: int = 0
    chars: int = 0

    def row(self, cells: int = 0) -> None:
        """Count one row of `cells` cells (`TooManyRowsError` past a limit)."""
        self.rows += 1
        self.cells += cells
        self._check(self.rows, self.cells)

    def declared(self, rows: int, cells: int) -> None:
        """Refuse a sheet whose declared size (`rows` rows, `cells` cells) would already go past
        a limit, before any of it is read."""
        self._check(self.rows + rows, self.cells + cells)

    def _check(self, rows: int, cells: int) -> None:
        if self.max_rows is not None and rows > self.max_rows:
            raise TooManyRowsError(
                f"{self.filename!r} has more than {self.max_rows:,} rows or values, the limit "
                "(documents_max_rows)"
            )
        if self.max_cells is not None and cells > self.max_cells:
            raise TooManyRowsError(
                f"{self.filename!r} has more than {self.max_cells:,} spreadsheet cells, the "
                "limit (documents_max_cells)"
            )

    def text(self, block: Block) -> Block:
        """Count the block's text (`TooMuchTextError` past `max_chars`); the block."""
        self.chars += len(block.text)
        if self.max_chars is not None and self.chars > self.max_chars:
            raise TooMuchTextError(
                f"{self.filename!r} holds more than {self.max_chars:,} characters of text, more "
                "than a document's chunks may hold (documents_max_chunks)"
            )
        return block


def parse_document(
    data: bytes,
    filename: str,
    *,
    max_bytes: int,
    max_pages: int,
    max_expanded_bytes: int | None = None,
    max_rows: int | None = None,
    max_cells: int | None = None,
    max_chars: int | None = None,
) -> ParsedDocument:
    """Parse `data` (the file named `filename`) into blocks. Refuses, with a `DocumentError`
    subclass: more than `max_bytes` bytes, an empty file, an unsupported, corrupt or encrypted
    one, a PDF of more than `max_pages` pages, a workbook whose parts expand to more than
    `max_expanded_bytes`, more rows or cells than `max_rows` / `max_cells` or more text than
    `max_chars` (see `Budget`; None: unbounded), and a file without any text."""
    if len(data) > max_bytes:
        raise DocumentTooLargeError(f"{filename!r} is larger than the limit of {max_bytes} bytes")
    if not data.strip():
        raise EmptyDocumentError(f"{filename!r} is empty")
    kind = detect_kind(data, filename, max_expanded_bytes)
    budget = Budget(filename, max_rows, max_cells, max_chars)
    pages: int | None = None
    found: Iterator[Block]
    if kind == "pdf":
        pages, found = _pdf(data, filename, max_pages)
    elif kind == "xlsx":
        found = _xlsx(data, filename, budget)
    else:
        text = _utf8(data, filename)
        parser = {"csv": _csv, "json": _json, "markdown": _markdown, "text": _text}[kind]
        found = parser(text, filename, budget)
    blocks = [budget.text(b) for b in found if b.text.strip()]
    if not blocks:
        raise EmptyDocumentError(
            f"{filename!r} has no extractable text (scanned pages need OCR, not supported)"
            if kind == "pdf"
            else f"{filename!r} has no text to keep"
        )
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


_PDF_ERRORS = (ValueError, KeyError, TypeError, AttributeError, OSError)
"""What pypdf raises on a damaged file besides its own `PyPdfError`."""


def _pdf(data: bytes, filename: str, max_pages: int) -> tuple[int, Iterator[Block]]:
    """The page count and the paragraphs of a PDF, page by page (read as they are used)."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    damaged = (PyPdfError, *_PDF_ERRORS)
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        count = 0 if encrypted else len(reader.pages)
    except damaged as exc:
        raise CorruptDocumentError(f"{filename!r} is a damaged PDF: {exc}") from exc
    if encrypted:
        raise EncryptedDocumentError(f"{filename!r} is an encrypted PDF: remove the password first")
    if count > max_pages:
        raise TooManyPagesError(f"{filename!r} has {count} pages; the limit is {max_pages} pages")

    def paragraphs() -> Iterator[Block]:
        for number in range(count):
            try:
                text = reader.pages[number].extract_text() or ""
            except damaged as exc:
                raise CorruptDocumentError(f"{filename!r} is a damaged PDF: {exc}") from exc
            for paragraph, _, _ in _paragraphs(text):
                yield Block(paragraph, {"page": number + 1})

    return count, paragraphs()


def _cell(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _rows_as_lines(
    rows: Iterator[tuple[int, list[str]]], where: dict[str, str | int], budget: Budget
) -> Iterator[Block]:
    """Blocks of one line per data row, `"header: value; ..."` (empty cells left out); the first
    non-empty row is the header (a column without one is named by its position). Every row read
    counts against `budget`, empty ones included."""
    header: list[str] | None = None
    for number, cells in rows:
        budget.row(len(cells))
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


def _xlsx(data: bytes, filename: str, budget: Budget) -> Iterator[Block]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as exc:  # openpyxl raises many kinds on a damaged workbook
        raise CorruptDocumentError(f"{filename!r} is a damaged xlsx workbook: {exc}") from exc
    try:
        for sheet in workbook.worksheets:
            rows_declared, columns_declared = sheet.max_row, sheet.max_column  # <dimension>
            if isinstance(rows_declared, int) and isinstance(columns_declared, int):
                budget.declared(rows_declared, rows_declared * columns_declared)
            rows = (
                (number, [_cell(v) for v in values])
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
            )
            yield from _rows_as_lines(rows, {"sheet": sheet.title}, budget)
    except (DocumentError, MemoryError):
        raise
    except Exception as exc:  # read lazily: a damaged part shows while rows are read
        raise CorruptDocumentError(f"{filename!r} is a damaged xlsx workbook: {exc}") from exc
    finally:
        workbook.close()


def _csv(text: str, filename: str, budget: Budget) -> Iterator[Block]:
    rows = ((n, [c.strip() for c in r]) for n, r in enumerate(csv.reader(io.StringIO(text)), 1))
    try:
        yield from _rows_as_lines(rows, {}, budget)
    except csv.Error as exc:
        raise CorruptDocumentError(f"{filename!r} is not valid CSV: {exc}") from exc


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


def _json(text: str, filename: str, budget: Budget) -> Iterator[Block]:
    """Each leaf as a line (`_flatten`); refused as corrupt: a document that is not JSON, nests
    beyond `MAX_DEPTH` or holds a lone surrogate (`quant.problems`: the API's text boundary)."""
    try:
        document = read_json(text)
    except NestedTooDeepError as exc:
        raise CorruptDocumentError(f"{filename!r} {exc}") from None
    except json.JSONDecodeError as exc:
        raise CorruptDocumentError(f"{filename!r} is not valid JSON: {exc}") from exc
    found = json_problems(document, "", unicode_problem, limit=1)
    if found:
        where, problem = found[0]
        raise CorruptDocumentError(f"{filename!r} at {where.lstrip('.') or 'its top'} {problem}")
    if isinstance(document, dict):
        tops: list[tuple[str, Any]] = [(str(k), v) for k, v in document.items()]
    elif isinstance(document, list):
        tops = [(f"[{i}]", v) for i, v in enumerate(document)]
    else:
        tops = [("", document)]
    for key, value in tops:
        for line in _flatten(value, key):
            budget.row()
            yield Block(line, {"key": key})


_HEADING = re.compile(r"^ {0,3}(#{1,6})\s+(.*?)\s*#*\s*$")


def _markdown(text: str, filename: str, budget: Budget) -> Iterator[Block]:
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


def _text(text: str, filename: str, budget: Budget) -> Iterator[Block]:
    for paragraph, first, last in _paragraphs(text):
        yield Block(paragraph, {}, "lines", first, last)
