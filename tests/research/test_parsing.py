"""Parsing and chunking of every supported kind, on files the tests build, and the refusal of
unsupported, corrupt, encrypted, empty and oversized ones."""

from __future__ import annotations

import pytest

from devtools.document_files import encrypted_pdf_bytes, pdf_bytes, xlsx_bytes
from research.chunking import CHUNK_CHARS, Chunk, chunk_blocks
from research.parsing import (
    CorruptDocumentError,
    DocumentTooLargeError,
    EmptyDocumentError,
    EncryptedDocumentError,
    TooManyPagesError,
    UnsupportedDocumentError,
    parse_document,
)

LIMITS = {"max_bytes": 1_000_000, "max_pages": 5}


def chunks(data: bytes, filename: str) -> list[tuple[str, dict[str, str | int]]]:
    parsed = parse_document(data, filename, **LIMITS)
    found = chunk_blocks(parsed.blocks)
    assert [c.ordinal for c in found] == list(range(len(found)))
    return [(c.text, c.reference) for c in found]


def test_a_pdf_is_chunked_page_by_page() -> None:
    data = pdf_bytes([["Allocation policy.", "Equities at most 60 percent."], ["Bonds rest."]])
    parsed = parse_document(data, "policy.pdf", **LIMITS)
    assert (parsed.kind, parsed.media_type, parsed.pages) == ("pdf", "application/pdf", 2)
    assert chunks(data, "policy.pdf") == [
        ("Allocation policy.\nEquities at most 60 percent.", {"page": 1}),
        ("Bonds rest.", {"page": 2}),
    ]


def test_the_content_decides_a_pdf_whatever_its_name() -> None:
    assert parse_document(pdf_bytes([["Text."]]), "notes.txt", **LIMITS).kind == "pdf"


def test_an_xlsx_is_chunked_by_sheet_with_its_rows() -> None:
    data = xlsx_bytes(
        {
            "Weights": [["asset", "weight"], ["AAPL", 0.6], ["MSFT", None], ["BND", 0.4]],
            "Blank": [],
            "Notes": [[None, "note"], [1, "rebalance monthly"]],
        }
    )
    assert chunks(data, "book.xlsx") == [
        (
            "asset: AAPL; weight: 0.6\nasset: MSFT\nasset: BND; weight: 0.4",
            {"sheet": "Weights", "rows": "2-4"},
        ),
        ("column 1: 1; note: rebalance monthly", {"sheet": "Notes", "rows": "2-2"}),
    ]


def test_a_csv_is_chunked_as_rows_with_their_line_numbers() -> None:
    data = b"date,asset,weight\n2026-01-02,AAPL,0.5\n\n2026-01-02,MSFT,0.5\n"
    assert chunks(data, "w.csv") == [
        (
            "date: 2026-01-02; asset: AAPL; weight: 0.5\n"
            "date: 2026-01-02; asset: MSFT; weight: 0.5",
            {"rows": "2-4"},
        )
    ]


def test_json_is_flattened_to_key_paths_under_its_top_level_keys() -> None:
    data = b'{"limits": {"max_weight": 0.2, "assets": ["AAPL", "MSFT"]}, "name": "core"}'
    assert chunks(data, "spec.json") == [
        (
            'limits.max_weight: 0.2\nlimits.assets[0]: "AAPL"\nlimits.assets[1]: "MSFT"',
            {"key": "limits"},
        ),
        ('name: "core"', {"key": "name"}),
    ]


def test_markdown_is_chunked_by_heading_section() -> None:
    data = b"Intro line.\n\n# Goals\n\nGrow capital.\n\n## Risks\n\nDrawdowns.\nFees.\n"
    assert chunks(data, "memo.md") == [
        ("Intro line.", {"section": ""}),
        ("# Goals\nGrow capital.", {"section": "Goals"}),
        ("## Risks\nDrawdowns.\nFees.", {"section": "Risks"}),
    ]


def test_text_is_chunked_by_paragraphs_with_line_ranges_and_a_small_overlap() -> None:
    sentence = "The fund rebalances when a weight drifts by more than five percent. "
    long = (sentence * 20).strip()  # ~1,360 characters: two chunks
    data = f"Title\n\n{long}\n\nLast words.\n".encode()
    found = chunks(data, "notes.txt")
    assert all(0 < len(text) <= CHUNK_CHARS for text, _ in found)
    assert [ref for _, ref in found] == [{"lines": "1-3"}, {"lines": "3-5"}]
    first, second = found[0][0], found[1][0]
    assert first.startswith("Title\nThe fund")
    assert second.endswith("Last words.")
    # the last sentence of a chunk starts the next (overlap), and no text is lost
    assert second.startswith(first.split("\n")[-1].split(". ")[-1])
    assert (first + second).count("drifts") >= 20


