"""Uploads that cannot stall the server: bombs are refused early with 413 naming the limit,
nothing is stored, and while a document is read other requests are answered.

The workbooks are written here byte by byte (a zip of the few parts an xlsx needs), so that a
test can declare what a real bomb declares: a part that expands to far more than it weighs, or a
sheet that claims 400,000 rows.
"""

from __future__ import annotations

import asyncio
import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tests.api.conftest import assert_error, make_settings

PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
        'worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.'
        'org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships"><sheets><sheet name="Data" sheetId="1" r:id="rId1"/>'
        "</sheets></workbook>"
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
        'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://'
        'schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
        'Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def sheet_xml(rows: int, *, declared: int | None = None, column: str = "A") -> str:
    """A sheet of `rows` rows of one number in `column`; `declared` rows in its `<dimension>`,
    if given."""
    dimension = f'<dimension ref="A1:A{declared}"/>' if declared is not None else ""
    body = "".join(
        f'<row r="{i}"><c r="{column}{i}"><v>{i}</v></c></row>' for i in range(1, rows + 1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.'
        f'org/spreadsheetml/2006/main">{dimension}<sheetData>{body}</sheetData></worksheet>'
    )


def workbook(sheet: str) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in PARTS.items():
            archive.writestr(name, text)
        archive.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()


def declaring(data: bytes, member: str, size: int) -> bytes:
    """`data` (a zip) with `member`'s uncompressed size in its central directory set to `size`
    (what a zip bomb declares; the member's bytes are not touched)."""
    at = -1
    while True:  # the central directory's entries: signature, ..., name length at 28, name at 46
        at = data.find(b"PK\x01\x02", at + 1)
        name_length = int.from_bytes(data[at + 28 : at + 30], "little")
        if data[at + 46 : at + 46 + name_length].decode() == member:
            break
    patched = bytearray(data)
    patched[at + 24 : at + 28] = size.to_bytes(4, "little")
    return bytes(patched)


@pytest.fixture(scope="module")
def limited(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """An app with small document limits, and the headers of its caller."""
    settings = make_settings(
        tmp_path_factory.mktemp("uploads") / "data",
        documents={
            "max_expanded_bytes": 2_000_000,
            "max_rows": 1_000,
            "max_cells": 50_000,
            "max_chunks": 100,
            "max_owner_chunks": 150,
        },
    )
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        key, _ = client.app.state.context.store.create_api_key("carol", "tests")  # type: ignore[attr-defined]
        yield client, {"x-api-key": key}


def post(limited: tuple[TestClient, dict[str, str]], name: str, data: bytes) -> Any:
    client, headers = limited
    files = {"file": (name, data, "application/octet-stream")}
    return client.post("/v1/documents", files=files, headers=headers)


def refused(
    limited: tuple[TestClient, dict[str, str]], name: str, data: bytes, setting: str
) -> str:
    """The 413 of an upload, naming `setting`; nothing stored."""
    client, _ = limited
    store = client.app.state.context.store  # type: ignore[attr-defined]
    before = store.list_documents("carol")
    error = assert_error(post(limited, name, data), 413, "PAYLOAD_TOO_LARGE", "file")
    assert setting in error["message"], error
    assert store.list_documents("carol") == before
    return str(error["message"])


def test_a_zip_bomb_is_refused_from_its_directory_before_anything_is_inflated(
    limited: tuple[TestClient, dict[str, str]],
) -> None:
    """The sheet declares 3 GB in the zip's directory: refused for that, before inflating (the
    part's real bytes would parse: a reader that inflated it would answer 201 or 'damaged')."""
    small = workbook(sheet_xml(5))
    bomb = declaring(small, "xl/worksheets/sheet1.xml", 3_000_000_000)
    message = refused(limited, "bomb.xlsx", bomb, "documents_max_expanded_bytes")
    assert "expands to 3,00" in message
    sheet = sheet_xml(60_000)
    real = workbook(sheet)  # the parts' real sizes, honestly declared
    assert len(sheet) > 2_000_000 > 4 * len(real)
    refused(limited, "real-bomb.xlsx", real, "documents_max_expanded_bytes")


def test_a_row_bomb_is_refused_by_its_declared_size_or_as_its_rows_are_read(
    limited: tuple[TestClient, dict[str, str]],
) -> None:
    claims = workbook(sheet_xml(3, declared=400_000))  # what the 92 KB file declared
    refused(limited, "claims.xlsx", claims, "documents_max_rows")
    silent = workbook(sheet_xml(1_500))  # no <dimension>: counted while read
    refused(limited, "rows.xlsx", silent, "documents_max_rows")
    csv = b"date,value\n" + b"".join(b"2020-01-01,%d\n" % i for i in range(1_500))
    refused(limited, "rows.csv", csv, "documents_max_rows")
    values = b"[" + b",".join(b"%d" % i for i in range(1_500)) + b"]"
    refused(limited, "values.json", values, "documents_max_rows")


def test_a_column_bomb_is_refused_by_its_cells(limited: tuple[TestClient, dict[str, str]]) -> None:
    """Ten rows whose one value sits in the last column (XFD): a reader pads each row with
    16,383 empty cells, which count."""
    refused(limited, "wide.xlsx", workbook(sheet_xml(10, column="XFD")), "documents_max_cells")


def test_chunks_are_bounded_per_document_and_per_owner(
    limited: tuple[TestClient, dict[str, str]],
) -> None:
    paragraph = "Rebalance quarterly within the drift bands, " * 18  # about 800 characters
    text = "\n\n".join(f"{i}. {paragraph}" for i in range(150)).encode()
    refused(limited, "long.txt", text, "documents_max_chunks")
    eighty = "\n\n".join(f"{i}. {paragraph}" for i in range(80)).encode()
    created = post(limited, "first.txt", eighty)
    assert created.status_code == 201 and created.json()["chunk_count"] == 80
    message = refused(limited, "second.txt", eighty, "documents_max_owner_chunks")
    assert "80 chunks" in message
    assert post(limited, "small.txt", b"A short note.").status_code == 201


def test_other_requests_are_answered_while_a_document_is_read(tmp_path: Path) -> None:
    """An upload whose reading takes a while (60,000 CSV rows) is in flight; health checks
    and another owner's list are answered before it ends. (Read on the event loop, as before,
    the upload would end first: nothing else runs until it does.)"""
    settings = make_settings(tmp_path / "data")
    app = create_app(settings)
    store = app.state.context.store
    alice, _ = store.create_api_key("alice", "tests")
    bob, _ = store.create_api_key("bob", "tests")
    csv = b"date,asset,weight\n" + b"".join(
        b"2020-01-%02d,A%d,0.%d\n" % (i % 28 + 1, i, i % 10) for i in range(60_000)
    )
    finished: list[str] = []

    async def scenario() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:

            async def upload() -> httpx.Response:
                files = {"file": ("big.csv", csv, "text/csv")}
                response = await client.post(
                    "/v1/documents", files=files, headers={"x-api-key": alice}
                )
                finished.append("upload")
                return response

            async def others() -> None:
                await asyncio.sleep(0)  # the upload starts first
                for _ in range(3):
                    assert (await client.get("/v1/health/live")).status_code == 200
                    answer = await client.get("/v1/portfolios", headers={"x-api-key": bob})
                    assert answer.status_code == 200
                    finished.append("other")

            uploaded, _ = await asyncio.gather(upload(), others())
            assert uploaded.status_code == 201, uploaded.text

    asyncio.run(scenario())
    app.state.context.close()
    assert finished == ["other", "other", "other", "upload"]