def test_a_word_longer_than_a_chunk_is_cut() -> None:
    data = ("x" * 2000).encode()
    found = chunk_blocks(parse_document(data, "a.txt", **LIMITS).blocks)
    assert [len(c.text) for c in found] == [800, 800, 400]
    assert all(c.reference == {"lines": "1-1"} for c in found)


def test_chunks_never_cross_a_container() -> None:
    found = chunk_blocks(parse_document(pdf_bytes([["a."], ["b."]]), "x.pdf", **LIMITS).blocks)
    assert found == [Chunk(0, "a.", {"page": 1}), Chunk(1, "b.", {"page": 2})]


@pytest.mark.parametrize(
    ("data", "filename", "error", "says"),
    [
        (b"", "empty.txt", EmptyDocumentError, "empty"),
        (b"  \n\n ", "blank.md", EmptyDocumentError, "empty"),
        (b"{}", "empty.json", EmptyDocumentError, "no text"),
        (b"a,b\n", "header.csv", EmptyDocumentError, "no text"),
        (b"\x89PNG\r\n\x1a\n0000", "chart.png", UnsupportedDocumentError, "unsupported"),
        (b"hello", "README", UnsupportedDocumentError, "unsupported"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old.xls", UnsupportedDocumentError, "legacy"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "locked.xlsx", EncryptedDocumentError, "pass"),
        (b"PK\x03\x04garbage", "broken.xlsx", CorruptDocumentError, "damaged"),
        (b"not a pdf", "fake.pdf", CorruptDocumentError, "not a valid PDF"),
        (b"%PDF-1.4\ngarbage", "broken.pdf", CorruptDocumentError, "damaged PDF"),
        (b"\xff\xfe\x00bad", "latin.txt", CorruptDocumentError, "UTF-8"),
        (b'{"a": ', "cut.json", CorruptDocumentError, "not valid JSON"),
    ],
)
def test_unreadable_files_are_refused_saying_why(
    data: bytes, filename: str, error: type[Exception], says: str
) -> None:
    with pytest.raises(error, match=says):
        parse_document(data, filename, **LIMITS)


def test_an_encrypted_pdf_is_refused_not_decrypted() -> None:
    with pytest.raises(EncryptedDocumentError, match="encrypted PDF"):
        parse_document(encrypted_pdf_bytes(), "secret.pdf", **LIMITS)


def test_a_zip_that_is_not_a_workbook_is_unsupported() -> None:
    import io
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(UnsupportedDocumentError, match="not an Excel workbook"):
        parse_document(out.getvalue(), "letter.docx", **LIMITS)


def test_limits_on_bytes_and_pages() -> None:
    with pytest.raises(DocumentTooLargeError, match="larger than the limit of 10 bytes"):
        parse_document(b"hello world", "a.txt", max_bytes=10, max_pages=5)
    with pytest.raises(TooManyPagesError, match="3 pages; the limit is 2 pages"):
        parse_document(pdf_bytes([["a"], ["b"], ["c"]]), "a.pdf", max_bytes=10**6, max_pages=2)


def test_a_pdf_without_text_is_empty() -> None:
    with pytest.raises(EmptyDocumentError, match="no extractable text"):
        parse_document(pdf_bytes([[]]), "scan.pdf", **LIMITS)


def test_a_workbook_with_a_damaged_sheet_is_corrupt() -> None:
    import io
    import zipfile

    # the workbook opens (read-only mode reads sheets lazily); its sheet's XML is cut short
    good = zipfile.ZipFile(io.BytesIO(xlsx_bytes({"S": [["a"], [1], [2]]})))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for item in good.infolist():
            data = good.read(item)
            cut = item.filename == "xl/worksheets/sheet1.xml"
            archive.writestr(item, data[:-40] if cut else data)
    with pytest.raises(CorruptDocumentError, match="damaged xlsx"):
        parse_document(out.getvalue(), "broken.xlsx", **LIMITS)
